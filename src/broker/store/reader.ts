/**
 * The store's read path: records of a queue by offset (RocketMQ's DefaultMessageStore.getMessage
 * statuses), queue bounds, lookups by time, by commit-log offset and by key.
 */
import { KEY_SEPARATOR, PropertyKey } from '../../protocol/message/constants.js';
import { readInt64 } from '../../protocol/message/int64.js';
import { findProperty } from '../../protocol/message/properties.js';
import { checkRecordAt, decodeRecord, storeTimestampPosition } from '../../protocol/message/record.js';
import type { CommitLog } from './commit-log.js';
import { CQ_UNIT_SIZE, isFiller, unitAt, type ConsumeQueue } from './consume-queue.js';
import type { Dispatcher } from './dispatch.js';
import type { GetMessageResult, GetMessageStatus } from './types.js';

/** Upper bound of consume-queue entries one pull scans for tag matches (RocketMQ: maxFilterMessageCount). */
const MAX_FILTER_SCAN = 16_000;
/** Records of one pull closer than this in the commit log are read with one pread (the gap is read too). */
const READ_GAP_BYTES = 16 * 1024;
/** Largest single read of a pull. */
const READ_RUN_MAX_BYTES = 1 << 20;

function result(status: GetMessageStatus, nextBeginOffset: number, minOffset: number, maxOffset: number, records: Buffer[] = []): GetMessageResult {
  let bufferTotalSize = 0;
  for (const r of records) bufferTotalSize += r.length;
  return { status, records, nextBeginOffset, minOffset, maxOffset, bufferTotalSize };
}

export class StoreReader {
  constructor(
    private readonly commitLog: CommitLog,
    private readonly dispatcher: Dispatcher,
  ) {}

  /**
   * Reads up to maxMsgs records (and about maxBytes; at least one record when any matches) of a
   * queue from `offset`, keeping those whose tags code is in `tagCodes` (all when null), with the
   * statuses and next offsets of RocketMQ's DefaultMessageStore.getMessage.
   */
  async getMessage(topic: string, queueId: number, offset: number, maxMsgs: number, maxBytes: number, tagCodes: ReadonlySet<number> | null = null): Promise<GetMessageResult> {
    const cq = this.dispatcher.findQueue(topic, queueId);
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
      const want = Math.min(scanEnd - next, 1024);
      const units = cq.unitsNow(next, want, cq.lastReadInMemory) ?? (await cq.units(next, want));
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
    if (picked.length > 0) cq.lastReadInMemory = this.commitLog.inMemory(picked[picked.length - 1]!.phys);
    const records = this.copyFromMemory(picked, bytes) ?? (await this.readLeadingRecords(picked));
    if (records.length > 0) {
      // if a read failed part way (segment removed under us), continue after the last record returned
      if (records.length < picked.length) next = await this.offsetAfter(cq, offset, picked[records.length - 1]!.phys);
      return result('FOUND', next, min, max, records);
    }
    if (removed > 0 || picked.length > 0) return result('OFFSET_FOUND_NULL', next, cq.minOffset, max);
    return result(filtered > 0 ? 'NO_MATCHED_MESSAGE' : 'OFFSET_FOUND_NULL', next, min, max);
  }

  /**
   * The picked records copied back to back into one buffer (each returned as a view of it: a pull
   * reply sends them as one body without another copy), when every one lies in the commit log's
   * in-memory blocks — a consumer at the tail. Undefined when any must be read from a file.
   */
  private copyFromMemory(picked: readonly { phys: number; size: number }[], bytes: number): Buffer[] | undefined {
    if (picked.length === 0) return [];
    const views: Buffer[] = [];
    for (const p of picked) {
      const v = this.commitLog.peekInMemory(p.phys, p.size);
      if (v === undefined) return undefined;
      views.push(v);
    }
    const joined = Buffer.allocUnsafe(bytes);
    let at = 0;
    for (let i = 0; i < views.length; i++) {
      const v = views[i]!;
      v.copy(joined, at);
      views[i] = joined.subarray(at, (at += v.length));
    }
    return views;
  }

  /** The picked records read through `readRecords`, up to the first that could not be read. */
  private async readLeadingRecords(picked: readonly { phys: number; size: number }[]): Promise<Buffer[]> {
    const records: Buffer[] = [];
    for (const r of await this.readRecords(picked)) {
      if (!r) break;
      records.push(r);
    }
    return records;
  }

  /**
   * Reads records by (offset, size) with one read per run of records that lie close together in
   * the commit log — back to back, or apart by less than READ_GAP_BYTES (the records of the other
   * queues a producer interleaves round robin) — so a backlog read from disk costs a few preads,
   * not one per record. The bytes between records are read and dropped.
   */
  async readRecords(picked: readonly { phys: number; size: number }[]): Promise<(Buffer | undefined)[]> {
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

  /**
   * Visible consume-queue entries of a queue from `offset` (at most `max`, fillers and entries of
   * removed segments skipped), for services that index a queue themselves (the timer).
   */
  async queueEntries(topic: string, queueId: number, offset: number, max: number): Promise<{ offset: number; physicalOffset: number; size: number; tagsCode: number }[]> {
    const cq = this.dispatcher.findQueue(topic, queueId);
    const out: { offset: number; physicalOffset: number; size: number; tagsCode: number }[] = [];
    if (!cq) return out;
    let next = Math.max(offset, cq.minOffset);
    const end = Math.min(cq.visibleMax, next + max);
    while (next < end) {
      const units = await cq.units(next, end - next);
      if (units.length === 0) break;
      for (let i = 0; i < units.length / CQ_UNIT_SIZE; i++, next++) {
        const e = unitAt(units, i);
        if (!isFiller(e) && e.physicalOffset >= this.commitLog.minOffset) out.push({ offset: next, ...e });
      }
    }
    return out;
  }

  /** Next queue offset (the count of messages ever put, as RocketMQ's GET_MAX_OFFSET answers). 0 for unknown queues. */
  getMaxOffsetInQueue(topic: string, queueId: number): number {
    return this.dispatcher.findQueue(topic, queueId)?.visibleMax ?? 0;
  }

  getMinOffsetInQueue(topic: string, queueId: number): number {
    return this.dispatcher.findQueue(topic, queueId)?.minOffset ?? 0;
  }

  /** Topics and queue ids the store holds consume queues for. */
  listQueues(): { topic: string; queueId: number; minOffset: number; maxOffset: number }[] {
    const out: { topic: string; queueId: number; minOffset: number; maxOffset: number }[] = [];
    for (const [topic, qs] of this.dispatcher.queues) for (const [queueId, q] of qs) out.push({ topic, queueId, minOffset: q.minOffset, maxOffset: q.visibleMax });
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
    const cq = this.dispatcher.findQueue(topic, queueId);
    if (!cq || offset < cq.minOffset || offset >= cq.visibleMax) return -1;
    return (await this.storeTimeAt(cq, offset)) ?? -1;
  }

  /**
   * SEARCH_OFFSET_BY_TIMESTAMP: binary search of the queue by store time. 'lower' (default): the
   * first offset stored at or after `timestamp` (maxOffset when none is); 'upper': the last offset
   * stored at or before it (minOffset when none is). 0 for an unknown or empty queue.
   */
  async getOffsetInQueueByTime(topic: string, queueId: number, timestamp: number, boundary: 'lower' | 'upper' = 'lower'): Promise<number> {
    const cq = this.dispatcher.findQueue(topic, queueId);
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
    const index = this.dispatcher.index;
    if (!index) return [];
    const candidates = await index.query(topic, key, maxNum * 4 + 16, begin, end);
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
}
