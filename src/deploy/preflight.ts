/**
 * Pre-flight: before a deploy changes anything, look at every host — reachable and authenticated,
 * OS and architecture, the supervisor it needs, a usable Node, free disk where the stores go,
 * the cluster's ports free (or held by the cluster's own unit for that node), clock skew against
 * this machine — and report every problem of every host together.
 */
import path from 'node:path';
import { RmqError } from '../errors.js';
import type { ClusterModel, ClusterNode, HostModel } from '../topology/index.js';
import { describeNodes, inspectNode, UNAME_ARCH } from './bundle.js';
import type { Target } from './targets/target.js';
import { mapSettled } from '../util/concurrency.js';

export type PreflightCheck = 'connect' | 'os' | 'supervisor' | 'node' | 'disk' | 'port' | 'clock';

export interface PreflightProblem {
  host: string;
  check: PreflightCheck;
  message: string;
}

export interface HostFacts {
  host: string;
  os?: string;
  arch?: string;
  node?: string;
  /** Free bytes on the file system of each store root / release directory. */
  freeBytes?: Record<string, number>;
  /** Host clock minus this machine's, ms (± half the round trip). */
  clockSkewMs?: number;
}

export interface PreflightReport {
  problems: PreflightProblem[];
  facts: HostFacts[];
}

export interface PreflightOptions {
  /** Free bytes required on each store root's file system (default 2 GiB). */
  minFreeBytes?: number;
  /** Largest tolerated clock difference (default 2000 ms). */
  maxClockSkewMs?: number;
  /** A host without Node >= 20 is fine if we will push ours (same OS/arch). */
  pushNode?: boolean;
  /** Hosts checked at once. */
  parallel?: number;
}

export const DEFAULT_MIN_FREE_BYTES = 2 * 1024 ** 3;
export const DEFAULT_MAX_CLOCK_SKEW_MS = 2_000;

/** Every problem at once; nothing was changed. */
export class PreflightError extends RmqError {
  override readonly name: string = 'PreflightError';
  constructor(readonly report: PreflightReport) {
    const n = report.problems.length;
    super(`pre-flight found ${n} problem${n === 1 ? '' : 's'}; nothing was changed:\n${report.problems.map((p) => `  ${p.host}: ${p.check}: ${p.message}`).join('\n')}`);
  }
}

export function assertPreflight(report: PreflightReport): void {
  if (report.problems.length) throw new PreflightError(report);
}

const mib = (b: number) => `${Math.floor(b / 1024 ** 2)} MiB`;

export interface Listener {
  port: number;
  pids: number[];
  process?: string;
}

/** `ss -Htlnp` lines → listening TCP ports with their owners (pids only visible to root/owner). */
export function parseSsListeners(text: string): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4) continue;
    const local = f[3] ?? '';
    const port = Number(local.slice(local.lastIndexOf(':') + 1));
    if (!Number.isInteger(port) || port <= 0) continue;
    const users = line.slice(line.indexOf('users:') >= 0 ? line.indexOf('users:') : line.length);
    const pids = [...users.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
    const proc = /\(\("([^"]*)"/.exec(users)?.[1];
    out.push({ port, pids, ...(proc ? { process: proc } : {}) });
  }
  return out;
}

/** Whether pid belongs to the node's own unit/process (so its port being taken is expected). */
async function heldByOwnNode(t: Target, host: HostModel, node: ClusterNode, pids: number[]): Promise<boolean> {
  for (const pid of pids) {
    if (host.supervisor === 'systemd') {
      const cg = (await t.readFile(`/proc/${pid}/cgroup`))?.toString() ?? '';
      if (cg.split('\n').some((l) => l.endsWith(`/${node.unitName}`))) return true;
    } else {
      const pidFile = (await t.readFile(node.pidPath))?.toString().trim();
      if (pidFile === String(pid)) return true;
    }
  }
  return false;
}

/** What holds a port, in words: an rmqd node (its cluster and node id, from its config path or unit) or the process name, with the pid. */
async function describeHolder(t: Target, l: Listener): Promise<string> {
  if (!l.pids.length) return 'another process (run as root to see which)';
  const out: string[] = [];
  for (const pid of l.pids) {
    const argv = ((await t.readFile(`/proc/${pid}/cmdline`))?.toString('utf8') ?? '').split('\0');
    const config = argv.find((a) => /\/etc\/rmqctl\/[^/]+\/[^/]+\.properties$/.test(a));
    const unit = /\/rmq-(.+)\.service$/m.exec((await t.readFile(`/proc/${pid}/cgroup`))?.toString('utf8') ?? '')?.[1];
    if (config) out.push(`rmqd ${path.posix.basename(config, '.properties')} of cluster ${path.posix.basename(path.posix.dirname(config))} (pid ${pid})`);
    else if (unit) out.push(`unit rmq-${unit}.service (pid ${pid})`);
    else out.push(`${l.process ?? 'process'} pid ${pid}`);
  }
  return out.join(', ');
}

/**
 * The host's ports the model's nodes need that another process holds (not the node's own unit or
 * process), naming the holder — another rmqd cluster by name when it is one. Read-only (`ss`).
 */
export async function portProblems(model: ClusterModel, host: HostModel, t: Target): Promise<string[]> {
  const out: string[] = [];
  const ss = await t.exec(['ss', '-Htlnp']);
  if (ss.code !== 0) return [`cannot list listening ports (ss: ${(ss.stderr || `exit ${ss.code}`).trim()}); install iproute2`];
  const listeners = parseSsListeners(ss.stdout);
  for (const n of model.nodes.filter((x) => x.host === host.name)) {
    for (const p of n.ports) {
      const taken = listeners.filter((l) => l.port === p.port);
      if (!taken.length) continue;
      if (await heldByOwnNode(t, host, n, taken.flatMap((l) => l.pids))) continue;
      const who = [...new Set(await Promise.all(taken.map((l) => describeHolder(t, l))))].join(', ');
      out.push(`port ${p.port} (${n.id} ${p.purpose}) is in use by ${who}`);
    }
  }
  return out;
}

async function checkHost(model: ClusterModel, host: HostModel, open: (h: HostModel) => Promise<Target>, opts: PreflightOptions): Promise<{ problems: PreflightProblem[]; facts: HostFacts }> {
  const problems: PreflightProblem[] = [];
  const facts: HostFacts = { host: host.name };
  const problem = (check: PreflightCheck, message: string) => problems.push({ host: host.name, check, message });
  let t: Target;
  try {
    t = await open(host);
  } catch (e) {
    // the error names user@address:port and the cause (refused, auth, host key…)
    problem('connect', (e as Error).message);
    return { problems, facts };
  }

  // clock first: the fewer round trips before it, the tighter the bound
  const t0 = Date.now();
  const remoteNs = (await t.exec(['date', '+%s%N'])).stdout.trim();
  const t1 = Date.now();
  if (/^\d+$/.test(remoteNs)) {
    const skew = Math.round(Number(BigInt(remoteNs) / 1_000_000n) - (t0 + t1) / 2);
    facts.clockSkewMs = skew;
    const max = opts.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
    if (Math.abs(skew) - (t1 - t0) / 2 > max) problem('clock', `clock is ${skew > 0 ? 'ahead' : 'behind'} by ${Math.abs(skew)} ms (limit ${max} ms); run NTP (chrony, systemd-timesyncd) on it`);
  }

  const [osName, machine] = (await t.run(['uname', '-sm'])).trim().split(/\s+/);
  facts.os = osName;
  facts.arch = machine;
  if (osName !== 'Linux') problem('os', `${osName} is not supported (Linux required)`);

  if (host.supervisor === 'systemd') {
    const r = await t.exec(['systemctl', 'is-system-running']);
    const state = r.stdout.trim();
    if (r.code === 127 || state === 'offline' || state === '' || /not been booted with systemd|Failed to connect/.test(r.stderr)) {
      problem('supervisor', `supervisor is systemd but systemd is not running here (${(r.stderr || state || `exit ${r.code}`).trim()}); set supervisor: process for this host`);
    }
  }

  const node = await inspectNode(t, host.layout);
  facts.node = node.good?.version ?? node.found[0]?.version;
  if (!node.good && t.kind !== 'local') {
    const arch = UNAME_ARCH[machine ?? ''] ?? machine;
    if (!opts.pushNode) problem('node', `Node.js >= 20 is required; ${describeNodes(node)}. Install it, or use --push-node`);
    else if (osName !== 'Linux' || arch !== process.arch) problem('node', `Node.js >= 20 is required; ${describeNodes(node)}, and this machine's node (linux-${process.arch}) cannot run on ${osName} ${machine}`);
  }

  const nodes = model.nodes.filter((n) => n.host === host.name);
  const minFree = opts.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES;
  facts.freeBytes = {};
  for (const dir of [...new Set(nodes.map((n) => path.posix.dirname(n.storeDir)))]) {
    const free = await t.freeBytes(dir);
    facts.freeBytes[dir] = free;
    if (free < minFree) problem('disk', `${mib(free)} free for ${dir}, need at least ${mib(minFree)}`);
  }

  for (const m of await portProblems(model, host, t)) problem('port', m);
  return { problems, facts };
}

/** Checks every host of the model (read-only) and returns all problems and what it learned. */
export async function preflight(model: ClusterModel, open: (h: HostModel) => Promise<Target>, opts: PreflightOptions = {}): Promise<PreflightReport> {
  const results = await mapSettled(model.hosts.filter((h) => h.nodeIds.length > 0), opts.parallel ?? 8, (h) => checkHost(model, h, open, opts));
  const report: PreflightReport = { problems: [], facts: [] };
  for (const r of results) {
    if (r.ok && r.value) {
      report.problems.push(...r.value.problems);
      report.facts.push(r.value.facts);
    } else {
      report.problems.push({ host: r.item.name, check: 'connect', message: (r.error as Error).message });
    }
  }
  return report;
}
