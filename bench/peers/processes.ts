/**
 * Servers the bench starts (nats-server, redis-server, RabbitMQ with its epmd, rmqd) and the
 * guarantee that it also stops them: every child is registered here; `stopAll()` ends them
 * gracefully (SIGTERM, SIGKILL after a grace period) and a process 'exit' hook SIGKILLs whatever is
 * left, so an error, Ctrl-C or SIGTERM of the bench leaves no server behind. Peers run in their own
 * process group (`detached`), so the helpers they fork (beam.smp's children) go with them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';

interface Tracked {
  proc: ChildProcess;
  /** Signal the whole process group (the child leads it). */
  group: boolean;
}

const live = new Set<Tracked>();

function signal(t: Tracked, sig: NodeJS.Signals): void {
  const pid = t.proc.pid;
  if (pid === undefined) return;
  try {
    if (t.group) process.kill(-pid, sig);
    else process.kill(pid, sig);
  } catch {
    // already gone
  }
}

process.on('exit', () => {
  for (const t of live) signal(t, 'SIGKILL');
});

/** Registers a child started elsewhere (rmqd nodes), so the exit hook and stopAll cover it. */
export function track(proc: ChildProcess, group = false): void {
  const t: Tracked = { proc, group };
  live.add(t);
  proc.once('exit', () => {
    // the group may outlive its leader (forked helpers): keep it until stop() has killed it
    if (!t.group) live.delete(t);
  });
}

function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const rest = readFileSync(`/proc/${e}/stat`, 'utf8').split(') ')[1]!.split(' ');
      if (Number(rest[2]) === pgid) out.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** utime, stime, cutime and cstime of /proc/PID/stat in seconds; zeros once the process is gone. */
function cpuTimes(pid: number): { user: number; system: number; childUser: number; childSystem: number } {
  try {
    // fields after the command name (which may hold spaces) start at state: utime is the 12th
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return { user: Number(f[11]) / 100, system: Number(f[12]) / 100, childUser: Number(f[13]) / 100, childSystem: Number(f[14]) / 100 };
  } catch {
    return { user: 0, system: 0, childUser: 0, childSystem: 0 };
  }
}

/** CPU seconds: all of it, and the kernel-mode part. */
export interface CpuSeconds {
  total: number;
  /**
   * stime (+ cstime). On a VM whose balloon hands free memory back to the host, first writes into
   * such pages show up here (benchmarks.md, Soak): a cell with a high share paid the VM, not its code.
   */
  system: number;
}

/**
 * CPU seconds of a process and of its reaped children (utime + stime + cutime + cstime), zeros once
 * it is gone. The children's share matters: redis-server forks to rewrite its AOF, and without it
 * the sum over a process group drops when such a child exits.
 */
export function processCpu(pid: number): CpuSeconds {
  const t = cpuTimes(pid);
  return { total: t.user + t.system + t.childUser + t.childSystem, system: t.system + t.childSystem };
}

/** processCpu(pid).total. */
export function processCpuSeconds(pid: number): number {
  return processCpu(pid).total;
}

export const addCpu = (a: CpuSeconds, b: CpuSeconds): CpuSeconds => ({ total: a.total + b.total, system: a.system + b.system });

/** The sum over several processes (a server's process group, an rmqd cluster). */
export function sumCpu(pids: Iterable<number>): CpuSeconds {
  let sum: CpuSeconds = { total: 0, system: 0 };
  for (const pid of pids) sum = addCpu(sum, processCpu(pid));
  return sum;
}

async function waitGone(check: () => boolean, timeoutMillis: number): Promise<boolean> {
  const end = Date.now() + timeoutMillis;
  while (!check()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** A server process of a peer, leading its own process group. */
export class ServerProcess {
  private out = '';
  readonly proc: ChildProcess;
  readonly exited: Promise<never>;
  private readonly tracked: Tracked;

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
  ) {
    this.proc = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: opts.cwd });
    const keep = (d: Buffer) => {
      this.out += d.toString();
      if (this.out.length > 65_536) this.out = this.out.slice(-65_536);
    };
    this.proc.stdout?.on('data', keep);
    this.proc.stderr?.on('data', keep);
    this.tracked = { proc: this.proc, group: true };
    live.add(this.tracked);
    this.exited = new Promise<never>((_, reject) => {
      this.proc.once('error', (e) => reject(new Error(`${name} could not start: ${e.message}`)));
      this.proc.once('exit', (code, sig) => reject(new Error(`${name} exited (${sig ?? code}): ${this.out.trim().split('\n').slice(-8).join('\n')}`)));
    });
    this.exited.catch(() => {});
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** What it printed (last 64 KiB). */
  output(): string {
    return this.out;
  }

  /** CPU seconds used so far by every live process of its group. */
  cpu(): CpuSeconds {
    const pid = this.proc.pid;
    return pid === undefined ? { total: 0, system: 0 } : sumCpu(groupMembers(pid));
  }

  /** SIGTERM to the group, SIGKILL after `graceMillis`; resolves once no process of the group is left. */
  async stop(graceMillis = 15_000): Promise<void> {
    const pid = this.proc.pid;
    if (pid !== undefined) {
      signal(this.tracked, 'SIGTERM');
      const clean = await waitGone(() => groupMembers(pid).length === 0, graceMillis);
      if (!clean) {
        signal(this.tracked, 'SIGKILL');
        await waitGone(() => groupMembers(pid).length === 0, 5_000);
      }
    }
    live.delete(this.tracked);
  }
}

/** SIGTERM to everything still running, SIGKILL after the grace period. */
export async function stopAll(graceMillis = 10_000): Promise<void> {
  const all = [...live];
  for (const t of all) signal(t, 'SIGTERM');
  await waitGone(() => all.every((t) => t.proc.exitCode !== null || t.proc.signalCode !== null), graceMillis);
  for (const t of all) signal(t, 'SIGKILL');
  live.clear();
}

/** Pids of every registered server process still running (for the tests' leak check). */
export function livePids(): number[] {
  return [...live].flatMap((t) => (t.proc.pid === undefined ? [] : t.group ? groupMembers(t.proc.pid) : [t.proc.pid]));
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/**
 * `n` consecutive free loopback ports, drawn at random from 38000–45999 (apart from the rmqd block
 * range and the ephemeral range), so parallel test suites and benches do not collide.
 */
export async function freePorts(n: number): Promise<number[]> {
  for (;;) {
    const base = 38_000 + Math.floor(Math.random() * (8_000 - n));
    const ports = Array.from({ length: n }, (_, i) => base + i);
    if ((await Promise.all(ports.map(canBind))).every(Boolean)) return ports;
  }
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
export async function waitForPort(port: number, what: string, timeoutMillis: number, failed?: Promise<never>): Promise<void> {
  const probe = () =>
    new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
  const end = Date.now() + timeoutMillis;
  const loop = (async () => {
    while (!(await probe())) {
      if (Date.now() > end) throw new Error(`${what} did not listen on 127.0.0.1:${port} within ${timeoutMillis} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  await (failed ? Promise.race([loop, failed]) : loop);
}
