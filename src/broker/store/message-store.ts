/**
 * The broker's message store: commit log + consume queues + key index + checkpoint, with crash
 * recovery, flush modes, retention and the raw-bytes API replication uses. This class is the one
 * face the broker sees; each part lives in its own module:
 *   open.ts            recovery when opening (recovery.ts: the commit-log scan)
 *   dispatch.ts        a record's consume-queue and index entries, visibility, listeners
 *   writer.ts          puts (validation, append, flush-mode waits)
 *   reader.ts          pulls and lookups
 *   replica-append.ts  the slave's raw appends
 *   maintenance.ts     flushing queues/index + checkpoint, retention, topic deletion
 *   write-gate.ts      whether writes are taken now, and why not
 * See docs/design/store.md for the on-disk layout and the guarantees.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir } from '../../util/durable-file.js';
import { silentLogger, type Logger } from '../../util/log.js';
import { rateLimitedLogger } from '../../util/log-rate-limit.js';
import type { CommitLog } from './commit-log.js';
import { resolveStoreConfig, type StoreConfig } from './store-config.js';
import type { Dispatcher, TagsCodeOf } from './dispatch.js';
import { StoreLock } from './lock.js';
import { StoreMaintenance } from './maintenance.js';
import { closeRecovered, recoverStore, type Truncation } from './open.js';
import { StoreReader } from './reader.js';
import { ReplicaAppender } from './replica-append.js';
import type { DispatchEvent, GetMessageResult, PutMessage, PutMessageResult } from './types.js';
import { WriteGate, type StoreWriteState, type DiskMeasurement } from './write-gate.js';
import { StoreWriter } from './writer.js';

export interface StoreOptions {
  logger?: Logger;
  /**
   * Consume-queue tags code of a record. Default: Java String.hashCode of its TAGS property. The
   * broker overrides it for delay topics (deliver time). Must depend only on the record, because
   * replicas and recovery recompute it from the stored bytes.
   */
  tagsCode?: TagsCodeOf;
  /** Disk use of the store's file system in percent; default statfs. Tests replace it to simulate a full disk. */
  diskUsedRatio?: (dir: string) => Promise<number>;
  /** Clock for retention decisions (ms). */
  now?: () => number;
  /** Replaces the commit log's fdatasync — only for tests that need a slow or failing disk. */
  fdatasync?: (fd: number) => Promise<void>;
  /** Consume-queue files kept open at most (default CONSUME_QUEUE_OPEN_FILES; tests use a small cap). */
  consumeQueueOpenFiles?: number;
  /** Cut the commit log back to this record boundary while opening (a demoted master's unreplicated tail; see open.ts). */
  truncateTo?: number;
}

export class MessageStore {
  readonly config: StoreConfig;
  private readonly logger: Logger;
  private readonly gate: WriteGate;
  private readonly writer: StoreWriter;
  private readonly reader: StoreReader;
  private readonly replica: ReplicaAppender;
  private readonly maintenance: StoreMaintenance;
  private timers: NodeJS.Timeout[] = [];
  /** What opening with `truncateTo` cut (undefined: nothing). */
  truncated: Truncation | undefined;

  private constructor(
    config: StoreConfig,
    opts: StoreOptions,
    private readonly lock: StoreLock,
    readonly commitLog: CommitLog,
    private readonly dispatcher: Dispatcher,
  ) {
    this.config = config;
    this.logger = opts.logger ?? silentLogger;
    this.gate = new WriteGate(commitLog, config.diskSpaceWarningLevelRatio, config.storePathCommitLog ?? path.join(config.storePathRootDir, 'commitlog'), this.logger);
    this.writer = new StoreWriter(config, commitLog, dispatcher, this.gate);
    this.reader = new StoreReader(commitLog, dispatcher);
    this.replica = new ReplicaAppender(commitLog, dispatcher, this.gate);
    this.maintenance = new StoreMaintenance(config, commitLog, dispatcher, this.gate, opts);
  }

  /**
   * Opens (creating if needed) the store: takes the lock, recovers from the last checkpoint —
   * verifying the commit log, truncating a torn tail, rebuilding consume queues and the index past
   * the checkpoint — and starts flushing and retention. Throws StoreLockedError when another
   * process holds the store and StoreCorruptionError on damage it cannot repair.
   */
  static async open(partial: Partial<StoreConfig> & { storePathRootDir: string }, opts: StoreOptions = {}): Promise<MessageStore> {
    const config = resolveStoreConfig(partial);
    const logger = opts.logger ?? silentLogger;
    await fsp.mkdir(config.storePathRootDir, { recursive: true, mode: 0o750 });
    const lock = await StoreLock.acquire(config.storePathRootDir);
    try {
      const recovered = await recoverStore(config, opts, logger);
      const store = new MessageStore(config, opts, lock, recovered.commitLog, recovered.dispatcher);
      store.truncated = recovered.truncated;
      try {
        await store.maintenance.flushLogics();
        await store.maintenance.measureDisk();
      } catch (e) {
        await closeRecovered(recovered);
        throw e;
      }
      store.start();
      return store;
    } catch (e) {
      await lock.release();
      throw e;
    }
  }

  private start(): void {
    this.commitLog.onWritten = (w) => this.dispatcher.onWritten(w);
    // a stall is reported with a fresh look at the disk
    this.commitLog.onWriteStateChange = () => {
      if (this.commitLog.writeStall === undefined) this.gate.check();
      else void this.maintenance.measureDisk().catch(() => this.gate.check());
    };
    // a full disk fails these every second: one line per task and minute, with a count
    const failures = rateLimitedLogger(this.logger, { perWindow: 1, windowMillis: 60_000 });
    const every = (what: string, ms: number, fn: () => Promise<unknown>) => {
      const t = setInterval(() => void fn().catch((e: Error) => failures.error(`store background task failed: ${what}`, { error: e })), ms);
      t.unref();
      this.timers.push(t);
    };
    if (this.config.flushDiskType === 'ASYNC_FLUSH') {
      every('commit-log flush', this.config.flushIntervalCommitLog, async () => {
        if (this.commitLog.writtenOffset > this.commitLog.flushedOffset && this.commitLog.writeError === undefined) await this.commitLog.flush();
      });
    }
    every('consume-queue and index flush', this.config.flushIntervalConsumeQueue, () => this.maintenance.flushLogics('when-due'));
    every('retention', this.config.cleanResourceInterval, () => this.maintenance.runRetention());
    // while refusing for disk use, look every second: writes resume soon after space is freed (and status shows fresh numbers)
    every('disk check', Math.min(1_000, this.config.cleanResourceInterval), async () => {
      if (this.gate.diskFull || this.commitLog.writeStall !== undefined) await this.maintenance.measureDisk();
    });
  }

  /** Subscribe to commit-log progress: called with the new written offset after each write (replication sends from it). */
  onCommitLogWritten(listener: (writtenOffset: number) => void): () => void {
    return this.dispatcher.onCommitLogWritten(listener);
  }

  /** Subscribe to new consume-queue entries (fires once the record is written). Returns an unsubscribe function. */
  onDispatch(listener: (e: DispatchEvent) => void): () => void {
    return this.dispatcher.onDispatch(listener);
  }

  // ---------------------------------------------------------------- writes (writer.ts)

  /** Stores one message. Resolves per the flush mode: after write (ASYNC or WAIT=false), after fsync (SYNC_FLUSH). */
  put(m: PutMessage): Promise<PutMessageResult> {
    return this.writer.putBatch([m]);
  }

  /**
   * Stores messages as consecutive records of one queue (a SEND_BATCH_MESSAGE), atomically with
   * respect to other puts. The result's queueOffset is the first message's.
   */
  putBatch(batch: readonly PutMessage[]): Promise<PutMessageResult> {
    return this.writer.putBatch(batch);
  }

  // ---------------------------------------------------------------- reads (reader.ts)

  /** Up to maxMsgs records of a queue from `offset`, filtered by tags code (all when null); RocketMQ's statuses. */
  getMessage(topic: string, queueId: number, offset: number, maxMsgs: number, maxBytes: number, tagCodes: ReadonlySet<number> | null = null): Promise<GetMessageResult> {
    return this.reader.getMessage(topic, queueId, offset, maxMsgs, maxBytes, tagCodes);
  }

  /** Consume-queue entries (offset, commit-log position, size, tags code) of a queue from `offset`, at most `max`: what a service indexing a queue itself reads (the timer). */
  queueEntries(topic: string, queueId: number, offset: number, max: number): Promise<{ offset: number; physicalOffset: number; size: number; tagsCode: number }[]> {
    return this.reader.queueEntries(topic, queueId, offset, max);
  }

  /** Records by commit-log position and size, one read per run of nearby records; undefined where a record is gone (retention). */
  readRecords(refs: readonly { phys: number; size: number }[]): Promise<(Buffer | undefined)[]> {
    return this.reader.readRecords(refs);
  }

  /** Next queue offset (the count of messages ever put, as RocketMQ's GET_MAX_OFFSET answers). 0 for unknown queues. */
  getMaxOffsetInQueue(topic: string, queueId: number): number {
    return this.reader.getMaxOffsetInQueue(topic, queueId);
  }

  /**
   * Next queue offset counting entries appended but not yet visible (their record not yet in the
   * kernel): known synchronously right after a put, which getMaxOffsetInQueue is not.
   */
  getAppendedOffsetInQueue(topic: string, queueId: number): number {
    return this.dispatcher.findQueue(topic, queueId)?.maxOffset ?? 0;
  }

  getMinOffsetInQueue(topic: string, queueId: number): number {
    return this.reader.getMinOffsetInQueue(topic, queueId);
  }

  /** Topics and queue ids the store holds consume queues for. */
  listQueues(): { topic: string; queueId: number; minOffset: number; maxOffset: number }[] {
    return this.reader.listQueues();
  }

  /** Store time (ms) of the message at a queue offset, or -1. */
  getMessageStoreTimestamp(topic: string, queueId: number, offset: number): Promise<number> {
    return this.reader.getMessageStoreTimestamp(topic, queueId, offset);
  }

  /** SEARCH_OFFSET_BY_TIMESTAMP (see reader.ts). */
  getOffsetInQueueByTime(topic: string, queueId: number, timestamp: number, boundary: 'lower' | 'upper' = 'lower'): Promise<number> {
    return this.reader.getOffsetInQueueByTime(topic, queueId, timestamp, boundary);
  }

  /** GET_EARLIEST_MSG_STORETIME: store time of a queue's first message, or of the oldest record in the store; -1 when none. */
  getEarliestMessageTime(topic?: string, queueId?: number): Promise<number> {
    return this.reader.getEarliestMessageTime(topic, queueId);
  }

  /** VIEW_MESSAGE_BY_ID: the verified record starting at a commit-log offset, or undefined. */
  lookMessageByOffset(physicalOffset: number): Promise<Buffer | undefined> {
    return this.reader.lookMessageByOffset(physicalOffset);
  }

  /** QUERY_MESSAGE: records of `topic` whose KEYS contain `key` or whose UNIQ_KEY is `key`, newest first. */
  queryMessage(topic: string, key: string, maxNum: number, begin = 0, end = Number.MAX_SAFE_INTEGER): Promise<Buffer[]> {
    return this.reader.queryMessage(topic, key, maxNum, begin, end);
  }

  // ---------------------------------------------------------------- replication (replica-append.ts)

  /** Commit-log bounds: min (oldest stored byte), max (next append), flushed (fsync'ed). */
  get minPhysOffset(): number {
    return this.commitLog.minOffset;
  }
  get maxPhysOffset(): number {
    return this.commitLog.maxOffset;
  }
  get flushedPhysOffset(): number {
    return this.commitLog.flushedOffset;
  }
  /** Commit-log bytes below this are in the kernel (survive a crash of this process). */
  get writtenPhysOffset(): number {
    return this.commitLog.writtenOffset;
  }
  /** Counters: commit-log writes (writev calls; syncWrites of them on this thread) and fdatasyncs so far. */
  get stats(): { writes: number; syncWrites: number; fsyncs: number } {
    return { ...this.commitLog.stats };
  }

  /** Why the store refuses puts now (undefined: it takes them). */
  writeState(): StoreWriteState | undefined {
    return this.gate.state();
  }

  /** Why the store cannot append now — its own state (disk, failure, shutdown), not a fence: what a slave's replication meets. */
  appendState(): StoreWriteState | undefined {
    return this.gate.appendState();
  }

  /** Stops puts (see write-gate.ts Fence): a planned switchover, or a failover lease lost. */
  fence(reason: string, opts: { withholdAnswers: boolean }): void {
    this.gate.fence(reason, opts);
  }

  unfence(): void {
    this.gate.unfence();
  }

  /** Puts stop at `until` (ms since epoch) unless moved on: a master's failover lease (Infinity: none). */
  setWriteLease(until: number, what: string): void {
    this.gate.setLease(until, what);
  }

  /** A fence that withholds answers is up: its reason (an appended put must not be acknowledged). */
  withheldAnswer(): string | undefined {
    return this.gate.withheldAnswer();
  }

  /** Logs a change of the write state (a lease that ran out is noticed by the next put, or by this). */
  checkWriteState(): void {
    this.gate.check();
  }

  /** The commit log's file system as last measured (retention check; every second while refusing for disk use). */
  get disk(): DiskMeasurement | undefined {
    return this.gate.lastDisk;
  }

  /** Figures for GET_BROKER_RUNTIME_INFO and status output (RocketMQ's key names where it has them). */
  runtimeInfo(): Record<string, number | boolean> {
    return {
      commitLogMinOffset: this.commitLog.minOffset,
      commitLogMaxOffset: this.commitLog.maxOffset,
      commitLogFlushedOffset: this.commitLog.flushedOffset,
      remainHowManyDataToFlush: this.commitLog.maxOffset - this.commitLog.flushedOffset,
      dispatchBehindBytes: 0, // dispatch is synchronous with the append
      putMessageTotal: this.writer.totals.messages,
      putMessageSizeTotal: this.writer.totals.bytes,
      commitLogDiskRatio: this.gate.lastDiskUsedRatio / 100,
      writable: this.gate.refusal() === undefined,
      commitLogWrites: this.commitLog.stats.writes,
      commitLogSyncWrites: this.commitLog.stats.syncWrites,
      commitLogFsyncs: this.commitLog.stats.fsyncs,
      commitLogUnwrittenBytes: this.commitLog.unwrittenBytes,
    };
  }

  /** Where the next appendRaw must start (maxPhysOffset plus a partial record already received). */
  get rawAppendOffset(): number {
    return this.replica.rawAppendOffset;
  }

  /** Slave side, when a replication stream ends: forgets a partial record received so far. */
  discardRawCarry(): void {
    this.replica.discardRawCarry();
  }

  /** Slave side: an empty store whose master's log starts past 0 begins at that (segment-boundary) offset. */
  startEmptyAt(offset: number): void {
    this.replica.startEmptyAt(offset);
  }

  /** fdatasync of the commit log now (a SYNC_FLUSH slave fsyncs right behind what it replicates). Returns the flushed offset. */
  flushCommitLog(): Promise<number> {
    return this.commitLog.flush();
  }

  /** Master side: raw commit-log bytes from `offset` (at most maxBytes, within one segment, only written data). */
  readRaw(offset: number, maxBytes: number): Promise<Buffer> {
    return this.commitLog.readRaw(offset, maxBytes);
  }

  /** Slave side: raw bytes from the master at exactly rawAppendOffset; resolves with the new rawAppendOffset once written. */
  appendRaw(offset: number, data: Buffer): Promise<number> {
    return this.replica.appendRaw(offset, data);
  }

  // ---------------------------------------------------------------- flushing, retention, lifecycle (maintenance.ts)

  /** Writes consume queues and the index, then the checkpoint. Serialised. */
  flushLogics(): Promise<void> {
    return this.maintenance.flushLogics();
  }

  /** Retention of old commit-log segments by age and disk use; returns the number deleted. */
  runRetention(at?: { now?: number; diskUsedRatio?: number }): Promise<number> {
    return this.maintenance.runRetention(at);
  }

  /** Deletes a topic's consume queues (DELETE_TOPIC_IN_BROKER); its records age out with their segments. */
  deleteTopic(topic: string): Promise<void> {
    return this.maintenance.deleteTopic(topic);
  }

  /** Flushes everything, writes the checkpoint, removes the abort marker, releases the lock. */
  async close(): Promise<void> {
    if (this.gate.shuttingDown) return;
    this.gate.shuttingDown = true;
    this.gate.check();
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.commitLog.close();
    await this.maintenance.idle();
    await this.maintenance.flushLogics();
    for (const q of this.dispatcher.allQueues()) await q.close();
    await this.dispatcher.index?.close();
    await fsp.rm(path.join(this.config.storePathRootDir, 'abort'), { force: true });
    await fsyncDir(this.config.storePathRootDir);
    await this.lock.release();
  }
}
