import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { END_OF_SEGMENT_MIN_BLANK } from '../../protocol/message/constants.js';
import { writeBlankRecord } from '../../protocol/message/record.js';
import type { Logger } from '../../util/log.js';
import { close, fdatasync, fsyncDir, ftruncate, open, readAt, readAtSync, writev, writevSync } from '../../util/durable-file.js';
import { offsetFileName } from './segment-files.js';
import { OffsetWaiters } from './offset-waiters.js';
import { SharedFd } from './shared-fd.js';

/**
 * The commit log: fixed-size segment files named by their start offset, written append-only.
 *
 * Hot path: a put reserves its bytes synchronously in an in-memory block (records are encoded
 * straight into it, offsets assigned on the spot — JS's single thread is the append lock); a writer
 * then hands every pending byte of a segment to the kernel in one writev, and flushes are
 * fdatasyncs shared by everything written before them (group commit). Written blocks stay in memory
 * (up to memoryCacheBytes) so recent reads need no syscall; older reads pread the segment.
 */
export interface CommitLogOptions {
  dir: string;
  segmentSize: number;
  preallocate: boolean;
  memoryCacheBytes: number;
  writeBlockBytes: number;
  logger: Logger;
  /** Replaces fdatasync of segment files — only for tests that need a slow or failing disk. */
  fdatasync?: (fd: number) => Promise<void>;
  /**
   * Open segments with O_DSYNC: every write returns durable, so SYNC_FLUSH needs one thread-pool
   * round trip per group commit instead of two (write, then fdatasync).
   */
  dsync?: boolean;
  /** While a write waits for disk space (ENOSPC/EDQUOT): how often it is tried again (default 1000 ms). */
  stallRetryMillis?: number;
  /**
   * Reads of bytes at most this far behind the log's end use a synchronous pread (default 0: none):
   * data RocketMQ counts as in memory (accessMessageInMemoryMaxRatio of RAM), which its mmap reads
   * copy without a thread hand-off. Older bytes go through the thread pool, so a read from disk
   * never stalls the event loop.
   */
  syncReadBytes?: number;
  /**
   * A write of at most this many pending bytes is made on the calling thread (default 0: every
   * write goes through the thread pool). Not with `dsync`, where a write waits for the disk.
   */
  syncWriteBytes?: number;
}

/**
 * A write the file system had no room for (ENOSPC, EDQUOT). Nothing is lost or torn for good: the
 * bytes stay in their blocks, unchanged, and the same writev (same bytes, same file positions) is
 * tried again until it succeeds — a short write before the failure left a prefix of exactly these
 * bytes in the file, which the retry overwrites with themselves.
 */
export interface WriteStall {
  error: NodeJS.ErrnoException;
  /** ms since epoch of the first failed write. */
  since: number;
  /** Offset the failed write started at (everything below it is in the file). */
  at: number;
  /** Failed attempts so far. */
  attempts: number;
}

/** Errors that mean "no room now" and go away when space is freed; anything else ends writing for good. */
export function isOutOfSpace(e: unknown): e is NodeJS.ErrnoException {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

interface Block {
  /** Commit-log offset of buf[0]. */
  start: number;
  buf: Buffer;
  /** Bytes of buf filled with records. */
  used: number;
  /** Bytes of buf already written to the segment file. */
  written: number;
  /** Set when the block ends its segment with a blank record: the offset after it is the next segment's start. */
  sealedEnd?: number;
  /** The pooled allocation buf is a view of (returned to the pool on eviction). */
  pooled?: Buffer;
}

interface Segment {
  start: number;
  path: string;
  file: SharedFd;
}

interface Preallocation {
  start: number;
  fd: number;
  cancelled: boolean;
  done: Promise<void>;
}

export class CommitLog {
  readonly segmentSize: number;
  private readonly segments: Segment[] = [];
  private readonly blocks: Block[] = [];
  private readonly dirty = new Set<Segment>();
  /** Recycled write blocks: fresh 4 MiB allocations cost page faults and GC on every block. */
  private readonly freeBlocks: Buffer[] = [];
  private prealloc: Preallocation | undefined;
  private writing = false;
  private writeScheduled = false;
  private flushing = false;
  /** A write or fsync failed for good: writing stops until a restart (recovery repairs the tail). */
  private failure: Error | undefined;
  /** A write is waiting for disk space (see WriteStall); retried by stallTimer. */
  private stall: WriteStall | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private readonly writtenWaiters = new OffsetWaiters();
  private readonly flushWaiters = new OffsetWaiters();
  private closed = false;

  /** First byte still stored (start of the oldest segment). */
  minOffset = 0;
  /** Where the next record goes. */
  maxOffset = 0;
  /** Bytes below this are in the kernel (survive a process crash). */
  writtenOffset = 0;
  /** Bytes below this were fdatasync'ed (survive a machine crash). */
  flushedOffset = 0;
  /** Counters for runtime info and tests. */
  readonly stats = { writes: 0, syncWrites: 0, fsyncs: 0 };
  /** Called after each write with the new writtenOffset (dispatch visibility, replication). */
  onWritten: (writtenOffset: number) => void = () => {};
  /** Called when writing stalls, resumes or fails (the write gate logs and reports it). */
  onWriteStateChange: () => void = () => {};

  private constructor(private readonly opts: CommitLogOptions) {
    this.segmentSize = opts.segmentSize;
    this.dsyncFlag = opts.dsync ? fs.constants.O_DSYNC : 0;
  }

  private readonly dsyncFlag: number;

  /**
   * Opens the segments under dir with the log ending at `end` (found by recovery): bytes past it
   * are zeroed and later segment files removed, so stale bytes can never be read back as records.
   */
  static async open(opts: CommitLogOptions, segmentStarts: readonly number[], end: number, zeroTail: boolean): Promise<CommitLog> {
    const log = new CommitLog(opts);
    await fsp.mkdir(opts.dir, { recursive: true });
    const endSegment = log.segmentStartOf(end);
    for (const start of segmentStarts) {
      const file = path.join(opts.dir, offsetFileName(start));
      if (start > endSegment) {
        await fsp.rm(file, { force: true });
        continue;
      }
      const fd = await open(file, fs.constants.O_RDWR | log.dsyncFlag);
      const seg = { start, path: file, file: new SharedFd(fd) };
      if (start === endSegment && zeroTail) {
        // zero everything after the end: truncate, then extend back to the fixed size (sparse)
        await ftruncate(fd, end - start);
        await ftruncate(fd, opts.segmentSize);
        await fdatasync(fd);
      } else if ((await fsp.stat(file)).size !== opts.segmentSize) {
        await ftruncate(fd, opts.segmentSize);
      }
      log.segments.push(seg);
    }
    if (log.segments.length > 0) await fsyncDir(opts.dir);
    log.minOffset = log.segments[0]?.start ?? endSegment;
    log.maxOffset = log.writtenOffset = log.flushedOffset = end;
    return log;
  }

  /** An empty log begins at `offset` (a segment boundary) instead of 0. */
  startAt(offset: number): void {
    if (this.segments.length > 0 || this.blocks.length > 0 || this.maxOffset !== 0) throw new RangeError('the commit log is not empty');
    this.minOffset = this.maxOffset = this.writtenOffset = this.flushedOffset = offset;
  }

  segmentStartOf(offset: number): number {
    return offset - (offset % this.segmentSize);
  }

  /**
   * False while a write waits for disk space (stalled: clears by itself once space is freed), and
   * for good once a write failed otherwise (the store refuses puts until restarted; recovery repairs the tail).
   */
  get writable(): boolean {
    return this.failure === undefined && this.stall === undefined && !this.closed;
  }

  /** The error that ended writing for good (not a stall). */
  get writeError(): Error | undefined {
    return this.failure;
  }

  /** The write waiting for disk space, if one is. */
  get writeStall(): Readonly<WriteStall> | undefined {
    return this.stall;
  }

  /** Bytes appended but not yet in the file (held in memory; > 0 for long only while stalled). */
  get unwrittenBytes(): number {
    return this.maxOffset - this.writtenOffset;
  }

  /** Largest record a segment can take (a record always leaves room for the blank record after it). */
  get maxRecordSize(): number {
    return this.segmentSize - END_OF_SEGMENT_MIN_BLANK;
  }

  /**
   * Reserves `size` bytes for one record and lets `fill` write it at (buf, at) for commit-log offset
   * `physicalOffset`. Rolls to the next segment (writing the blank end record) when it does not fit.
   * Synchronous: offsets are assigned in call order.
   */
  append(size: number, fill: (buf: Buffer, at: number, physicalOffset: number) => void): number {
    if (size > this.maxRecordSize) throw new RangeError(`record of ${size} bytes exceeds the segment size`);
    const segEnd = this.segmentStartOf(this.maxOffset) + this.segmentSize;
    if (this.maxOffset + size + END_OF_SEGMENT_MIN_BLANK > segEnd) this.appendBlank();
    const block = this.blockWithRoom(size);
    const phys = this.maxOffset;
    fill(block.buf, block.used, phys);
    block.used += size;
    this.maxOffset += size;
    this.scheduleWrite();
    return phys;
  }

  /** Ends the current segment with a blank record; the log continues at the next segment's start. */
  appendBlank(): void {
    const segStart = this.segmentStartOf(this.maxOffset);
    const remaining = segStart + this.segmentSize - this.maxOffset;
    const block = this.blockWithRoom(END_OF_SEGMENT_MIN_BLANK);
    writeBlankRecord(block.buf, block.used, remaining);
    block.used += END_OF_SEGMENT_MIN_BLANK;
    block.sealedEnd = segStart + this.segmentSize;
    this.maxOffset = block.sealedEnd;
    this.scheduleWrite();
  }

  private blockWithRoom(size: number): Block {
    const last = this.blocks[this.blocks.length - 1];
    if (last && last.sealedEnd === undefined && last.start + last.used === this.maxOffset && last.buf.length - last.used >= size) return last;
    const segEnd = this.segmentStartOf(this.maxOffset) + this.segmentSize;
    const cap = Math.min(Math.max(this.opts.writeBlockBytes, size), segEnd - this.maxOffset);
    let block: Block;
    if (cap <= this.opts.writeBlockBytes) {
      const pooled = this.freeBlocks.pop() ?? Buffer.allocUnsafe(this.opts.writeBlockBytes);
      block = { start: this.maxOffset, buf: pooled.subarray(0, cap), used: 0, written: 0, pooled };
    } else {
      block = { start: this.maxOffset, buf: Buffer.allocUnsafe(cap), used: 0, written: 0 };
    }
    this.blocks.push(block);
    return block;
  }

  /**
   * Resolves true once every byte below `offset` is in the kernel; false if the log failed or
   * closed, or after timeoutMs (a stalled write keeps its waiters: the bytes may still be written).
   */
  waitWritten(offset: number, timeoutMs = Infinity): Promise<boolean> {
    if (this.writtenOffset >= offset) return Promise.resolve(true);
    if (this.failure) return Promise.resolve(false);
    return this.writtenWaiters.wait(offset, timeoutMs);
  }

  /**
   * Resolves true once every byte below `offset` was fdatasync'ed, false after timeoutMs.
   * All callers waiting at a given moment share the next fdatasync.
   */
  waitFlushed(offset: number, timeoutMs: number): Promise<boolean> {
    if (this.flushedOffset >= offset) return Promise.resolve(true);
    if (this.failure) return Promise.resolve(false);
    const p = this.flushWaiters.wait(offset, timeoutMs);
    void this.runFlusher();
    return p;
  }

  private scheduleWrite(): void {
    // a stalled write is retried by its timer, not by every append
    if (this.writing || this.writeScheduled || this.stall) return;
    this.writeScheduled = true;
    // setImmediate: every put of this event-loop turn (all frames read from all sockets) joins one writev
    setImmediate(() => {
      this.writeScheduled = false;
      void this.runWriter();
    });
  }

  private async runWriter(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.writtenOffset < this.maxOffset && !this.failure && !this.closed) await this.writeOnce();
      // a stall ends once everything held back is in the file
      if (this.stall && this.writtenOffset >= this.maxOffset) this.endStall();
    } catch (e) {
      if (isOutOfSpace(e) && !this.closed) this.stallOn(e);
      else this.fail(e as Error);
    } finally {
      this.writing = false;
    }
    if (this.writtenOffset < this.maxOffset && !this.failure && !this.closed) this.scheduleWrite();
  }

  /** A write found no space: keep the bytes, refuse new puts (the gate asks `writable`), try again in a while. */
  private stallOn(e: NodeJS.ErrnoException): void {
    if (this.stall === undefined) {
      this.stall = { error: e, since: Date.now(), at: this.writtenOffset, attempts: 1 };
      this.opts.logger.error('commit log write failed: no space left on the device; refusing puts, keeping the unwritten bytes in memory and retrying until space is freed (no restart needed)', {
        dir: this.opts.dir,
        code: e.code,
        offset: this.writtenOffset,
        unwrittenBytes: this.unwrittenBytes,
        retryMs: this.stallRetryMillis,
      });
      this.onWriteStateChange();
    } else {
      this.stall.attempts++;
      this.stall.error = e;
    }
    this.stallTimer = setTimeout(() => {
      this.stallTimer = undefined;
      void this.runWriter();
    }, this.stallRetryMillis);
    this.stallTimer.unref();
  }

  private endStall(): void {
    const s = this.stall;
    if (s === undefined) return;
    this.stall = undefined;
    this.opts.logger.info('commit log writes resumed: disk space is available again; the held bytes are written', { stalledMs: Date.now() - s.since, attempts: s.attempts, from: s.at, to: this.writtenOffset });
    this.onWriteStateChange();
  }

  private get stallRetryMillis(): number {
    return this.opts.stallRetryMillis ?? 1000;
  }

  /** One writev of every pending byte of the first segment with pending bytes. */
  private async writeOnce(): Promise<void> {
    let i = 0;
    while (i < this.blocks.length && this.blocks[i]!.written === this.blocks[i]!.used) i++;
    const first = this.blocks[i];
    if (!first) return;
    const segStart = this.segmentStartOf(first.start);
    const iov: Buffer[] = [];
    const marks: [Block, number][] = [];
    let end = first.start + first.written;
    const position = end - segStart;
    let newWritten = end;
    for (; i < this.blocks.length; i++) {
      const b = this.blocks[i]!;
      if (this.segmentStartOf(b.start) !== segStart || b.start + b.written !== end) break;
      const upto = b.used;
      if (upto > b.written) iov.push(b.buf.subarray(b.written, upto));
      marks.push([b, upto]);
      end = b.start + upto;
      newWritten = b.sealedEnd !== undefined && upto === b.used ? b.sealedEnd : end;
      if (b.sealedEnd !== undefined) break;
    }
    const seg = await this.segmentFor(segStart);
    let total = iov.reduce((n, b) => n + b.length, 0);
    let at = position;
    let parts = iov;
    // what one turn appended, copied into the page cache here: no pool round trip before the acks
    const onThisThread = !this.opts.dsync && total <= (this.opts.syncWriteBytes ?? 0);
    while (total > 0) {
      const n = onThisThread ? seg.file.useSync((fd) => writevSync(fd, parts, at)) : await seg.file.use((fd) => writev(fd, parts, at));
      total -= n;
      at += n;
      if (total > 0) parts = skipBytes(parts, n);
    }
    for (const [b, upto] of marks) b.written = upto;
    this.stats.writes++;
    if (onThisThread) this.stats.syncWrites++;
    if (this.opts.dsync) {
      // an O_DSYNC write is durable when it returns (the test hook may still hold it back)
      if (this.opts.fdatasync) await seg.file.use(this.opts.fdatasync);
      this.stats.fsyncs++;
    } else this.dirty.add(seg);
    this.writtenOffset = newWritten;
    if (this.opts.dsync) {
      this.flushedOffset = newWritten;
      this.flushWaiters.advance(newWritten);
    }
    this.evictWrittenBlocks();
    this.writtenWaiters.advance(this.writtenOffset);
    this.onWritten(this.writtenOffset);
    if (this.flushWaiters.size > 0) void this.runFlusher();
    this.maybePreallocateNext(seg.start);
  }

  private evictWrittenBlocks(): void {
    let cached = 0;
    for (const b of this.blocks) if (b.written === b.used) cached += b.buf.length;
    while (cached > this.opts.memoryCacheBytes && this.blocks.length > 1) {
      const b = this.blocks[0]!;
      if (b.written !== b.used) break;
      this.blocks.shift();
      cached -= b.buf.length;
      if (b.pooled && this.freeBlocks.length < 4) this.freeBlocks.push(b.pooled);
    }
  }

  /** fdatasync everything written so far. Returns the offset now known durable. */
  async flush(): Promise<number> {
    const target = this.writtenOffset;
    const segs = [...this.dirty];
    this.dirty.clear();
    try {
      const sync = this.opts.fdatasync ?? fdatasync;
      await Promise.all(segs.map((s) => s.file.use(sync)));
      this.stats.fsyncs += segs.length;
    } catch (e) {
      this.fail(e as Error);
      throw e;
    }
    if (target > this.flushedOffset) this.flushedOffset = target;
    this.flushWaiters.advance(this.flushedOffset);
    return this.flushedOffset;
  }

  private async runFlusher(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.flushWaiters.size > 0 && !this.failure && this.writtenOffset > this.flushedOffset) await this.flush();
    } catch {
      // fail() already recorded it and released the waiters
    } finally {
      this.flushing = false;
    }
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    if (this.stallTimer !== undefined) clearTimeout(this.stallTimer);
    this.stall = undefined;
    this.opts.logger.error('commit log write failed; refusing puts until the broker is restarted (recovery verifies the log and cuts what was not written)', { error: e });
    this.writtenWaiters.failAll();
    this.flushWaiters.failAll();
    this.onWriteStateChange();
  }

  private async segmentFor(start: number): Promise<Segment> {
    const last = this.segments[this.segments.length - 1];
    if (last && last.start === start) return last;
    const existing = this.segments.find((s) => s.start === start);
    if (existing) return existing;
    let fd: number;
    const file = path.join(this.opts.dir, offsetFileName(start));
    if (this.prealloc && this.prealloc.start === start) {
      this.prealloc.cancelled = true;
      await this.prealloc.done;
      fd = this.prealloc.fd;
      this.prealloc = undefined;
      if (this.dsyncFlag) {
        await close(fd);
        fd = await open(file, fs.constants.O_RDWR | this.dsyncFlag);
      }
    } else {
      fd = await open(file, fs.constants.O_RDWR | fs.constants.O_CREAT | this.dsyncFlag, 0o640);
      await ftruncate(fd, this.segmentSize);
      await fsyncDir(this.opts.dir);
    }
    const seg = { start, path: file, file: new SharedFd(fd) };
    this.segments.push(seg);
    return seg;
  }

  /** Zero-fills the next segment in the background once the current one is half full. */
  private maybePreallocateNext(currentStart: number): void {
    if (!this.opts.preallocate || this.prealloc || this.closed) return;
    if (this.writtenOffset - currentStart < this.segmentSize / 2) return;
    const start = currentStart + this.segmentSize;
    if (this.segments.some((s) => s.start === start)) return;
    const file = path.join(this.opts.dir, offsetFileName(start));
    const p: Preallocation = { start, fd: -1, cancelled: false, done: Promise.resolve() };
    this.prealloc = p;
    p.done = (async () => {
      try {
        p.fd = await open(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o640);
        await ftruncate(p.fd, this.segmentSize);
        await fsyncDir(this.opts.dir);
        const zeros = Buffer.alloc(Math.min(1 << 20, this.segmentSize));
        for (let pos = 0; pos < this.segmentSize && !p.cancelled && !this.closed; pos += zeros.length) {
          await writev(p.fd, [zeros.subarray(0, Math.min(zeros.length, this.segmentSize - pos))], pos);
        }
        if (!p.cancelled) await fdatasync(p.fd);
      } catch (e) {
        this.opts.logger.warn('segment preallocation failed; the segment will be created on demand', { file, error: e as Error });
      }
    })();
  }

  /**
   * The bytes of one record (or any range inside one segment), from memory when cached. Always a
   * copy the caller owns (block memory is recycled, so views into it would change under a slow reader).
   */
  async read(offset: number, size: number): Promise<Buffer | undefined> {
    const cached = this.peekInMemory(offset, size);
    if (cached !== undefined) return Buffer.from(cached);
    if (offset < this.minOffset || offset + size > this.maxOffset) return undefined;
    const seg = this.segmentAt(offset);
    if (!seg || offset + size > seg.start + this.segmentSize) return undefined;
    const buf = this.inMemory(offset) ? this.readSync(seg, offset, size) : await seg.file.use((fd) => readAt(fd, size, offset - seg.start)).catch(() => undefined);
    if (!buf) return undefined; // the segment was deleted meanwhile
    return buf.length === size ? buf : undefined;
  }

  /**
   * A view of [offset, offset + size) when it lies in one in-memory block, else undefined. Not a
   * copy: block memory is recycled by later puts, so the caller copies it before anything else runs.
   */
  peekInMemory(offset: number, size: number): Buffer | undefined {
    if (offset < this.minOffset || offset + size > this.maxOffset) return undefined;
    const b = this.findBlock(offset);
    return b && offset + size <= b.start + b.used ? b.buf.subarray(offset - b.start, offset - b.start + size) : undefined;
  }

  /** Whether `offset` lies in the in-memory window (syncReadBytes behind the end): read synchronously. */
  inMemory(offset: number): boolean {
    return this.maxOffset - offset <= (this.opts.syncReadBytes ?? 0);
  }

  private readSync(seg: Segment, offset: number, size: number): Buffer | undefined {
    try {
      return seg.file.useSync((fd) => readAtSync(fd, size, offset - seg.start));
    } catch {
      return undefined; // the segment was deleted meanwhile
    }
  }

  /**
   * Raw bytes from `offset` for replication: up to maxBytes, never past what is written nor past
   * the end of offset's segment (the blank tail included, zeros as on disk).
   */
  async readRaw(offset: number, maxBytes: number): Promise<Buffer> {
    if (offset < this.minOffset) throw new RangeError(`offset ${offset} is below the commit log's minimum ${this.minOffset}`);
    const segStart = this.segmentStartOf(offset);
    const end = Math.min(offset + maxBytes, this.writtenOffset, segStart + this.segmentSize);
    if (end <= offset) return Buffer.alloc(0);
    // just written (the common case: a slave following the master's writes) — from memory, no
    // thread-pool read; a copy, as block memory is recycled while a socket may still hold the bytes
    const fromMemory = this.copyWritten(offset, end);
    if (fromMemory !== undefined) return fromMemory;
    const seg = this.segmentAt(offset);
    if (!seg) return Buffer.alloc(0);
    return seg.file.use((fd) => readAt(fd, end - offset, offset - segStart));
  }

  /** A copy of the written bytes [offset, ≤ end) held in consecutive in-memory blocks (undefined when offset's block is gone). */
  private copyWritten(offset: number, end: number): Buffer | undefined {
    const first = this.findBlock(offset);
    if (first === undefined || first.start + first.written <= offset) return undefined;
    const parts: Buffer[] = [];
    let at = offset;
    for (let i = this.blocks.indexOf(first); i < this.blocks.length && at < end; i++) {
      const b = this.blocks[i]!;
      if (b.start !== at && parts.length > 0) break; // a gap (a segment's blank tail is not in memory)
      const upto = Math.min(end, b.start + b.written);
      if (upto <= at) break;
      parts.push(b.buf.subarray(at - b.start, upto - b.start));
      at = upto;
    }
    return Buffer.concat(parts, at - offset);
  }

  private findBlock(offset: number): Block | undefined {
    let lo = 0;
    let hi = this.blocks.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const b = this.blocks[mid]!;
      if (offset < b.start) hi = mid - 1;
      else if (offset >= b.start + b.used) lo = mid + 1;
      else return b;
    }
    return undefined;
  }

  private segmentAt(offset: number): Segment | undefined {
    const start = this.segmentStartOf(offset);
    for (let i = this.segments.length - 1; i >= 0; i--) if (this.segments[i]!.start === start) return this.segments[i];
    return undefined;
  }

  /** Segments, oldest first, with their files' last modification time (retention). */
  async segmentInfo(): Promise<{ start: number; path: string; mtimeMs: number; current: boolean }[]> {
    const cur = this.segmentStartOf(this.maxOffset);
    return Promise.all(
      this.segments.map(async (s) => ({ start: s.start, path: s.path, mtimeMs: (await fsp.stat(s.path)).mtimeMs, current: s.start >= cur })),
    );
  }

  /** Deletes the oldest segment unless it is the one being written. Returns false when nothing could go. */
  async deleteOldestSegment(): Promise<boolean> {
    const seg = this.segments[0];
    if (!seg || this.segments.length === 1 || seg.start >= this.segmentStartOf(this.maxOffset) || seg.start >= this.segmentStartOf(this.writtenOffset)) return false;
    this.segments.shift();
    this.minOffset = this.segments[0]!.start;
    this.dirty.delete(seg);
    while (this.blocks.length > 1 && this.blocks[0]!.start < this.minOffset && this.blocks[0]!.written === this.blocks[0]!.used) this.blocks.shift();
    await fsp.rm(seg.path, { force: true });
    await seg.file.close(); // after pending reads on it finish
    this.opts.logger.info('deleted commit-log segment', { file: seg.path });
    return true;
  }

  /**
   * Closing while stalled: the unwritten bytes are dropped and the segment's file is cut back to
   * writtenOffset (truncate, then extend sparse: this frees space rather than needing it), so no
   * prefix of them stays on disk and the log ends exactly where the in-memory state says.
   */
  private async giveUpUnwritten(): Promise<void> {
    const lost = this.unwrittenBytes;
    const at = this.writtenOffset;
    this.opts.logger.error('closing while the disk is still full: the records appended past the written offset are lost (their sends were not answered PUT_OK)', { dir: this.opts.dir, offset: at, lostBytes: lost });
    const segStart = this.segmentStartOf(at);
    const seg = this.segmentAt(at);
    if (seg !== undefined) {
      await seg.file.use(async (fd) => {
        await ftruncate(fd, at - segStart);
        await ftruncate(fd, this.segmentSize);
        await fdatasync(fd);
      });
    }
    // a later segment the failed write had created holds nothing of value
    for (const s of this.segments) {
      if (s.start > segStart) await s.file.use(async (fd) => ftruncate(fd, 0).then(() => ftruncate(fd, this.segmentSize)));
    }
    this.maxOffset = at;
    this.stall = undefined;
  }

  /**
   * Writes what is pending, flushes, closes the files. A write still finding no space after one
   * last try is given up: the bytes past writtenOffset are cut from the file (so it ends on a
   * record boundary) and reported lost.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    while (!this.failure && (this.writing || this.writtenOffset < this.maxOffset)) {
      if (this.writing) {
        await new Promise((r) => setImmediate(r));
        continue;
      }
      const stalledBefore = this.stall !== undefined;
      await this.runWriter();
      if (this.stall !== undefined && stalledBefore) break;
    }
    if (this.stallTimer !== undefined) clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    if (this.stall !== undefined && !this.failure) await this.giveUpUnwritten();
    if (!this.failure) await this.flush().catch(() => {});
    this.closed = true;
    if (this.prealloc) {
      this.prealloc.cancelled = true;
      await this.prealloc.done;
      if (this.prealloc.fd >= 0) await close(this.prealloc.fd);
      this.prealloc = undefined;
    }
    this.writtenWaiters.failAll();
    this.flushWaiters.failAll();
    for (const s of this.segments) await s.file.close();
    this.segments.length = 0;
    this.blocks.length = 0;
  }
}

function skipBytes(parts: Buffer[], n: number): Buffer[] {
  const out: Buffer[] = [];
  for (const p of parts) {
    if (n >= p.length) {
      n -= p.length;
      continue;
    }
    out.push(n > 0 ? p.subarray(n) : p);
    n = 0;
  }
  return out;
}
