/**
 * Produce throughput with replication: our producer (this process) sending 1 KB messages, 64 in
 * flight, to a broker group of real `rmqd broker` processes — a master alone (no replication, the
 * baseline), or a master with one slave as ASYNC_MASTER or SYNC_MASTER (each send then waits for the
 * slave's acknowledgement). Both brokers ASYNC_FLUSH, so the difference is replication alone. Also
 * reports responses other than SEND_OK (a SYNC_MASTER answers FLUSH_SLAVE_TIMEOUT/SLAVE_NOT_AVAILABLE
 * when its slave falls behind), the slave's lag when the run ends, and the CPU each process used.
 * Bundled and run by bench/run.mjs (`npm run bench -- --only ha`).
 */
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AdminClient } from '../src/client/admin.js';
import { benchProduce } from '../src/client/bench-produce.js';
import { BrokerApi } from '../src/client/broker-api.js';
import { Producer } from '../src/client/producer.js';
import { RemotingClient } from '../src/client/remoting-client.js';
import { cpuSeconds, freeBlock, start, until } from './broker-throughput.js';

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

export async function haThroughput(o: HaRunOptions): Promise<HaRun> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rmq-bench-ha-'));
  const procs: ChildProcess[] = [];
  const remoting = new RemotingClient();
  let producer: Producer | undefined;
  try {
    const nsPort = await freeBlock();
    writeFileSync(path.join(dir, 'ns.properties'), `listenPort=${nsPort}\nkvConfigPath=${path.join(dir, 'kv.json')}\n`);
    const ns = start(o.rmqd, 'namesrv', path.join(dir, 'ns.properties'));
    procs.push(ns.proc);
    const nsAddr = `127.0.0.1:${nsPort}`;
    const admin = new AdminClient({ namesrvAddrs: [nsAddr], remoting });
    const api = new BrokerApi(remoting);
    await Promise.race([until(() => admin.clusterInfo(), 'the NameServer'), ns.ready]);

    const broker = async (id: number, role: string) => {
      const port = await freeBlock();
      const file = path.join(dir, `broker-${id}.properties`);
      writeFileSync(
        file,
        [
          'brokerName=bench-ha',
          `brokerId=${id}`,
          `brokerRole=${role}`,
          'brokerIP1=127.0.0.1',
          `listenPort=${port}`,
          `namesrvAddr=${nsAddr}`,
          `storePathRootDir=${path.join(dir, `store-${id}`)}`,
          'flushDiskType=ASYNC_FLUSH',
        ].join('\n'),
      );
      const prof = o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`, `--cpu-prof-name=${o.mode.replace(' ', '-')}-broker-${id}.cpuprofile`] : [];
      const b = start(o.rmqd, 'broker', file, prof);
      procs.push(b.proc);
      const addr = `127.0.0.1:${port}`;
      await Promise.race([until(async () => ((await admin.clusterInfo()).brokerAddrTable['bench-ha']?.brokerAddrs[String(id)] === addr ? true : undefined), `broker ${id} to register`), b.ready]);
      return { proc: b.proc, addr };
    };
    const master = await broker(0, o.mode === 'SYNC_MASTER' ? 'SYNC_MASTER' : 'ASYNC_MASTER');
    const slave = o.mode === 'no slave' ? undefined : await broker(1, 'SLAVE');
    if (slave) await until(async () => ((await api.haStatus(master.addr)).haConnectionInfo.length === 1 ? true : undefined), 'the slave to connect');

    const topic = 'BenchHa';
    await api.createTopic(master.addr, { topicName: topic, readQueueNums: 8, writeQueueNums: 8, perm: 6 });
    await until(() => admin.topicRoute(topic), 'the topic route');
    producer = new Producer({ namesrvAddrs: [nsAddr], producerGroup: 'bench-ha' });
    const common = { topic, threads: o.inFlight ?? 64, messageSize: o.bodyBytes ?? 1024 };
    await benchProduce(producer, { ...common, durationSeconds: o.warmupSeconds ?? 2 });

    const cpu0 = { master: cpuSeconds(master.proc.pid!), slave: slave ? cpuSeconds(slave.proc.pid!) : 0, client: process.cpuUsage() };
    const t0 = performance.now();
    const r = await benchProduce(producer, { ...common, durationSeconds: o.seconds });
    const wall = (performance.now() - t0) / 1000;
    const clientCpu = process.cpuUsage(cpu0.client);
    const masterCpu = cpuSeconds(master.proc.pid!) - cpu0.master;
    const slaveCpu = slave ? cpuSeconds(slave.proc.pid!) - cpu0.slave : 0;
    const ha = slave ? await api.haStatus(master.addr) : undefined;
    // SIGTERM, so --cpu-prof profiles get written
    for (const b of [slave, master]) if (b) {
      b.proc.kill('SIGTERM');
      await new Promise((resolve) => b.proc.once('exit', resolve));
    }
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
    remoting.shutdown();
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await fsp.rm(dir, { recursive: true, force: true });
  }
}
