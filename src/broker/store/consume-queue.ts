import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { readInt64, writeInt64 } from '../../protocol/message/int64.js';
import { StoreCorruptionError } from './errors.js';
import { close as closeFd, fdatasync, fsyncDir, ftruncate, open, readAt, readAtSync, writeFully } from '../../util/durable-file.js';
import { listOffsetFiles, offsetFileName } from './segment-files.js';
import { SharedFd } from './shared-fd.js';
import { FdBudget } from './fd-budget.js';

/** One consume-queue unit: commit-log offset (8), record size (4), tags code (8). */
export const CQ_UNIT_SIZE = 20;
/** Units of a tail file kept in memory once written (recent reads, long polling); older ones are pread. */
const MIRROR_KEEP_UNITS = 4096;
/**
 * A new mirror's size; it doubles as entries arrive. Small: a broker with 40,000 queues held
 * 160 MB of 4 KiB mirrors, most for queues with a few entries (docs/guide/benchmarks.md#scale).
 */
const MIRROR_MIN_BYTES = 16 * CQ_UNIT_SIZE;
/** Filler unit padding a queue that starts past 0 (RocketMQ: offset 0, size Integer.MAX_VALUE). */
const FILLER_SIZE = 0x7fffffff;

export interface CqEntry {
  physicalOffset: number;
  size: number;
  tagsCode: number;
}

interface CqFile {
  /** Logical offset of the file's first unit. */
  start: number;
  path: string;
  fd: SharedFd | undefined;
  /** Units known to be in the file (written). */
  units: number;
  /** In-memory copy of the file's recent units [mirrorBase, mirrorUnits) while it is the tail or has unwritten units. */
  mirror: Buffer | undefined;
  /** First unit of the file held in the mirror: older, written units are read from the file. */
  mirrorBase: number;
  /** Units of the file up to the mirror's end (≥ units). */
  mirrorUnits: number;
}

/**
 * The consume queue of one topic/queueId: fixed 20-byte units in files of `unitsPerFile` units,
 * named by their starting byte offset (logical offset × 20), as RocketMQ lays them out.
 * Appends go to an in-memory mirror of the tail file; `flush` writes and fsyncs them. Nothing here
 * needs to be durable on its own: recovery rebuilds entries past the checkpoint from the commit log.
 */
export class ConsumeQueue {
  private readonly files: CqFile[] = [];
  /** Next logical offset (entries dispatched so far). */
  maxOffset = 0;
  /** First logical offset still readable. */
  minOffset = 0;
  /** Entries below this are visible to readers (their records are written). */
  visibleMax = 0;
  /** Loading dropped something: a partial unit, or files after a gap (after a clean stop that is damage: recovery rebuilds the queue). */
  damagedOnLoad = false;

  private constructor(
    readonly topic: string,
    readonly queueId: number,
    readonly dir: string,
    private readonly unitsPerFile: number,
    /** Open files of all the store's queues (shared): a file may be closed between uses. */
    private readonly fds: FdBudget,
  ) {}

  private get fileBytes(): number {
    return this.unitsPerFile * CQ_UNIT_SIZE;
  }

  static create(topic: string, queueId: number, dir: string, unitsPerFile: number, fds: FdBudget = UNCAPPED): ConsumeQueue {
    return new ConsumeQueue(topic, queueId, dir, unitsPerFile, fds);
  }

  /** Loads a queue's files; a partial unit at the tail (torn write) is dropped. */
  static async load(topic: string, queueId: number, dir: string, unitsPerFile: number, fds: FdBudget = UNCAPPED): Promise<ConsumeQueue> {
    const q = new ConsumeQueue(topic, queueId, dir, unitsPerFile, fds);
    const listed = await listOffsetFiles(dir);
    for (const f of listed) {
      if (f.start % (unitsPerFile * CQ_UNIT_SIZE) !== 0) {
        throw new StoreCorruptionError(f.path, 0, `consume-queue file name is not a multiple of ${unitsPerFile} units`, 'was consumeQueueUnitsPerFile changed? Open the store with the setting it was created with');
      }
      const size = (await fsp.stat(f.path)).size;
      if (size % CQ_UNIT_SIZE !== 0) q.damagedOnLoad = true;
      q.files.push({ start: f.start / CQ_UNIT_SIZE, path: f.path, fd: undefined, units: Math.min(unitsPerFile, Math.floor(size / CQ_UNIT_SIZE)), mirror: undefined, mirrorBase: 0, mirrorUnits: 0 });
    }
    // files must be contiguous; anything after a gap is unusable
    for (let i = 1; i < q.files.length; i++) {
      const prev = q.files[i - 1]!;
      if (q.files[i]!.start !== prev.start + unitsPerFile || prev.units !== unitsPerFile) {
        q.damagedOnLoad = true;
        for (const f of q.files.splice(i)) await fsp.rm(f.path, { force: true });
        break;
      }
    }
    const tail = q.files[q.files.length - 1];
    if (tail) {
      await q.loadWindow(tail, tail.units);
      q.maxOffset = tail.start + tail.units;
    }
    const head = q.files[0];
    if (head) q.minOffset = head.start;
    q.visibleMax = q.maxOffset;
    await q.skipFillers();
    return q;
  }

  /** Loads the file's last written units before `end` (at most MIRROR_KEEP_UNITS) as its mirror. */
  private async loadWindow(f: CqFile, end: number): Promise<void> {
    const base = Math.max(0, end - MIRROR_KEEP_UNITS);
    const data = await this.withFd(f, false, (fd) => readAt(fd, (end - base) * CQ_UNIT_SIZE, base * CQ_UNIT_SIZE));
    f.mirror = Buffer.alloc(Math.max(MIRROR_MIN_BYTES, data.length * 2));
    data.copy(f.mirror);
    f.mirrorBase = base;
    f.mirrorUnits = base + Math.floor(data.length / CQ_UNIT_SIZE);
  }

  /** Drops written units from the front of a mirror, keeping the last MIRROR_KEEP_UNITS written ones. */
  private shrinkMirror(f: CqFile): void {
    const base = f.units - MIRROR_KEEP_UNITS;
    const keepFrom = (base - f.mirrorBase) * CQ_UNIT_SIZE;
    const keepTo = (f.mirrorUnits - f.mirrorBase) * CQ_UNIT_SIZE;
    const m = Buffer.alloc(Math.max(MIRROR_MIN_BYTES, (keepTo - keepFrom) * 2));
    f.mirror!.copy(m, 0, keepFrom, keepTo);
    f.mirror = m;
    f.mirrorBase = base;
  }

  /** Moves minOffset past filler units (a queue that started past 0). */
  private async skipFillers(): Promise<void> {
    while (this.minOffset < this.maxOffset) {
      const e = await this.entry(this.minOffset);
      if (!e || e.size !== FILLER_SIZE) break;
      this.minOffset++;
    }
  }

  get isEmpty(): boolean {
    return this.maxOffset === 0 && this.files.length === 0;
  }

  /** Appends the entry for logical offset `queueOffset` (must be maxOffset, or the first entry of an empty queue). */
  append(queueOffset: number, physicalOffset: number, size: number, tagsCode: number): void {
    if (this.files.length === 0) {
      // a queue whose first entry is past 0 (its earlier entries are gone): start at that file, fill before it
      const fileStart = queueOffset - (queueOffset % this.unitsPerFile);
      this.newTail(fileStart);
      this.maxOffset = this.minOffset = this.visibleMax = fileStart;
      while (this.maxOffset < queueOffset) this.put(0, FILLER_SIZE, 0);
      this.minOffset = this.visibleMax = queueOffset;
    } else if (queueOffset !== this.maxOffset) {
      throw new Error(`consume queue ${this.topic}/${this.queueId}: entry for offset ${queueOffset} but the queue ends at ${this.maxOffset}`);
    }
    this.put(physicalOffset, size, tagsCode);
  }

  private put(physicalOffset: number, size: number, tagsCode: number): void {
    let tail = this.files[this.files.length - 1]!;
    if (tail.mirrorUnits === this.unitsPerFile) tail = this.newTail(tail.start + this.unitsPerFile);
    const at = (tail.mirrorUnits - tail.mirrorBase) * CQ_UNIT_SIZE;
    if (at + CQ_UNIT_SIZE > tail.mirror!.length) {
      const grown = Buffer.alloc(Math.min(this.fileBytes - tail.mirrorBase * CQ_UNIT_SIZE, Math.max(tail.mirror!.length * 2, at + CQ_UNIT_SIZE)));
      tail.mirror!.copy(grown, 0, 0, at);
      tail.mirror = grown;
    }
    const m = tail.mirror!;
    writeInt64(m, physicalOffset, at);
    m.writeInt32BE(size, at + 8);
    writeInt64(m, tagsCode, at + 12);
    tail.mirrorUnits++;
    this.maxOffset++;
  }

  private newTail(start: number): CqFile {
    const f: CqFile = { start, path: path.join(this.dir, offsetFileName(start * CQ_UNIT_SIZE)), fd: undefined, units: 0, mirror: Buffer.alloc(MIRROR_MIN_BYTES), mirrorBase: 0, mirrorUnits: 0 };
    this.files.push(f);
    return f;
  }

  private fileOf(offset: number): CqFile | undefined {
    for (let i = this.files.length - 1; i >= 0; i--) {
      const f = this.files[i]!;
      if (offset >= f.start) return offset < f.start + this.unitsPerFile ? f : undefined;
    }
    return undefined;
  }

  /**
   * Where the last read of this queue was: whether its records lay in the commit log's in-memory
   * window (set by the store's reader). A sequential consumer's next units sit in the same page
   * cache neighbourhood, so they are read with a synchronous pread then (see `unitsNow`).
   */
  lastReadInMemory = false;

  /**
   * Raw units from `offset`, at most `max`, all from one file (the caller loops). Only dispatched
   * entries (below maxOffset) — callers limit to visibleMax themselves. Units older than the
   * in-memory mirror are read from the file through the thread pool.
   */
  async units(offset: number, max: number): Promise<Buffer> {
    const at = this.locate(offset, max);
    if (Buffer.isBuffer(at)) return at;
    return wholeUnits(await this.withFd(at.file, false, (fd) => readAt(fd, at.length, at.position)).catch(() => EMPTY));
  }

  /**
   * `units` without waiting: the answer when it comes from the mirror (or, with `sync`, from an
   * open file by a pread on this thread — units of records in the page cache: 20 bytes each,
   * written when their records were, so at least as recently cached), undefined when it needs a
   * read through the thread pool. The pull path's common case — a consumer at the tail — then
   * costs no promise.
   */
  unitsNow(offset: number, max: number, sync = false): Buffer | undefined {
    const at = this.locate(offset, max);
    if (Buffer.isBuffer(at)) return at;
    // a file the budget closed (or never opened) is opened through the pool; an open one is read at once when `sync`
    const fd = at.file.fd;
    if (!sync || fd === undefined) return undefined;
    return wholeUnits(this.readUnitsSync(at.file, fd, at.length, at.position));
  }

  /** The units from `offset` (at most `max`) when the mirror holds them (EMPTY when there are none), else where in which file to read them. */
  private locate(offset: number, max: number): Buffer | { file: CqFile; length: number; position: number } {
    const f = this.fileOf(offset);
    if (!f || offset >= this.maxOffset) return EMPTY;
    const inFile = offset - f.start;
    const count = Math.min(max, f.start + Math.max(f.mirrorUnits, f.units) - offset);
    if (count <= 0) return EMPTY;
    if (f.mirror && inFile >= f.mirrorBase) {
      const from = (inFile - f.mirrorBase) * CQ_UNIT_SIZE;
      return f.mirror.subarray(from, from + Math.min(count, f.mirrorUnits - inFile) * CQ_UNIT_SIZE);
    }
    // older units: written to the file already (the mirror only ever drops written units)
    const fromFile = Math.min(count, f.units - inFile);
    if (fromFile <= 0) return EMPTY;
    return { file: f, length: fromFile * CQ_UNIT_SIZE, position: inFile * CQ_UNIT_SIZE };
  }

  /**
   * Runs `op` on `f`'s open file, opening it first when it is closed (never opened, or closed by
   * the budget). The handle is taken and used in one synchronous step, so the budget cannot close
   * it in between; a close waits for the operations in flight.
   */
  private async withFd<T>(f: CqFile, create: boolean, op: (fd: number) => Promise<T>): Promise<T> {
    if (f.fd !== undefined) {
      this.fds.touch(f);
      return f.fd.use(op);
    }
    const fd = await open(f.path, fs.constants.O_RDWR | (create ? fs.constants.O_CREAT : 0), 0o640);
    const meanwhile = f.fd as SharedFd | undefined;
    if (meanwhile !== undefined) {
      // opened by another caller meanwhile: use that one
      void closeFd(fd).catch(() => {});
      this.fds.touch(f);
      return meanwhile.use(op);
    }
    const shared = new SharedFd(fd);
    f.fd = shared;
    this.fds.add(f, () => {
      if (f.fd === shared) f.fd = undefined;
      void shared.close().catch(() => {});
    });
    return shared.use(op);
  }

  private readUnitsSync(f: CqFile, file: SharedFd, length: number, position: number): Buffer {
    this.fds.touch(f);
    try {
      return file.useSync((fd) => readAtSync(fd, length, position));
    } catch {
      return Buffer.alloc(0); // the file was closed or deleted meanwhile
    }
  }

  /** Closes `f`'s file (if open) and takes it off the budget. */
  private async closeFile(f: CqFile): Promise<void> {
    const h = f.fd;
    f.fd = undefined;
    this.fds.remove(f);
    await h?.close();
  }

  async entry(offset: number): Promise<CqEntry | undefined> {
    const u = await this.units(offset, 1);
    return u.length < CQ_UNIT_SIZE ? undefined : unitAt(u, 0);
  }

  /** Writes unwritten units and fsyncs the files touched; returns whether anything was written. */
  async flush(): Promise<boolean> {
    let any = false;
    for (const f of this.files) {
      if (!f.mirror || f.mirrorUnits === f.units) continue;
      const created = f.fd === undefined && !fs.existsSync(f.path);
      if (created) await fsp.mkdir(this.dir, { recursive: true });
      const upto = f.mirrorUnits;
      const from = f.units;
      const base = f.mirrorBase;
      const mirror = f.mirror;
      await this.withFd(f, true, async (fd) => {
        await writeFully(fd, mirror.subarray((from - base) * CQ_UNIT_SIZE, (upto - base) * CQ_UNIT_SIZE), from * CQ_UNIT_SIZE);
        await fdatasync(fd);
      });
      if (created) await fsyncDir(this.dir);
      f.units = upto;
      any = true;
      // a full, fully written file no longer needs its mirror; the tail keeps only a recent window
      if (f !== this.files[this.files.length - 1] && f.units === this.unitsPerFile) f.mirror = undefined;
      else if (f.units - f.mirrorBase > 2 * MIRROR_KEEP_UNITS) this.shrinkMirror(f);
    }
    return any;
  }

  /** Recovery: drops entries whose record starts at or after `physicalOffset`. */
  async truncateFromPhysical(physicalOffset: number): Promise<void> {
    // entries are in commit-log order: binary search the first entry to drop
    let lo = this.minOffset;
    let hi = this.maxOffset;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const e = await this.entry(mid);
      if (!e || e.physicalOffset >= physicalOffset) hi = mid;
      else lo = mid + 1;
    }
    await this.truncateTo(lo);
  }

  /** Drops entries at and after logical offset `offset`. */
  async truncateTo(offset: number): Promise<void> {
    if (offset >= this.maxOffset) return;
    while (this.files.length > 0 && this.files[this.files.length - 1]!.start >= offset && this.files[this.files.length - 1]!.start > (this.files[0]?.start ?? 0)) {
      const f = this.files.pop()!;
      await this.closeFile(f);
      await fsp.rm(f.path, { force: true });
    }
    const tail = this.files[this.files.length - 1];
    if (tail) {
      const keep = Math.max(0, offset - tail.start);
      if (!tail.mirror || keep < tail.mirrorBase) await this.loadWindow(tail, Math.min(keep, tail.units));
      tail.mirrorUnits = Math.min(tail.mirrorUnits, keep);
      if (tail.units > keep) {
        tail.units = keep;
        if (tail.fd !== undefined || fs.existsSync(tail.path)) {
          await this.withFd(tail, false, async (fd) => {
            await ftruncate(fd, keep * CQ_UNIT_SIZE);
            await fdatasync(fd);
          });
        }
      }
      this.maxOffset = tail.start + tail.mirrorUnits;
    }
    if (this.minOffset > this.maxOffset) this.minOffset = this.maxOffset;
    this.visibleMax = Math.min(this.visibleMax, this.maxOffset);
  }

  /**
   * Retention: deletes whole files whose entries all point below `minPhysical`, then moves
   * minOffset to the first entry still pointing at stored data.
   */
  async deleteBelowPhysical(minPhysical: number): Promise<void> {
    while (this.files.length > 1) {
      const f = this.files[0]!;
      const last = await this.entry(f.start + this.unitsPerFile - 1);
      if (!last || last.physicalOffset + last.size > minPhysical) break;
      this.files.shift();
      await fsp.rm(f.path, { force: true });
      await this.closeFile(f);
    }
    if (this.files[0] && this.minOffset < this.files[0].start) this.minOffset = this.files[0].start;
    let lo = this.minOffset;
    let hi = this.maxOffset;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const e = await this.entry(mid);
      if (e && e.size !== FILLER_SIZE && e.physicalOffset >= minPhysical) hi = mid;
      else lo = mid + 1;
    }
    this.minOffset = lo;
  }

  /** Deletes every file of the queue (topic deletion). */
  async destroy(): Promise<void> {
    for (const f of this.files.splice(0)) await this.closeFile(f);
    await fsp.rm(this.dir, { recursive: true, force: true });
    this.maxOffset = this.minOffset = this.visibleMax = 0;
  }

  async close(): Promise<void> {
    for (const f of this.files) await this.closeFile(f);
  }
}

/** No cap (a queue opened on its own, outside a store). */
const UNCAPPED = new FdBudget(Number.POSITIVE_INFINITY);

const EMPTY = Buffer.alloc(0);

/** `buf` cut to whole units (a read can end inside a unit the writer has not finished). */
function wholeUnits(buf: Buffer): Buffer {
  return buf.subarray(0, buf.length - (buf.length % CQ_UNIT_SIZE));
}

export function unitAt(buf: Buffer, index: number): CqEntry {
  const at = index * CQ_UNIT_SIZE;
  return { physicalOffset: readInt64(buf, at), size: buf.readInt32BE(at + 8), tagsCode: readInt64(buf, at + 12) };
}

export function isFiller(e: CqEntry): boolean {
  return e.size === FILLER_SIZE;
}
