import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { checkRecordAt, type MessageRecord } from '../../protocol/message/record.js';
import type { Logger } from '../../util/log.js';
import { StoreCorruptionError } from './errors.js';
import { TOPIC_NAME } from './dispatch.js';
import { close, open, readAt } from '../../util/durable-file.js';

export interface SegmentFile {
  start: number;
  path: string;
}

export interface ScanResult {
  /** Offset after the last good record: where the log continues. */
  end: number;
  /** A torn record was found at `end`: bytes after it must be zeroed. */
  torn: boolean;
}

const CHUNK = 8 * 1024 * 1024;

/**
 * Walks the commit log from `from` (a record boundary) to its end, checking every record's
 * structure, CRC and physical offset, and calls `onRecord` for each good one.
 *
 * A bad record is a torn tail — the end of a write cut short by a crash — only if it lies past
 * `durableEnd` (bytes below it were fsync'ed before the checkpoint was written, so they cannot be
 * torn) and nothing valid follows it. Anything else is corruption: StoreCorruptionError, and the
 * store refuses to open rather than drop acknowledged data or serve garbage.
 */
export async function scanCommitLog(
  segments: readonly SegmentFile[],
  segmentSize: number,
  from: number,
  durableEnd: number,
  logger: Logger,
  onRecord?: (record: MessageRecord, physicalOffset: number) => void | Promise<void>,
  stopAt = Number.MAX_SAFE_INTEGER,
): Promise<ScanResult> {
  if (segments.length === 0) {
    if (durableEnd > 0) throw new StoreCorruptionError('commitlog/', 0, `no segment files, but the checkpoint says ${durableEnd} bytes were stored`);
    return { end: 0, torn: false };
  }
  // segments are created at full size; a file of another size (other than an empty one a crash
  // left right after creating it) means the store was made with another segment size
  for (const s of segments) {
    const size = (await fsp.stat(s.path)).size;
    if (size !== segmentSize && size !== 0) {
      throw new StoreCorruptionError(s.path, 0, `segment is ${size} bytes but mappedFileSizeCommitLog is ${segmentSize}`, 'the store was created with another segment size; open it with that mappedFileSizeCommitLog');
    }
  }
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s.start % segmentSize !== 0) throw new StoreCorruptionError(s.path, 0, `segment name is not a multiple of the segment size ${segmentSize} (was mappedFileSizeCommitLog changed?)`);
    if (i > 0 && s.start !== segments[i - 1]!.start + segmentSize) throw new StoreCorruptionError(s.path, 0, `segment missing before this one (expected ${segments[i - 1]!.start + segmentSize})`);
  }
  const first = segments[0]!.start;
  let pos = Math.max(from, first);
  let idx = segments.findIndex((s) => pos >= s.start && pos < s.start + segmentSize);
  if (idx < 0) {
    // `from` is exactly the end of the last segment (it ended with a blank record)
    return { end: pos, torn: false };
  }
  for (;;) {
    const seg = segments[idx]!;
    const fd = await open(seg.path, fs.constants.O_RDONLY);
    try {
      const segEnd = seg.start + segmentSize;
      let buf: Buffer = Buffer.alloc(0);
      let bufStart = pos;
      const ensure = async (need: number) => {
        if (pos - bufStart + need <= buf.length) return;
        const want = Math.max(need, Math.min(CHUNK, segEnd - pos));
        bufStart = pos;
        buf = await readAt(fd, Math.min(want, segEnd - pos), pos - seg.start);
      };
      for (;;) {
        if (pos >= stopAt) return { end: pos, torn: false };
        await ensure(8);
        const at = pos - bufStart;
        let check = checkRecordAt(buf, at, pos, segEnd - pos);
        if (check.kind === 'invalid' && check.size !== undefined && at + check.size > buf.length) {
          await ensure(check.size);
          check = checkRecordAt(buf, pos - bufStart, pos, segEnd - pos);
        }
        if (check.kind === 'record' && pos >= durableEnd) {
          const cut = cutShort(check.record);
          if (cut !== undefined) check = { kind: 'invalid', reason: cut, size: check.size };
        }
        if (check.kind === 'record') {
          if (onRecord) await onRecord(check.record, pos);
          pos += check.size;
          continue;
        }
        if (check.kind === 'blank') {
          pos = segEnd;
          break;
        }
        if (check.kind === 'end') {
          if (pos < durableEnd) throw new StoreCorruptionError(seg.path, pos - seg.start, `the log ends here, but the checkpoint says everything up to ${durableEnd} had been fsync'ed (data lost)`);
          await assertNothingAfter(segments, idx, segmentSize);
          return { end: pos, torn: false };
        }
        // invalid
        const where = `${seg.path}`;
        if (pos < durableEnd) throw new StoreCorruptionError(where, pos - seg.start, `${check.reason} in data that had been fsync'ed (checkpoint: durable up to ${durableEnd})`);
        if (check.size !== undefined && pos + check.size + 8 <= segEnd) {
          const next = await readAt(fd, Math.min(segEnd - pos - check.size, 1 << 20), pos - seg.start + check.size);
          const after = checkRecordAt(next, 0, pos + check.size, segEnd - pos - check.size);
          if (after.kind === 'record' || after.kind === 'blank') {
            throw new StoreCorruptionError(where, pos - seg.start, `${check.reason}, and valid records follow it (not a torn write)`);
          }
        }
        await assertNothingAfter(segments, idx, segmentSize);
        logger.warn('commit log: torn record at the tail truncated (a write cut short by a crash; it was never acknowledged as flushed)', { file: seg.path, position: pos - seg.start, reason: check.reason });
        return { end: pos, torn: true };
      }
    } finally {
      await close(fd);
    }
    idx++;
    if (idx >= segments.length) return { end: pos, torn: false };
  }
}

/**
 * A record past the durable end whose tail never reached the file. A SIGKILL during a multi-page
 * write cuts it at a page boundary and the rest reads as zeros; the body CRC misses a cut after
 * the body, so the topic and properties are checked too: a topic must be a topic name, and
 * properties never hold a NUL byte (puts refuse one, see writer.ts).
 */
function cutShort(r: MessageRecord): string | undefined {
  if (!TOPIC_NAME.test(r.topic)) return 'the topic is not a topic name (zeros: the end of the record was never written)';
  if (r.properties.includes('\u0000')) return 'the properties hold NUL bytes (zeros: the end of the record was never written)';
  return undefined;
}

/** Segments after the one where the log ends must hold nothing (preallocated zeros at most). */
async function assertNothingAfter(segments: readonly SegmentFile[], idx: number, segmentSize: number): Promise<void> {
  for (let j = idx + 1; j < segments.length; j++) {
    const s = segments[j]!;
    const fd = await open(s.path, fs.constants.O_RDONLY);
    try {
      const head = await readAt(fd, 8, 0);
      const c = checkRecordAt(head.length === 8 ? head : Buffer.alloc(8), 0, s.start, segmentSize);
      if (c.kind !== 'end') throw new StoreCorruptionError(s.path, 0, `the log ends in ${path.basename(segments[idx]!.path)}, but this later segment holds data`);
    } finally {
      await close(fd);
    }
  }
}
