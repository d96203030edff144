/**
 * Produce throughput with replication: our producer (this process) sending 1 KB messages, 64 in
 * flight, to a broker group of real `rmqd broker` processes — a master alone (no replication, the
 * baseline), or a master with one slave as ASYNC_MASTER or SYNC_MASTER (each send then waits for the
 * slave's acknowledgement). Both brokers ASYNC_FLUSH, so the difference is replication alone. Also
 * reports responses other than SEND_OK (a SYNC_MASTER answers FLUSH_SLAVE_TIMEOUT/SLAVE_NOT_AVAILABLE
 * when its slave falls behind), the slave's lag when the run ends, and the CPU each process used.
 * Bundled and run by bench/run.mjs (`npm run bench -- --only ha`).
 */
import { benchProduce } from '../src/ops/bench/produce.js';
import { BrokerApi } from '../src/client/broker-api.js';
import { Producer } from '../src/client/producer.js';
import { cpuSeconds, startBenchCluster, until, type BenchBrokerSpec, type BenchCluster } from './rmqd-cluster.js';

export type HaMode = 'no slave' | 'ASYNC_MASTER' | 'SYNC_MASTER';

export interface HaRun {
  mode: HaMode;
  msgs: number;
  msgPerSec: number;
  mbPerSec: number;
  p50ms: number;
  p99ms: number;
  /** Sends answered with something other than SEND_OK. */
  notOk: number;
  /** Bytes the slave lacked when the measured window ended (undefined without a slave). */
  slaveLagBytes?: number;
  /** CPU seconds per wall second of the master, the slave and this (client) process. */
  masterCpu: number;
  slaveCpu: number;
  clientCpu: number;
}

export interface HaRunOptions {
  rmqd: string;
  mode: HaMode;
  seconds: number;
  warmupSeconds?: number;
  inFlight?: number;
  bodyBytes?: number;
  /** Brokers run under `node --cpu-prof`, profiles written here on exit. */
  cpuProfDir?: string;
}

/** Warm-up, then one measured run of `benchProduce`: its result, wall seconds and the CPU seconds of master, slave (0 without one) and this process. */
export async function measuredProduce(
  producer: Producer,
  nodes: { master: BenchCluster['brokers'][number]; slave: BenchCluster['brokers'][number] | undefined },
  common: { topic: string; threads: number; messageSize: number },
  warmupSeconds: number,
  seconds: number,
) {
  const { master, slave } = nodes;
  await benchProduce(producer, { ...common, durationSeconds: warmupSeconds });
  const cpu0 = { master: cpuSeconds(master.proc.pid!), slave: slave ? cpuSeconds(slave.proc.pid!) : 0, client: process.cpuUsage() };
  const t0 = performance.now();
  const r = await benchProduce(producer, { ...common, durationSeconds: seconds });
  const wall = (performance.now() - t0) / 1000;
  const clientCpu = process.cpuUsage(cpu0.client);
  const masterCpu = cpuSeconds(master.proc.pid!) - cpu0.master;
  const slaveCpu = slave ? cpuSeconds(slave.proc.pid!) - cpu0.slave : 0;
  return { r, wall, clientCpu, masterCpu, slaveCpu };
}

export async function haThroughput(o: HaRunOptions): Promise<HaRun> {
  const prof = (id: number) => (o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`, `--cpu-prof-name=${o.mode.replace(' ', '-')}-broker-${id}.cpuprofile`] : []);
  const brokers: BenchBrokerSpec[] = [{ brokerName: 'bench-ha', properties: { brokerRole: o.mode === 'SYNC_MASTER' ? 'SYNC_MASTER' : 'ASYNC_MASTER', flushDiskType: 'ASYNC_FLUSH' }, nodeArgs: prof(0) }];
  if (o.mode !== 'no slave') brokers.push({ brokerName: 'bench-ha', brokerId: 1, properties: { brokerRole: 'SLAVE', flushDiskType: 'ASYNC_FLUSH' }, nodeArgs: prof(1) });
  let cluster: BenchCluster | undefined;
  let producer: Producer | undefined;
  try {
    cluster = await startBenchCluster(o.rmqd, brokers);
    const admin = cluster.admin;
    const api = new BrokerApi(cluster.remoting);
    const master = cluster.brokers[0]!;
    const slave = cluster.brokers[1];
    if (slave) await until(async () => ((await api.haStatus(master.addr)).haConnectionInfo.length === 1 ? true : undefined), 'the slave to connect');

    const topic = 'BenchHa';
    await api.createTopic(master.addr, { topicName: topic, readQueueNums: 8, writeQueueNums: 8, perm: 6 });
    await until(() => admin.topicRoute(topic), 'the topic route');
    producer = new Producer({ namesrvAddrs: [cluster.namesrvAddr], producerGroup: 'bench-ha' });
    const common = { topic, threads: o.inFlight ?? 64, messageSize: o.bodyBytes ?? 1024 };
    const { r, wall, clientCpu, masterCpu, slaveCpu } = await measuredProduce(producer, { master, slave }, common, o.warmupSeconds ?? 2, o.seconds);
    const ha = slave ? await api.haStatus(master.addr) : undefined;
    return {
      mode: o.mode,
      msgs: r.sendTotal,
      msgPerSec: r.sendTps,
      mbPerSec: r.mbPerSec,
      p50ms: r.rtMillis.p50,
      p99ms: r.rtMillis.p99,
      notOk: r.responseFailed + r.sendFailed,
      ...(ha ? { slaveLagBytes: Math.max(0, ha.haConnectionInfo[0]?.diff ?? ha.masterCommitLogMaxOffset) } : {}),
      masterCpu: masterCpu / wall,
      slaveCpu: slaveCpu / wall,
      clientCpu: (clientCpu.user + clientCpu.system) / 1e6 / wall,
    };
  } finally {
    producer?.shutdown();
    // SIGTERM (brokers, then the NameServer), so --cpu-prof profiles get written
    await cluster?.stop();
  }
}
