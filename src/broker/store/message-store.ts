import fsp from 'node:fs/promises';
import path from 'node:path';
import { END_OF_SEGMENT_MIN_BLANK, KEY_SEPARATOR, MAGIC_BLANK, MAGIC_V1, MAGIC_V2, PropertyKey, SysFlag, transactionType } from '../../protocol/message/constants.js';
import type { HostAddress } from '../../protocol/message/host.js';
import { offsetMsgId } from '../../protocol/message/msg-id.js';
import { findProperty } from '../../protocol/message/properties.js';
import { checkRecordAt, decodeRecord, measureRecord, storeTimestampPosition, writeRecord, type MessageRecord } from '../../protocol/message/record.js';
import { readInt64 } from '../../protocol/message/int64.js';
import { tagsCode as tagsCodeOfTags } from '../../protocol/message/tags.js';
import { silentLogger, type Logger } from '../../util/log.js';
import { readCheckpoint, writeCheckpoint, type Checkpoint } from './checkpoint.js';
import { CommitLog } from './commit-log.js';
import { resolveStoreConfig, type StoreConfig } from './config.js';
import { ConsumeQueue, CQ_UNIT_SIZE, isFiller, unitAt } from './consume-queue.js';
import { StoreCorruptionError } from './errors.js';
import { fsyncDir } from '../../util/durable-file.js';
import { listOffsetFiles } from './segment-files.js';
import { KeyIndex, indexKey } from './key-index.js';
import { StoreLock } from './lock.js';
import { scanCommitLog } from './recovery.js';
import type { DispatchEvent, GetMessageResult, GetMessageStatus, PutMessage, PutMessageResult } from './types.js';

export interface StoreOptions {
  logger?: Logger;
  /**
   * Consume-queue tags code of a record. Default: Java String.hashCode of its TAGS property. The
   * broker overrides it for delay topics (deliver time). Must depend only on the record, because
   * replicas and recovery recompute it from the stored bytes.
   */
  tagsCode?: (topic: string, properties: string, storeTimestamp: number) => number;
  /** Disk use of the store's file system in percent; default statfs. Tests replace it to simulate a full disk. */
  diskUsedRatio?: (dir: string) => Promise<number>;
  /** Clock for retention decisions (ms). */
  now?: () => number;
  /** Replaces the commit log's fdatasync — only for tests that need a slow or failing disk. */
  fdatasync?: (fd: number) => Promise<void>;
}

/** Topic names the store accepts as directory names (RocketMQ's topic charset). */
const TOPIC_NAME = /^[%|a-zA-Z0-9_-]{1,255}$/;
/** Upper bound of consume-queue entries one pull scans for tag matches (RocketMQ: maxFilterMessageCount). */
const MAX_FILTER_SCAN = 16_000;

interface PendingVisible {
  end: number;
  cq: ConsumeQueue;
  upto: number;
  event: DispatchEvent;
}

async function statfsUsedRatio(dir: string): Promise<number> {
  const s = await fsp.statfs(dir);
  if (s.blocks === 0) return 0;
  return ((s.blocks - s.bavail) / s.blocks) * 100;
}

/**
 * The broker's message store: commit log + consume queues + key index + checkpoint, with
 * crash recovery, flush modes, retention and the raw-bytes API replication uses.
 * See README "Broker store" for the on-disk layout and the guarantees.
 */
/** Records of one pull closer than this in the commit log are read with one pread (the gap is read too). */
const READ_GAP_BYTES = 16 * 1024;
/** Largest single read of a pull. */
const READ_RUN_MAX_BYTES = 1 << 20;

export class MessageStore {
  readonly config: StoreConfig;
  private readonly logger: Logger;
  private readonly queues = new Map<string, Map<number, ConsumeQueue>>();
  private readonly dirtyQueues = new Set<ConsumeQueue>();
  private readonly pendingVisible: PendingVisible[] = [];
  private pendingHead = 0;
  private readonly listeners = new Set<(e: DispatchEvent) => void>();
  private readonly writtenListeners = new Set<(writtenOffset: number) => void>();
  private readonly topicBytes = new Map<string, Buffer>();
  /** Topic names already checked against TOPIC_NAME (the check is a regex; puts repeat few names). */
  private readonly validTopics = new Set<string>();
  /** Hex of the last store host seen, the part of every offset msgId that never changes. */
  private msgIdHost: { host: HostAddress; hex: string } | undefined;
  private timers: NodeJS.Timeout[] = [];
  private logicsFlushing: Promise<void> | undefined;
  private retentionRunning = false;
  private diskFull = false;
  private shuttingDown = false;
  /** Partial record received by appendRaw, waiting for its remaining bytes. */
  private rawCarry: Buffer = Buffer.alloc(0);
  private lastCheckpoint: Checkpoint | undefined;

  private constructor(
    config: StoreConfig,
    private readonly opts: StoreOptions,
    private readonly lock: StoreLock,
    readonly commitLog: CommitLog,
    private readonly index: KeyIndex | undefined,
    private readonly cqRoot: string,
  ) {
    this.config = config;
    this.logger = opts.logger ?? silentLogger;
  }

  private get root(): string {
    return this.config.storePathRootDir;
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
    const root = config.storePathRootDir;
    await fsp.mkdir(root, { recursive: true, mode: 0o750 });
    const lock = await StoreLock.acquire(root);
    try {
      return await MessageStore.recover(config, opts, lock, logger);
    } catch (e) {
      await lock.release();
      throw e;
    }
  }

  private static async recover(config: StoreConfig, opts: StoreOptions, lock: StoreLock, logger: Logger): Promise<MessageStore> {
    const root = config.storePathRootDir;
    const clDir = config.storePathCommitLog ?? path.join(root, 'commitlog');
    const cqRoot = path.join(root, 'consumequeue');
    const abortFile = path.join(root, 'abort');
    const checkpointFile = path.join(root, 'checkpoint');
    await fsp.mkdir(clDir, { recursive: true });
    await fsp.mkdir(cqRoot, { recursive: true });
    const crashed = await fsp.access(abortFile).then(() => true, () => false);
    let checkpoint: Checkpoint | undefined;
    try {
      checkpoint = await readCheckpoint(checkpointFile);
    } catch (e) {
      logger.warn('checkpoint unreadable; verifying and rebuilding from the start of the commit log', { error: e as Error });
    }
    const segments = await listOffsetFiles(clDir);
    const segSize = config.mappedFileSizeCommitLog;
    const minStored = segments[0]?.start ?? 0;
    const durableEnd = checkpoint?.commitLogFlushed ?? 0;
    // the index directory exists from the first open on: if it is gone, rebuild the index from the whole log
    const indexLost = config.messageIndexEnable && !(await fsp.access(path.join(root, 'index')).then(() => true, () => false));
    const logicsFrom = Math.max(minStored, checkpoint?.logicsDurable ?? minStored);
    const indexFrom = indexLost ? minStored : Math.max(minStored, checkpoint?.indexDurable ?? minStored);
    const dispatchFrom = Math.min(logicsFrom, indexFrom);
    // verify at least the whole segment holding the dispatch point (or the durable end, if lower:
    // data past it may be missing after a crash)
    const verifyPoint = Math.min(dispatchFrom, Math.max(durableEnd, minStored));
    const verifyFrom = Math.max(minStored, verifyPoint - (verifyPoint % segSize));
    const started = Date.now();
    logger.info('store recovery', { root, crashed, checkpoint: checkpoint ? `${checkpoint.commitLogFlushed}/${checkpoint.logicsDurable}` : 'none', verifyFrom });

    // pass 1: verify the commit log and find where it ends
    const scan = await scanCommitLog(segments, segSize, verifyFrom, durableEnd, logger);
    const commitLog = await CommitLog.open(
      { dir: clDir, segmentSize: segSize, preallocate: config.preallocateSegments, memoryCacheBytes: config.memoryCacheBytes, writeBlockBytes: config.writeBlockBytes, logger, dsync: config.flushDiskType === 'SYNC_FLUSH' && config.syncFlushWithDsync, ...(opts.fdatasync ? { fdatasync: opts.fdatasync } : {}) },
      segments.map((s) => s.start),
      scan.end,
      scan.torn,
    );
    const cqTruncateFrom = Math.min(logicsFrom, scan.end);
    const indexTruncateFrom = Math.min(indexFrom, scan.end);
    const index = config.messageIndexEnable ? await KeyIndex.load(path.join(root, 'index'), config.maxHashSlotNum, config.maxIndexNum, indexTruncateFrom) : undefined;
    const store = new MessageStore(config, opts, lock, commitLog, index, cqRoot);
    try {
      await store.loadQueues(cqTruncateFrom, commitLog.minOffset);
      // pass 2: rebuild consume-queue and index entries from the verified records
      const broken = new Set<ConsumeQueue>();
      const kept = segments.filter((s) => s.start <= scan.end); // CommitLog.open removed those past the end
      await scanCommitLog(kept.filter((s) => s.start + segSize > verifyFrom), segSize, verifyFrom, 0, logger, async (r, phys) => {
        await store.redispatch(r, phys, phys >= cqTruncateFrom, phys >= indexTruncateFrom, broken);
      }, scan.end);
      if (broken.size > 0) await store.rebuildQueues(broken, kept, segSize, scan.end);
      for (const qs of store.queues.values()) for (const q of qs.values()) q.visibleMax = q.maxOffset;
      await fsp.writeFile(abortFile, `${process.pid}\n`);
      await fsyncDir(root);
      await store.flushLogics();
      store.start();
      logger.info('store open', { minOffset: commitLog.minOffset, maxOffset: commitLog.maxOffset, queues: store.queueCount(), tornTailTruncated: scan.torn, recoveryMs: Date.now() - started });
      return store;
    } catch (e) {
      await commitLog.close().catch(() => {});
      for (const qs of store.queues.values()) for (const q of qs.values()) await q.close().catch(() => {});
      await index?.close().catch(() => {});
      throw e;
    }
  }

  private queueCount(): number {
    let n = 0;
    for (const qs of this.queues.values()) n += qs.size;
    return n;
  }

  private async loadQueues(truncateFrom: number, minPhysical: number): Promise<void> {
    let topics: string[] = [];
    try {
      topics = await fsp.readdir(this.cqRoot);
    } catch {
      topics = [];
    }
    for (const topic of topics) {
      if (!TOPIC_NAME.test(topic)) continue;
      const qdirs = await fsp.readdir(path.join(this.cqRoot, topic)).catch(() => [] as string[]);
      for (const qd of qdirs) {
        if (!/^\d+$/.test(qd)) continue;
        const queueId = Number(qd);
        const cq = await ConsumeQueue.load(topic, queueId, path.join(this.cqRoot, topic, qd), this.config.consumeQueueUnitsPerFile);
        await cq.truncateFromPhysical(truncateFrom);
        await cq.deleteBelowPhysical(minPhysical);
        this.queueMap(topic).set(queueId, cq);
      }
    }
  }

  private queueMap(topic: string): Map<number, ConsumeQueue> {
    let m = this.queues.get(topic);
    if (!m) this.queues.set(topic, (m = new Map()));
    return m;
  }

  private queue(topic: string, queueId: number): ConsumeQueue {
    const m = this.queueMap(topic);
    let q = m.get(queueId);
    if (!q) {
      q = ConsumeQueue.create(topic, queueId, path.join(this.cqRoot, topic, String(queueId)), this.config.consumeQueueUnitsPerFile);
      m.set(queueId, q);
    }
    return q;
  }

  private findQueue(topic: string, queueId: number): ConsumeQueue | undefined {
    return this.queues.get(topic)?.get(queueId);
  }

  private tagsCodeOf(topic: string, properties: string, storeTimestamp: number): number {
    if (this.opts.tagsCode) return this.opts.tagsCode(topic, properties, storeTimestamp);
    return tagsCodeOfTags(findProperty(properties, PropertyKey.TAGS));
  }

  /**
   * Recovery: the consume-queue entry of a verified record — appended when past the queues'
   * truncation point (`fresh`), else checked against the entry already there — and its index
   * entries when past the index's truncation point.
   */
  private async redispatch(r: MessageRecord, phys: number, fresh: boolean, indexFresh: boolean, broken: Set<ConsumeQueue>): Promise<void> {
    const tx = transactionType(r.sysFlag);
    // before the checkpoint, only check queues that exist: a missing one was deleted (DELETE_TOPIC), not lost
    const known = fresh || this.findQueue(r.topic, r.queueId) !== undefined;
    if (known && tx !== SysFlag.TRANSACTION_PREPARED_TYPE && tx !== SysFlag.TRANSACTION_ROLLBACK_TYPE && TOPIC_NAME.test(r.topic)) {
      const cq = this.queue(r.topic, r.queueId);
      if (!broken.has(cq)) {
        const tags = this.tagsCodeOf(r.topic, r.properties, r.storeTimestamp);
        if (r.queueOffset === cq.maxOffset || (cq.isEmpty && r.queueOffset > 0)) {
          cq.append(r.queueOffset, phys, r.totalSize, tags);
          this.dirtyQueues.add(cq);
        } else if (r.queueOffset < cq.maxOffset && r.queueOffset >= cq.minOffset) {
          const e = await cq.entry(r.queueOffset);
          if (!e || e.physicalOffset !== phys || e.size !== r.totalSize) broken.add(cq);
        } else if (r.queueOffset > cq.maxOffset) {
          broken.add(cq);
        }
      }
    }
    if (indexFresh) this.indexRecord(r.topic, r.properties, phys, r.storeTimestamp, r.sysFlag);
  }

  /** Rebuilds damaged consume queues from the whole commit log. */
  private async rebuildQueues(broken: Set<ConsumeQueue>, segments: { start: number; path: string }[], segSize: number, end: number): Promise<void> {
    const names = new Set<string>();
    for (const cq of broken) {
      this.logger.warn('consume queue inconsistent with the commit log; rebuilding it', { topic: cq.topic, queueId: cq.queueId });
      await cq.destroy();
      this.queues.get(cq.topic)?.delete(cq.queueId);
      names.add(`${cq.topic}\u0000${cq.queueId}`);
    }
    const min = this.commitLog.minOffset;
    await scanCommitLog(segments.filter((s) => s.start >= min), segSize, min, 0, this.logger, (r, phys) => {
      if (!names.has(`${r.topic}\u0000${r.queueId}`)) return;
      const tx = transactionType(r.sysFlag);
      if (tx === SysFlag.TRANSACTION_PREPARED_TYPE || tx === SysFlag.TRANSACTION_ROLLBACK_TYPE) return;
      const cq = this.queue(r.topic, r.queueId);
      if (!cq.isEmpty && r.queueOffset !== cq.maxOffset) {
        throw new StoreCorruptionError(path.join(this.cqRoot, r.topic, String(r.queueId)), 0, `commit log holds queue offset ${r.queueOffset} after ${cq.maxOffset - 1}: the queue offsets in the log itself are inconsistent`);
      }
      cq.append(r.queueOffset, phys, r.totalSize, this.tagsCodeOf(r.topic, r.properties, r.storeTimestamp));
      this.dirtyQueues.add(cq);
    }, end);
  }

  private indexRecord(topic: string, properties: string, phys: number, storeTimestamp: number, sysFlag: number): void {
    if (!this.index || transactionType(sysFlag) === SysFlag.TRANSACTION_ROLLBACK_TYPE) return;
    const keys = findProperty(properties, PropertyKey.KEYS);
    if (keys) for (const k of keys.split(KEY_SEPARATOR)) if (k) this.index.put(indexKey(topic, k), phys, storeTimestamp);
    const uniq = findProperty(properties, PropertyKey.UNIQ_CLIENT_MESSAGE_ID_KEYIDX);
    if (uniq) this.index.put(indexKey(topic, uniq), phys, storeTimestamp);
  }

  private start(): void {
    this.commitLog.onWritten = (w) => this.onWritten(w);
    const every = (ms: number, fn: () => Promise<unknown>) => {
      const t = setInterval(() => void fn().catch((e: Error) => this.logger.error('store background task failed', { error: e })), ms);
      t.unref();
      this.timers.push(t);
    };
    if (this.config.flushDiskType === 'ASYNC_FLUSH') {
      every(this.config.flushIntervalCommitLog, async () => {
        if (this.commitLog.writtenOffset > this.commitLog.flushedOffset && this.commitLog.writable) await this.commitLog.flush();
      });
    }
    every(this.config.flushIntervalConsumeQueue, () => this.flushLogics());
    every(this.config.cleanResourceInterval, () => this.runRetention());
  }

  /** Entries become visible (and listeners hear of them) once their record is in the kernel. */
  private onWritten(written: number): void {
    const pv = this.pendingVisible;
    while (this.pendingHead < pv.length && pv[this.pendingHead]!.end <= written) {
      const p = pv[this.pendingHead++]!;
      p.cq.visibleMax = p.upto;
      for (const l of this.listeners) {
        try {
          l(p.event);
        } catch (e) {
          this.logger.error('dispatch listener failed', { error: e as Error });
        }
      }
    }
    if (this.pendingHead > 4096 && this.pendingHead * 2 > pv.length) {
      pv.splice(0, this.pendingHead);
      this.pendingHead = 0;
    }
    for (const l of this.writtenListeners) l(written);
  }

  /** Subscribe to commit-log progress: called with the new written offset after each write (replication sends from it). */
  onCommitLogWritten(listener: (writtenOffset: number) => void): () => void {
    this.writtenListeners.add(listener);
    return () => this.writtenListeners.delete(listener);
  }

  /** Subscribe to new consume-queue entries (fires once the record is written). Returns an unsubscribe function. */
  onDispatch(listener: (e: DispatchEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---------------------------------------------------------------- writes

  /** Why a put would be refused now, if it would. */
  private refusal(): PutMessageResult | undefined {
    if (this.shuttingDown) return { status: 'SERVICE_NOT_AVAILABLE', remark: 'the store is shutting down' };
    if (!this.commitLog.writable) return { status: 'SERVICE_NOT_AVAILABLE', remark: `the commit log failed a write (${this.commitLog.writeError?.message}); restart the broker to recover` };
    if (this.diskFull) return { status: 'SERVICE_NOT_AVAILABLE', remark: `disk use is above diskSpaceWarningLevelRatio (${this.config.diskSpaceWarningLevelRatio}%)` };
    return undefined;
  }

  private validate(m: PutMessage): PutMessageResult | undefined {
    if (!this.validTopics.has(m.topic)) {
      if (!TOPIC_NAME.test(m.topic)) return { status: 'MESSAGE_ILLEGAL', remark: `topic ${JSON.stringify(m.topic)} is not a valid topic name` };
      if (this.validTopics.size > 100_000) this.validTopics.clear();
      this.validTopics.add(m.topic);
    }
    if (!Number.isInteger(m.queueId) || m.queueId < 0 || m.queueId > 0x7fffffff) return { status: 'MESSAGE_ILLEGAL', remark: `queueId ${m.queueId} is invalid` };
    if (m.body.length > this.config.maxMessageSize) return { status: 'MESSAGE_ILLEGAL', remark: `message body of ${m.body.length} bytes exceeds maxMessageSize ${this.config.maxMessageSize}` };
    if (Buffer.byteLength(m.properties) > 32767) return { status: 'PROPERTIES_SIZE_EXCEEDED', remark: `properties of ${Buffer.byteLength(m.properties)} bytes exceed 32767` };
    for (const [what, h] of [['bornHost', m.bornHost], ['storeHost', m.storeHost]] as const) {
      if (!h || (h.ip.length !== 4 && h.ip.length !== 16) || !Number.isInteger(h.port) || h.port < 0 || h.port > 0xffff) return { status: 'MESSAGE_ILLEGAL', remark: `${what} is not an IPv4/IPv6 address and port` };
    }
    const int32 = (v: number) => Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff;
    if (!int32(m.flag) || !int32(m.sysFlag) || !int32(m.reconsumeTimes)) return { status: 'MESSAGE_ILLEGAL', remark: 'flag, sysFlag and reconsumeTimes must be 32-bit integers' };
    if (!Number.isSafeInteger(m.bornTimestamp) || !Number.isSafeInteger(m.preparedTransactionOffset)) return { status: 'MESSAGE_ILLEGAL', remark: 'bornTimestamp and preparedTransactionOffset must be integers' };
    return undefined;
  }

  private topicBuf(topic: string): Buffer {
    let b = this.topicBytes.get(topic);
    if (!b) {
      b = Buffer.from(topic, 'utf8');
      if (this.topicBytes.size > 100_000) this.topicBytes.clear();
      this.topicBytes.set(topic, b);
    }
    return b;
  }

  /** offsetMsgId without a buffer per message: the store host's hex is computed once. */
  private msgIdOf(storeHost: HostAddress, phys: number): string {
    if (this.msgIdHost?.host !== storeHost) this.msgIdHost = { host: storeHost, hex: offsetMsgId(storeHost, 0).slice(0, -16) };
    return this.msgIdHost.hex + phys.toString(16).toUpperCase().padStart(16, '0');
  }

  /** Appends one record synchronously (offsets assigned now) and dispatches it. */
  private appendOne(m: PutMessage, storeTimestamp: number): { phys: number; queueOffset: number; size: number } {
    const topic = this.topicBuf(m.topic);
    const props = Buffer.from(m.properties, 'utf8');
    const sizes = measureRecord(m, topic, props);
    if (sizes.total > this.commitLog.maxRecordSize) throw new RangeError(`record of ${sizes.total} bytes does not fit a commit-log segment of ${this.commitLog.segmentSize}`);
    const tx = transactionType(m.sysFlag);
    const inQueue = tx !== SysFlag.TRANSACTION_PREPARED_TYPE && tx !== SysFlag.TRANSACTION_ROLLBACK_TYPE;
    const cq = this.queue(m.topic, m.queueId);
    // prepared/rollback transactional records take no queue slot (RocketMQ stores them with offset 0)
    const queueOffset = inQueue ? cq.maxOffset : 0;
    const phys = this.commitLog.append(sizes.total, (buf, at, physicalOffset) => {
      // an explicit object, not a spread: keeps writeRecord's property loads monomorphic (8x faster)
      writeRecord(buf, at, {
        queueId: m.queueId,
        flag: m.flag,
        queueOffset,
        physicalOffset,
        sysFlag: m.sysFlag,
        bornTimestamp: m.bornTimestamp,
        bornHost: m.bornHost,
        storeTimestamp,
        storeHost: m.storeHost,
        reconsumeTimes: m.reconsumeTimes,
        preparedTransactionOffset: m.preparedTransactionOffset,
        body: m.body,
        topic,
        properties: props,
        magic: sizes.magic,
      });
    });
    if (inQueue) {
      const tags = this.tagsCodeOf(m.topic, m.properties, storeTimestamp);
      cq.append(queueOffset, phys, sizes.total, tags);
      this.dirtyQueues.add(cq);
      this.pendingVisible.push({
        end: phys + sizes.total,
        cq,
        upto: queueOffset + 1,
        event: { topic: m.topic, queueId: m.queueId, queueOffset, physicalOffset: phys, size: sizes.total, tagsCode: tags, storeTimestamp },
      });
    }
    this.indexRecord(m.topic, m.properties, phys, storeTimestamp, m.sysFlag);
    return { phys, queueOffset, size: sizes.total };
  }

  /** Stores one message. Resolves per the flush mode: after write (ASYNC or WAIT=false), after fsync (SYNC_FLUSH). */
  put(m: PutMessage): Promise<PutMessageResult> {
    return this.putBatch([m]);
  }

  /**
   * Stores messages as consecutive records of one queue (a SEND_BATCH_MESSAGE), atomically with
   * respect to other puts. The result's queueOffset is the first message's.
   */
  async putBatch(batch: readonly PutMessage[]): Promise<PutMessageResult> {
    const refused = this.refusal();
    if (refused) return refused;
    if (batch.length === 0) return { status: 'MESSAGE_ILLEGAL', remark: 'empty batch' };
    for (const m of batch) {
      const bad = this.validate(m);
      if (bad) return bad;
    }
    const storeTimestamp = Date.now();
    const appended: { phys: number; queueOffset: number; size: number }[] = [];
    try {
      for (const m of batch) appended.push(this.appendOne(m, storeTimestamp));
    } catch (e) {
      if (appended.length === 0 && e instanceof RangeError) return { status: 'MESSAGE_ILLEGAL', remark: e.message };
      throw e;
    }
    const last = appended[appended.length - 1]!;
    const end = last.phys + last.size;
    this.putTotals.messages += appended.length;
    for (const a of appended) this.putTotals.bytes += a.size;
    const first = batch[0]!;
    const wait = findProperty(first.properties, PropertyKey.WAIT_STORE_MSG_OK) !== 'false';
    let status: PutMessageResult['status'] = 'PUT_OK';
    if (this.config.flushDiskType === 'SYNC_FLUSH' && wait) {
      const ok = await this.commitLog.waitFlushed(end, this.config.syncFlushTimeout);
      // not flushed in time: stored if the log is still healthy (FLUSH_DISK_TIMEOUT), else the write failed
      if (!ok) status = this.commitLog.writable ? 'FLUSH_DISK_TIMEOUT' : 'UNKNOWN_ERROR';
    } else if (!(await this.commitLog.waitWritten(end))) {
      status = 'UNKNOWN_ERROR';
    }
    if (status === 'UNKNOWN_ERROR') return { status, remark: `the message could not be written: ${this.commitLog.writeError?.message ?? 'store closed'}` };
    return {
      status,
      appended: {
        physicalOffset: appended[0]!.phys,
        queueOffset: appended[0]!.queueOffset,
        msgIds: appended.map((a, i) => this.msgIdOf(batch[i]!.storeHost, a.phys)),
        wroteBytes: appended.reduce((n, a) => n + a.size, 0),
        endOffset: end,
        storeTimestamp,
        count: appended.length,
      },
    };
  }

  // ---------------------------------------------------------------- reads

  /**
   * Reads up to maxMsgs records (and about maxBytes; at least one record when any matches) of a
   * queue from `offset`, keeping those whose tags code is in `tagCodes` (all when null), with the
   * statuses and next offsets of RocketMQ's DefaultMessageStore.getMessage.
   */
  async getMessage(topic: string, queueId: number, offset: number, maxMsgs: number, maxBytes: number, tagCodes: ReadonlySet<number> | null = null): Promise<GetMessageResult> {
    const result = (status: GetMessageStatus, nextBeginOffset: number, minOffset: number, maxOffset: number, records: Buffer[] = []): GetMessageResult => ({
      status,
      records,
      nextBeginOffset,
      minOffset,
      maxOffset,
      bufferTotalSize: records.reduce((n, r) => n + r.length, 0),
    });
    const cq = this.findQueue(topic, queueId);
    if (!cq) return result('NO_MATCHED_LOGIC_QUEUE', 0, 0, 0);
    const min = cq.minOffset;
    const max = cq.visibleMax;
    if (max === 0) return result('NO_MESSAGE_IN_QUEUE', 0, min, max);
    if (offset < min) return result('OFFSET_TOO_SMALL', min, min, max);
    if (offset === max) return result('OFFSET_OVERFLOW_ONE', offset, min, max);
    // RocketMQ: past the end, point back to 0 when the queue still starts at 0, else to its end
    if (offset > max) return result('OFFSET_OVERFLOW_BADLY', min === 0 ? 0 : max, min, max);

    const picked: { phys: number; size: number }[] = [];
    let bytes = 0;
    let next = offset;
    let removed = 0;
    let filtered = 0;
    const scanEnd = Math.min(max, offset + Math.max(MAX_FILTER_SCAN, maxMsgs));
    scan: while (next < scanEnd) {
      const units = await cq.units(next, Math.min(scanEnd - next, 1024));
      if (units.length === 0) break;
      for (let i = 0; i < units.length / CQ_UNIT_SIZE; i++) {
        const e = unitAt(units, i);
        if (picked.length >= maxMsgs || (picked.length > 0 && bytes + e.size > maxBytes)) break scan;
        next++;
        if (isFiller(e)) continue;
        if (e.physicalOffset < this.commitLog.minOffset) {
          removed++;
          continue;
        }
        if (tagCodes && !tagCodes.has(e.tagsCode)) {
          filtered++;
          continue;
        }
        picked.push({ phys: e.physicalOffset, size: e.size });
        bytes += e.size;
      }
    }
    const records: Buffer[] = [];
    for (const r of await this.readRecords(picked)) {
      if (!r) break;
      records.push(r);
    }
    if (records.length > 0) {
      // if a read failed part way (segment removed under us), continue after the last record returned
      if (records.length < picked.length) next = await this.offsetAfter(cq, offset, picked[records.length - 1]!.phys);
      return result('FOUND', next, min, max, records);
    }
    if (removed > 0 || picked.length > 0) return result('OFFSET_FOUND_NULL', next, cq.minOffset, max);
    return result(filtered > 0 ? 'NO_MATCHED_MESSAGE' : 'OFFSET_FOUND_NULL', next, min, max);
  }

  /**
   * Reads records by (offset, size) with one read per run of records that lie close together in
   * the commit log — back to back, or apart by less than READ_GAP_BYTES (the records of the other
   * queues a producer interleaves round robin) — so a backlog read from disk costs a few preads,
   * not one per record. The bytes between records are read and dropped.
   */
  private async readRecords(picked: readonly { phys: number; size: number }[]): Promise<(Buffer | undefined)[]> {
    const runs: { phys: number; bytes: number; parts: { at: number; size: number }[] }[] = [];
    for (const p of picked) {
      const last = runs[runs.length - 1];
      const gap = last === undefined ? -1 : p.phys - (last.phys + last.bytes);
      if (last && gap >= 0 && gap <= READ_GAP_BYTES && p.phys + p.size - last.phys <= READ_RUN_MAX_BYTES) {
        last.parts.push({ at: p.phys - last.phys, size: p.size });
        last.bytes = p.phys + p.size - last.phys;
      } else runs.push({ phys: p.phys, bytes: p.size, parts: [{ at: 0, size: p.size }] });
    }
    const read = await Promise.all(
      runs.map(async (r) => {
        const buf = await this.commitLog.read(r.phys, r.bytes);
        if (buf) return r.parts.map((part) => buf.subarray(part.at, part.at + part.size));
        // a run across a segment's end (its blank tail in the gap) cannot be read at once: record by record
        return r.parts.length === 1 ? [undefined] : Promise.all(r.parts.map((part) => this.commitLog.read(r.phys + part.at, part.size)));
      }),
    );
    return read.flat();
  }

  private async offsetAfter(cq: ConsumeQueue, from: number, phys: number): Promise<number> {
    for (let o = from; o < cq.visibleMax; o++) {
      const e = await cq.entry(o);
      if (e && e.physicalOffset === phys) return o + 1;
    }
    return from;
  }

  /** Next queue offset (the count of messages ever put, as RocketMQ's GET_MAX_OFFSET answers). 0 for unknown queues. */
  getMaxOffsetInQueue(topic: string, queueId: number): number {
    return this.findQueue(topic, queueId)?.visibleMax ?? 0;
  }

  getMinOffsetInQueue(topic: string, queueId: number): number {
    return this.findQueue(topic, queueId)?.minOffset ?? 0;
  }

  /** Topics and queue ids the store holds consume queues for. */
  listQueues(): { topic: string; queueId: number; minOffset: number; maxOffset: number }[] {
    const out: { topic: string; queueId: number; minOffset: number; maxOffset: number }[] = [];
    for (const [topic, qs] of this.queues) for (const [queueId, q] of qs) out.push({ topic, queueId, minOffset: q.minOffset, maxOffset: q.visibleMax });
    return out;
  }

  private async storeTimeAt(cq: ConsumeQueue, offset: number): Promise<number | undefined> {
    const e = await cq.entry(offset);
    if (!e || isFiller(e)) return undefined;
    const head = await this.commitLog.read(e.physicalOffset, Math.min(e.size, 100));
    if (!head || head.length < 48) return undefined;
    const pos = storeTimestampPosition(head.readInt32BE(36));
    return head.length >= pos + 8 ? readInt64(head, pos) : undefined;
  }

  /** Store time (ms) of the message at a queue offset, or -1. */
  async getMessageStoreTimestamp(topic: string, queueId: number, offset: number): Promise<number> {
    const cq = this.findQueue(topic, queueId);
    if (!cq || offset < cq.minOffset || offset >= cq.visibleMax) return -1;
    return (await this.storeTimeAt(cq, offset)) ?? -1;
  }

  /**
   * SEARCH_OFFSET_BY_TIMESTAMP: binary search of the queue by store time. 'lower' (default): the
   * first offset stored at or after `timestamp` (maxOffset when none is); 'upper': the last offset
   * stored at or before it (minOffset when none is). 0 for an unknown or empty queue.
   */
  async getOffsetInQueueByTime(topic: string, queueId: number, timestamp: number, boundary: 'lower' | 'upper' = 'lower'): Promise<number> {
    const cq = this.findQueue(topic, queueId);
    if (!cq || cq.visibleMax <= cq.minOffset) return cq?.visibleMax ?? 0;
    let lo = cq.minOffset;
    let hi = cq.visibleMax - 1;
    if (boundary === 'lower') {
      let ans = cq.visibleMax;
      while (lo <= hi) {
        const mid = Math.floor((lo + hi) / 2);
        const t = (await this.storeTimeAt(cq, mid)) ?? -1;
        if (t >= timestamp) {
          ans = mid;
          hi = mid - 1;
        } else lo = mid + 1;
      }
      return ans;
    }
    let ans = cq.minOffset;
    while (lo <= hi) {
      const mid = Math.floor((lo + hi) / 2);
      const t = (await this.storeTimeAt(cq, mid)) ?? Number.MAX_SAFE_INTEGER;
      if (t <= timestamp) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  /** GET_EARLIEST_MSG_STORETIME: store time of a queue's first message, or of the oldest record in the store; -1 when none. */
  async getEarliestMessageTime(topic?: string, queueId?: number): Promise<number> {
    if (topic !== undefined && queueId !== undefined) return this.getMessageStoreTimestamp(topic, queueId, this.getMinOffsetInQueue(topic, queueId));
    const first = await this.lookMessageByOffset(this.commitLog.minOffset);
    return first ? decodeRecord(first).storeTimestamp : -1;
  }

  /**
   * VIEW_MESSAGE_BY_ID: the record starting at a commit-log offset, or undefined when no valid
   * record starts there (checked: structure, CRC, its own PHYSICALOFFSET) — never arbitrary bytes.
   */
  async lookMessageByOffset(physicalOffset: number): Promise<Buffer | undefined> {
    if (!Number.isSafeInteger(physicalOffset) || physicalOffset < this.commitLog.minOffset || physicalOffset + 8 > this.commitLog.writtenOffset) return undefined;
    const head = await this.commitLog.read(physicalOffset, 8);
    if (!head) return undefined;
    const size = head.readInt32BE(0);
    const segRemaining = this.commitLog.segmentStartOf(physicalOffset) + this.commitLog.segmentSize - physicalOffset;
    if (size < 91 || size > segRemaining) return undefined;
    const rec = await this.commitLog.read(physicalOffset, size);
    if (!rec) return undefined;
    return checkRecordAt(rec, 0, physicalOffset, segRemaining).kind === 'record' ? rec : undefined;
  }

  /** QUERY_MESSAGE: records of `topic` whose KEYS contain `key` or whose UNIQ_KEY is `key`, newest first. */
  async queryMessage(topic: string, key: string, maxNum: number, begin = 0, end = Number.MAX_SAFE_INTEGER): Promise<Buffer[]> {
    if (!this.index) return [];
    const candidates = await this.index.query(indexKey(topic, key), maxNum * 4 + 16, begin, end);
    const out: Buffer[] = [];
    const seen = new Set<number>();
    for (const phys of candidates) {
      if (out.length >= maxNum || seen.has(phys)) continue;
      seen.add(phys);
      const rec = await this.lookMessageByOffset(phys);
      if (!rec) continue;
      const r = decodeRecord(rec);
      if (r.topic !== topic || r.storeTimestamp < begin || r.storeTimestamp > end) continue;
      const keys = findProperty(r.properties, PropertyKey.KEYS)?.split(KEY_SEPARATOR) ?? [];
      if (keys.includes(key) || findProperty(r.properties, PropertyKey.UNIQ_CLIENT_MESSAGE_ID_KEYIDX) === key) out.push(rec);
    }
    return out;
  }

  // ---------------------------------------------------------------- replication

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
  /** Counters: commit-log writes (writev calls) and fdatasyncs so far. */
  get stats(): { writes: number; fsyncs: number } {
    return { ...this.commitLog.stats };
  }

  /** Figures for GET_BROKER_RUNTIME_INFO and status output (RocketMQ's key names where it has them). */
  runtimeInfo(): Record<string, number | boolean> {
    return {
      commitLogMinOffset: this.commitLog.minOffset,
      commitLogMaxOffset: this.commitLog.maxOffset,
      commitLogFlushedOffset: this.commitLog.flushedOffset,
      remainHowManyDataToFlush: this.commitLog.maxOffset - this.commitLog.flushedOffset,
      dispatchBehindBytes: 0, // dispatch is synchronous with the append
      putMessageTotal: this.putTotals.messages,
      putMessageSizeTotal: this.putTotals.bytes,
      commitLogDiskRatio: this.lastDiskUsedRatio / 100,
      writable: this.refusal() === undefined,
      commitLogWrites: this.commitLog.stats.writes,
      commitLogFsyncs: this.commitLog.stats.fsyncs,
    };
  }

  private readonly putTotals = { messages: 0, bytes: 0 };
  private lastDiskUsedRatio = 0;

  /** Where the next appendRaw must start (maxPhysOffset plus a partial record already received). */
  get rawAppendOffset(): number {
    return this.commitLog.maxOffset + this.rawCarry.length;
  }

  /** Commit-log bytes below this are in the kernel (survive a crash of this process). */
  get writtenPhysOffset(): number {
    return this.commitLog.writtenOffset;
  }

  /**
   * Slave side, when a replication stream ends: forgets a partial record received so far, so the
   * next stream starts at maxPhysOffset (the master sends the whole record again).
   */
  discardRawCarry(): void {
    this.rawCarry = Buffer.alloc(0);
  }

  /**
   * Slave side: an empty store whose master's log starts past 0 (its older segments are gone)
   * begins at that offset, a segment boundary, so records keep their offsets.
   */
  startEmptyAt(offset: number): void {
    if (this.commitLog.maxOffset !== 0 || this.commitLog.minOffset !== 0 || this.rawCarry.length > 0 || this.queues.size > 0) {
      throw new RangeError(`only an empty store can start at ${offset}; this one holds [${this.commitLog.minOffset}, ${this.commitLog.maxOffset})`);
    }
    if (!Number.isSafeInteger(offset) || offset < 0 || offset % this.commitLog.segmentSize !== 0) {
      throw new RangeError(`a log can only start at a segment boundary (a multiple of ${this.commitLog.segmentSize}), not at ${offset}`);
    }
    this.commitLog.startAt(offset);
  }

  /** fdatasync of the commit log now (a SYNC_FLUSH slave acks only what is on disk). Returns the flushed offset. */
  flushCommitLog(): Promise<number> {
    return this.commitLog.flush();
  }

  /** Master side: raw commit-log bytes from `offset` (at most maxBytes, within one segment, only written data). */
  readRaw(offset: number, maxBytes: number): Promise<Buffer> {
    return this.commitLog.readRaw(offset, maxBytes);
  }

  /**
   * Slave side: appends raw bytes received from a master at exactly `offset` (= rawAppendOffset;
   * anything else is refused with a RangeError). Chunks may split records: complete records are
   * verified (structure, CRC, position), appended and dispatched; a partial tail waits for the next
   * chunk. Bad bytes are refused (nothing of the bad record is stored). Resolves with the new
   * rawAppendOffset once the complete records are in the kernel.
   */
  async appendRaw(offset: number, data: Buffer): Promise<number> {
    const refused = this.refusal();
    if (refused) throw new Error(`cannot append: ${refused.remark}`);
    if (offset !== this.rawAppendOffset) throw new RangeError(`raw append at ${offset}, but the commit log continues at ${this.rawAppendOffset}`);
    // A record split between chunks: join the carried head with just the bytes that complete it
    // (not the whole chunk — with 32 KiB transfer frames nearly every chunk starts mid-record).
    const carry = this.rawCarry;
    const need = carry.length >= 4 ? carry.readInt32BE(0) - carry.length : -1;
    if (carry.length > 0 && need > 0 && need <= data.length) {
      const head = Buffer.concat([carry, data.subarray(0, need)]);
      const used = this.appendRecords(head);
      if (used === head.length) {
        const rest = data.subarray(need);
        this.rawCarry = Buffer.alloc(0);
        this.rawCarry = Buffer.from(rest.subarray(this.appendRecords(rest)));
      } else {
        this.rawCarry = Buffer.concat([head.subarray(used), data.subarray(need)]);
      }
    } else {
      const buf = carry.length > 0 ? Buffer.concat([carry, data]) : data;
      this.rawCarry = Buffer.from(buf.subarray(this.appendRecords(buf)));
    }
    await this.commitLog.waitWritten(this.commitLog.maxOffset);
    return this.rawAppendOffset;
  }

  /**
   * Verifies, appends and dispatches every complete record (or end-of-segment blank) at the start
   * of `buf`, which continues the commit log at maxPhysOffset. Returns the bytes consumed; the rest
   * is an incomplete record. Throws RangeError on bytes that cannot be records here.
   */
  private appendRecords(buf: Buffer): number {
    let at = 0;
    const storeNow = (r: MessageRecord, size: number) => {
      const phys = this.commitLog.append(size, (dst, pos) => buf.copy(dst, pos, at, at + size));
      const tx = transactionType(r.sysFlag);
      if (tx !== SysFlag.TRANSACTION_PREPARED_TYPE && tx !== SysFlag.TRANSACTION_ROLLBACK_TYPE) {
        const cq = this.queue(r.topic, r.queueId);
        const tags = this.tagsCodeOf(r.topic, r.properties, r.storeTimestamp);
        cq.append(r.queueOffset, phys, size, tags);
        this.dirtyQueues.add(cq);
        this.pendingVisible.push({ end: phys + size, cq, upto: r.queueOffset + 1, event: { topic: r.topic, queueId: r.queueId, queueOffset: r.queueOffset, physicalOffset: phys, size, tagsCode: tags, storeTimestamp: r.storeTimestamp } });
      }
      this.indexRecord(r.topic, r.properties, phys, r.storeTimestamp, r.sysFlag);
    };
    for (;;) {
      const phys = this.commitLog.maxOffset;
      const segRemaining = this.commitLog.segmentStartOf(phys) + this.commitLog.segmentSize - phys;
      const left = buf.length - at;
      if (left < 8) break;
      const size = buf.readInt32BE(at);
      const magic = buf.readInt32BE(at + 4);
      const isRecord = (magic === MAGIC_V1 || magic === MAGIC_V2) && size >= 91;
      if ((isRecord && size + END_OF_SEGMENT_MIN_BLANK > segRemaining) || (magic === MAGIC_BLANK && size !== segRemaining)) {
        throw new RangeError(`replicated ${isRecord ? 'record' : 'end-of-segment record'} at ${phys} does not fit this commit-log segment (${segRemaining} bytes left): master and slave must use the same mappedFileSizeCommitLog`);
      }
      const c = checkRecordAt(buf, at, phys, segRemaining);
      if (c.kind === 'blank') {
        if (left < c.size) break; // the blank's padding has not all arrived
        this.commitLog.appendBlank();
        at += c.size;
        continue;
      }
      if (c.kind === 'record') {
        if (!TOPIC_NAME.test(c.record.topic)) throw new RangeError(`replicated record at ${phys} has an invalid topic name`);
        const cq = this.findQueue(c.record.topic, c.record.queueId);
        const tx = transactionType(c.record.sysFlag);
        if (cq && !cq.isEmpty && tx !== SysFlag.TRANSACTION_PREPARED_TYPE && tx !== SysFlag.TRANSACTION_ROLLBACK_TYPE && c.record.queueOffset !== cq.maxOffset) {
          throw new RangeError(`replicated record at ${phys} has queue offset ${c.record.queueOffset}, but ${c.record.topic}/${c.record.queueId} continues at ${cq.maxOffset}`);
        }
        storeNow(c.record, c.size);
        at += c.size;
        continue;
      }
      if (c.kind === 'invalid' && size >= 91 && size <= segRemaining && left < size) break; // incomplete record
      throw new RangeError(`replicated bytes at commit-log offset ${phys} are not a valid record: ${c.kind === 'invalid' ? c.reason : 'zeros where a record should start'}`);
    }
    return at;
  }

  // ---------------------------------------------------------------- flushing, retention, lifecycle

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

  private maintenance: Promise<void> = Promise.resolve();

  /** Writes consume queues and the index, then the checkpoint. Serialised. */
  async flushLogics(): Promise<void> {
    if (this.logicsFlushing) return this.logicsFlushing;
    this.logicsFlushing = this.exclusive(async () => {
      const dispatched = this.commitLog.maxOffset;
      const flushed = this.commitLog.flushedOffset;
      const dirty = [...this.dirtyQueues];
      this.dirtyQueues.clear();
      for (const q of dirty) await q.flush();
      await this.index?.flush();
      const c = { commitLogFlushed: flushed, logicsDurable: dispatched, indexDurable: dispatched, writtenAt: Date.now() };
      const prev = this.lastCheckpoint;
      if (!prev || prev.commitLogFlushed !== c.commitLogFlushed || prev.logicsDurable !== c.logicsDurable) {
        await writeCheckpoint(path.join(this.root, 'checkpoint'), c);
        this.lastCheckpoint = c;
      }
    }).finally(() => {
      this.logicsFlushing = undefined;
    });
    return this.logicsFlushing;
  }

  /**
   * Deletes expired commit-log segments (older than fileReservedTime hours) at a deleteWhen hour, or
   * at any hour while disk use is above diskMaxUsedSpaceRatio; above diskSpaceCleanForciblyRatio
   * the oldest segments go even if not expired. Never the segment being written. Consume queues
   * and the index follow. Returns the number of segments deleted.
   */
  async runRetention(at?: { now?: number; diskUsedRatio?: number }): Promise<number> {
    if (this.retentionRunning || this.shuttingDown) return 0;
    this.retentionRunning = true;
    try {
      const now = at?.now ?? this.opts.now?.() ?? Date.now();
      const ratio = at?.diskUsedRatio ?? (await (this.opts.diskUsedRatio ?? statfsUsedRatio)(this.root));
      this.lastDiskUsedRatio = ratio;
      const wasFull = this.diskFull;
      this.diskFull = ratio > this.config.diskSpaceWarningLevelRatio;
      if (this.diskFull !== wasFull) this.logger[this.diskFull ? 'error' : 'info'](this.diskFull ? 'disk nearly full: refusing puts' : 'disk space recovered: accepting puts', { usedPercent: ratio.toFixed(1) });
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
          for (const qs of this.queues.values()) for (const q of qs.values()) await q.deleteBelowPhysical(min);
          await this.index?.deleteBelowPhysical(min);
        });
      }
      return deleted;
    } finally {
      this.retentionRunning = false;
    }
  }

  /** Deletes a topic's consume queues (DELETE_TOPIC_IN_BROKER); its records age out with their segments. */
  async deleteTopic(topic: string): Promise<void> {
    const qs = this.queues.get(topic);
    if (!qs) return;
    this.queues.delete(topic);
    await this.exclusive(async () => {
      for (const q of qs.values()) {
        this.dirtyQueues.delete(q);
        await q.destroy();
      }
      await fsp.rm(path.join(this.cqRoot, topic), { recursive: true, force: true });
    });
  }

  /** Flushes everything, writes the checkpoint, removes the abort marker, releases the lock. */
  async close(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.commitLog.close();
    await this.logicsFlushing;
    await this.flushLogics();
    for (const qs of this.queues.values()) for (const q of qs.values()) await q.close();
    await this.index?.close();
    await fsp.rm(path.join(this.root, 'abort'), { force: true });
    await fsyncDir(this.root);
    await this.lock.release();
  }
}

