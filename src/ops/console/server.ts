/**
 * The console's HTTP server (node:http): the built page (assets.ts) and the JSON API (api.ts),
 * every request checked by ConsoleAuth first. Loopback unless told otherwise; security headers on
 * every answer (a strict Content-Security-Policy: the page loads nothing from anywhere else).
 * Changes are logged (method, path, outcome) — never a query string, a token or a body.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { networkInterfaces, hostname } from 'node:os';
import { RmqError } from '../../errors.js';
import { loadAssets, type Asset } from './assets.js';
import { ConsoleAuth, newToken } from './auth.js';
import { HttpError, ROUTES, statusOf, type ConsoleContext, type Route } from './api.js';

export const DEFAULT_CONSOLE_HOST = '127.0.0.1';
/** Largest JSON body accepted (a test message's body is the largest thing sent). */
const MAX_BODY_BYTES = 1024 * 1024;

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

export interface ConsoleServerOptions {
  host?: string;
  /** 0: any free port. */
  port?: number;
  /** Default: a new random token. */
  token?: string;
  assets?: Map<string, Asset>;
  ctx: ConsoleContext;
  /** One line per change made through the console (and per server error). */
  log?: (line: string) => void;
}

export interface ConsoleServer {
  host: string;
  port: number;
  /** The console's address, without the token. */
  url: string;
  /** The address to open: with the token, once. */
  entryUrl: string;
  close(): Promise<void>;
}

const isLoopback = (h: string) => h === '127.0.0.1' || h === '::1' || h === 'localhost' || h.startsWith('127.');

/** Names a browser may use for this console in Host: the bound address, localhost on loopback, every local address when bound to all. */
function hostNames(host: string): Set<string> {
  const names = new Set([host.toLowerCase()]);
  if (isLoopback(host)) for (const n of ['localhost', '127.0.0.1', '::1']) names.add(n);
  if (host === '0.0.0.0' || host === '::') {
    names.add('localhost').add(hostname().toLowerCase());
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.add(a.address.toLowerCase());
  }
  return names;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), 'Cache-Control': 'no-store', ...extra });
  res.end(body);
}

const sendJson = (res: ServerResponse, status: number, value: unknown) => send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `the request body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(c as Buffer);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'the request body is not JSON');
  }
}

export async function startConsoleServer(opts: ConsoleServerOptions): Promise<ConsoleServer> {
  const host = opts.host ?? DEFAULT_CONSOLE_HOST;
  const token = opts.token ?? newToken();
  const assets = opts.assets ?? loadAssets();
  const log = opts.log ?? (() => {});
  let auth: ConsoleAuth | undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    const a = (auth as ConsoleAuth).check(req, url);
    if (a.kind === 'refused') return send(res, a.status, 'text/plain; charset=utf-8', `${a.reason}\n`);
    if (a.kind === 'enter') return send(res, 303, 'text/plain; charset=utf-8', 'see the console\n', { Location: a.location, 'Set-Cookie': a.cookie });
    if (url.pathname.startsWith('/api/')) {
      const method = req.method ?? 'GET';
      let route: Route | undefined;
      let params: string[] = [];
      for (const r of ROUTES) {
        const m = r.path.exec(url.pathname);
        if (m === null) continue;
        if (r.method !== method) continue;
        route = r;
        params = m.slice(1);
        break;
      }
      if (route === undefined) {
        const known = ROUTES.some((r) => r.path.test(url.pathname));
        return sendJson(res, known ? 405 : 404, { error: known ? `${method} is not allowed here` : `no API at ${url.pathname}` });
      }
      const request = { params, query: url.searchParams, body: {} as unknown };
      try {
        if (method !== 'GET') request.body = await readJson(req);
        const out = await route.handle(opts.ctx, request);
        if (route.audit) log(`${route.audit(request)}: ok`);
        return sendJson(res, 200, out ?? {});
      } catch (e) {
        const status = statusOf(e);
        if (route.audit) log(`${route.audit(request)}: failed (${status}) ${(e as Error).message}`);
        return sendJson(res, status, { error: (e as Error).message });
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'not allowed\n');
    const asset = assets.get(url.pathname === '/' ? '/index.html' : url.pathname);
    if (asset === undefined) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    return send(res, 200, asset.type, asset.body, asset.immutable ? { 'Cache-Control': 'private, max-age=31536000, immutable' } : {});
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: Error) => {
      log(`console error: ${e.message}`);
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'EADDRINUSE' ? 'the port is in use (--port 0 picks a free one)' : e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' ? 'not an address of this machine (--host)' : e.message;
      reject(new RmqError(`cannot serve the console on ${host}:${opts.port ?? 0}: ${why}`));
    });
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as { port: number }).port;
  auth = new ConsoleAuth(token, port, hostNames(host));
  // bound to every address: show one this machine reaches it at
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const shownHost = shown.includes(':') ? `[${shown}]` : shown;
  const url = `http://${shownHost}:${port}/`;
  return {
    host,
    port,
    url,
    entryUrl: `${url}?token=${token}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
