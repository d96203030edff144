/**
 * The console's security, against `rmqctl console` as a real process and a cluster with ACL: no
 * request without the token (page, assets, API); loopback unless --host; other Host names and
 * cross-site changes refused; requests signed with the operator's credentials (from the
 * environment, as every command) — and the secret never in a page, an API answer, the output, the
 * log or the process list.
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ACL_YAML, ADMIN, SECRETS } from '../../support/acl.js';
import { startCluster } from '../../support/cluster.js';
import { startConsoleProcess, type ConsoleProcess } from '../../support/console.js';
import { onTestFinished } from 'vitest';
import { rmqctl } from '../../support/cli.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request exactly as given (node:http: any Host, any header). */
function raw(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const u = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path: `${u.pathname}${u.search}`, headers: { ...headers, ...(body !== undefined ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Local addresses listening on `port` (/proc/net/tcp and tcp6, hex as the kernel writes them). */
function listenAddrs(port: number): string[] {
  const out: string[] = [];
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state !== '0A' || local === undefined) continue;
      const [addr, p] = local.split(':');
      if (parseInt(p ?? '', 16) === port) out.push(addr as string);
    }
  }
  return out;
}

async function consoleFor(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ConsoleProcess> {
  const c = await startConsoleProcess(args, env);
  onTestFinished(() => c.stop());
  return c;
}

describe('rmqctl console: security', () => {
  it('every request needs the token: the page, its assets and the API; the token in the URL becomes an HttpOnly SameSite cookie and leaves the address', async () => {
    const c = await startCluster();
    const con = await consoleFor(['--namesrv', c.namesrvAddr]);
    const page = await raw(con.base, 'GET', '/', { Cookie: 'x=y' });
    expect(page.status).toBe(401);
    expect(page.body).toMatch(/token is required/);
    for (const path of ['/index.html', '/api/session', '/api/cluster', '/api/topics', '/nope']) expect((await raw(con.base, 'GET', path)).status, path).toBe(401);
    expect((await raw(con.base, 'POST', '/api/topics', { 'Content-Type': 'application/json' }, '{}')).status).toBe(401);
    expect((await raw(con.base, 'GET', `/?token=${con.token.slice(0, -1)}x`)).status).toBe(401);
    expect((await raw(con.base, 'GET', '/api/session', { Authorization: `Bearer ${con.token}x` })).status).toBe(401);
    expect((await raw(con.base, 'GET', '/api/session', { Cookie: `rmqctl_console_${new URL(con.base).port}=${con.token.slice(1)}` })).status).toBe(401);

    const enter = await raw(con.base, 'GET', `/?token=${con.token}`);
    expect(enter.status).toBe(303);
    expect(enter.headers.location).toBe('/');
    const cookie = String(enter.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const pair = cookie.split(';')[0] as string;
    const index = await raw(con.base, 'GET', '/', { Cookie: pair });
    expect(index.status).toBe(200);
    expect(index.headers['content-security-policy']).toMatch(/default-src 'self'; script-src 'self'/);
    expect(index.headers['x-frame-options']).toBe('DENY');
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(index.body)?.[1] as string;
    expect((await raw(con.base, 'GET', script)).status).toBe(401);
    expect((await raw(con.base, 'GET', script, { Cookie: pair })).status).toBe(200);
    const session = await raw(con.base, 'GET', '/api/session', { Authorization: `Bearer ${con.token}` });
    expect(session.status).toBe(200);
    expect(JSON.parse(session.body)).toMatchObject({ namesrvAddrs: [c.namesrvAddr], tls: false });
  });

  it('binds 127.0.0.1 unless --host; answers only to its own host name; refuses cross-site changes', async () => {
    const c = await startCluster();
    const con = await consoleFor(['--namesrv', c.namesrvAddr]);
    const port = Number(new URL(con.base).port);
    expect(new URL(con.base).hostname).toBe('127.0.0.1');
    expect(listenAddrs(port)).toEqual(['0100007F']);
    const bearer = { Authorization: `Bearer ${con.token}` };
    // DNS rebinding: a page of another site that resolves to 127.0.0.1 names its own host
    expect((await raw(con.base, 'GET', '/api/session', { ...bearer, Host: `evil.example:${port}` })).status).toBe(421);
    expect((await raw(con.base, 'GET', '/api/session', { ...bearer, Host: `localhost:${port}` })).status).toBe(200);
    const create = JSON.stringify({ topic: 'CrossSite', target: { cluster: 'DefaultCluster' }, readQueues: 1, writeQueues: 1, perm: 6 });
    expect((await raw(con.base, 'POST', '/api/topics', { ...bearer, 'Content-Type': 'application/json', Origin: 'http://evil.example' }, create)).status).toBe(403);
    expect((await raw(con.base, 'POST', '/api/topics', { ...bearer, 'Content-Type': 'text/plain' }, create)).status).toBe(403);
    expect((await raw(con.base, 'POST', '/api/topics', { ...bearer, 'Content-Type': 'application/x-www-form-urlencoded' }, 'topic=CrossSite')).status).toBe(403);
    // bad input: a clear 400, nothing created
    const bad = await raw(con.base, 'POST', '/api/topics', { ...bearer, 'Content-Type': 'application/json', Origin: con.base.slice(0, -1) }, JSON.stringify({ topic: 'bad name!', target: { cluster: 'DefaultCluster' }, readQueues: 1, writeQueues: 1, perm: 6 }));
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toMatch(/^topic: .*illegal characters/);
    const del = await raw(con.base, 'DELETE', '/api/topics/TBW102', { ...bearer, 'Content-Type': 'application/json' }, JSON.stringify({ confirm: 'nope' }));
    expect([del.status, JSON.parse(del.body).error]).toEqual([400, 'confirm: type TBW102 to confirm']);

    const anyHost = await consoleFor(['--namesrv', c.namesrvAddr, '--host', '0.0.0.0']);
    expect(listenAddrs(Number(new URL(anyHost.base).port))).toEqual(['00000000']);
    expect((await raw(anyHost.base, 'GET', '/api/session')).status).toBe(401);
  });

  it('with ACL: requests signed with the operator’s credentials from the environment; the secret in no page, answer, output, log or process list', async () => {
    const c = await startCluster({ acl: { yaml: ACL_YAML, nodeAccount: ADMIN }, brokers: [{ name: 'broker-a' }] });
    const con = await consoleFor(['--namesrv', c.namesrvAddr], { RMQCTL_ACCESS_KEY: ADMIN.accessKey, RMQCTL_SECRET_KEY: ADMIN.secretKey });
    const bearer = { Authorization: `Bearer ${con.token}` };
    const json = { ...bearer, 'Content-Type': 'application/json' };
    const created = await raw(con.base, 'POST', '/api/topics', json, JSON.stringify({ topic: 'AclConsole', target: { cluster: 'DefaultCluster' }, readQueues: 2, writeQueues: 2, perm: 6 }));
    expect(created.status, created.body).toBe(200);
    expect(JSON.parse(created.body).brokers).toEqual([expect.objectContaining({ brokerName: 'broker-a', ok: true })]);
    const sent = await raw(con.base, 'POST', '/api/topics/AclConsole/messages', json, JSON.stringify({ body: 'signed', keys: ['acl-key'] }));
    expect(sent.status, sent.body).toBe(200);

    // every answer the console gives: none carries a secret
    const bodies: string[] = [];
    const index = await raw(con.base, 'GET', '/', bearer);
    bodies.push(index.body);
    for (const m of index.body.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)) bodies.push((await raw(con.base, 'GET', m[1] as string, bearer)).body);
    const api: Record<string, string> = {};
    for (const path of ['/api/session', '/api/cluster', '/api/topics', '/api/topics/AclConsole', '/api/groups', '/api/samples', '/api/messages?topic=AclConsole&key=acl-key', '/api/messages?topic=AclConsole']) {
      const r = await raw(con.base, 'GET', path, bearer);
      expect(r.status, `${path}: ${r.body}`).toBe(200);
      bodies.push(r.body);
      api[path] = r.body;
    }
    expect(JSON.parse(api['/api/session'] as string).signedAs).toBe(ADMIN.accessKey);
    expect(JSON.parse(api['/api/messages?topic=AclConsole&key=acl-key'] as string).messages.map((m: { body: { text: string } }) => m.body.text)).toEqual(['signed']);
    const cmdline = readFileSync(`/proc/${con.proc.pid}/cmdline`, 'utf8');
    const secrets = Object.values(SECRETS);
    for (const text of [...bodies, con.stdout(), con.stderr(), cmdline]) for (const s of secrets) expect(text).not.toContain(s);
    // the log names what changed, without the token; the token is printed once, on stdout
    expect(con.stderr()).toMatch(/create topic AclConsole: ok/);
    expect(con.stderr()).toMatch(/send a message to AclConsole: ok/);
    expect(con.stderr()).not.toContain(con.token);
    expect(con.stdout().split(con.token).length - 1).toBe(1);
    for (const b of bodies) expect(b).not.toContain(con.token);

    // the same console without credentials is refused by the cluster (so the signing above is what let it in)
    const unsigned = await consoleFor(['--namesrv', c.namesrvAddr], { RMQCTL_ACCESS_KEY: undefined, RMQCTL_SECRET_KEY: undefined, HOME: c.root });
    const refused = await raw(unsigned.base, 'POST', '/api/topics', { Authorization: `Bearer ${unsigned.token}`, 'Content-Type': 'application/json' }, JSON.stringify({ topic: 'Unsigned', target: { cluster: 'DefaultCluster' }, readQueues: 1, writeQueues: 1, perm: 6 }));
    expect(refused.status === 200 ? JSON.parse(refused.body).brokers.every((b: { ok: boolean }) => !b.ok) : refused.status >= 400).toBe(true);
  });

  it('bad input: no NameServer (exit 2); a port in use or an address not of this machine (exit 1, saying which)', async () => {
    const none = await rmqctl(['console'], { env: { NAMESRV_ADDR: '' } });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no NameServer given/);
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    onTestFinished(() => new Promise<void>((r) => holder.close(() => r())));
    const port = (holder.address() as AddressInfo).port;
    const busy = await rmqctl(['console', '--namesrv', '127.0.0.1:9', '--port', String(port)]);
    expect(busy.code).toBe(1);
    expect(busy.stderr.replace(/\s*›\s*/g, ' ')).toMatch(new RegExp(`cannot serve the console on 127\\.0\\.0\\.1:${port}: the port is in use`));
    const elsewhere = await rmqctl(['console', '--namesrv', '127.0.0.1:9', '--host', '192.0.2.1']);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr.replace(/\s*›\s*/g, ' ')).toMatch(/cannot serve the console on 192\.0\.2\.1:0: not an address of this machine/);
  });
});
