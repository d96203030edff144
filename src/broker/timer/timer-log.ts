/**
 * The timer log: one fixed-size unit per entry of the timer topic's consume queue, at the same
 * index (unit i ↔ rmq_sys_wheel_timer queue 0 offset i), in segment files named by their first
 * index. A unit links to the previous unit of the same wheel slot, so a slot's entries are found
 * by walking back from the slot's newest unit (RocketMQ's TimerLog design, our layout):
 *
 *   0  prev       int64   previous unit of the same slot, -1 for none
 *   8  deliverMs  int64   when the message is due
 *  16  phys       int64   commit-log offset of the timer record
 *  24  slot       int64   the wheel slot the unit was placed in (a far message sits in an earlier slot and rolls)
 *  32  size       int32   record size
 *  36  flags      int32   bit 0 valid, bit 1 recall marker, bit 2 direct (never linked into a slot)
 *
 * Units are appended in index order and kept in memory until `flush` writes and fdatasyncs them;
 * reads look at those first, then at a small cache of 64 KiB blocks, then the file. Nothing else
 * is in memory: millions of pending timers cost disk, not heap.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fdatasync, fsyncDir, open, readAt, writeFully } from '../../util/durable-file.js';
import { readInt64, writeInt64 } from '../../protocol/message/int64.js';
import { SharedFd } from '../store/index.js';

export const UNIT_SIZE = 40;
const FLAG_VALID = 1;
const FLAG_MARKER = 2;
const FLAG_DIRECT = 4;
/** Units per cached read block (64 KiB + a little). */
const BLOCK_UNITS = 1638;
const CACHE_BLOCKS = 64;

export interface TimerUnit {
  index: number;
  prev: number;
  deliverMs: number;
  phys: number;
  /** The wheel slot it was linked into (for a direct unit: the slot of its delivery time). */
  slot: number;
  size: number;
  marker: boolean;
  /** Handed straight to delivery (its slot was already being delivered), not linked into the wheel. */
  direct: boolean;
}

export function encodeUnit(u: TimerUnit, buf: Buffer, at: number): void {
  writeInt64(buf, u.prev, at);
  writeInt64(buf, u.deliverMs, at + 8);
  writeInt64(buf, u.phys, at + 16);
  writeInt64(buf, u.slot, at + 24);
  buf.writeInt32BE(u.size, at + 32);
  buf.writeInt32BE(FLAG_VALID | (u.marker ? FLAG_MARKER : 0) | (u.direct ? FLAG_DIRECT : 0), at + 36);
}

/** The unit at `at`, or undefined when it was never written (or torn: the valid bit missing). */
export function decodeUnit(index: number, buf: Buffer, at: number): TimerUnit | undefined {
  const flags = buf.readInt32BE(at + 36);
  if ((flags & FLAG_VALID) === 0) return undefined;
  return {
    index,
    prev: readInt64(buf, at),
    deliverMs: readInt64(buf, at + 8),
    phys: readInt64(buf, at + 16),
    slot: readInt64(buf, at + 24),
    size: buf.readInt32BE(at + 32),
    marker: (flags & FLAG_MARKER) !== 0,
    direct: (flags & FLAG_DIRECT) !== 0,
  };
}

interface Segment {
  start: number;
  file: string;
  fd: SharedFd | undefined;
}

/** Units appended and not yet written: a run of consecutive indexes. */
interface Run {
  start: number;
  buf: Buffer;
  count: number;
}

export class TimerLog {
  private readonly segments = new Map<number, Segment>();
  private pending: Run | undefined;
  private readonly flushing: Run[] = [];
  private flushChain: Promise<void> = Promise.resolve();
  private readonly cache = new Map<number, Buffer>();
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly unitsPerFile: number,
  ) {}

  static async open(dir: string, unitsPerFile: number): Promise<TimerLog> {
    await fsp.mkdir(dir, { recursive: true, mode: 0o750 });
    const log = new TimerLog(dir, unitsPerFile);
    for (const name of await fsp.readdir(dir)) {
      if (!/^\d{20}$/.test(name)) continue;
      const start = Number(name);
      log.segments.set(start, { start, file: path.join(dir, name), fd: undefined });
    }
    return log;
  }

  /** First index of the oldest segment on disk (undefined: none). */
  get firstIndex(): number | undefined {
    let min: number | undefined;
    for (const s of this.segments.keys()) if (min === undefined || s < min) min = s;
    return min;
  }

  segmentStartOf(index: number): number {
    return index - (index % this.unitsPerFile);
  }

  /** Appends a unit; indexes are consecutive from the first append after a flush (a replay may restart lower). */
  append(u: TimerUnit): void {
    let run = this.pending;
    if (run !== undefined && u.index !== run.start + run.count) {
      // a replay rewriting from an earlier index: the run so far goes to the flush queue first
      this.flushing.push(run);
      run = undefined;
    }
    if (run === undefined) this.pending = run = { start: u.index, buf: Buffer.alloc(64 * UNIT_SIZE), count: 0 };
    if ((run.count + 1) * UNIT_SIZE > run.buf.length) {
      const bigger = Buffer.alloc(run.buf.length * 2);
      run.buf.copy(bigger, 0, 0, run.count * UNIT_SIZE);
      run.buf = bigger;
    }
    encodeUnit(u, run.buf, run.count * UNIT_SIZE);
    run.count++;
  }

  /** The unit at `index`: appended ones from memory, written ones through the block cache; undefined when never written. */
  async read(index: number): Promise<TimerUnit | undefined> {
    const mem = this.inMemory(index);
    if (mem !== undefined) return decodeUnit(index, mem.buf, mem.at);
    const block = await this.block(index);
    if (block === undefined) return undefined;
    const at = ((index % this.unitsPerFile) % BLOCK_UNITS) * UNIT_SIZE;
    return at + UNIT_SIZE <= block.length ? decodeUnit(index, block, at) : undefined;
  }

  private inMemory(index: number): { buf: Buffer; at: number } | undefined {
    // newest first: a replay may have rewritten an index that an older run still holds
    const runs = this.pending ? [this.pending, ...[...this.flushing].reverse()] : [...this.flushing].reverse();
    for (const r of runs) if (index >= r.start && index < r.start + r.count) return { buf: r.buf, at: (index - r.start) * UNIT_SIZE };
    return undefined;
  }

  private async block(index: number): Promise<Buffer | undefined> {
    const segStart = this.segmentStartOf(index);
    const inFile = index - segStart;
    const blockNo = Math.floor(inFile / BLOCK_UNITS);
    const key = segStart + blockNo * BLOCK_UNITS;
    const hit = this.cache.get(key);
    if (hit !== undefined) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const seg = this.segments.get(segStart);
    if (seg === undefined) return undefined;
    const fd = await this.fdOf(seg);
    const units = Math.min(BLOCK_UNITS, this.unitsPerFile - blockNo * BLOCK_UNITS);
    const buf = await fd.use((n) => readAt(n, units * UNIT_SIZE, blockNo * BLOCK_UNITS * UNIT_SIZE));
    this.cache.set(key, buf);
    if (this.cache.size > CACHE_BLOCKS) this.cache.delete(this.cache.keys().next().value as number);
    return buf;
  }

  private async fdOf(seg: Segment): Promise<SharedFd> {
    seg.fd ??= new SharedFd(await open(seg.file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o640));
    return seg.fd;
  }

  /** Writes every appended unit to its segment and fdatasyncs the files written. Serialised. */
  flush(): Promise<void> {
    const run = this.pending;
    this.pending = undefined;
    if (run !== undefined) this.flushing.push(run);
    const next = this.flushChain.then(() => this.writeRuns());
    this.flushChain = next.catch(() => undefined);
    return next;
  }

  private async writeRuns(): Promise<void> {
    const runs = this.flushing.slice();
    if (runs.length === 0) return;
    const touched = new Set<Segment>();
    let created = false;
    for (const r of runs) {
      let i = 0;
      while (i < r.count) {
        const index = r.start + i;
        const segStart = this.segmentStartOf(index);
        const n = Math.min(r.count - i, segStart + this.unitsPerFile - index);
        let seg = this.segments.get(segStart);
        if (seg === undefined) {
          seg = { start: segStart, file: path.join(this.dir, String(segStart).padStart(20, '0')), fd: undefined };
          this.segments.set(segStart, seg);
          created = true;
        }
        const fd = await this.fdOf(seg);
        await fd.use((f) => writeFully(f, r.buf.subarray(i * UNIT_SIZE, (i + n) * UNIT_SIZE), (index - segStart) * UNIT_SIZE));
        this.dropCached(index, n);
        touched.add(seg);
        i += n;
      }
    }
    for (const seg of touched) await (seg.fd as SharedFd).use((f) => fdatasync(f));
    if (created) await fsyncDir(this.dir);
    // written: reads go to the files now (runs appended meanwhile stay)
    this.flushing.splice(0, runs.length);
  }

  private dropCached(index: number, count: number): void {
    const segStart = this.segmentStartOf(index);
    const first = Math.floor((index - segStart) / BLOCK_UNITS);
    const last = Math.floor((index - segStart + count - 1) / BLOCK_UNITS);
    for (let b = first; b <= last; b++) this.cache.delete(segStart + b * BLOCK_UNITS);
  }

  /** Segment starts on disk, oldest first. */
  segmentStarts(): number[] {
    return [...this.segments.keys()].sort((a, b) => a - b);
  }

  /** Deletes a whole segment (every unit of it done). */
  async deleteSegment(start: number): Promise<void> {
    const seg = this.segments.get(start);
    if (seg === undefined) return;
    this.segments.delete(start);
    for (const key of [...this.cache.keys()]) if (this.segmentStartOf(key) === start) this.cache.delete(key);
    await seg.fd?.close();
    await fsp.rm(seg.file, { force: true });
  }

  /** Writes what is appended and closes the files. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    for (const seg of this.segments.values()) await seg.fd?.close();
  }
}
