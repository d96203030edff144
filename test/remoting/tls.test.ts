/**
 * TLS on the remoting layer over real loopback sockets with real certificates made by openssl:
 * enforcing refuses plain peers, permissive serves plain and TLS on one port, a client trusting
 * another CA refuses the server and says why, client certificates when the server asks for them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientTls, ServerTls } from '../../src/remoting/tls-config.js';
import { ResponseCode } from '../../src/remoting/codes.js';
import { createRequest, createResponse } from '../../src/remoting/command.js';
import { HandlerTable } from '../../src/remoting/dispatcher.js';
import { sniffTransport } from '../../src/remoting/tls-sniff.js';
import { makeTestCerts, type TestCerts } from '../support/certs.js';
import { captureLogger, newClient, startServer } from '../support/remoting.js';
import { waitFor } from '../support/wait.js';

const ECHO = 9001;
const table = () => new HandlerTable().on(ECHO, (req) => createResponse(req, ResponseCode.SUCCESS, { body: req.body }));
const read = (f: string) => fs.readFileSync(f, 'utf8');

let certs: TestCerts;
beforeAll(() => {
  certs = makeTestCerts(fs.mkdtempSync(path.join(os.tmpdir(), 'rmq-tls-')));
});
afterAll(() => fs.rmSync(certs.dir, { recursive: true, force: true }));

function serverTls(mode: ServerTls['mode'], clientAuth: ServerTls['clientAuth'] = 'none'): ServerTls {
  return { mode, clientAuth, context: { cert: read(certs.serverCert), key: read(certs.serverKey), ca: read(certs.caCert) } };
}
const trusting = (extra: Partial<ClientTls> = {}): ClientTls => ({ ca: read(certs.caCert), ...extra });

async function echo(client: ReturnType<typeof newClient>, addr: string): Promise<string> {
  const r = await client.request(addr, createRequest(ECHO, { body: Buffer.from('ping') }));
  return r.body?.toString() ?? '';
}

describe('sniffTransport', () => {
  it('takes a first byte of 0x16 (TLS handshake record) as TLS, anything else as plain', () => {
    // 0x16 0x03 0x01: the start of a TLS ClientHello record (RFC 8446 §5.1, content type 22)
    expect(sniffTransport(Buffer.from([0x16, 0x03, 0x01]))).toBe('tls');
    // a remoting frame starts with its big-endian length: a small frame's first byte is 0
    expect(sniffTransport(Buffer.from([0x00, 0x00, 0x00, 0x20]))).toBe('plain');
    expect(sniffTransport(Buffer.alloc(0))).toBeUndefined();
  });
});

describe('enforcing', () => {
  it('serves a TLS client and refuses a plain one, logging the refusal', async () => {
    const { logger, lines } = captureLogger();
    const { addr } = await startServer({ dispatcher: table(), tls: serverTls('enforcing'), logger });
    expect(await echo(newClient({ tls: trusting() }), addr)).toBe('ping');
    await expect(echo(newClient({ connectTimeoutMillis: 2000 }), addr)).rejects.toThrow(/closed|reset|timed out/i);
    await waitFor(() => lines.some((l) => l.includes('connection refused') && l.includes('TLS handshake failed')), { timeout: 5000 });
    // still serving TLS clients afterwards
    expect(await echo(newClient({ tls: trusting() }), addr)).toBe('ping');
  });

  it('a client trusting another CA refuses the server and says the certificate is not trusted', async () => {
    const { addr } = await startServer({ dispatcher: table(), tls: serverTls('enforcing') });
    const err = await echo(newClient({ tls: { ca: read(certs.foreignCaCert) } }), addr).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/not trusted/);
    expect((err as Error).message).toContain(addr);
  });

  it('a server with a certificate from a foreign CA is refused even in policy prefer (no fallback on certificate errors)', async () => {
    const foreign: ServerTls = { mode: 'permissive', clientAuth: 'none', context: { cert: read(certs.foreignServerCert), key: read(certs.foreignServerKey) } };
    const { addr } = await startServer({ dispatcher: table(), tls: foreign });
    await expect(echo(newClient({ tls: trusting({ policy: 'prefer' }) }), addr)).rejects.toThrow(/not trusted/);
  });

  it('checks the server name against the address used', async () => {
    // signed by the trusted CA, but for other.example only
    const wrongName: ServerTls = { mode: 'enforcing', clientAuth: 'none', context: { cert: read(certs.wrongNameCert), key: read(certs.wrongNameKey) } };
    const { addr } = await startServer({ dispatcher: table(), tls: wrongName });
    await expect(echo(newClient({ tls: trusting() }), addr)).rejects.toThrow(/not for this address/);
    // the right certificate names localhost as well as 127.0.0.1
    const { port } = await startServer({ dispatcher: table(), tls: serverTls('enforcing') });
    expect(await echo(newClient({ tls: trusting() }), `localhost:${port}`)).toBe('ping');
  });

  it('with need.client.auth=require, takes a client with a certificate of the CA and refuses one without', async () => {
    const { addr } = await startServer({ dispatcher: table(), tls: serverTls('enforcing', 'require') });
    expect(await echo(newClient({ tls: trusting({ cert: read(certs.clientCert), key: read(certs.clientKey) }) }), addr)).toBe('ping');
    await expect(echo(newClient({ tls: trusting(), connectTimeoutMillis: 2000 }), addr)).rejects.toThrow();
  });
});

describe('permissive', () => {
  it('serves plain and TLS clients on one port', async () => {
    const { addr, server } = await startServer({ dispatcher: table(), tls: serverTls('permissive') });
    const plain = newClient();
    const secure = newClient({ tls: trusting() });
    const [a, b] = await Promise.all([echo(plain, addr), echo(secure, addr)]);
    expect([a, b]).toEqual(['ping', 'ping']);
    expect(server.connections.size).toBe(2);
  });
});

describe('client policy', () => {
  it('prefer falls back to plain against a plain-only server; require does not', async () => {
    const { addr } = await startServer({ dispatcher: table() });
    expect(await echo(newClient({ tls: trusting({ policy: 'prefer' }) }), addr)).toBe('ping');
    await expect(echo(newClient({ tls: trusting({ policy: 'require' }) }), addr)).rejects.toThrow(/does not speak TLS/);
  });
});
