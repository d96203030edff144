/**
 * The store's options. Names follow RocketMQ's MessageStoreConfig (the keys of broker.properties)
 * so the broker can pass its parsed properties straight through.
 */
export type FlushDiskType = 'ASYNC_FLUSH' | 'SYNC_FLUSH';

export interface StoreConfig {
  /** `storePathRootDir`: holds commitlog/, consumequeue/, index/, checkpoint, abort, lock. */
  storePathRootDir: string;
  /** `storePathCommitLog`; default `<root>/commitlog`. */
  storePathCommitLog?: string;
  /** `mappedFileSizeCommitLog`: bytes per commit-log segment (RocketMQ: 1 GiB). */
  mappedFileSizeCommitLog: number;
  /** Units (20 bytes each) per consume-queue file (RocketMQ: 300,000 → 6,000,000-byte files). */
  consumeQueueUnitsPerFile: number;
  flushDiskType: FlushDiskType;
  /** ASYNC_FLUSH: ms between commit-log fdatasyncs. */
  flushIntervalCommitLog: number;
  /** SYNC_FLUSH: how long a put waits for its fsync before answering FLUSH_DISK_TIMEOUT. */
  syncFlushTimeout: number;
  /** ms between consume-queue flushes (each followed by a checkpoint). */
  flushIntervalConsumeQueue: number;
  /**
   * ms between key-index flushes (done with a consume-queue flush once this much time has passed).
   * After a crash the index is rebuilt from the commit log from its last flush on.
   */
  flushIntervalIndex: number;
  /** `maxMessageSize`: largest body (and whole record) accepted. */
  maxMessageSize: number;
  /**
   * Zero-fill the next segment in the background before it is used. Segments are always created at
   * full size (ftruncate) so appends never grow a file — the slowest case for fdatasync; whether
   * zero-filling on top of that helps depends on the disk (`npm run bench` compares both; on the
   * project machine it did not, so it is off by default).
   */
  preallocateSegments: boolean;
  /**
   * SYNC_FLUSH only: write segments with O_DSYNC (each write returns durable) instead of
   * write + fdatasync. Whether it is faster depends on the disk; `npm run bench` compares both.
   */
  syncFlushWithDsync: boolean;
  /** Bytes of the commit log's tail kept in memory after writing, to serve recent reads without pread. */
  memoryCacheBytes: number;
  /** Size of one in-memory write block (records never straddle blocks). */
  writeBlockBytes: number;
  /**
   * Commit-log writes of at most this many bytes (what one event-loop turn appended) are made on
   * the store's thread — a copy into the page cache — instead of through the thread pool, whose
   * round trip costs more than the copy; larger ones still use the pool, so a burst never holds
   * the thread. 0: every write uses the pool. Not with syncFlushWithDsync (each write waits for the disk).
   */
  syncWriteMaxBytes: number;
  /**
   * Percent of RAM behind the commit log's end that counts as in memory (RocketMQ's
   * `accessMessageInMemoryMaxRatio`): reads there are synchronous preads from the page cache
   * (RocketMQ's mmap reads); older ones go through the thread pool. 0: every read does.
   */
  accessMessageInMemoryMaxRatio: number;
  /** Key index: hash slots and entries per index file (RocketMQ: 5,000,000 / 20,000,000). */
  maxHashSlotNum: number;
  maxIndexNum: number;
  messageIndexEnable: boolean;
  /** Retention: `deleteWhen` hours ("04" or "04;05"), `fileReservedTime` hours, disk ratios in percent. */
  deleteWhen: string;
  fileReservedTime: number;
  diskMaxUsedSpaceRatio: number;
  /** Above this disk use, delete the oldest segments even if they are not yet expired (RocketMQ: 85). */
  diskSpaceCleanForciblyRatio: number;
  /** Above this disk use, refuse puts (SERVICE_NOT_AVAILABLE) until space is freed (RocketMQ: 90). */
  diskSpaceWarningLevelRatio: number;
  /** ms between retention checks (`cleanResourceInterval`). */
  cleanResourceInterval: number;
  /** At most this many segments deleted per retention run (`deleteCommitLogFilesInterval` batches). */
  deleteFileBatchMax: number;
}

export const STORE_DEFAULTS: Omit<StoreConfig, 'storePathRootDir'> = {
  mappedFileSizeCommitLog: 1024 * 1024 * 1024,
  consumeQueueUnitsPerFile: 300_000,
  flushDiskType: 'ASYNC_FLUSH',
  flushIntervalCommitLog: 500,
  syncFlushTimeout: 5000,
  flushIntervalConsumeQueue: 1000,
  flushIntervalIndex: 10_000,
  maxMessageSize: 4 * 1024 * 1024,
  preallocateSegments: false,
  syncFlushWithDsync: false,
  memoryCacheBytes: 64 * 1024 * 1024,
  writeBlockBytes: 4 * 1024 * 1024,
  syncWriteMaxBytes: 256 * 1024,
  accessMessageInMemoryMaxRatio: 40,
  maxHashSlotNum: 5_000_000,
  maxIndexNum: 20_000_000,
  messageIndexEnable: true,
  deleteWhen: '04',
  fileReservedTime: 72,
  diskMaxUsedSpaceRatio: 75,
  diskSpaceCleanForciblyRatio: 85,
  diskSpaceWarningLevelRatio: 90,
  cleanResourceInterval: 10_000,
  deleteFileBatchMax: 10,
};

export function resolveStoreConfig(partial: Partial<StoreConfig> & { storePathRootDir: string }): StoreConfig {
  const c: StoreConfig = { ...STORE_DEFAULTS, ...partial };
  const problems: string[] = [];
  const positiveInt = (k: keyof StoreConfig) => {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) problems.push(`${k} must be a positive integer, got ${String(v)}`);
  };
  for (const k of ['mappedFileSizeCommitLog', 'consumeQueueUnitsPerFile', 'flushIntervalCommitLog', 'syncFlushTimeout', 'flushIntervalConsumeQueue', 'flushIntervalIndex', 'maxMessageSize', 'writeBlockBytes', 'maxHashSlotNum', 'maxIndexNum', 'fileReservedTime', 'cleanResourceInterval', 'deleteFileBatchMax'] as const) positiveInt(k);
  if (c.mappedFileSizeCommitLog < 4096) problems.push(`mappedFileSizeCommitLog must be at least 4096 bytes, got ${c.mappedFileSizeCommitLog}`);
  if (c.mappedFileSizeCommitLog > 2 ** 31 - 1) problems.push('mappedFileSizeCommitLog must fit an int32 (TOTALSIZE of the end-of-segment blank record)');
  if (c.flushDiskType !== 'ASYNC_FLUSH' && c.flushDiskType !== 'SYNC_FLUSH') problems.push(`flushDiskType must be ASYNC_FLUSH or SYNC_FLUSH, got ${String(c.flushDiskType)}`);
  if (!/^\d{1,2}(;\d{1,2})*$/.test(c.deleteWhen) || c.deleteWhen.split(';').some((h) => Number(h) > 23)) problems.push(`deleteWhen must be hours 00-23 separated by ';', got ${JSON.stringify(c.deleteWhen)}`);
  if (!Number.isSafeInteger(c.syncWriteMaxBytes) || c.syncWriteMaxBytes < 0) problems.push(`syncWriteMaxBytes must be a non-negative integer, got ${String(c.syncWriteMaxBytes)}`);
  if (!(c.accessMessageInMemoryMaxRatio >= 0 && c.accessMessageInMemoryMaxRatio <= 100)) problems.push(`accessMessageInMemoryMaxRatio must be a percentage in [0, 100], got ${c.accessMessageInMemoryMaxRatio}`);
  for (const k of ['diskMaxUsedSpaceRatio', 'diskSpaceCleanForciblyRatio', 'diskSpaceWarningLevelRatio'] as const) {
    if (!(c[k] > 0 && c[k] <= 100)) problems.push(`${k} must be a percentage in (0, 100], got ${c[k]}`);
  }
  if (problems.length > 0) throw new RangeError(`invalid store configuration:\n  ${problems.join('\n  ')}`);
  return c;
}
