/**
 * The network thread (src/remoting/io-thread): a RemotingServer whose listener and sockets live
 * on a worker thread running the built bundle, over real loopback sockets — frames both ways,
 * a 16 MiB frame, many connections, closes from either side, resets, idle timeout, and
 * backpressure in both directions (a peer that does not read; a store thread that falls behind).
 */
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimeBundle } from '../../../src/paths.js';
import { ResponseCode } from '../../../src/remoting/codes.js';
import { createRequest, createResponse, FLAG_ONEWAY } from '../../../src/remoting/command.js';
import { HandlerTable } from '../../../src/remoting/dispatcher.js';
import { ConnectionClosedError } from '../../../src/remoting/errors.js';
import { encodeCommand } from '../../../src/remoting/frame-codec.js';
import { IoThread } from '../../../src/remoting/io-thread/io-thread.js';
import { RemotingServer, type RemotingServerOptions } from '../../../src/remoting/server.js';
import { captureLogger, newClient, RawPeer, startServer as startPlainServer } from '../../support/remoting.js';
import { waitFor } from '../../support/wait.js';

const ECHO = 9001;
const ASK = 39;
const echoTable = () => new HandlerTable().on(ECHO, (req) => createResponse(req, ResponseCode.SUCCESS, { extFields: req.extFields ?? {}, body: req.body }));

let io: IoThread;
beforeAll(() => {
  io = new IoThread({ entry: pathToFileURL(runtimeBundle), maxUnconsumedBytes: 1024 * 1024 });
});
afterAll(() => io.stop());

const startServer = (opts: RemotingServerOptions) => startPlainServer({ ...opts, ioThread: io });

describe('frames through the network thread', () => {
  it('carries requests and answers both ways, a 16 MiB frame included', async () => {
    const table = echoTable().on(1, async (req, conn) => {
      const answer = await conn.request(createRequest(ASK, { extFields: { q: 'who?' } }), 5_000);
      return createResponse(req, 0, { remark: `client said ${answer.remark}` });
    });
    const { addr, server } = await startServer({ dispatcher: table });
    const client = newClient({ dispatcher: new HandlerTable().on(ASK, (req) => createResponse(req, 0, { remark: `me (${req.extFields?.q})` })) });
    const small = await Promise.all(Array.from({ length: 500 }, (_, i) => client.request(addr, createRequest(ECHO, { extFields: { i: String(i) } }), 10_000)));
    expect(small.map((r) => r.extFields?.i)).toEqual(Array.from({ length: 500 }, (_, i) => String(i)));
    // the server asks the client over the same connection
    expect((await client.request(addr, createRequest(1), 5_000)).remark).toBe('client said me (who?)');
    // just under the 16 MiB frame limit (header included), every byte checked
    const body = Buffer.alloc(16 * 1024 * 1024 - 4096);
    for (let i = 0; i < body.length; i += 4) body.writeUInt32BE(i, i);
    const big = await client.request(addr, createRequest(ECHO, { body }), 30_000);
    expect(big.body?.equals(body)).toBe(true);
    const [conn] = server.connections;
    expect(conn!.remoteAddress).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('serves many connections at once, and forgets each one as it closes', async () => {
    const { addr, server } = await startServer({ dispatcher: echoTable() });
    const clients = Array.from({ length: 40 }, () => newClient());
    const answers = await Promise.all(
      clients.flatMap((c, n) => Array.from({ length: 25 }, (_, i) => c.request(addr, createRequest(ECHO, { extFields: { k: `${n}.${i}` }, body: Buffer.alloc(n * 100, n) }), 10_000))),
    );
    expect(answers.map((r) => r.extFields?.k)).toEqual(clients.flatMap((_, n) => Array.from({ length: 25 }, (_, i) => `${n}.${i}`)));
    expect(answers.every((r, j) => r.body === undefined ? Math.floor(j / 25) === 0 : r.body.length === Math.floor(j / 25) * 100)).toBe(true);
    expect(server.connections.size).toBe(40);
    for (const c of clients) c.shutdown();
    await waitFor(() => server.connections.size === 0, { what: 'every connection to close on the server' });
  });
});

describe('closing', () => {
  it('a peer that closes, half-closes or resets: the connection closes with the reason', async () => {
    const { port, server } = await startServer({ dispatcher: echoTable() });
    const reasons: string[] = [];
    server.onDisconnect((_c, r) => reasons.push(r));
    for (const how of ['destroy', 'end', 'reset'] as const) {
      const peer = await RawPeer.connect(port);
      peer.write(encodeCommand({ ...createRequest(ECHO), opaque: 7 }));
      await peer.waitFor(1);
      if (how === 'destroy') peer.socket.destroy();
      else if (how === 'end') peer.socket.end();
      else peer.socket.resetAndDestroy();
      await waitFor(() => server.connections.size === 0 && reasons.length === (how === 'destroy' ? 1 : how === 'end' ? 2 : 3), { what: `the server to see the ${how}` });
    }
    expect(reasons.slice(0, 2)).toEqual(['closed by peer', 'closed by peer']);
    expect(reasons[2]).toMatch(/socket error: .*ECONNRESET|closed by peer/);
  });

  it('closing from the store thread: the peer sees the close; queued answers go out first on shutdown', async () => {
    const table = echoTable().on(1, (_req, conn) => {
      conn.close('test closes it');
      return null;
    });
    const { addr, server } = await startServer({ dispatcher: table });
    await expect(newClient().request(addr, createRequest(1), 10_000)).rejects.toBeInstanceOf(ConnectionClosedError);

    // an answer queued when the connection closes gracefully (shutdown) reaches the peer, then the close
    const last = Buffer.alloc(4 * 1024 * 1024, 7);
    const closing = new HandlerTable().on(ECHO, (req, conn) => {
      // runs after the answer is queued and before it is flushed
      setImmediate(() => conn.close('server shutting down', { graceful: true }));
      return Promise.resolve(createResponse(req, 0, { remark: 'last', body: last }));
    });
    const s2 = await startServer({ dispatcher: closing });
    const peer = await RawPeer.connect(s2.port);
    peer.write(encodeCommand({ ...createRequest(ECHO), opaque: 5 }));
    await peer.waitClosed();
    expect(peer.received.map((r) => r.remark)).toEqual(['last']);
    expect(peer.received[0]!.body?.equals(last)).toBe(true);
    await waitFor(() => s2.server.connections.size === 0);
    expect(server.connections.size + s2.server.connections.size).toBe(0);
  });

  it('closes an idle connection after idleTimeoutMillis', async () => {
    const { port, server } = await startServer({ dispatcher: echoTable(), idleTimeoutMillis: 200 });
    const reasons: string[] = [];
    server.onDisconnect((_c, r) => reasons.push(r));
    const peer = await RawPeer.connect(port);
    await peer.waitClosed();
    expect(reasons).toEqual(['idle for 200 ms']);
  });

  it('stops listening on close, and a port in use is an error with its code', async () => {
    const { port, server } = await startServer({ dispatcher: echoTable() });
    const taken = new RemotingServer({ dispatcher: echoTable(), ioThread: io });
    await expect(taken.listen(port, '127.0.0.1')).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await server.close();
    await expect(RawPeer.connect(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('backpressure', () => {
  it('a peer that sends without reading: the server pauses it, the network thread stops reading it, nothing grows without bound', async () => {
    let handled = 0;
    const table = new HandlerTable().on(ECHO, (req) => {
      handled++;
      return createResponse(req, 0, { body: Buffer.alloc(16 * 1024) });
    });
    const { port, server } = await startServer({ dispatcher: table });
    const peer = await RawPeer.connect(port, { paused: true });
    // 40,000 requests asking for 640 MiB of answers; the peer reads none of them
    const total = 40_000;
    const requests = Buffer.concat(Array.from({ length: total }, (_, i) => encodeCommand({ ...createRequest(ECHO), opaque: i + 1, body: Buffer.alloc(200) })));
    peer.write(requests);
    const conn = await waitFor(() => [...server.connections][0]);
    await waitFor(() => conn.isReadingPaused, { what: 'the server to pause reading' });
    // the network thread stopped reading too: the peer's own requests back up in its socket
    await waitFor(() => peer.socket.writableLength > 0, { what: "the peer's writes to back up" });
    expect(handled).toBeLessThan(total);
    expect(conn.queuedWriteBytes).toBeLessThan(8 * 1024 * 1024);
    peer.socket.resume();
    await peer.waitFor(total, 120_000);
    expect(handled).toBe(total);
    expect(conn.isClosed).toBe(false);
  }, 180_000);

  it('closes a connection whose unwritten answers pass maxQueuedWriteBytes, with the reason logged', async () => {
    const table = new HandlerTable().on(ECHO, (req) => createResponse(req, 0, { body: Buffer.alloc(2 * 1024 * 1024) }));
    const { logger, lines } = captureLogger();
    const { port, server } = await startServer({ dispatcher: table, logger, maxQueuedWriteBytes: 1024 * 1024 });
    const reasons: string[] = [];
    server.onDisconnect((_c, r) => reasons.push(r));
    const peer = await RawPeer.connect(port, { paused: true });
    peer.write(encodeCommand(createRequest(ECHO)));
    await waitFor(() => reasons.length > 0);
    expect(reasons[0]).toMatch(/peer does not read: \d+ bytes queued, limit 1048576/);
    expect(lines.some((l) => l.includes('closing connection: peer does not read'))).toBe(true);
  });

  it('a store thread that falls behind: the network thread stops reading at maxUnconsumedBytes, then catches up', async () => {
    // One BLOCK request keeps this (the store) thread busy for 1.5 s; a peer in another process
    // meanwhile writes 64 MiB of oneway frames and reports after 1 s how much the kernel took.
    const BLOCK = 2;
    const FILL = 3;
    let filled = 0;
    const table = new HandlerTable()
      .on(BLOCK, () => {
        const until = performance.now() + 1_500;
        while (performance.now() < until); // the fault under test: a busy store thread
        return null;
      })
      .on(FILL, () => {
        filled++;
        return null;
      });
    const { port } = await startServer({ dispatcher: table });
    const frame = (code: number, body: number) => encodeCommand({ ...createRequest(code, { body: Buffer.alloc(body) }), flag: FLAG_ONEWAY });
    const count = 64 * 1024;
    const script = `
      const net = require('node:net');
      const [block, fill, count] = [Buffer.from(process.argv[1], 'base64'), Buffer.from(process.argv[2], 'base64'), Number(process.argv[3])];
      const s = net.connect(${port}, '127.0.0.1', () => {
        s.write(block);
        s.write(Buffer.concat(Array(count).fill(fill)));
        setTimeout(() => { process.stdout.write(String(s.bytesWritten - s.writableLength) + '\\n'); }, 1000);
        s.on('drain', () => s.end());
      });`;
    const child = spawn(process.execPath, ['-e', script, frame(BLOCK, 0).toString('base64'), frame(FILL, 1000).toString('base64'), String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor(() => filled === count, { timeout: 60_000, what: 'every frame to be handled after the block' });
      const takenWhileBlocked = Number(out.trim());
      // 64 MiB written; the kernel's socket buffers plus the 1 MiB limit took far less
      expect(takenWhileBlocked).toBeGreaterThan(0);
      expect(takenWhileBlocked).toBeLessThan(32 * 1024 * 1024);
    } finally {
      child.kill();
    }
  }, 90_000);
});

describe('a network thread that dies', () => {
  it('fails what waits on it and tells its owner (the broker exits on it)', async () => {
    const dead = new IoThread({ entry: new URL('data:text/javascript,process.exit(3)') });
    const failures: Error[] = [];
    dead.onFailure((e) => failures.push(e));
    await expect(dead.listen({ port: 0, host: '127.0.0.1', maxConnections: 10 }, { onSocket() {}, onRefused() {}, onServerError() {} })).rejects.toThrow(/network thread exited \(code 3\)/);
    expect(failures.map((e) => e.message)).toEqual(['network thread exited (code 3)']);
    await expect(dead.listen({ port: 0, maxConnections: 10 }, { onSocket() {}, onRefused() {}, onServerError() {} })).rejects.toThrow(/exited/);
    await dead.stop();
  });
});
