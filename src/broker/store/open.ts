/**
 * Opening a store after a clean stop or a crash: from the last checkpoint, verify the commit log
 * and cut a torn tail (pass 1, recovery.ts), then rebuild consume-queue and index entries past
 * the checkpoint from the verified records, checking the entries before it (pass 2); a consume
 * queue that disagrees with the log is rebuilt from the whole log. Damage in fsynced data is
 * refused (StoreCorruptionError) rather than guessed around.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import { checkRecordAt, type MessageRecord } from '../../protocol/message/record.js';
import { close, fsyncDir, open, readAt } from '../../util/durable-file.js';
import type { Logger } from '../../util/log.js';
import { readCheckpoint, type Checkpoint } from './checkpoint.js';
import { CommitLog } from './commit-log.js';
import type { StoreConfig } from './store-config.js';
import type { ConsumeQueue } from './consume-queue.js';
import { Dispatcher, TOPIC_NAME, takesQueueSlot, type TagsCodeOf } from './dispatch.js';
import { StoreCorruptionError } from './errors.js';
import { KeyIndex } from './key-index.js';
import { scanCommitLog, type SegmentFile } from './recovery.js';
import { listOffsetFiles } from './segment-files.js';

export interface RecoveryOptions {
  tagsCode?: TagsCodeOf;
  fdatasync?: (fd: number) => Promise<void>;
  /** Consume-queue files kept open at most (default CONSUME_QUEUE_OPEN_FILES). */
  consumeQueueOpenFiles?: number;
  /**
   * Cut the commit log back to this offset (a record boundary) while opening: what a master that
   * lost its role wrote after the last point it shares with the new master (ha/epochs.ts). The
   * records cut are counted and reported (RecoveredStore.truncated); queues and index follow.
   */
  truncateTo?: number;
}

/** What an explicit truncation cut (RecoveryOptions.truncateTo). */
export interface Truncation {
  /** The log ended here before. */
  from: number;
  /** …and ends here now. */
  to: number;
  bytes: number;
  /** Records (messages) cut. */
  messages: number;
  /** Store times of the first and last message cut (ms; 0 when none). */
  firstStoreTimestamp: number;
  lastStoreTimestamp: number;
}

/** What recovery hands the store: the commit log, and the queues and index in step with it. */
export interface RecoveredStore {
  commitLog: CommitLog;
  dispatcher: Dispatcher;
  truncated?: Truncation;
}

export async function recoverStore(config: StoreConfig, opts: RecoveryOptions, logger: Logger): Promise<RecoveredStore> {
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
  // verify from the checkpoint: what it says was fsync'ed (and dispatched) is trusted, everything
  // after it is verified record by record — nothing after a clean stop, the unflushed tail after a
  // crash. Both offsets are record boundaries by construction; if the bytes there do not look like
  // one, fall back to verifying the whole segment holding it.
  const cutAt = opts.truncateTo;
  if (cutAt !== undefined && (!Number.isSafeInteger(cutAt) || cutAt < 0)) throw new RangeError(`truncateTo ${cutAt} is not a commit-log offset`);
  // an explicit cut verifies from before it at the latest, so the cut point is checked to be a record boundary
  const verifyPoint = Math.max(minStored, Math.min(dispatchFrom, Math.max(durableEnd, minStored), cutAt ?? Number.MAX_SAFE_INTEGER));
  const verifyFrom = (await startsOnRecordBoundary(segments, segSize, verifyPoint)) ? verifyPoint : Math.max(minStored, verifyPoint - (verifyPoint % segSize));
  if (verifyFrom !== verifyPoint) logger.warn('store recovery: the checkpoint does not point at a record boundary; verifying its whole segment', { checkpoint: verifyPoint, verifyFrom });
  const started = Date.now();
  logger.info('store recovery', { root, crashed, checkpoint: checkpoint ? `${checkpoint.commitLogFlushed}/${checkpoint.logicsDurable}` : 'none', verifyFrom });

  // pass 1: verify the commit log and find where it ends
  let scan = await scanCommitLog(segments, segSize, verifyFrom, durableEnd, logger);
  let truncated: Truncation | undefined;
  if (cutAt !== undefined && cutAt < scan.end) {
    truncated = await countTail(segments, segSize, cutAt, scan.end, verifyFrom, durableEnd, logger);
    scan = { end: cutAt, torn: true };
  }
  const verifiedBytes = scan.end - verifyFrom;
  const commitLog = await CommitLog.open(
    { dir: clDir, segmentSize: segSize, preallocate: config.preallocateSegments, memoryCacheBytes: config.memoryCacheBytes, writeBlockBytes: config.writeBlockBytes, syncWriteBytes: config.syncWriteMaxBytes, syncReadBytes: Math.floor((os.totalmem() * config.accessMessageInMemoryMaxRatio) / 100), logger, dsync: config.flushDiskType === 'SYNC_FLUSH' && config.syncFlushWithDsync, ...(opts.fdatasync ? { fdatasync: opts.fdatasync } : {}) },
    segments.map((s) => s.start),
    scan.end,
    scan.torn,
  );
  const cqTruncateFrom = Math.min(logicsFrom, scan.end);
  const indexTruncateFrom = Math.min(indexFrom, scan.end);
  const index = config.messageIndexEnable ? await KeyIndex.load(path.join(root, 'index'), config.maxHashSlotNum, config.maxIndexNum, indexTruncateFrom) : undefined;
  const dispatcher = new Dispatcher(cqRoot, config.consumeQueueUnitsPerFile, index, opts.tagsCode, logger, opts.consumeQueueOpenFiles);
  try {
    await dispatcher.loadQueues(cqTruncateFrom, commitLog.minOffset);
    // pass 2: rebuild consume-queue and index entries from the verified records
    const broken = new Set<ConsumeQueue>();
    // after a clean stop every queue file was whole: a cut one is damage, and entries before the
    // checkpoint are not re-derived from the log (it is not re-read there): rebuild that queue
    if (!crashed) for (const q of dispatcher.allQueues()) if (q.damagedOnLoad) broken.add(q);
    const kept = segments.filter((s) => s.start <= scan.end); // CommitLog.open removed those past the end
    await scanCommitLog(kept.filter((s) => s.start + segSize > verifyFrom), segSize, verifyFrom, 0, logger, async (r, phys) => {
      await redispatch(dispatcher, r, phys, phys >= cqTruncateFrom, phys >= indexTruncateFrom, broken);
    }, scan.end);
    if (broken.size > 0) await rebuildQueues(dispatcher, commitLog, logger, broken, kept, segSize, scan.end);
    for (const q of dispatcher.allQueues()) q.visibleMax = q.maxOffset;
    await fsp.writeFile(abortFile, `${process.pid}\n`);
    await fsyncDir(root);
    logger.info('store open', { minOffset: commitLog.minOffset, maxOffset: commitLog.maxOffset, queues: dispatcher.queueCount(), verifiedBytes, tornTailTruncated: scan.torn && truncated === undefined, recoveryMs: Date.now() - started });
    return { commitLog, dispatcher, ...(truncated ? { truncated } : {}) };
  } catch (e) {
    await closeRecovered({ commitLog, dispatcher });
    throw e;
  }
}

/**
 * The records of [cutAt, end) an explicit truncation removes, counted. Refuses a cut that is not a
 * record boundary (a scan from before it must land exactly on it).
 */
async function countTail(segments: readonly SegmentFile[], segSize: number, cutAt: number, end: number, verifyFrom: number, durableEnd: number, logger: Logger): Promise<Truncation> {
  const upTo = await scanCommitLog(segments, segSize, verifyFrom, Math.min(durableEnd, cutAt), logger, undefined, cutAt);
  if (upTo.end !== cutAt) throw new RangeError(`cannot truncate the commit log at ${cutAt}: not a record boundary (a record spans it; the nearest boundary after it is ${upTo.end})`);
  const t: Truncation = { from: end, to: cutAt, bytes: end - cutAt, messages: 0, firstStoreTimestamp: 0, lastStoreTimestamp: 0 };
  await scanCommitLog(segments, segSize, cutAt, 0, logger, (r) => {
    t.messages++;
    if (t.firstStoreTimestamp === 0) t.firstStoreTimestamp = r.storeTimestamp;
    t.lastStoreTimestamp = r.storeTimestamp;
  }, end);
  return t;
}

/**
 * Whether `at` looks like the start of a record: a segment start, or a position where a record,
 * an end-of-segment blank or the end of the log (zeros) begins right after the end of a record.
 * A record never ends in three zero bytes (its topic is a name and its properties hold no NUL, and
 * they come last), so zeros just before `at` mean it points past the data or into a record.
 */
async function startsOnRecordBoundary(segments: readonly SegmentFile[], segSize: number, at: number): Promise<boolean> {
  const segStart = at - (at % segSize);
  if (at === segStart) return true;
  const seg = segments.find((x) => x.start === segStart);
  if (seg === undefined) return false;
  const fd = await open(seg.path, fs.constants.O_RDONLY);
  try {
    const before = await readAt(fd, 3, at - segStart - 3);
    if (before.length < 3 || before.every((b) => b === 0)) return false;
    const head = await readAt(fd, Math.min(8, segStart + segSize - at), at - segStart);
    if (head.length < 8) return false;
    const size = head.readInt32BE(0);
    const remaining = segStart + segSize - at;
    // a size no record has (a bad position) is not read in full: falling back is always safe
    if (size > Math.min(remaining, 64 * 1024 * 1024)) return false;
    const rec = size >= 8 ? await readAt(fd, size, at - segStart) : head;
    return checkRecordAt(rec, 0, at, remaining).kind !== 'invalid';
  } finally {
    await close(fd);
  }
}

/** Closes what recovery opened (after a failure to finish opening the store). */
export async function closeRecovered(r: RecoveredStore): Promise<void> {
  await r.commitLog.close().catch(() => {});
  for (const q of r.dispatcher.allQueues()) await q.close().catch(() => {});
  await r.dispatcher.index?.close().catch(() => {});
}

/**
 * Recovery: the consume-queue entry of a verified record — appended when past the queues'
 * truncation point (`fresh`), else checked against the entry already there — and its index
 * entries when past the index's truncation point.
 */
async function redispatch(d: Dispatcher, r: MessageRecord, phys: number, fresh: boolean, indexFresh: boolean, broken: Set<ConsumeQueue>): Promise<void> {
  // before the checkpoint, only check queues that exist: a missing one was deleted (DELETE_TOPIC), not lost
  const known = fresh || d.findQueue(r.topic, r.queueId) !== undefined;
  if (known && takesQueueSlot(r.sysFlag) && TOPIC_NAME.test(r.topic)) {
    const cq = d.queue(r.topic, r.queueId);
    if (!broken.has(cq)) {
      const tags = d.tagsCodeOf(r.topic, r.properties, r.storeTimestamp);
      if (r.queueOffset === cq.maxOffset || (cq.isEmpty && r.queueOffset > 0)) {
        cq.append(r.queueOffset, phys, r.totalSize, tags);
        d.dirtyQueues.add(cq);
      } else if (r.queueOffset < cq.maxOffset && r.queueOffset >= cq.minOffset) {
        const e = await cq.entry(r.queueOffset);
        if (!e || e.physicalOffset !== phys || e.size !== r.totalSize) broken.add(cq);
      } else if (r.queueOffset > cq.maxOffset) {
        broken.add(cq);
      }
    }
  }
  if (indexFresh) d.indexRecord(r.topic, r.properties, phys, r.storeTimestamp, r.sysFlag);
}

/** Rebuilds damaged consume queues from the whole commit log. */
async function rebuildQueues(d: Dispatcher, commitLog: CommitLog, logger: Logger, broken: Set<ConsumeQueue>, segments: { start: number; path: string }[], segSize: number, end: number): Promise<void> {
  const names = new Set<string>();
  for (const cq of broken) {
    logger.warn('consume queue inconsistent with the commit log; rebuilding it', { topic: cq.topic, queueId: cq.queueId });
    await cq.destroy();
    d.queues.get(cq.topic)?.delete(cq.queueId);
    names.add(`${cq.topic}\u0000${cq.queueId}`);
  }
  const min = commitLog.minOffset;
  await scanCommitLog(segments.filter((s) => s.start >= min), segSize, min, 0, logger, (r, phys) => {
    if (!names.has(`${r.topic}\u0000${r.queueId}`)) return;
    if (!takesQueueSlot(r.sysFlag)) return;
    const cq = d.queue(r.topic, r.queueId);
    if (!cq.isEmpty && r.queueOffset !== cq.maxOffset) {
      throw new StoreCorruptionError(path.join(d.cqRoot, r.topic, String(r.queueId)), 0, `commit log holds queue offset ${r.queueOffset} after ${cq.maxOffset - 1}: the queue offsets in the log itself are inconsistent`);
    }
    cq.append(r.queueOffset, phys, r.totalSize, d.tagsCodeOf(r.topic, r.properties, r.storeTimestamp));
    d.dirtyQueues.add(cq);
  }, end);
}
