/**
 * Whether the store takes writes now, and why not: shutting down, a commit-log write that failed
 * for good, a write waiting for disk space (clears by itself), or a disk above
 * diskSpaceWarningLevelRatio (set by the retention check). Puts and replicated appends ask it
 * first; runtime info reports it. It logs each change once — when refusing starts (and why) and
 * when writes are taken again — so the log never says "accepting" while puts are refused.
 */
import type { Logger } from '../../util/log.js';
import { humanBytes } from '../../util/human-bytes.js';
import type { CommitLog } from './commit-log.js';
import type { PutMessageResult } from './types.js';

/**
 * Why the store refuses writes (machine-readable; runtime info `writeRefusal`):
 * - `shutting-down`: the store is closing;
 * - `write-failed`: a commit-log write or fsync failed for good — restart the broker;
 * - `disk-full`: a commit-log write found no space (ENOSPC/EDQUOT) — retried, clears once space is freed;
 * - `disk-ratio`: disk use above diskSpaceWarningLevelRatio — clears once it is below again;
 * - `fenced`: the broker's owner stopped its writes — a planned switchover in progress, or a master
 *   whose failover lease could not be renewed in time (docs/design/ha.md#failover).
 */
export type StoreRefusalCode = 'shutting-down' | 'write-failed' | 'disk-full' | 'disk-ratio' | 'fenced';

/** Why puts are fenced off (WriteGate.fence). */
export interface Fence {
  reason: string;
  since: number;
  /**
   * Puts already appended are not acknowledged either once fenced (a master that lost its lease:
   * another may be acknowledging by now). false for a planned switchover: they complete.
   */
  withholdAnswers: boolean;
}

export interface StoreWriteState {
  code: StoreRefusalCode;
  /** One sentence with the numbers and what to do. */
  reason: string;
  /** ms since epoch when the store began refusing (this episode). */
  since: number;
}

/** The last disk measurement (retention check): use in percent, and bytes when statfs gave them. */
export interface DiskMeasurement {
  usedPercent: number;
  totalBytes?: number;
  freeBytes?: number;
  at: number;
}

export class WriteGate {
  shuttingDown = false;
  diskFull = false;
  /** Last disk use measured by the retention check, percent. */
  lastDiskUsedRatio = 0;
  lastDisk: DiskMeasurement | undefined;
  /** The refusal logged last (undefined: writes were being taken). */
  private logged: { code: StoreRefusalCode; since: number } | undefined;
  private fenced: Fence | undefined;
  /**
   * Puts are taken only before this time (ms since epoch): a master's failover lease, moved on by
   * each renewal. Checked on every put and every answer, so a late timer cannot stretch it.
   */
  private leaseUntil = Infinity;
  private leaseWhat = '';

  constructor(
    private readonly commitLog: CommitLog,
    private readonly diskSpaceWarningLevelRatio: number,
    /** The directory whose file system is measured (the commit log's). */
    readonly dir: string,
    private readonly logger: Logger,
  ) {}

  private describeDisk(): string {
    const d = this.lastDisk;
    if (d?.totalBytes === undefined || d.freeBytes === undefined) return `on ${this.dir}`;
    return `on ${this.dir} (free ${humanBytes(d.freeBytes)} of ${humanBytes(d.totalBytes)})`;
  }

  /** Stops puts (replicated appends too) until unfence(); see Fence. */
  fence(reason: string, opts: { withholdAnswers: boolean }): void {
    this.fenced = { reason, since: Date.now(), withholdAnswers: opts.withholdAnswers };
    this.check();
  }

  unfence(): void {
    this.fenced = undefined;
    this.check();
  }

  /** Puts stop at `until` unless moved on again (Infinity: no lease). `what` describes the lease for the refusal. */
  setLease(until: number, what: string): void {
    this.leaseUntil = until;
    this.leaseWhat = what;
  }

  /** The fence now, explicit or because the lease ran out. */
  currentFence(now = Date.now()): Fence | undefined {
    if (this.fenced !== undefined) return this.fenced;
    if (now < this.leaseUntil) return undefined;
    if (this.leaseUntil <= 0) return { reason: this.leaseWhat, since: now, withholdAnswers: true };
    return { reason: `${this.leaseWhat}: not renewed in time (its writes stopped at ${new Date(this.leaseUntil).toISOString()}, before the lease can expire)`, since: this.leaseUntil, withholdAnswers: true };
  }

  /** A put appended before a fence that withholds answers is not acknowledged: the fence's reason. */
  withheldAnswer(): string | undefined {
    const f = this.currentFence();
    return f?.withholdAnswers ? f.reason : undefined;
  }

  /** Why puts are refused now, if they are (the store's own state, or a fence). */
  state(): StoreWriteState | undefined {
    if (this.shuttingDown) return this.appendState();
    const fence = this.currentFence();
    if (fence !== undefined) return { code: 'fenced', reason: fence.reason, since: fence.since };
    return this.appendState();
  }

  /** Why the store cannot append now (disk, failure, shutdown) — a fence stops puts, not a slave's replicated appends. */
  appendState(): StoreWriteState | undefined {
    const since = this.logged?.since ?? Date.now();
    if (this.shuttingDown) return { code: 'shutting-down', reason: 'the store is shutting down', since };
    const failed = this.commitLog.writeError;
    if (failed !== undefined) {
      return { code: 'write-failed', since, reason: `a commit-log write failed (${failed.message}); restart the broker: recovery verifies the log and cuts what was not written` };
    }
    const stall = this.commitLog.writeStall;
    if (stall !== undefined) {
      return {
        code: 'disk-full',
        since,
        reason: `no space left ${this.describeDisk()}: a commit-log write failed with ${stall.error.code} at offset ${stall.at}; free space — the ${this.commitLog.unwrittenBytes} bytes held in memory are then written and writes are taken again (retried every second, no restart needed)`,
      };
    }
    if (this.diskFull) {
      return {
        code: 'disk-ratio',
        since,
        reason: `disk ${this.lastDiskUsedRatio.toFixed(1)}% used > diskSpaceWarningLevelRatio ${this.diskSpaceWarningLevelRatio}% ${this.describeDisk()}: free space there (old segments go by retention: fileReservedTime, diskMaxUsedSpaceRatio) or raise diskSpaceWarningLevelRatio`,
      };
    }
    return undefined;
  }

  /** Why a put would be refused now, if it would. */
  refusal(): PutMessageResult | undefined {
    const s = this.state();
    return s === undefined ? undefined : { status: 'SERVICE_NOT_AVAILABLE', remark: s.reason };
  }

  /** Logs a change: refusing (and why, again when the reason changes), or taking writes again. Call after anything `state()` reads changed. */
  check(): void {
    const s = this.state();
    const was = this.logged;
    if (s === undefined) {
      if (was === undefined) return;
      this.logged = undefined;
      this.logger.info('store takes writes again', { refusedFor: was.code, refusedMs: Date.now() - was.since });
      return;
    }
    if (was?.code === s.code) return;
    this.logged = { code: s.code, since: was?.since ?? s.since };
    if (s.code === 'shutting-down') return;
    // a fence is the broker's own decision (switchover, failover lease), not a fault
    if (s.code === 'fenced') this.logger.info('store refuses puts', { why: s.code, reason: s.reason });
    else this.logger.error('store refuses writes', { why: s.code, reason: s.reason });
  }
}
