/**
 * End-to-end produce throughput: our producer (in this process) sending 1 KB messages with 64 in
 * flight to a real `rmqd broker` process (dist/rmqd.js) registered with a real `rmqd namesrv`, over
 * loopback TCP, ASYNC_FLUSH or SYNC_FLUSH. Reports msg/s, MB/s, RT percentiles, messages per fsync
 * and the CPU each side used. With `tls`, every port enforces TLS and the producer connects with
 * it. With `cpuProfDir`, the broker runs under `node --cpu-prof` and this
 * process records a client profile of the measured window (open them in Chrome DevTools).
 * Bundled and run by bench/run.mjs (`npm run bench -- --only broker`).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { benchProduce } from '../src/ops/bench/produce.js';
import { BrokerApi } from '../src/client/broker-api.js';
import { Producer } from '../src/client/producer.js';
import { cpuSeconds, startBenchCluster, until, type BenchCluster } from './rmqd-cluster.js';
import type { BenchCert } from './tls-cert.js';

export interface BrokerRun {
  flush: string;
  msgs: number;
  seconds: number;
  msgPerSec: number;
  mbPerSec: number;
  p50ms: number;
  p99ms: number;
  p999ms: number;
  fsyncs: number;
  writes: number;
  /** CPU seconds per wall second (1 = one core) of the broker process and of this (client) process. */
  brokerCpu: number;
  clientCpu: number;
  /** CPU time per message of the broker and of this (client) process, in µs. */
  brokerCpuUsPerMsg: number;
  clientCpuUsPerMsg: number;
  /** CPU time of both per message, in µs. */
  cpuUsPerMsg: number;
  /** What `during` reported. */
  note?: string;
}

export interface BrokerRunOptions {
  rmqd: string;
  flush: 'ASYNC_FLUSH' | 'SYNC_FLUSH';
  seconds: number;
  warmupSeconds?: number;
  inFlight?: number;
  bodyBytes?: number;
  queues?: number;
  cpuProfDir?: string;
  tls?: BenchCert;
  /** More broker.properties lines (e.g. metricsPort). */
  properties?: Record<string, string | number>;
  /** Header form of the producer's requests (and so of the broker's answers): JSON (default) or binary ROCKETMQ. */
  serializeType?: 'JSON' | 'ROCKETMQ';
  /** The producer's autoBatch (SEND_BATCH_MESSAGE while many sends wait). */
  autoBatch?: boolean;
  /** Started with the measured window, stopped at its end (e.g. a scraper); resolves with what it wants reported. */
  during?: () => { stop(): Promise<string> };
}

export async function brokerThroughput(o: BrokerRunOptions): Promise<BrokerRun> {
  const profArgs = o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`, `--cpu-prof-name=broker-${o.flush}.cpuprofile`] : [];
  let cluster: BenchCluster | undefined;
  let producer: Producer | undefined;
  try {
    cluster = await startBenchCluster(o.rmqd, [{ brokerName: 'bench-a', properties: { flushDiskType: o.flush, ...o.properties }, nodeArgs: profArgs }], undefined, o.tls ? { tls: o.tls } : {});
    const broker = cluster.brokers[0]!;
    const brokerAddr = broker.addr;
    const api = new BrokerApi(cluster.remoting);
    const topic = 'BenchE2E';
    await api.createTopic(brokerAddr, { topicName: topic, readQueueNums: o.queues ?? 8, writeQueueNums: o.queues ?? 8, perm: 6 });
    const admin = cluster.admin;
    await until(() => admin.topicRoute(topic), 'the topic route');

    producer = new Producer({
      namesrvAddrs: [cluster.namesrvAddr],
      producerGroup: 'bench',
      ...(o.tls ? { tls: { ca: o.tls.certPem, policy: 'require' as const } } : {}),
      ...(o.serializeType === 'ROCKETMQ' ? { serializeType: 'ROCKETMQ' as const } : {}),
      ...(o.autoBatch ? { autoBatch: true } : {}),
    });
    const common = { topic, threads: o.inFlight ?? 64, messageSize: o.bodyBytes ?? 1024 };
    await benchProduce(producer, { ...common, durationSeconds: o.warmupSeconds ?? 2 });

    const before = await api.runtimeInfo(brokerAddr);
    const brokerCpu0 = cpuSeconds(broker.proc.pid!);
    const clientCpu0 = process.cpuUsage();
    let session: Session | undefined;
    if (o.cpuProfDir) {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    const side = o.during?.();
    const t0 = performance.now();
    const r = await benchProduce(producer, { ...common, durationSeconds: o.seconds });
    const wall = (performance.now() - t0) / 1000;
    const note = await side?.stop();
    if (session) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(path.join(o.cpuProfDir!, `client-${o.flush}.cpuprofile`), JSON.stringify(profile));
      session.disconnect();
    }
    const clientCpu = process.cpuUsage(clientCpu0);
    const brokerCpu = cpuSeconds(broker.proc.pid!) - brokerCpu0;
    const after = await api.runtimeInfo(brokerAddr);
    return {
      flush: o.flush,
      msgs: r.sendTotal,
      seconds: r.seconds,
      msgPerSec: r.sendTps,
      mbPerSec: r.mbPerSec,
      p50ms: r.rtMillis.p50,
      p99ms: r.rtMillis.p99,
      p999ms: r.rtMillis.p999,
      fsyncs: Number(after.commitLogFsyncs) - Number(before.commitLogFsyncs),
      writes: Number(after.commitLogWrites) - Number(before.commitLogWrites),
      brokerCpu: brokerCpu / wall,
      brokerCpuUsPerMsg: (brokerCpu * 1e6) / r.sendTotal,
      clientCpuUsPerMsg: (clientCpu.user + clientCpu.system) / r.sendTotal,
      clientCpu: (clientCpu.user + clientCpu.system) / 1e6 / wall,
      cpuUsPerMsg: (brokerCpu * 1e6 + clientCpu.user + clientCpu.system) / r.sendTotal,
      ...(note === undefined ? {} : { note }),
    };
  } finally {
    producer?.shutdown();
    // SIGTERM first, so a --cpu-prof profile gets written
    await cluster?.stop();
  }
}
