/**
 * The store's file maintenance: writing consume queues and the index and then the checkpoint
 * (flushLogics), retention of old commit-log segments by age and disk use (which also sets the
 * write gate's disk-full state), and deleting a topic's queues. One job at a time: flushing must
 * not overlap with retention or a deletion removing the files it writes.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { writeCheckpoint, type Checkpoint } from './checkpoint.js';
import type { CommitLog } from './commit-log.js';
import type { StoreConfig } from './store-config.js';
import type { Dispatcher } from './dispatch.js';
import type { WriteGate } from './write-gate.js';

/** Consume queues written to disk at the same time by flushLogics. */
const FLUSH_QUEUES_AT_ONCE = 8;

export interface MaintenanceOptions {
  /** Disk use of the store's file system in percent; default statfs. */
  diskUsedRatio?: (dir: string) => Promise<number>;
  /** Clock for retention decisions (ms). */
  now?: () => number;
}

/** Use of `dir`'s file system as `df` shows it (blocks free to unprivileged users count as free). */
async function statfsDisk(dir: string): Promise<{ usedPercent: number; totalBytes: number; freeBytes: number }> {
  const s = await fsp.statfs(dir);
  const usedPercent = s.blocks === 0 ? 0 : ((s.blocks - s.bavail) / s.blocks) * 100;
  return { usedPercent, totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
}

export class StoreMaintenance {
  private maintenance: Promise<void> = Promise.resolve();
  private logicsFlushing: Promise<void> | undefined;
  private retentionRunning = false;
  private lastCheckpoint: Checkpoint | undefined;
  /** When the key index was last written (0: never — the first flushLogics writes it) and the commit-log offset it covered. */
  private indexFlushedAt = 0;
  private indexDurable = 0;
  private flushingIndex = false;

  constructor(
    private readonly config: StoreConfig,
    private readonly commitLog: CommitLog,
    private readonly dispatcher: Dispatcher,
    private readonly gate: WriteGate,
    private readonly opts: MaintenanceOptions,
  ) {}

  /** Resolves when a flushLogics in progress (if any) is done. */
  async idle(): Promise<void> {
    await this.logicsFlushing;
  }

  /**
   * Runs file maintenance one at a time: flushing consume queues and the index must not overlap
   * with retention or topic deletion removing their files.
   */
  private exclusive<T>(job: () => Promise<T>): Promise<T> {
    const run = this.maintenance.then(job, job);
    this.maintenance = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  /**
   * Writes consume queues and the key index, then the checkpoint. Serialised. `index: 'when-due'`
   * (the periodic flush) writes the index only every flushIntervalIndex: with unique keys nearly
   * every page of its ~20 MB slot table changes each second, so writing it with the consume queues
   * rewrote 20 MB a second under load; the checkpoint's indexDurable tells recovery where to
   * re-index from, so a longer period costs only a longer re-index after a crash.
   */
  async flushLogics(index: 'always' | 'when-due' = 'always'): Promise<void> {
    if (this.logicsFlushing) {
      // one flush at a time; a caller that needs the index written waits for one that does it
      if (index === 'when-due' || this.flushingIndex) return this.logicsFlushing;
      return this.logicsFlushing.then(() => this.flushLogics(index));
    }
    const now = Date.now();
    const withIndex = index === 'always' || now - this.indexFlushedAt >= this.config.flushIntervalIndex;
    this.flushingIndex = withIndex;
    this.logicsFlushing = this.exclusive(async () => {
      const dispatched = this.commitLog.maxOffset;
      const flushed = this.commitLog.flushedOffset;
      const dirty = [...this.dispatcher.dirtyQueues];
      this.dispatcher.dirtyQueues.clear();
      // Each dirty queue costs a write and an fdatasync (a new one also a mkdir and a directory
      // fsync), ~2 ms: one after another, a broker with 40,000 queues written since the last flush
      // took over a minute to flush and so to stop (docs/guide/benchmarks.md#scale). A few at once
      // keep the file system's thread pool busy and let the journal commit them together.
      let next = 0;
      let failure: { error: unknown } | undefined;
      const worker = async () => {
        while (failure === undefined && next < dirty.length) {
          const q = dirty[next++]!;
          try {
            await q.flush();
          } catch (e) {
            // not written (e.g. no space): it and every queue not yet flushed stay dirty for the next flush
            failure ??= { error: e };
            this.dispatcher.dirtyQueues.add(q);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(FLUSH_QUEUES_AT_ONCE, dirty.length) }, worker));
      if (failure !== undefined) {
        for (const q of dirty.slice(next)) this.dispatcher.dirtyQueues.add(q);
        throw failure.error;
      }
      if (this.dispatcher.index === undefined) this.indexDurable = dispatched;
      else if (withIndex) {
        await this.dispatcher.index.flush();
        this.indexFlushedAt = now;
        this.indexDurable = dispatched;
      }
      const c = { commitLogFlushed: flushed, logicsDurable: dispatched, indexDurable: this.indexDurable, writtenAt: Date.now() };
      const prev = this.lastCheckpoint;
      if (!prev || prev.commitLogFlushed !== c.commitLogFlushed || prev.logicsDurable !== c.logicsDurable || prev.indexDurable !== c.indexDurable) {
        await writeCheckpoint(path.join(this.config.storePathRootDir, 'checkpoint'), c);
        this.lastCheckpoint = c;
      }
    }).finally(() => {
      this.logicsFlushing = undefined;
    });
    return this.logicsFlushing;
  }

  /**
   * Measures the commit log's file system and sets the gate's disk-full state (use above
   * diskSpaceWarningLevelRatio); `ratio` replaces the measured percentage (tests). Returns the use in percent.
   */
  async measureDisk(ratio?: number): Promise<number> {
    const dir = this.gate.dir;
    const measured = await statfsDisk(dir).catch(() => undefined);
    const used = ratio ?? (this.opts.diskUsedRatio !== undefined ? await this.opts.diskUsedRatio(dir) : measured?.usedPercent ?? this.gate.lastDiskUsedRatio);
    this.gate.lastDiskUsedRatio = used;
    // bytes only when they are the measurement the percentage came from (a test hook may replace it)
    const fromStatfs = measured !== undefined && used === measured.usedPercent;
    this.gate.lastDisk = { usedPercent: used, at: Date.now(), ...(fromStatfs ? { totalBytes: measured.totalBytes, freeBytes: measured.freeBytes } : {}) };
    this.gate.diskFull = used > this.config.diskSpaceWarningLevelRatio;
    this.gate.check();
    return used;
  }

  /**
   * Deletes expired commit-log segments (older than fileReservedTime hours) at a deleteWhen hour, or
   * at any hour while disk use is above diskMaxUsedSpaceRatio; above diskSpaceCleanForciblyRatio
   * the oldest segments go even if not expired. Never the segment being written. Consume queues
   * and the index follow. Returns the number of segments deleted.
   */
  async runRetention(at?: { now?: number; diskUsedRatio?: number }): Promise<number> {
    if (this.retentionRunning || this.gate.shuttingDown) return 0;
    this.retentionRunning = true;
    try {
      const now = at?.now ?? this.opts.now?.() ?? Date.now();
      const ratio = await this.measureDisk(at?.diskUsedRatio);
      const hours = this.config.deleteWhen.split(';').map(Number);
      const deleteTime = hours.includes(new Date(now).getHours());
      const spaceFull = ratio > this.config.diskMaxUsedSpaceRatio;
      const forcibly = ratio > this.config.diskSpaceCleanForciblyRatio;
      if (!deleteTime && !spaceFull) return 0;
      const reserveMs = this.config.fileReservedTime * 3_600_000;
      let deleted = 0;
      for (const seg of await this.commitLog.segmentInfo()) {
        if (deleted >= this.config.deleteFileBatchMax || seg.current) break;
        const expired = now - seg.mtimeMs >= reserveMs;
        if (!expired && !forcibly) break;
        if (!(await this.commitLog.deleteOldestSegment())) break;
        deleted++;
      }
      if (deleted > 0) {
        const min = this.commitLog.minOffset;
        await this.exclusive(async () => {
          for (const q of this.dispatcher.allQueues()) await q.deleteBelowPhysical(min);
          await this.dispatcher.index?.deleteBelowPhysical(min);
        });
      }
      return deleted;
    } finally {
      this.retentionRunning = false;
    }
  }

  /** Deletes a topic's consume queues (DELETE_TOPIC_IN_BROKER); its records age out with their segments. */
  async deleteTopic(topic: string): Promise<void> {
    const qs = this.dispatcher.queues.get(topic);
    if (!qs) return;
    this.dispatcher.queues.delete(topic);
    await this.exclusive(async () => {
      for (const q of qs.values()) {
        this.dispatcher.dirtyQueues.delete(q);
        await q.destroy();
      }
      await fsp.rm(path.join(this.dispatcher.cqRoot, topic), { recursive: true, force: true });
    });
  }
}
