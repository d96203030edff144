/**
 * End-to-end produce throughput: our producer (in this process) sending 1 KB messages with 64 in
 * flight to a real `rmqd broker` process (dist/rmqd.js) registered with a real `rmqd namesrv`, over
 * loopback TCP, ASYNC_FLUSH or SYNC_FLUSH. Reports msg/s, MB/s, RT percentiles, messages per fsync
 * and the CPU each side used. With `cpuProfDir`, the broker runs under `node --cpu-prof` and this
 * process records a client profile of the measured window (open them in Chrome DevTools).
 * Bundled and run by bench/run.mjs (`npm run bench -- --only broker`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import fsp from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { AdminClient } from '../src/client/admin.js';
import { benchProduce } from '../src/client/bench-produce.js';
import { BrokerApi } from '../src/client/broker-api.js';
import { Producer } from '../src/client/producer.js';
import { RemotingClient } from '../src/client/remoting-client.js';

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
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

export async function freeBlock(): Promise<number> {
  for (;;) {
    const p = 30_000 + Math.floor(Math.random() * 2_000) * 4 + 2;
    if ((await Promise.all([p - 2, p - 1, p, p + 1].map(canBind))).every(Boolean)) return p;
  }
}

export function start(rmqd: string, role: string, file: string, nodeArgs: string[] = []): { proc: ChildProcess; ready: Promise<void> } {
  const proc = spawn(process.execPath, [...nodeArgs, rmqd, role, '-c', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RMQ_LOG_LEVEL: 'warn' } });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const ready = new Promise<void>((_, reject) => proc.once('exit', (code) => reject(new Error(`rmqd ${role} exited with ${code}: ${out}`))));
  return { proc, ready };
}

/** utime + stime of a process, in seconds (Linux /proc). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch {
      // not up yet
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function brokerThroughput(o: BrokerRunOptions): Promise<BrokerRun> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rmq-bench-broker-'));
  const procs: ChildProcess[] = [];
  const remoting = new RemotingClient();
  let producer: Producer | undefined;
  try {
    const nsPort = await freeBlock();
    writeFileSync(path.join(dir, 'ns.properties'), `listenPort=${nsPort}\nkvConfigPath=${path.join(dir, 'kv.json')}\n`);
    const ns = start(o.rmqd, 'namesrv', path.join(dir, 'ns.properties'));
    procs.push(ns.proc);
    const brokerPort = await freeBlock();
    writeFileSync(
      path.join(dir, 'broker.properties'),
      [
        'brokerName=bench-a',
        'brokerIP1=127.0.0.1',
        `listenPort=${brokerPort}`,
        `namesrvAddr=127.0.0.1:${nsPort}`,
        `storePathRootDir=${path.join(dir, 'store')}`,
        `flushDiskType=${o.flush}`,
      ].join('\n'),
    );
    const nsAddr = `127.0.0.1:${nsPort}`;
    const admin = new AdminClient({ namesrvAddrs: [nsAddr], remoting });
    await Promise.race([until(() => admin.clusterInfo(), 'the NameServer'), ns.ready]);
    const profArgs = o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`, `--cpu-prof-name=broker-${o.flush}.cpuprofile`] : [];
    const broker = start(o.rmqd, 'broker', path.join(dir, 'broker.properties'), profArgs);
    procs.push(broker.proc);
    const brokerAddr = `127.0.0.1:${brokerPort}`;
    const api = new BrokerApi(remoting);
    await Promise.race([until(async () => ((await admin.clusterInfo()).brokerAddrTable['bench-a'] ? true : undefined), 'the broker to register'), broker.ready]);
    const topic = 'BenchE2E';
    await api.createTopic(brokerAddr, { topicName: topic, readQueueNums: o.queues ?? 8, writeQueueNums: o.queues ?? 8, perm: 6 });
    await until(() => admin.topicRoute(topic), 'the topic route');

    producer = new Producer({ namesrvAddrs: [nsAddr], producerGroup: 'bench' });
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
    const t0 = performance.now();
    const r = await benchProduce(producer, { ...common, durationSeconds: o.seconds });
    const wall = (performance.now() - t0) / 1000;
    if (session) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(path.join(o.cpuProfDir!, `client-${o.flush}.cpuprofile`), JSON.stringify(profile));
      session.disconnect();
    }
    const clientCpu = process.cpuUsage(clientCpu0);
    const brokerCpu = cpuSeconds(broker.proc.pid!) - brokerCpu0;
    const after = await api.runtimeInfo(brokerAddr);
    // SIGTERM, so a --cpu-prof profile gets written
    broker.proc.kill('SIGTERM');
    await new Promise((resolve) => broker.proc.once('exit', resolve));
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
      clientCpu: (clientCpu.user + clientCpu.system) / 1e6 / wall,
    };
  } finally {
    producer?.shutdown();
    remoting.shutdown();
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await fsp.rm(dir, { recursive: true, force: true });
  }
}
