/**
 * The remoting connection, server and client over real loopback sockets.
 */
import { describe, expect, it } from 'vitest';
import { ResponseCode } from '../../src/remoting/codes.js';
import { decodeHeader } from '../../src/protocol/header-spec.js';
import { GetRouteInfoRequestHeader } from '../../src/protocol/headers/namesrv.js';
import { createRequest, createResponse, FLAG_ONEWAY, type RemotingCommand } from '../../src/remoting/command.js';
import type { Connection } from '../../src/remoting/connection.js';
import { HandlerTable } from '../../src/remoting/dispatcher.js';
import { ConnectionClosedError, RemotingConnectError, RemotingTimeoutError, ResponseError } from '../../src/remoting/errors.js';
import { encodeBinaryHeader } from '../../src/remoting/binary-header.js';
import { encodeCommand, markProtocolType } from '../../src/remoting/frame-codec.js';
import { freePort } from '../support/ports.js';
import { captureLogger, newClient, RawPeer, startServer } from '../support/remoting.js';
import { waitFor } from '../support/wait.js';

const ECHO = 9001;
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

function echoTable(): HandlerTable {
  return new HandlerTable().on(ECHO, (req) => createResponse(req, ResponseCode.SUCCESS, { extFields: req.extFields ?? {}, body: req.body }));
}

describe('request / response', () => {
  it('matches many concurrent requests to their responses, whatever order they are answered in', async () => {
    // The server holds the first 200 requests and answers them in reverse order.
    const held: [RemotingCommand, (r: RemotingCommand) => void][] = [];
    const table = new HandlerTable().on(ECHO, (req) =>
      new Promise<RemotingCommand>((resolve) => {
        held.push([req, resolve]);
        if (held.length === 200) for (const [r, answer] of held.reverse()) answer(createResponse(r, 0, { extFields: r.extFields ?? {} }));
      }),
    );
    const { addr } = await startServer({ dispatcher: table });
    const client = newClient();
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) => client.request(addr, createRequest(ECHO, { extFields: { i: String(i) } }), 10_000)),
    );
    expect(responses.map((r) => r.extFields?.i)).toEqual(Array.from({ length: 200 }, (_, i) => String(i)));
  });

  it('carries bodies both ways, large ones included', async () => {
    const { addr } = await startServer({ dispatcher: echoTable() });
    const client = newClient();
    const body = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = i % 251;
    const r = await client.request(addr, createRequest(ECHO, { body }), 10_000);
    expect(r.body?.equals(body)).toBe(true);
  });

  it('answers an unknown code with REQUEST_CODE_NOT_SUPPORTED and the Java remark', async () => {
    const { addr } = await startServer({ dispatcher: echoTable() });
    const r = await newClient().request(addr, createRequest(4242));
    expect(r.code).toBe(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
    expect(r.remark).toBe(' request type 4242 not supported');
  });

  it('turns a handler exception into SYSTEM_ERROR with its message, a ResponseError into its code', async () => {
    const table = new HandlerTable()
      .on(1, () => {
        throw new Error('boom');
      })
      .on(2, async () => {
        throw new Error('async boom');
      })
      .on(3, () => {
        throw new ResponseError(ResponseCode.TOPIC_NOT_EXIST, 'no such topic');
      });
    const { logger, lines } = captureLogger();
    const { addr } = await startServer({ dispatcher: table, logger });
    const client = newClient();
    const [a, b, c] = await Promise.all([1, 2, 3].map((code) => client.request(addr, createRequest(code))));
    expect([a?.code, a?.remark]).toEqual([ResponseCode.SYSTEM_ERROR, 'boom']);
    expect([b?.code, b?.remark]).toEqual([ResponseCode.SYSTEM_ERROR, 'async boom']);
    expect([c?.code, c?.remark]).toEqual([ResponseCode.TOPIC_NOT_EXIST, 'no such topic']);
    expect(lines.some((l) => l.includes('request handler failed') && l.includes('boom'))).toBe(true);
  });

  it('names a missing required header field in the error', async () => {
    const table = new HandlerTable().on(105, (req) => {
      const h = decodeHeader(GetRouteInfoRequestHeader, req.extFields);
      return createResponse(req, 0, { remark: h.topic });
    });
    const { addr } = await startServer({ dispatcher: table });
    const r = await newClient().request(addr, createRequest(105, { extFields: { acceptStandardJsonOnly: 'true' } }));
    expect(r.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(r.remark).toBe('missing required header field "topic" (GetRouteInfoRequestHeader)');
  });

  it('writes no response to a oneway request, even an unknown one', async () => {
    const seen: number[] = [];
    const table = echoTable().on(7, (req) => {
      seen.push(req.opaque);
      return createResponse(req, 0);
    });
    const { port } = await startServer({ dispatcher: table });
    const peer = await RawPeer.connect(port);
    peer.write(encodeCommand({ ...createRequest(7), opaque: 100, flag: FLAG_ONEWAY }));
    peer.write(encodeCommand({ ...createRequest(4242), opaque: 101, flag: FLAG_ONEWAY }));
    peer.write(encodeCommand({ ...createRequest(ECHO), opaque: 102 }));
    await peer.waitFor(1);
    expect(seen).toEqual([100]);
    // The echo answer is written after the oneway ones were handled; nothing else came first.
    expect(peer.received.map((r) => r.opaque)).toEqual([102]);
  });
  it('answers each request in the header form it came in (binary ROCKETMQ or JSON), on one connection', async () => {
    const { port } = await startServer({ dispatcher: echoTable() });
    const peer = await RawPeer.connect(port);
    const header = encodeBinaryHeader({ ...createRequest(ECHO, { extFields: { topic: 'T' } }), opaque: 77 });
    const frame = Buffer.concat([u32(4 + header.length), u32(markProtocolType(header.length, 1)), header]);
    peer.write(frame);
    peer.write(encodeCommand({ ...createRequest(ECHO, { extFields: { topic: 'J' } }), opaque: 78 }));
    peer.write(frame);
    const got = await peer.waitFor(3);
    expect(got.map((r) => [r.opaque, r.code, r.serializeType, r.extFields?.topic])).toEqual([
      [77, 0, 'ROCKETMQ', 'T'],
      [78, 0, 'JSON', 'J'],
      [77, 0, 'ROCKETMQ', 'T'],
    ]);
  });

  it('a client set to ROCKETMQ sends binary headers and reads the binary answers, errors included', async () => {
    const seen: (string | undefined)[] = [];
    const table = echoTable().on(ECHO + 1, (req) => {
      seen.push(req.serializeType);
      throw new ResponseError(ResponseCode.NO_PERMISSION, 'no 中文 for you');
    });
    const { addr } = await startServer({ dispatcher: table });
    const client = newClient({ serializeType: 'ROCKETMQ' });
    const r = await client.request(addr, createRequest(ECHO, { extFields: { topic: 'T', k: 'v' }, body: Buffer.from('b') }));
    expect(r).toMatchObject({ code: 0, serializeType: 'ROCKETMQ', extFields: { topic: 'T', k: 'v' } });
    expect(r.body?.toString()).toBe('b');
    const e = await client.request(addr, createRequest(ECHO + 1));
    expect(e).toMatchObject({ code: ResponseCode.NO_PERMISSION, remark: 'no 中文 for you', serializeType: 'ROCKETMQ' });
    const u = await client.request(addr, createRequest(4242));
    expect(u).toMatchObject({ code: ResponseCode.REQUEST_CODE_NOT_SUPPORTED, serializeType: 'ROCKETMQ' });
    expect(seen).toEqual(['ROCKETMQ']);
  });
});

describe('timeouts and closing', () => {
  it('fails a request that gets no answer in time, and drops the late answer', async () => {
    let answerLate: (() => void) | undefined;
    const table = new HandlerTable().on(ECHO, (req) => new Promise<RemotingCommand>((resolve) => (answerLate = () => resolve(createResponse(req, 0)))));
    const { addr } = await startServer({ dispatcher: table });
    const client = newClient();
    await expect(client.request(addr, createRequest(ECHO), 200)).rejects.toBeInstanceOf(RemotingTimeoutError);
    answerLate?.();
    // The connection stays usable: a late answer for an expired opaque is ignored.
    const table2ok = await client.request(addr, createRequest(4242), 5_000);
    expect(table2ok.code).toBe(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
  });

  it('fails pending requests when the peer closes the connection', async () => {
    const table = new HandlerTable().on(ECHO, (_req, conn) => {
      conn.close('test closes it');
      return null;
    });
    const { addr } = await startServer({ dispatcher: table });
    await expect(newClient().request(addr, createRequest(ECHO), 10_000)).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  it('reconnects on the next request after a connection closed', async () => {
    let conns = 0;
    const table = echoTable().on(1, (_req, conn) => {
      conn.close('drop');
      return null;
    });
    const { addr, server } = await startServer({ dispatcher: table });
    server.onConnection(() => conns++);
    const client = newClient();
    await expect(client.request(addr, createRequest(1))).rejects.toThrow();
    expect((await client.request(addr, createRequest(ECHO))).code).toBe(0);
    expect(conns).toBe(2);
  });

  it('reports a refused connection as RemotingConnectError', async () => {
    const port = await freePort();
    await expect(newClient().request(`127.0.0.1:${port}`, createRequest(ECHO))).rejects.toBeInstanceOf(RemotingConnectError);
  });

  it('closes an idle connection', async () => {
    const { port, server } = await startServer({ dispatcher: echoTable(), idleTimeoutMillis: 200 });
    const reasons: string[] = [];
    server.onDisconnect((_c, r) => reasons.push(r));
    const peer = await RawPeer.connect(port);
    await peer.waitClosed();
    expect(reasons).toEqual(['idle for 200 ms']);
  });
});

describe('requests from the server side', () => {
  it('lets the server call the client over the same connection', async () => {
    // Like a broker asking a consumer: on request A the server asks the client something first.
    const ASK = 39;
    const table = new HandlerTable().on(ECHO, async (req, conn: Connection) => {
      const answer = await conn.request(createRequest(ASK, { extFields: { q: 'name?' } }), 5_000);
      return createResponse(req, 0, { remark: `client said ${answer.remark}` });
    });
    const { addr } = await startServer({ dispatcher: table });
    const client = newClient({ dispatcher: new HandlerTable().on(ASK, (req) => createResponse(req, 0, { remark: `I am the client (${req.extFields?.q})` })) });
    const r = await client.request(addr, createRequest(ECHO), 5_000);
    expect(r.remark).toBe('client said I am the client (name?)');
  });
});

describe('bad input closes only that connection', () => {
  for (const [what, bytes, reason] of [
    ['a frame over 16 MiB', Buffer.concat([u32(16 * 1024 * 1024 + 1), u32(10)]), /exceeds the limit/],
    ['an inconsistent header length', Buffer.concat([u32(20), u32(100), Buffer.alloc(16)]), /header length 100 exceeds the frame/],
    ['a header that is not JSON', Buffer.concat([u32(4 + 5), u32(5), Buffer.from('{nope')]), /not valid JSON/],
  ] as const) {
    it(`${what}: logged, connection closed, server still answers others`, async () => {
      const { logger, lines } = captureLogger();
      const { port, addr } = await startServer({ dispatcher: echoTable(), logger });
      const peer = await RawPeer.connect(port);
      peer.write(bytes);
      await peer.waitClosed();
      expect(lines.some((l) => l.includes('closing connection: undecodable frame') && reason.test(l))).toBe(true);
      expect((await newClient().request(addr, createRequest(ECHO))).code).toBe(0);
    });
  }
});

describe('backpressure', () => {
  it('stops reading from a peer that does not read its answers, and resumes when it does', async () => {
    // Every answer carries 64 KiB; the peer sends 2,000 requests (125 MiB of answers) and reads nothing.
    let handled = 0;
    const table = new HandlerTable().on(ECHO, (req) => {
      handled++;
      return createResponse(req, 0, { body: Buffer.alloc(64 * 1024) });
    });
    const { port, server } = await startServer({ dispatcher: table });
    const peer = await RawPeer.connect(port, { paused: true });
    const requests = Buffer.concat(Array.from({ length: 2000 }, (_, i) => encodeCommand({ ...createRequest(ECHO), opaque: i + 1 })));
    peer.write(requests);
    const conn = await waitFor(() => [...server.connections][0]);
    await waitFor(() => conn.isReadingPaused, { what: 'the server to pause reading' });
    // Paused with a bounded backlog: a couple of MiB, not the 125 MiB the requests ask for.
    expect(handled).toBeLessThan(2000);
    expect(conn.queuedWriteBytes).toBeLessThan(8 * 1024 * 1024);
    peer.socket.resume();
    await peer.waitFor(2000, 30_000);
    expect(handled).toBe(2000);
    expect(conn.isClosed).toBe(false);
  });

  it('closes a connection whose unwritten answers pass the limit, with the reason logged', async () => {
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
});
