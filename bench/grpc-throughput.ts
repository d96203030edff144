/**
 * v5 gRPC against remoting on ONE rmqd broker process (ASYNC_FLUSH, a gRPC port), same run:
 *   produce  our remoting Producer vs the official v5 Producer (rocketmq-client-nodejs), 1 KB
 *            bodies, `inFlight` concurrent sends each, runs interleaved remoting–v5–v5–remoting;
 *   consume  a backlog of `messages` read to the end: our pull (8 loops, 32 per pull, offset commit
 *            piggy-backed) vs v5 SimpleConsumers (`loops` loops of receive(32) + one ack per message,
 *            what the official client does), each its own group.
 * Each row: msg/s, p50/p99 per operation (a send; a pull / a receive), and the broker's CPU µs per
 * message (its /proc CPU time over the measured window / messages) — the server-side cost of each
 * path, which the ratios compare. The client side is reported too (the official client's own
 * cost — google-protobuf, a UUID and an HMAC per call — is not the broker's).
 * Bundled and run by bench/run.mjs (`--only grpc`).
 */
import * as grpc from '@grpc/grpc-js';
import { Producer as V5Producer, SimpleConsumer } from 'rocketmq-client-nodejs';
import { MESSAGING_SERVICE, v2MessageType } from '../src/grpc/descriptor.js';
import { BrokerApi, recordsOf } from '../src/client/broker-api.js';
import { Producer } from '../src/client/producer.js';
import { LatencyHistogram } from '../src/util/histogram.js';
import net from 'node:net';
import { cpuSeconds, startBenchCluster, until } from './rmqd-cluster.js';

/** A port free on 127.0.0.1 now (picked by the kernel). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface GrpcRun {
  /**
   * remoting: our Producer / pull; v5 gRPC: the official client; v5 raw: a bare grpc-js client
   * sending the same SendMessage requests (no official-client overhead), to load the broker's gRPC
   * path harder; `remoting @… rate`: our Producer held to that v5 row's rate — the same offered load,
   * so the broker's cost per message compares like with like (at low rates fixed costs per write and
   * per wake-up dominate either path); v5 raw x32: the bare client sending 32 messages per
   * SendMessage (the protocol's batch; no official client batches single sends), which loads the
   * broker's gRPC path about as hard as remoting's with few RPCs.
   */
  path: 'remoting' | 'v5 gRPC' | 'remoting @v5 rate' | 'v5 raw' | 'remoting @raw rate' | 'v5 raw x32' | 'remoting @x32 rate';
  op: 'produce' | 'consume';
  msgs: number;
  seconds: number;
  msgPerSec: number;
  p50ms: number;
  p99ms: number;
  /** Broker CPU µs per message. */
  brokerCpuUs: number;
  /** This (client) process's CPU µs per message. */
  clientCpuUs: number;
}

export interface GrpcBenchOptions {
  rmqd: string;
  seconds: number;
  inFlight?: number;
  messages?: number;
  loops?: number;
  /** Run the broker under `node --cpu-prof` (profile written to this directory when it stops). */
  cpuProfDir?: string;
  /** Only the v5 produce rows (profiling the broker's v5 send path). */
  v5ProduceOnly?: boolean;
}

const QUEUES = 8;
const silent = { info() {}, warn() {}, error() {}, debug() {} };

export async function grpcThroughput(o: GrpcBenchOptions): Promise<GrpcRun[]> {
  const grpcPort = await freePort();
  const nodeArgs = o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`, '--cpu-prof-name=broker-grpc.cpuprofile'] : [];
  const cluster = await startBenchCluster(o.rmqd, [{ brokerName: 'bench-a', properties: { flushDiskType: 'ASYNC_FLUSH', grpcServerPort: grpcPort }, nodeArgs }]);
  const broker = cluster.brokers[0]!;
  const api = new BrokerApi(cluster.remoting, 10_000);
  const endpoints = `127.0.0.1:${grpcPort}`;
  const remoting = new Producer({ namesrvAddrs: [cluster.namesrvAddr], producerGroup: 'bench' });
  const v5 = new V5Producer({ endpoints, namespace: '', logger: silent, topic: 'BenchProduce' });
  const inFlight = o.inFlight ?? 64;
  const body = Buffer.alloc(1024, 0x61);
  try {
    for (const t of ['BenchProduce', 'BenchConsume']) await api.createTopic(broker.addr, { topicName: t, readQueueNums: QUEUES, writeQueueNums: QUEUES, perm: 6 });
    await until(() => cluster.admin.topicRoute('BenchConsume'), 'the topic route');
    await v5.startup();

    const measure = async (path: GrpcRun['path'], op: GrpcRun['op'], run: (h: LatencyHistogram) => Promise<number>): Promise<GrpcRun> => {
      const h = new LatencyHistogram();
      const cpu0 = cpuSeconds(broker.proc.pid!);
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const msgs = await run(h);
      const seconds = (performance.now() - t0) / 1000;
      const brokerCpu = cpuSeconds(broker.proc.pid!) - cpu0;
      const c = process.cpuUsage(c0);
      return { path, op, msgs, seconds, msgPerSec: msgs / seconds, p50ms: h.percentile(0.5) / 1000, p99ms: h.percentile(0.99) / 1000, brokerCpuUs: (brokerCpu * 1e6) / msgs, clientCpuUs: (c.user + c.system) / msgs };
    };
    /** `inFlight` loops sending for `seconds` (at most `rate` sends per second when given). */
    const produceFor = (send: () => Promise<unknown>, seconds: number, rate?: number) => async (h: LatencyHistogram) => {
      const start = performance.now();
      const end = start + seconds * 1000;
      let n = 0;
      let issued = 0;
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          while (performance.now() < end) {
            if (rate !== undefined) {
              const due = start + (issued++ / rate) * 1000;
              const wait = due - performance.now();
              if (wait > 0) await new Promise((r) => setTimeout(r, wait));
            }
            const t = performance.now();
            await send();
            h.record((performance.now() - t) * 1000);
            n++;
          }
        }),
      );
      return n;
    };
    const sendRemoting = () => remoting.send({ topic: 'BenchProduce', body });
    const sendV5 = () => v5.send({ topic: 'BenchProduce', body });
    // the same request the official client sends, pre-encoded, over a bare grpc-js channel
    const Raw = grpc.makeGenericClientConstructor({}, 'Raw');
    const raw = new Raw(endpoints, grpc.credentials.createInsecure());
    const request = Buffer.from(
      v2MessageType('SendMessageRequest').serialize({
        messages: [{ topic: { name: 'BenchProduce' }, body, systemProperties: { messageId: '01BENCHRAW0000000000000000000000', messageType: 'NORMAL', bornTimestamp: { seconds: Math.floor(Date.now() / 1000) }, bornHost: 'bench', bodyEncoding: 'IDENTITY' } }],
      }),
    );
    const md = new grpc.Metadata();
    md.set('x-mq-client-id', 'bench-raw@1');
    md.set('x-mq-date-time', '20260101T000000Z');
    const id = (b: Buffer) => b;
    const sendRaw = () =>
      new Promise<void>((resolve, reject) => raw.makeUnaryRequest(`/${MESSAGING_SERVICE}/SendMessage`, id, id, request, md, {}, (e: grpc.ServiceError | null) => (e ? reject(e) : resolve())));
    const one = v2MessageType('SendMessageRequest').deserialize(request) as { messages: unknown[] };
    const batch = Buffer.from(v2MessageType('SendMessageRequest').serialize({ messages: Array.from({ length: 32 }, () => one.messages[0]) }));
    const sendRawBatch = () =>
      new Promise<void>((resolve, reject) => raw.makeUnaryRequest(`/${MESSAGING_SERVICE}/SendMessage`, id, id, batch, md, {}, (e: grpc.ServiceError | null) => (e ? reject(e) : resolve())));
    // warm both paths up
    if (!o.v5ProduceOnly) await produceFor(sendRemoting, 1)(new LatencyHistogram());
    await produceFor(sendV5, 1)(new LatencyHistogram());
    const out: GrpcRun[] = [];
    const half = Math.max(1, o.seconds / 2);
    const prod = { remoting: [] as GrpcRun[], v5: [] as GrpcRun[] };
    if (o.v5ProduceOnly) return [await measure('v5 raw', 'produce', produceFor(sendRaw, o.seconds))];
    prod.remoting.push(await measure('remoting', 'produce', produceFor(sendRemoting, half)));
    prod.v5.push(await measure('v5 gRPC', 'produce', produceFor(sendV5, half)));
    prod.v5.push(await measure('v5 gRPC', 'produce', produceFor(sendV5, half)));
    prod.remoting.push(await measure('remoting', 'produce', produceFor(sendRemoting, half)));
    out.push(pool(prod.remoting), pool(prod.v5));
    out.push(await measure('remoting @v5 rate', 'produce', produceFor(sendRemoting, half, pool(prod.v5).msgPerSec)));
    await produceFor(sendRaw, 1)(new LatencyHistogram());
    const rawRun = await measure('v5 raw', 'produce', produceFor(sendRaw, half));
    out.push(rawRun, await measure('remoting @raw rate', 'produce', produceFor(sendRemoting, half, rawRun.msgPerSec)));
    const batchRun = await measure('v5 raw x32', 'produce', async (h) => 32 * (await produceFor(sendRawBatch, half)(h)));
    out.push(batchRun, await measure('remoting @x32 rate', 'produce', produceFor(sendRemoting, half, batchRun.msgPerSec)));
    raw.close();

    // consume: a backlog read to the end by each path, its own group
    const messages = o.messages ?? 20_000;
    for (let i = 0; i < messages; i += 256) await Promise.all(Array.from({ length: Math.min(256, messages - i) }, () => remoting.send({ topic: 'BenchConsume', body })));
    out.push(
      await measure('remoting', 'consume', async (h) => {
        let n = 0;
        await Promise.all(
          Array.from({ length: QUEUES }, async (_, queueId) => {
            let offset = 0;
            for (;;) {
              const t = performance.now();
              const r = await api.pull(broker.addr, { consumerGroup: 'BENCH_PULL', topic: 'BenchConsume', queueId, queueOffset: offset, maxMsgNums: 32, commitOffset: offset });
              h.record((performance.now() - t) * 1000);
              if (r.status !== 'FOUND') break;
              n += recordsOf(r.body).length;
              offset = r.nextBeginOffset;
            }
          }),
        );
        return n;
      }),
    );
    const consumer = new SimpleConsumer({ endpoints, namespace: '', logger: silent, consumerGroup: 'BENCH_V5', subscriptions: new Map([['BenchConsume', '*']]), awaitDuration: 1_000 });
    await consumer.startup();
    try {
      out.push(
        await measure('v5 gRPC', 'consume', async (h) => {
          let n = 0;
          await Promise.all(
            Array.from({ length: o.loops ?? QUEUES }, async () => {
              while (n < messages) {
                const t = performance.now();
                const got = await consumer.receive(32, 60_000);
                h.record((performance.now() - t) * 1000);
                n += got.length;
                await Promise.all(got.map((m) => consumer.ack(m)));
              }
            }),
          );
          return n;
        }),
      );
    } finally {
      await consumer.shutdown();
    }
    return out;
  } finally {
    remoting.shutdown();
    await v5.shutdown().catch(() => undefined);
    await cluster.stop();
  }
}

/** Runs of one path pooled: messages / time; percentiles and CPU weighted by messages. */
function pool(rs: GrpcRun[]): GrpcRun {
  const msgs = rs.reduce((x, r) => x + r.msgs, 0);
  const seconds = rs.reduce((x, r) => x + r.seconds, 0);
  const w = (f: (r: GrpcRun) => number) => rs.reduce((x, r) => x + f(r) * r.msgs, 0) / msgs;
  return { path: rs[0]!.path, op: rs[0]!.op, msgs, seconds, msgPerSec: msgs / seconds, p50ms: w((r) => r.p50ms), p99ms: Math.max(...rs.map((r) => r.p99ms)), brokerCpuUs: w((r) => r.brokerCpuUs), clientCpuUs: w((r) => r.clientCpuUs) };
}
