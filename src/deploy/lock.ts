/**
 * One lock per cluster for everything that changes it (deploy, start/stop/restart, rollback,
 * destroy), held on every host of the cluster for the whole run — like terraform's state lock:
 * a second run refuses at once and names the holder (user@machine, pid, command, since when).
 *
 * The lock is a file: written under a temp name, then hard-linked to the lock name (`ln`, which
 * fails if the name exists — atomic on every POSIX file system, over SSH as locally). Hosts are
 * locked in name order, so two runs racing for several hosts meet on the first; a run that loses
 * gives back what it took. Where: the local host's state directory (`<state>/deploy.lock`), and on
 * SSH hosts `/run/lock/rmqctl-<cluster>.lock` (tmpfs: a reboot clears it).
 *
 * A run that crashed leaves its lock. One taken on this machine by a process that is gone is stale
 * and taken over (said so). Any other is broken only on purpose: `--force-unlock` (the operator
 * checked that the holder is not running), which says whose lock it removed.
 */
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { RmqError } from '../errors.js';
import type { ClusterModel, HostModel } from '../topology/index.js';
import type { ClusterTargets } from './targets/open.js';
import type { Target } from './targets/target.js';

export interface LockInfo {
  /** Random: which run holds it (a release removes only its own). */
  id: string;
  cluster: string;
  /** `user@machine` of the run. */
  owner: string;
  /** The machine's hostname (stale detection compares it with ours). */
  machine: string;
  pid: number;
  /** What runs, e.g. `rmqctl deploy prod.yaml`. */
  command: string;
  /** ISO-8601. */
  startedAt: string;
}

/** Another run holds the cluster's lock. */
export class ClusterLockedError extends RmqError {
  override readonly name: string = 'ClusterLockedError';
  constructor(
    readonly holder: LockInfo | undefined,
    readonly host: string,
    readonly lockPath: string,
  ) {
    super(
      holder
        ? `cluster ${holder.cluster} is locked by ${holder.owner} (pid ${holder.pid}, \`${holder.command}\`) since ${holder.startedAt} (${ago(holder.startedAt)}), lock ${lockPath} on host ${host}: ` +
            'another deploy, start/stop/restart, rollback or destroy of this cluster is running; nothing was changed. ' +
            'Wait for it to finish. If it is not running any more (it crashed or its machine went away), run this command again with --force-unlock.'
        : `the cluster is locked (${lockPath} on host ${host}, holder unreadable); nothing was changed. If no other run is going on, run this command again with --force-unlock.`,
    );
  }
}

function ago(iso: string): string {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 120 ? `${s} s ago` : s < 7200 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
}

/** Where a host keeps the cluster's lock. */
export function lockPath(model: ClusterModel, host: HostModel): string {
  return host.transport === 'local' ? path.posix.join(host.layout.root, 'deploy.lock') : `/run/lock/rmqctl-${model.cluster}.lock`;
}

function parseLock(text: string | undefined): LockInfo | undefined {
  if (text === undefined) return undefined;
  try {
    const o = JSON.parse(text) as Partial<LockInfo>;
    if (typeof o.id === 'string' && typeof o.owner === 'string' && typeof o.pid === 'number' && typeof o.startedAt === 'string') return o as LockInfo;
  } catch {
    // unreadable: reported as such
  }
  return undefined;
}

/** A lock taken on this machine by a process that no longer runs rmqctl. */
function staleHere(info: LockInfo): boolean {
  if (info.machine !== os.hostname()) return false;
  try {
    process.kill(info.pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
  // alive: still ours only if it is an rmqctl (a recycled pid is not)
  try {
    return !readFileSync(`/proc/${info.pid}/cmdline`, 'utf8').includes('rmqctl');
  } catch {
    return false;
  }
}

export interface LockOptions {
  /** What runs, for the holder's description (e.g. `rmqctl deploy prod.yaml`). */
  command: string;
  /** Remove a lock someone else holds (the operator checked it is not running). */
  forceUnlock?: boolean;
  /** What the lock did that the operator should know (a stale lock taken over, a lock broken). */
  onNote?: (line: string) => void;
}

export class ClusterLock {
  private constructor(
    readonly info: LockInfo,
    private readonly held: { target: Target; path: string }[],
  ) {}

  /** Locks every host of the cluster with nodes; throws ClusterLockedError naming the holder. */
  static async acquire(model: ClusterModel, targets: ClusterTargets, opts: LockOptions): Promise<ClusterLock> {
    const user = os.userInfo().username;
    const info: LockInfo = {
      id: randomBytes(8).toString('hex'),
      cluster: model.cluster,
      owner: `${user}@${os.hostname()}`,
      machine: os.hostname(),
      pid: process.pid,
      command: opts.command,
      startedAt: new Date().toISOString(),
    };
    const lock = new ClusterLock(info, []);
    const hosts = model.hosts.filter((h) => h.nodeIds.length > 0).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    try {
      for (const host of hosts) {
        // a host that cannot be reached is left to the command's own checks (deploy's pre-flight
        // names every such host at once); the lock on the others still keeps two runs apart
        const t = await targets.get(host.name).catch(() => undefined);
        if (t === undefined) continue;
        const p = lockPath(model, host);
        await lock.take(t, host.name, p, opts);
        lock.held.push({ target: t, path: p });
      }
    } catch (e) {
      await lock.release().catch(() => {});
      throw e;
    }
    return lock;
  }

  private async take(t: Target, hostName: string, p: string, opts: LockOptions): Promise<void> {
    await t.mkdirp(path.posix.dirname(p));
    const tmp = `${p}.${this.info.id}.tmp`;
    await t.writeFileAtomic(tmp, `${JSON.stringify(this.info)}\n`, { mode: 0o644 });
    try {
      for (let attempt = 0; ; attempt++) {
        const r = await t.exec(['ln', '--', tmp, p]);
        if (r.code === 0) return;
        const holder = parseLock((await t.readFile(p))?.toString('utf8'));
        if (holder === undefined && (await t.lstat(p)) === undefined && attempt < 3) continue; // released meanwhile
        if (attempt < 3 && holder !== undefined && staleHere(holder)) {
          opts.onNote?.(`${hostName}: took over the lock of ${holder.owner} (pid ${holder.pid}, \`${holder.command}\`, since ${holder.startedAt}): that process is gone`);
          await t.remove(p);
          continue;
        }
        if (attempt < 3 && opts.forceUnlock) {
          opts.onNote?.(`${hostName}: --force-unlock removed the lock ${p} of ${holder ? `${holder.owner} (pid ${holder.pid}, \`${holder.command}\`, since ${holder.startedAt})` : 'an unknown holder'}`);
          await t.remove(p);
          continue;
        }
        throw new ClusterLockedError(holder, hostName, p);
      }
    } finally {
      await t.remove(tmp).catch(() => {});
    }
  }

  /** Gives the lock back on every host where it is still ours. */
  async release(): Promise<void> {
    for (const { target, path: p } of this.held.splice(0).reverse()) {
      const holder = parseLock((await target.readFile(p).catch(() => undefined))?.toString('utf8'));
      if (holder?.id === this.info.id) await target.remove(p);
    }
  }
}
