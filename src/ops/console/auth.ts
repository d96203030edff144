/**
 * Who may use a running console: whoever holds its token. The token is random (32 bytes), printed
 * once by `rmqctl console`, and required by every request — the first one brings it in the URL
 * (`/?token=…`), which answers with an HttpOnly, SameSite=Strict cookie and a redirect to the
 * same page without it (so it stays out of history and Referer); scripts may send
 * `Authorization: Bearer <token>` instead. Requests must also name the console's own host in
 * `Host` (no DNS rebinding), and a request that changes something must come from the console's
 * own origin with a JSON body (no cross-site form posts).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const newToken = (): string => randomBytes(32).toString('base64url');

export type AuthResult =
  /** The token came with the request (cookie or bearer). */
  | { kind: 'ok' }
  /** The token came in the URL: set the cookie, redirect to `location`. */
  | { kind: 'enter'; location: string; cookie: string }
  | { kind: 'refused'; status: 401 | 403 | 421; reason: string };

export class ConsoleAuth {
  private readonly token: Buffer;
  /** Cookies are shared by every port of a host: the name carries the port. */
  readonly cookieName: string;

  constructor(
    token: string,
    private readonly port: number,
    /** Host names this console answers to (the bound address, plus localhost names on loopback). */
    private readonly hosts: ReadonlySet<string>,
  ) {
    this.token = Buffer.from(token);
    this.cookieName = `rmqctl_console_${port}`;
  }

  private matches(candidate: string | undefined): boolean {
    if (candidate === undefined) return false;
    const b = Buffer.from(candidate);
    return b.length === this.token.length && timingSafeEqual(b, this.token);
  }

  /** The `Host` header names this console (host and port). */
  hostAllowed(host: string | undefined): boolean {
    if (host === undefined) return false;
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host.toLowerCase());
    if (m === null) return false;
    const name = (m[1] as string).replace(/^\[|\]$/g, '');
    return this.hosts.has(name) && (m[2] === undefined ? false : Number(m[2]) === this.port);
  }

  check(req: IncomingMessage, url: URL): AuthResult {
    if (!this.hostAllowed(req.headers.host)) return { kind: 'refused', status: 421, reason: 'this console answers only at the address it printed' };
    const fromUrl = url.searchParams.get('token');
    if (fromUrl !== null && req.method === 'GET') {
      if (!this.matches(fromUrl)) return { kind: 'refused', status: 401, reason: 'wrong token' };
      url.searchParams.delete('token');
      const rest = url.searchParams.toString();
      return {
        kind: 'enter',
        location: `${url.pathname}${rest ? `?${rest}` : ''}`,
        cookie: `${this.cookieName}=${fromUrl}; HttpOnly; SameSite=Strict; Path=/`,
      };
    }
    const auth = req.headers.authorization;
    const bearer = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
    if (!this.matches(bearer) && !this.matches(cookieValue(req.headers.cookie, this.cookieName))) {
      return { kind: 'refused', status: 401, reason: 'a console token is required: open the URL rmqctl console printed' };
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const origin = req.headers.origin;
      if (origin !== undefined && !this.hostAllowed(originHost(origin))) return { kind: 'refused', status: 403, reason: `requests from ${origin} are refused` };
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return { kind: 'refused', status: 403, reason: 'a change needs a JSON body (Content-Type: application/json)' };
    }
    return { kind: 'ok' };
  }
}

function originHost(origin: string): string | undefined {
  try {
    const u = new URL(origin);
    return u.protocol === 'http:' ? u.host : undefined;
  } catch {
    return undefined;
  }
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}
