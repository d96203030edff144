/**
 * The slave side of replication: the master's commit-log bytes appended at exactly the offsets
 * they have there, in chunks that may split records. Complete records are verified (structure,
 * CRC, position, queue offset) before anything of them is stored, then dispatched like a put.
 */
import { END_OF_SEGMENT_MIN_BLANK, MAGIC_BLANK, MAGIC_V1, MAGIC_V2 } from '../../protocol/message/constants.js';
import { checkRecordAt, type MessageRecord } from '../../protocol/message/record.js';
import type { CommitLog } from './commit-log.js';
import { TOPIC_NAME, takesQueueSlot, type Dispatcher } from './dispatch.js';
import type { WriteGate } from './write-gate.js';

export class ReplicaAppender {
  /** Partial record received by appendRaw, waiting for its remaining bytes. */
  private rawCarry: Buffer = Buffer.alloc(0);

  constructor(
    private readonly commitLog: CommitLog,
    private readonly dispatcher: Dispatcher,
    private readonly gate: WriteGate,
  ) {}

  /** Where the next appendRaw must start (maxPhysOffset plus a partial record already received). */
  get rawAppendOffset(): number {
    return this.commitLog.maxOffset + this.rawCarry.length;
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
    if (this.commitLog.maxOffset !== 0 || this.commitLog.minOffset !== 0 || this.rawCarry.length > 0 || this.dispatcher.queues.size > 0) {
      throw new RangeError(`only an empty store can start at ${offset}; this one holds [${this.commitLog.minOffset}, ${this.commitLog.maxOffset})`);
    }
    if (!Number.isSafeInteger(offset) || offset < 0 || offset % this.commitLog.segmentSize !== 0) {
      throw new RangeError(`a log can only start at a segment boundary (a multiple of ${this.commitLog.segmentSize}), not at ${offset}`);
    }
    this.commitLog.startAt(offset);
  }

  /**
   * Slave side: appends raw bytes received from a master at exactly `offset` (= rawAppendOffset;
   * anything else is refused with a RangeError). Chunks may split records: complete records are
   * verified (structure, CRC, position), appended and dispatched; a partial tail waits for the next
   * chunk. Bad bytes are refused (nothing of the bad record is stored). Resolves with the new
   * rawAppendOffset once the complete records are in the kernel.
   */
  async appendRaw(offset: number, data: Buffer): Promise<number> {
    const refused = this.gate.appendState();
    // the reason is in the store's log; the code keeps this message the same while it lasts
    if (refused) throw new Error(`cannot append: the store refuses writes (${refused.code})`);
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
      this.dispatcher.dispatch(r, phys, size);
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
        const cq = this.dispatcher.findQueue(c.record.topic, c.record.queueId);
        if (cq && !cq.isEmpty && takesQueueSlot(c.record.sysFlag) && c.record.queueOffset !== cq.maxOffset) {
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
}
