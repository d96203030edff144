/**
 * Reads a store's commit-log segment files as they are on disk and checks every record from the
 * oldest segment to the end of the log: each one whole (structure, CRC, its own offset) up to the
 * first zeros, and nothing after those zeros — the state a broker must leave its files in.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { checkRecordAt, type MessageRecord } from '../../src/protocol/message/record.js';

export interface OnDiskRecord {
  phys: number;
  record: MessageRecord;
}

/** Every record of the commit log in `dir`; throws naming the file and position of anything that is not a whole record. */
export function readCommitLogFiles(dir: string, segmentSize: number): { records: OnDiskRecord[]; end: number } {
  const names = readdirSync(dir).filter((n) => /^\d{20}$/.test(n)).sort();
  const records: OnDiskRecord[] = [];
  let end: number | undefined;
  for (const name of names) {
    const start = Number(name);
    const buf = readFileSync(path.join(dir, name));
    if (end !== undefined) {
      if (!buf.every((b) => b === 0)) throw new Error(`${name}: holds data after the log ended at ${end}`);
      continue;
    }
    let at = 0;
    for (;;) {
      const c = checkRecordAt(buf, at, start + at, segmentSize - at);
      if (c.kind === 'record') {
        records.push({ phys: start + at, record: c.record });
        at += c.size;
        continue;
      }
      if (c.kind === 'blank') break;
      if (c.kind === 'end') {
        end = start + at;
        if (!buf.subarray(at).every((b) => b === 0)) throw new Error(`${name}: non-zero bytes after the log's end at position ${at}`);
        break;
      }
      throw new Error(`${name} at position ${at}: ${c.reason}`);
    }
  }
  return { records, end: end ?? (names.length > 0 ? Number(names[names.length - 1]) + segmentSize : 0) };
}
