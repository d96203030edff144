/**
 * Robustness of a real `rmqd namesrv` process against hostile input over real sockets:
 * well-framed requests with random codes, fields and bodies; valid frames with random mutations;
 * truncated frames; frames claiming more than 16 MiB; byte soup. Afterwards the NameServer must
 * still be up, answer a well-formed request on a new connection, hold no state left over from
 * the fuzz connections, and its memory must not have grown without bound.
 *
 * The generator is seeded (printed on failure) so a failing run can be replayed with FUZZ_SEED.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { AdminClient } from '../../src/client/admin.js';
import { decodeBrokerLiveInfoList } from '../../src/protocol/bodies.js';
import { RequestCode, RmqExtensionCode } from '../../src/remoting/codes.js';
import { topicConfig } from '../../src/protocol/topic-config.js';
import { createRequest, type RemotingCommand } from '../../src/remoting/command.js';
import { encodeCommand, FrameDecoder } from '../../src/remoting/frame-codec.js';
import { FakeBroker, startNamesrvProcess } from '../support/namesrv.js';
import { newClient } from '../support/remoting.js';

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

/** mulberry32: small, fast, seedable. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const bytes = (n: number) => {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = int(256);
    return b;
  };
  return { next, int, pick, bytes };
}
type Rng = ReturnType<typeof prng>;

const CODES = [...Object.values(RequestCode), RmqExtensionCode.GET_BROKER_LIVE_INFO, 0, -1, 9999, 2 ** 31 - 1];
const FIELDS = ['topic', 'brokerName', 'brokerAddr', 'brokerId', 'clusterName', 'cluster', 'haServerAddr', 'namespace', 'key', 'value', 'bodyCrc32', 'compressed', 'heartbeatTimeoutMillis', 'enableActingMaster', 'acceptStandardJsonOnly', '__ZONE_NAME', '__proto__', 'constructor'];

function randomValue(r: Rng): string | number | boolean {
  switch (r.int(9)) {
    case 0:
      return r.int(2) === 0;
    case 1:
      return r.int(2 ** 31) * (r.int(2) ? 1 : -1);
    case 2:
      return r.pick(['', '0', '-1', '1e999', 'NaN', '9007199254740993', 'true', '127.0.0.1:10911', '[::1]:1', 'a:b:c', '\u0000', 'x'.repeat(300)]);
    case 3:
      return `fuzz-${r.int(50)}`;
    case 4:
      return `127.0.0.1:${r.int(70000)}`;
    default:
      return r.bytes(r.int(20)).toString('latin1');
  }
}

function randomBody(r: Rng): Buffer | undefined {
  switch (r.int(6)) {
    case 0:
      return undefined;
    case 1:
      return r.bytes(r.int(2000));
    case 2:
      return Buffer.from(JSON.stringify({ filterServerList: [], topicConfigSerializeWrapper: { dataVersion: { counter: r.int(5), timestamp: r.int(1e6) }, topicConfigTable: { [`fuzz-topic-${r.int(20)}`]: { topicName: `fuzz-topic-${r.int(20)}`, readQueueNums: randomValue(r), writeQueueNums: r.int(8), perm: r.int(16) } } } }));
    case 3:
      return Buffer.from(JSON.stringify(randomValue(r)));
    case 4:
      // zlib header then garbage: the compressed-register path
      return Buffer.concat([Buffer.from([0x78, 0xda]), r.bytes(r.int(200))]);
    default:
      return Buffer.from('{"queueDatas":[{"brokerName":1}],"brokerDatas":{}}');
  }
}

/** A frame the framing layer accepts: JSON header, random code, random typed fields, random body. */
function wellFramedRequest(r: Rng, opaque: number): RemotingCommand {
  const extFields: Record<string, string> = {};
  for (let i = r.int(6); i > 0; i--) extFields[r.pick(FIELDS)] = String(randomValue(r));
  const cmd = createRequest(r.pick(CODES), { extFields });
  cmd.opaque = opaque;
  const body = randomBody(r);
  if (body !== undefined) cmd.body = body;
  return cmd;
}

function mutate(r: Rng, frame: Buffer): Buffer {
  const b = Buffer.from(frame);
  switch (r.int(5)) {
    case 0: // flip bits anywhere, the length prefix and header word included
      for (let i = 1 + r.int(8); i > 0; i--) {
        const at = r.int(b.length);
        b[at] = (b[at] as number) ^ (1 << r.int(8));
      }
      return b;
    case 1: // overwrite a run of bytes
      return Buffer.concat([b.subarray(0, r.int(b.length)), r.bytes(1 + r.int(16)), b.subarray(r.int(b.length))]);
    case 2: // header length word says more than the frame has
      b.writeUInt32BE(b.readUInt32BE(0) + 1 + r.int(100), 4);
      return b;
    case 3: // serialize type byte changed (ROCKETMQ binary header or unknown type)
      b[4] = r.int(4);
      return b;
    default: // length prefix shrunk: the header is cut, the rest reads as the next frame
      b.writeUInt32BE(Math.max(0, b.readUInt32BE(0) - 1 - r.int(40)), 0);
      return b;
  }
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1]) * 1024;
}

/** Opens a connection, writes `bytes`, half-closes, and resolves when the server has closed it too. */
function oneShot(port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.on('error', () => {});
    s.on('data', () => {});
    s.on('close', () => resolve());
    s.on('connect', () => s.end(bytes));
  });
}

/** Writes many well-framed requests on one connection; resolves with the responses by opaque. */
function pipeline(port: number, frames: RemotingCommand[]): Promise<{ answered: Set<number>; closedEarly: boolean }> {
  return new Promise((resolve) => {
    const answered = new Set<number>();
    const expected = frames.length;
    const decoder = new FrameDecoder();
    const s = net.connect({ port, host: '127.0.0.1' });
    s.on('error', () => {});
    s.on('data', (c: Buffer) => {
      decoder.push(c);
      for (let f = decoder.next(); f !== undefined; f = decoder.next()) answered.add(f.opaque);
      if (answered.size === expected) s.end();
    });
    s.on('close', () => resolve({ answered, closedEarly: answered.size < expected }));
    s.on('connect', () => s.write(Buffer.concat(frames.map((f) => encodeCommand(f)))));
  });
}

async function inBatches<T>(items: T[], concurrency: number, run: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (i < items.length) await run(items[i++] as T);
  }));
}

async function fuzzRound(port: number, r: Rng, counts: { wellFramed: number; mutated: number; truncated: number; oversized: number; soup: number }) {
  let sent = 0;
  // 1. well-framed requests, 200 per connection: every one must be answered.
  const conns: RemotingCommand[][] = [];
  for (let n = 0; n < counts.wellFramed; n += 200) conns.push(Array.from({ length: Math.min(200, counts.wellFramed - n) }, (_, i) => wellFramedRequest(r, n + i + 1)));
  await inBatches(conns, 4, async (frames) => {
    const { answered, closedEarly } = await pipeline(port, frames);
    expect(closedEarly, `seed ${SEED}: a well-framed request closed the connection`).toBe(false);
    expect(answered.size).toBe(frames.length);
    sent += frames.length;
  });
  // 2.–5. frames that may be fatal to their connection: one connection each.
  const valid = [
    encodeCommand(createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { extFields: { topic: 'T' } })),
    encodeCommand(new FakeBroker({ brokerName: 'fuzz-b', brokerAddr: '127.0.0.1:1' }).registerRequest()),
    encodeCommand(createRequest(RequestCode.PUT_KV_CONFIG, { extFields: { namespace: 'n', key: 'k', value: 'v' } })),
  ];
  const shots: Buffer[] = [];
  for (let i = 0; i < counts.mutated; i++) shots.push(mutate(r, r.pick(valid)));
  for (let i = 0; i < counts.truncated; i++) {
    const f = r.pick(valid);
    shots.push(f.subarray(0, r.int(f.length)));
  }
  for (let i = 0; i < counts.oversized; i++) {
    const head = Buffer.alloc(8 + r.int(64));
    head.writeUInt32BE(16 * 1024 * 1024 + 1 + r.int(2 ** 31), 0);
    head.writeUInt32BE(r.int(2 ** 24), 4);
    shots.push(head);
  }
  for (let i = 0; i < counts.soup; i++) shots.push(r.bytes(1 + r.int(300)));
  await inBatches(shots, 16, async (bytes) => {
    await oneShot(port, bytes);
    sent++;
  });
  return sent;
}

describe('fuzzing rmqd namesrv', () => {
  it(`survives ≥ 10,000 random, mutated, truncated and oversized frames (seed ${SEED})`, { timeout: 240_000 }, async () => {
    // No expiry scan during the run: a fuzzed REGISTER_BROKER may carry heartbeatTimeoutMillis=1,
    // and the scan would then (rightly) close that pipeline's connection mid-run.
    const ns = await startNamesrvProcess({ scanNotActiveBrokerInterval: 600_000 });
    const pid = ns.proc.pid as number;
    const sentinel = new FakeBroker({ brokerName: 'sentinel', brokerAddr: '127.0.0.1:10001', topics: [topicConfig('SentinelTopic', { readQueueNums: 2, writeQueueNums: 2 })] });
    await sentinel.register(ns.addr);
    const r = prng(SEED);

    // One oversized frame first: its connection is closed with the reason logged.
    const oversized = Buffer.alloc(8);
    oversized.writeUInt32BE(16 * 1024 * 1024 + 1, 0);
    await oneShot(ns.port, oversized);
    await ns.waitForLine(/closing connection: undecodable frame .*exceeds the limit of 16777216 bytes/);

    // Warm-up: lets V8's heap and the allocator settle before the baseline is taken.
    await fuzzRound(ns.port, r, { wellFramed: 1000, mutated: 300, truncated: 50, oversized: 10, soup: 50 });
    const rssBefore = rssOf(pid);

    const sent = await fuzzRound(ns.port, r, { wellFramed: 6000, mutated: 3000, truncated: 500, oversized: 200, soup: 500 });
    expect(sent).toBeGreaterThanOrEqual(10_000);
    const rssAfter = rssOf(pid);

    // Still up, and answering a correctly formed request on a new connection.
    expect(ns.proc.exitCode).toBeNull();
    const admin = new AdminClient({ namesrvAddrs: [ns.addr] });
    try {
      expect((await admin.topicRoute('SentinelTopic'))?.brokerDatas[0]?.brokerAddrs).toEqual({ '0': '127.0.0.1:10001' });
    } finally {
      admin.close();
    }
    // Nothing registered by the fuzz connections outlives them: only the sentinel broker is left.
    const live = decodeBrokerLiveInfoList((await newClient().requestOk(ns.addr, createRequest(RmqExtensionCode.GET_BROKER_LIVE_INFO))).body);
    expect(live.map((b) => b.brokerName)).toEqual(['sentinel']);
    // Memory: the 10,000+ frames of the main round pass through; state returns to the baseline.
    // A leak per connection (decoder buffers, pending writes, handler state) over the ~4,200
    // connections, or one retained oversized-frame buffer (16 MiB each), would exceed this;
    // 96 MiB leaves room for V8's heap growth policy, which does not shrink at once.
    expect(rssAfter - rssBefore, `RSS ${rssBefore} → ${rssAfter} bytes (seed ${SEED})`).toBeLessThan(96 * 1024 * 1024);
    // Garbage was refused with a reason, never by a handler crashing on it (those log this line).
    expect(ns.lines.filter((l) => l.includes('request handler failed'))).toEqual([]);
    // Thousands of bad connections, yet the log holds a bounded number of lines about them.
    expect(ns.lines.filter((l) => l.includes('closing connection: undecodable frame')).length).toBeLessThanOrEqual(20);
  });
});
