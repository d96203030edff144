/**
 * A throw-away rmqd cluster for benchmarks: one `rmqd namesrv` and one or more `rmqd broker`
 * processes (dist/rmqd.js, as deploy ships it) on free loopback ports, each broker with its own
 * store under one temp directory, ready once the NameServer lists every broker. `stop()` ends
 * every process (SIGTERM, so `--cpu-prof` profiles get written; SIGKILL after a grace period) and
 * removes the directory. With `tls`, every port enforces TLS with the bench certificate and every
 * connection (broker registration, the cluster's own client) verifies it. Used by
 * bench/broker-throughput.ts and bench/compare.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { AdminClient } from '../src/client/admin.js';
import { RemotingClient } from '../src/remoting/client.js';
import { RUNTIME_NODE_FLAGS } from '../src/node-config/node-flags.js';
import type { BenchCert } from './tls-cert.js';

export interface BenchBrokerSpec {
  brokerName: string;
  /** 0 = master. */
  brokerId?: number;
  /** Extra broker.properties lines (key → value). */
  properties?: Record<string, string | number>;
  /** Node options for this process (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
}

export interface BenchNode {
  role: 'namesrv' | 'broker';
  name: string;
  addr: string;
  port: number;
  proc: ChildProcess;
  /** What the process printed (last 64 KiB), for error messages. */
  output(): string;
  /** Ends the process with `signal` (SIGKILL: a crash) and starts it again on the same config and store; `proc` is the new one. */
  restart(signal: 'SIGKILL' | 'SIGTERM'): Promise<void>;
}

export interface BenchCluster {
  dir: string;
  namesrvAddr: string;
  namesrv: BenchNode;
  brokers: BenchNode[];
  remoting: RemotingClient;
  admin: AdminClient;
  stop(): Promise<void>;
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/**
 * A port p with p-2…p+1 free: a broker listens on p, its fast (VIP) port p-2 and its HA port p+1.
 * Drawn from 30000–37999, away from the ephemeral range the OS hands out for outgoing connections.
 */
export async function freePortBlock(): Promise<number> {
  for (;;) {
    const p = 30_000 + Math.floor(Math.random() * 2_000) * 4 + 2;
    if ((await Promise.all([p - 2, p - 1, p, p + 1].map(canBind))).every(Boolean)) return p;
  }
}

/**
 * RMQ_BENCH_BROKER_PROPERTIES="key=value key=value": appended to every bench broker's properties
 * (last wins), for A/B runs of a broker setting without a flag per bench.
 */
function extraBrokerProperties(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (process.env.RMQ_BENCH_BROKER_PROPERTIES ?? '').split(/\s+/).filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || /[\r\n]/.test(pair)) throw new Error(`RMQ_BENCH_BROKER_PROPERTIES: expected key=value, got ${JSON.stringify(pair)}`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** utime + stime of a process, in seconds (Linux /proc). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Polls `probe` until it returns a value (errors count as "not yet"); rejects after the deadline. */
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

function startNode(rmqd: string, role: 'namesrv' | 'broker', name: string, port: number, file: string, nodeArgs: string[] = []): { node: BenchNode; exited: Promise<never> } {
  // the flags deploy runs rmqd with, then the caller's, then RMQ_BENCH_BROKER_NODE_ARGS / RMQ_BENCH_NAMESRV_NODE_ARGS (for A/B runs and profiles — V8 takes the last of a flag)
  const extra = (role === 'broker' ? process.env.RMQ_BENCH_BROKER_NODE_ARGS : process.env.RMQ_BENCH_NAMESRV_NODE_ARGS)?.split(' ').filter(Boolean) ?? [];
  // RMQ_BENCH_CPU_PROF_INTERVAL=µs: the sampling interval of any node a bench profiles (--cpu-prof; V8's default is 1,000 µs)
  const interval = process.env.RMQ_BENCH_CPU_PROF_INTERVAL;
  if (interval && [...nodeArgs, ...extra].includes('--cpu-prof')) extra.push(`--cpu-prof-interval=${interval}`);
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 65_536) out = out.slice(-65_536);
  };
  const launch = (): ChildProcess => {
    const proc = spawn(process.execPath, [...RUNTIME_NODE_FLAGS[role], ...nodeArgs, ...extra, rmqd, role, '-c', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RMQ_LOG_LEVEL: 'warn' } });
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    // RMQ_BENCH_LOG_DIR: each node's whole output in DIR/<role>-<name>-<pid>.log (only the last 64 KiB
    // are kept otherwise) — e.g. a run's GC trace with RMQ_BENCH_BROKER_NODE_ARGS=--trace-gc-nvp
    const logDir = process.env.RMQ_BENCH_LOG_DIR;
    if (logDir) {
      mkdirSync(logDir, { recursive: true });
      const log = createWriteStream(path.join(logDir, `${role}-${name}-${proc.pid}.log`));
      proc.stdout?.pipe(log);
      proc.stderr?.pipe(log);
    }
    return proc;
  };
  const proc = launch();
  const exited = new Promise<never>((_, reject) => proc.once('exit', (code, signal) => reject(new Error(`rmqd ${role} ${name} exited (${signal ?? code}): ${out.trim()}`))));
  exited.catch(() => {});
  const node: BenchNode = {
    role,
    name,
    addr: `127.0.0.1:${port}`,
    port,
    proc,
    output: () => out,
    restart: async (signal) => {
      if (node.proc.exitCode === null && node.proc.signalCode === null) {
        const gone = new Promise<void>((resolve) => node.proc.once('exit', () => resolve()));
        node.proc.kill(signal);
        await gone;
      }
      node.proc = launch();
    },
  };
  return { node, exited };
}

async function stopProcess(proc: ChildProcess, graceMillis = 10_000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), graceMillis);
  await gone;
  clearTimeout(timer);
}

/** `onSpawn` sees every process as it starts (bench/compare registers them for its exit hook). */
export async function startBenchCluster(rmqd: string, brokers: BenchBrokerSpec[], onSpawn?: (proc: ChildProcess) => void, opts: { tls?: BenchCert } = {}): Promise<BenchCluster> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rmq-bench-cluster-'));
  const remoting = new RemotingClient(opts.tls ? { tls: { ca: opts.tls.certPem, policy: 'require' } } : {});
  const serverTls: Record<string, string> = opts.tls ? { 'tls.server.mode': 'enforcing', 'tls.server.certPath': opts.tls.certFile, 'tls.server.keyPath': opts.tls.keyFile } : {};
  const clientTls: Record<string, string> = opts.tls ? { 'tls.enable': 'true', 'tls.client.trustCertPath': opts.tls.certFile } : {};
  const lines = (props: Record<string, string | number>) => Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
  const nodes: BenchNode[] = [];
  const stop = async () => {
    remoting.shutdown();
    // brokers first (they unregister), the NameServer last
    await Promise.all(nodes.filter((n) => n.role === 'broker').map((n) => stopProcess(n.proc)));
    await Promise.all(nodes.filter((n) => n.role === 'namesrv').map((n) => stopProcess(n.proc)));
    await fsp.rm(dir, { recursive: true, force: true });
  };
  try {
    const nsPort = await freePortBlock();
    const nsFile = path.join(dir, 'namesrv.properties');
    writeFileSync(nsFile, lines({ listenPort: nsPort, kvConfigPath: path.join(dir, 'kv.json'), ...serverTls }));
    const ns = startNode(rmqd, 'namesrv', 'namesrv', nsPort, nsFile);
    nodes.push(ns.node);
    onSpawn?.(ns.node.proc);
    const namesrvAddr = ns.node.addr;
    const admin = new AdminClient({ namesrvAddrs: [namesrvAddr], remoting });
    await Promise.race([until(() => admin.clusterInfo(), 'the NameServer'), ns.exited]);

    const started: BenchNode[] = [];
    for (const b of brokers) {
      const port = await freePortBlock();
      const id = b.brokerId ?? 0;
      const file = path.join(dir, `${b.brokerName}-${id}.properties`);
      const props: Record<string, string | number> = {
        brokerName: b.brokerName,
        brokerId: id,
        brokerIP1: '127.0.0.1',
        listenPort: port,
        namesrvAddr,
        storePathRootDir: path.join(dir, `store-${b.brokerName}-${id}`),
        ...serverTls,
        ...clientTls,
        ...b.properties,
        ...extraBrokerProperties(),
      };
      writeFileSync(file, lines(props));
      const n = startNode(rmqd, 'broker', `${b.brokerName}-${id}`, port, file, b.nodeArgs);
      nodes.push(n.node);
      onSpawn?.(n.node.proc);
      started.push(n.node);
      await Promise.race([
        until(async () => ((await admin.clusterInfo()).brokerAddrTable[b.brokerName]?.brokerAddrs[String(id)] === n.node.addr ? true : undefined), `broker ${b.brokerName}-${id} to register`),
        n.exited,
      ]);
    }
    return { dir, namesrvAddr, namesrv: ns.node, brokers: started, remoting, admin, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
