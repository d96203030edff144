/**
 * A real etcd cluster for tests (Debian's etcd-server: /usr/bin/etcd), members on 127.0.0.1 with
 * free ports and their own temp data directories, ready once every member answers its health
 * endpoint. Members can be killed and started again. Without an etcd binary the tests that need
 * one are skipped outside CI and fail in CI (`.ci/run` installs etcd-server).
 *
 *   const etcd = await startEtcd(3);
 *   etcd.endpoints            // ['http://127.0.0.1:p1', …]
 *   await etcd.members[0].kill();  await etcd.members[0].start();
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

export function etcdBinary(): string | undefined {
  const r = spawnSync('etcd', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? 'etcd' : undefined;
}

/** Why etcd tests cannot run here (undefined: they can); in CI a missing etcd is an error, not a skip. */
export function etcdSkipReason(): string | undefined {
  if (etcdBinary() !== undefined) return undefined;
  const why = 'no etcd binary on PATH (apt-get install etcd-server)';
  if (process.env.CI === 'true') throw new Error(why);
  return why;
}

export class EtcdMember {
  proc: ChildProcess | undefined;
  readonly lines: string[] = [];
  constructor(
    readonly name: string,
    readonly clientPort: number,
    readonly peerPort: number,
    readonly dataDir: string,
    private readonly initialCluster: string,
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.clientPort}`;
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async start(): Promise<void> {
    const args = [
      '--name', this.name,
      '--data-dir', this.dataDir,
      '--listen-client-urls', this.endpoint,
      '--advertise-client-urls', this.endpoint,
      '--listen-peer-urls', `http://127.0.0.1:${this.peerPort}`,
      '--initial-advertise-peer-urls', `http://127.0.0.1:${this.peerPort}`,
      '--initial-cluster', this.initialCluster,
      '--initial-cluster-state', 'new',
      '--initial-cluster-token', 'rmq-test',
      '--log-level', 'warn',
      '--logger', 'zap',
    ];
    const proc = spawn('etcd', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    const onData = (b: Buffer) => this.lines.push(...b.toString('utf8').split('\n').filter((l) => l !== ''));
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    live.add(this);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.running) return;
    const exited = new Promise((r) => this.proc?.once('exit', r));
    this.proc?.kill(signal);
    await exited;
  }
}

const live = new Set<EtcdMember>();
process.once('exit', () => {
  for (const m of live) if (m.running) m.proc?.kill('SIGKILL');
});

export class TestEtcd {
  constructor(
    readonly members: EtcdMember[],
    readonly root: string,
  ) {}

  get endpoints(): string[] {
    return this.members.map((m) => m.endpoint);
  }

  /** Until every running member reports healthy (a cluster with quorum). */
  async ready(timeout = 30_000): Promise<void> {
    await waitFor(
      async () => {
        for (const m of this.members.filter((x) => x.running)) {
          const res = await fetch(`${m.endpoint}/health`).catch(() => undefined);
          if (res === undefined || !res.ok) return undefined;
          const body = (await res.json()) as { health?: string };
          if (body.health !== 'true') return undefined;
        }
        return true;
      },
      { timeout, interval: 100, what: 'etcd healthy' },
    );
  }

  async stop(): Promise<void> {
    for (const m of this.members) await m.kill();
    rmSync(this.root, { recursive: true, force: true });
  }
}

export async function startEtcd(n = 3): Promise<TestEtcd> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'rmq-etcd-'));
  const ports = await Promise.all(Array.from({ length: n }, async () => ({ client: await freePort(), peer: await freePort() })));
  const initial = ports.map((p, i) => `e${i}=http://127.0.0.1:${p.peer}`).join(',');
  const members = ports.map((p, i) => new EtcdMember(`e${i}`, p.client, p.peer, path.join(root, `e${i}`), initial));
  const etcd = new TestEtcd(members, root);
  for (const m of members) await m.start();
  await etcd.ready();
  return etcd;
}
