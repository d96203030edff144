/**
 * The timer's two small state files under `<storePathRootDir>/timer/`, both written atomically
 * (util/durable-file.ts):
 *
 * - `checkpoint` (JSON, every timerFlushIntervalMs while it changed): `dequeueSlot` — every slot
 *   before it is delivered — and `enqueueOffset` — every timer-log unit below it is written and
 *   fdatasync'ed. Also what a slave copies from its master (GET_TIMER_CHECK_POINT).
 * - `wheel` (binary, every few seconds and at stop): the wheel as it was when `enqueueOffset` units
 *   had been linked — each non-empty slot's head and count, a slot being read counted as still in
 *   the wheel — the units handed to delivery and not yet delivered, and each timer-log segment's
 *   highest slot (when it may be deleted). A restart loads it and relinks the units written after it.
 *
 *   magic "RMQTIMW1" · precisionMs i32 · 0 i32 · enqueueOffset i64 · dequeueSlot i64
 *   · segments i32 · (start i64, maxSlot i64)… · slots i32 · (slot i64, head i64, count i32)…
 *   · units i32 · index i64… · crc32 u32
 */
import fsp from 'node:fs/promises';
import { readInt64, writeInt64 } from '../../protocol/message/int64.js';
import { crc32 } from '../../protocol/message/crc32.js';
import { writeFileAtomic } from '../../util/durable-file.js';

export interface TimerCheckpoint {
  /** Every slot before this one is delivered. */
  dequeueSlot: number;
  /** dequeueSlot × precisionMs: the same point as a time (what a slave with another precision reads). */
  dequeueTimeMs: number;
  /** Every timer-log unit below this index is written and durable. */
  enqueueOffset: number;
  precisionMs: number;
}

export interface WheelSnapshot {
  precisionMs: number;
  enqueueOffset: number;
  dequeueSlot: number;
  segments: { start: number; maxSlot: number }[];
  slots: { slot: number; head: number; count: number }[];
  /** Timer-log indexes of units in delivery (taken from their slot, or never linked), not yet delivered. */
  units: number[];
}

const MAGIC = Buffer.from('RMQTIMW1', 'latin1');

export class TimerFileError extends Error {
  override readonly name = 'TimerFileError';
}

export function encodeCheckpoint(c: TimerCheckpoint): string {
  return `${JSON.stringify(c)}\n`;
}

export function decodeCheckpoint(text: string, file: string): TimerCheckpoint {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new TimerFileError(`${file}: not JSON (${(e as Error).message})`);
  }
  const o = v as Record<string, unknown>;
  for (const k of ['dequeueSlot', 'dequeueTimeMs', 'enqueueOffset', 'precisionMs'] as const) {
    if (!Number.isSafeInteger(o?.[k]) || (o[k] as number) < 0) throw new TimerFileError(`${file}: ${k} is not a non-negative integer`);
  }
  return { dequeueSlot: o.dequeueSlot as number, dequeueTimeMs: o.dequeueTimeMs as number, enqueueOffset: o.enqueueOffset as number, precisionMs: o.precisionMs as number };
}

export function encodeSnapshot(s: WheelSnapshot): Buffer {
  const size = 8 + 8 + 16 + 4 + s.segments.length * 16 + 4 + s.slots.length * 20 + 4 + s.units.length * 8 + 4;
  const buf = Buffer.alloc(size);
  MAGIC.copy(buf, 0);
  buf.writeInt32BE(s.precisionMs, 8);
  writeInt64(buf, s.enqueueOffset, 16);
  writeInt64(buf, s.dequeueSlot, 24);
  let at = 32;
  buf.writeInt32BE(s.segments.length, at);
  at += 4;
  for (const g of s.segments) {
    writeInt64(buf, g.start, at);
    writeInt64(buf, g.maxSlot, at + 8);
    at += 16;
  }
  buf.writeInt32BE(s.slots.length, at);
  at += 4;
  for (const e of s.slots) {
    writeInt64(buf, e.slot, at);
    writeInt64(buf, e.head, at + 8);
    buf.writeInt32BE(e.count, at + 16);
    at += 20;
  }
  buf.writeInt32BE(s.units.length, at);
  at += 4;
  for (const u of s.units) {
    writeInt64(buf, u, at);
    at += 8;
  }
  buf.writeUInt32BE(crc32(buf.subarray(0, at)), at);
  return buf;
}

export function decodeSnapshot(buf: Buffer, file: string): WheelSnapshot {
  const bad = (why: string) => new TimerFileError(`${file}: ${why}`);
  if (buf.length < 44 || !buf.subarray(0, 8).equals(MAGIC)) throw bad('not a timer wheel snapshot');
  if (crc32(buf.subarray(0, buf.length - 4)) !== buf.readUInt32BE(buf.length - 4)) throw bad('checksum mismatch');
  const s: WheelSnapshot = { precisionMs: buf.readInt32BE(8), enqueueOffset: readInt64(buf, 16), dequeueSlot: readInt64(buf, 24), segments: [], slots: [], units: [] };
  let at = 32;
  const nSeg = buf.readInt32BE(at);
  at += 4;
  if (nSeg < 0 || at + nSeg * 16 + 4 > buf.length - 4) throw bad('segment table runs past the end');
  for (let i = 0; i < nSeg; i++, at += 16) s.segments.push({ start: readInt64(buf, at), maxSlot: readInt64(buf, at + 8) });
  const nSlots = buf.readInt32BE(at);
  at += 4;
  if (nSlots < 0 || at + nSlots * 20 + 4 > buf.length - 4) throw bad('slot table runs past the end');
  for (let i = 0; i < nSlots; i++, at += 20) s.slots.push({ slot: readInt64(buf, at), head: readInt64(buf, at + 8), count: buf.readInt32BE(at + 16) });
  const nUnits = buf.readInt32BE(at);
  at += 4;
  if (nUnits < 0 || at + nUnits * 8 !== buf.length - 4) throw bad('unit list does not fill the file');
  for (let i = 0; i < nUnits; i++, at += 8) s.units.push(readInt64(buf, at));
  return s;
}

/** The file's content, or undefined when it does not exist. */
export async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await fsp.readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export { writeFileAtomic };
