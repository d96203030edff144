/**
 * What a replicated pair costs (issue #22): our producer (this process, binary ROCKETMQ headers as
 * bench/compare's rmqd-binary systems) sends 1 KB bodies with 64 in flight to a single master, a
 * master + slave as ASYNC_MASTER, or as SYNC_MASTER, with both brokers ASYNC_FLUSH (row 1 of
 * bench/compare) or SYNC_FLUSH (row 2). Per run: msg/s, latency, and the CPU each process spent
 * per message (µs, from /proc/PID/stat), so "what does replication cost the master, what does
 * the slave spend" has a number. Bundled and run by bench/run.mjs (`--only pair`), which
 * interleaves the cells and, with `--baseline PATH/rmqd.js`, the same cells on another build.
 */
import { BrokerApi } from '../src/client/broker-api.js';
import { Producer } from '../src/client/producer.js';
import { measuredProduce } from './ha-throughput.js';
import { startBenchCluster, until, type BenchBrokerSpec, type BenchCluster } from './rmqd-cluster.js';

export type PairMode = 'single' | 'ASYNC pair' | 'SYNC pair';
export type PairFlush = 'ASYNC_FLUSH' | 'SYNC_FLUSH';

export interface PairRun {
  build: string;
  mode: PairMode;
  flush: PairFlush;
  msgs: number;
  seconds: number;
  msgPerSec: number;
  p50ms: number;
  p99ms: number;
  notOk: number;
  /** CPU µs per acknowledged message: master, slave (0 without), this client process. */
  masterUs: number;
  slaveUs: number;
  clientUs: number;
  /** Bytes the slave lacked when the window ended. */
  slaveLagBytes?: number;
}

export interface PairRunOptions {
  rmqd: string;
  build: string;
  mode: PairMode;
  flush: PairFlush;
  seconds: number;
  warmupSeconds?: number;
  inFlight?: number;
  bodyBytes?: number;
  cpuProfDir?: string;
  /** Extra broker.properties for both brokers. */
  properties?: Record<string, string | number>;
}

export async function pairCost(o: PairRunOptions): Promise<PairRun> {
  const prof = (who: string) => (o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`, `--cpu-prof-name=${o.build}-${o.mode.replace(' ', '-')}-${o.flush}-${who}.cpuprofile`] : []);
  const role = o.mode === 'SYNC pair' ? 'SYNC_MASTER' : 'ASYNC_MASTER';
  const brokers: BenchBrokerSpec[] = [{ brokerName: 'pair', properties: { brokerRole: role, flushDiskType: o.flush, ...o.properties }, nodeArgs: prof('master') }];
  if (o.mode !== 'single') brokers.push({ brokerName: 'pair', brokerId: 1, properties: { brokerRole: 'SLAVE', flushDiskType: o.flush, ...o.properties }, nodeArgs: prof('slave') });
  let cluster: BenchCluster | undefined;
  let producer: Producer | undefined;
  try {
    cluster = await startBenchCluster(o.rmqd, brokers);
    const api = new BrokerApi(cluster.remoting);
    const master = cluster.brokers[0]!;
    const slave = cluster.brokers[1];
    if (slave) await until(async () => ((await api.haStatus(master.addr)).haConnectionInfo.some((c) => c.slaveAckOffset >= 0) ? true : undefined), 'the slave to connect');
    const topic = 'BenchPair';
    await api.createTopic(master.addr, { topicName: topic, readQueueNums: 2, writeQueueNums: 2, perm: 6 });
    await until(() => cluster!.admin.topicRoute(topic), 'the topic route');
    producer = new Producer({ namesrvAddrs: [cluster.namesrvAddr], producerGroup: 'bench-pair', serializeType: 'ROCKETMQ' });
    const common = { topic, threads: o.inFlight ?? 64, messageSize: o.bodyBytes ?? 1024 };
    const { r, wall, clientCpu: client, masterCpu, slaveCpu } = await measuredProduce(producer, { master, slave }, common, o.warmupSeconds ?? 2, o.seconds);
    const ha = slave ? await api.haStatus(master.addr) : undefined;
    const n = Math.max(1, r.sendTotal);
    return {
      build: o.build,
      mode: o.mode,
      flush: o.flush,
      msgs: r.sendTotal,
      seconds: wall,
      msgPerSec: r.sendTotal / wall,
      p50ms: r.rtMillis.p50,
      p99ms: r.rtMillis.p99,
      notOk: r.responseFailed + r.sendFailed,
      masterUs: (masterCpu * 1e6) / n,
      slaveUs: (slaveCpu * 1e6) / n,
      clientUs: (client.user + client.system) / n,
      ...(ha ? { slaveLagBytes: Math.max(0, ha.haConnectionInfo[0]?.diff ?? ha.masterCommitLogMaxOffset) } : {}),
    };
  } finally {
    producer?.shutdown();
    await cluster?.stop();
  }
}
