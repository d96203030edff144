/**
 * Bad input on the gRPC port of a real broker, each refused with its v2 code while the broker
 * serves on: an oversized body (MESSAGE_BODY_TOO_LARGE; past the transport limit
 * RESOURCE_EXHAUSTED), bad message fields, RPCs not built (NOT_IMPLEMENTED), then ≥ 10,000
 * malformed or random gRPC requests to every method and hundreds of connections of raw HTTP/2
 * frames and junk bytes. Afterwards the broker still routes, stores and serves a known producer
 * and consumer, and no message was stored by the noise.
 */
import * as grpc from '@grpc/grpc-js';
import http2 from 'node:http2';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { messagingServiceDefinition, v2MessageType } from '../../../src/grpc/descriptor.js';
import { startCluster } from '../../support/cluster.js';
import { clientsFor, createTopic } from '../../support/clients.js';
import { grpcBroker, rawV5Client, unaryCall, v5Metadata, v5Producer } from '../../support/v5.js';

type StatusOnly = { status: { code: string; message: string } };
const MAX = 64 * 1024;

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytes(rnd: () => number, max: number): Buffer {
  const b = Buffer.alloc(Math.floor(rnd() * max));
  for (let i = 0; i < b.length; i++) b[i] = Math.floor(rnd() * 256);
  return b;
}

const METHODS = Object.entries(messagingServiceDefinition() as Record<string, grpc.MethodDefinition<unknown, unknown>>);

describe('bad input on the gRPC port', () => {
  it('refuses each bad request with its v2 code, survives 10,000 malformed requests and raw HTTP/2 junk, and serves on', { timeout: 240_000 }, async () => {
    const a = await grpcBroker('broker-a', { maxMessageSize: MAX });
    const c = await startCluster({ brokers: [a] });
    const cl = clientsFor(c);
    const addr = c.broker('broker-a').addr;
    await createTopic(cl, c, addr, 'Fuzz', 1);
    const endpoints = `127.0.0.1:${a.grpcPort}`;
    const raw = rawV5Client(endpoints);
    const send = (body: Buffer, sp: Record<string, unknown> = {}, user: Record<string, string> = {}) =>
      unaryCall<unknown, StatusOnly>(raw, 'SendMessage', { messages: [{ topic: { name: 'Fuzz' }, body, userProperties: user, systemProperties: { messageId: 'BAD-1', messageType: 'NORMAL', ...sp } }] }, v5Metadata());

    expect((await send(Buffer.alloc(MAX + 1, 1))).status.code).toBe('MESSAGE_BODY_TOO_LARGE');
    await expect(send(Buffer.alloc(MAX + 2 * 1024 * 1024, 1))).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED });
    expect((await send(Buffer.alloc(0))).status.code).toBe('MESSAGE_BODY_EMPTY');
    expect((await send(Buffer.from('x'), { tag: 'a|b' })).status.code).toBe('ILLEGAL_MESSAGE_TAG');
    expect((await send(Buffer.from('x'), { keys: ['ok', ' '] })).status.code).toBe('ILLEGAL_MESSAGE_KEY');
    expect((await send(Buffer.from('x'), {}, { UNIQ_KEY: 'mine' })).status.code).toBe('ILLEGAL_MESSAGE_PROPERTY_KEY');
    expect((await send(Buffer.from('x'), {}, { k: 'a\u0001b' })).status.code).toBe('ILLEGAL_MESSAGE_PROPERTY_KEY');
    expect((await send(Buffer.from('x'), { messageId: '' })).status.code).toBe('ILLEGAL_MESSAGE_ID');
    expect((await send(Buffer.from('x'), { messageType: 'FIFO', messageGroup: 'g'.repeat(65) })).status.code).toBe('ILLEGAL_MESSAGE_GROUP');
    // a transactional message to a topic that takes NORMAL ones only (message.type)
    expect((await send(Buffer.from('x'), { messageType: 'TRANSACTION' })).status.code).toBe('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE');
    const noTopic = await unaryCall<unknown, StatusOnly>(raw, 'SendMessage', { messages: [{ topic: { name: 'NoSuchTopic' }, body: Buffer.from('x'), systemProperties: { messageId: 'X' } }] }, v5Metadata());
    expect(noTopic.status.code).toBe('TOPIC_NOT_FOUND');
    const noClient = await unaryCall<unknown, StatusOnly>(raw, 'QueryRoute', { topic: { name: 'Fuzz' } }, new grpc.Metadata());
    expect(noClient.status.code).toBe('CLIENT_ID_REQUIRED');
    expect((await unaryCall<unknown, StatusOnly>(raw, 'EndTransaction', {}, v5Metadata())).status.code).toBe('ILLEGAL_TOPIC');
    expect((await unaryCall<unknown, StatusOnly>(raw, 'EndTransaction', { topic: { name: 'Fuzz' }, transactionId: 'NO-SUCH', resolution: 'COMMIT' }, v5Metadata())).status.code).toBe('INVALID_TRANSACTION_ID');
    expect((await unaryCall<unknown, StatusOnly>(raw, 'GetOffset', {}, v5Metadata())).status.code).toBe('NOT_IMPLEMENTED');
    expect(await cl.brokers.maxOffset(addr, 'Fuzz', 0)).toBe(0);

    // ≥ 10,000 requests of random bytes (and random well-formed messages) to every method, 64 at a time
    const Generic = grpc.makeGenericClientConstructor({}, 'Raw');
    const generic = new Generic(endpoints, grpc.credentials.createInsecure());
    const rnd = prng(15);
    const outcomes = new Map<string, number>();
    const count = (k: string) => outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
    const one = (i: number): Promise<void> => {
      const [name, def] = METHODS[i % METHODS.length]!;
      const path = i % 97 === 0 ? '/apache.rocketmq.v2.MessagingService/NoSuchMethod' : def.path;
      let payload: Buffer;
      if (i % 3 === 0) {
        // a well-formed request of the right type with random field values
        const t = v2MessageType(def.path.endsWith('Telemetry') ? 'TelemetryCommand' : `${name}Request`);
        payload = Buffer.from(t.serialize({ group: { name: `G${Math.floor(rnd() * 3)}` }, topic: { name: rnd() < 0.5 ? 'Fuzz' : '%%bad' }, receiptHandle: randomBytes(rnd, 40).toString('latin1'), batchSize: Math.floor(rnd() * 100) - 50, messages: [] }));
      } else payload = randomBytes(rnd, 600);
      const md = rnd() < 0.8 ? v5Metadata(`fuzz-${i % 50}`) : new grpc.Metadata();
      const deadline = Date.now() + 10_000;
      return new Promise((resolve) => {
        let settled = false;
        const done = (code: string) => {
          if (settled) return; // a stream may end and then report its status
          settled = true;
          count(code);
          resolve();
        };
        const ser = (b: Buffer) => b;
        if (def.requestStream) {
          const call = generic.makeBidiStreamRequest(path, ser, ser, md, { deadline });
          call.on('data', () => undefined);
          call.on('error', (e: grpc.ServiceError) => done(grpc.status[e.code] ?? String(e.code)));
          call.on('end', () => done('END'));
          call.write(payload);
          call.write(randomBytes(rnd, 100));
          call.end();
        } else if (def.responseStream) {
          const call = generic.makeServerStreamRequest(path, ser, ser, payload, md, { deadline });
          call.on('data', () => undefined);
          call.on('error', (e: grpc.ServiceError) => done(grpc.status[e.code] ?? String(e.code)));
          call.on('end', () => done('END'));
        } else {
          generic.makeUnaryRequest(path, ser, ser, payload, md, { deadline }, (e: grpc.ServiceError | null) => done(e ? (grpc.status[e.code] ?? String(e.code)) : 'OK'));
        }
      });
    };
    const TOTAL = 10_200;
    let next = 0;
    await Promise.all(Array.from({ length: 64 }, async () => {
      while (next < TOTAL) await one(next++);
    }));
    generic.close();
    const total = [...outcomes.values()].reduce((x, y) => x + y, 0);
    expect(total).toBe(TOTAL);
    // every call was answered: a status in the response, a decode error (INTERNAL) or UNIMPLEMENTED — none hung to its deadline
    expect(outcomes.get('DEADLINE_EXCEEDED') ?? 0).toBe(0);
    expect(outcomes.get('UNAVAILABLE') ?? 0).toBe(0);

    // raw HTTP/2, 50 connections at a time: sessions with bogus requests, and connections of junk
    // bytes (after the preface, or a fake TLS hello, or none); each dropped after a second (a partial
    // frame waits for its bytes like any slow peer, until the idle timeout)
    const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    const closedBy = (emitter: { once(e: 'close', f: () => void): unknown }, ms: number) =>
      new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), ms);
        t.unref();
        emitter.once('close', () => {
          clearTimeout(t);
          resolve(true);
        });
      });
    const bogusSession = async (i: number) => {
      const s = http2.connect(`http://${endpoints}`);
      s.on('error', () => undefined);
      const headers = [
        { ':method': 'POST', ':path': '/apache.rocketmq.v2.MessagingService/SendMessage', 'content-type': 'text/plain' },
        { ':method': 'GET', ':path': '/', 'content-type': 'application/grpc' },
        { ':method': 'POST', ':path': '/apache.rocketmq.v2.MessagingService/QueryRoute', 'content-type': 'application/grpc', te: 'trailers' },
      ][i % 3]!;
      const req = s.request(headers);
      req.on('error', () => undefined);
      req.end(randomBytes(rnd, 300));
      await closedBy(req, 1_000);
      s.destroy();
    };
    const junkConnection = async (i: number) => {
      const sock = net.connect(a.grpcPort, '127.0.0.1');
      sock.on('error', () => undefined);
      const junk = randomBytes(rnd, 2_000);
      sock.write(i % 2 === 0 ? Buffer.concat([PREFACE, junk]) : i % 3 === 0 ? Buffer.concat([Buffer.from([0x16, 0x03, 0x01]), junk]) : junk);
      const closed = await closedBy(sock, 1_000);
      sock.destroy();
      return closed;
    };
    for (let batch = 0; batch < 4; batch++) await Promise.all(Array.from({ length: 50 }, (_, i) => bogusSession(batch * 50 + i)));
    for (let batch = 0; batch < 6; batch++) await Promise.all(Array.from({ length: 50 }, (_, i) => junkConnection(batch * 50 + i)));

    // the broker serves on: routes, stores, and nothing of the noise was stored
    expect(c.broker('broker-a').running).toBe(true);
    expect(await cl.brokers.maxOffset(addr, 'Fuzz', 0)).toBe(0);
    const producer = await v5Producer({ endpoints, topic: 'Fuzz' });
    await producer.send({ topic: 'Fuzz', body: Buffer.from('after the noise') });
    expect(await cl.brokers.maxOffset(addr, 'Fuzz', 0)).toBe(1);
    console.log('fuzz outcomes', Object.fromEntries(outcomes));
  });
});
