/**
 * The store's write path: validation, one synchronous append per record (offsets assigned at once,
 * records dispatched), then the wait the flush mode asks for — written (ASYNC_FLUSH, or WAIT=false)
 * or fsynced (SYNC_FLUSH, group commit in the commit log).
 */
import { PropertyKey } from '../../protocol/message/constants.js';
import type { HostAddress } from '../../protocol/message/host.js';
import { offsetMsgId } from '../../protocol/message/msg-id.js';
import { findProperty } from '../../protocol/message/properties.js';
import { measureRecord, writeRecord } from '../../protocol/message/record.js';
import type { CommitLog } from './commit-log.js';
import type { StoreConfig } from './store-config.js';
import { TOPIC_NAME, takesQueueSlot, type Dispatcher } from './dispatch.js';
import type { PutMessage, PutMessageResult } from './types.js';
import type { WriteGate } from './write-gate.js';

/** The records of one put, in order. */
type Appended = { phys: number; queueOffset: number; size: number }[];

export class StoreWriter {
  private readonly topicBytes = new Map<string, Buffer>();
  /** Topic names already checked against TOPIC_NAME (the check is a regex; puts repeat few names). */
  private readonly validTopics = new Set<string>();
  /** Hex of the last store host seen, the part of every offset msgId that never changes. */
  private msgIdHost: { host: HostAddress; hex: string } | undefined;
  readonly totals = { messages: 0, bytes: 0 };

  constructor(
    private readonly config: StoreConfig,
    private readonly commitLog: CommitLog,
    private readonly dispatcher: Dispatcher,
    private readonly gate: WriteGate,
  ) {}

  private validate(m: PutMessage): PutMessageResult | undefined {
    if (!this.validTopics.has(m.topic)) {
      if (!TOPIC_NAME.test(m.topic)) return { status: 'MESSAGE_ILLEGAL', remark: `topic ${JSON.stringify(m.topic)} is not a valid topic name` };
      if (this.validTopics.size > 100_000) this.validTopics.clear();
      this.validTopics.add(m.topic);
    }
    if (!Number.isInteger(m.queueId) || m.queueId < 0 || m.queueId > 0x7fffffff) return { status: 'MESSAGE_ILLEGAL', remark: `queueId ${m.queueId} is invalid` };
    if (m.body.length > this.config.maxMessageSize) return { status: 'MESSAGE_ILLEGAL', remark: `message body of ${m.body.length} bytes exceeds maxMessageSize ${this.config.maxMessageSize}` };
    if (Buffer.byteLength(m.properties) > 32767) return { status: 'PROPERTIES_SIZE_EXCEEDED', remark: `properties of ${Buffer.byteLength(m.properties)} bytes exceed 32767` };
    // recovery reads NULs in the properties as a write cut short (recovery.ts cutShort)
    if (m.properties.includes('\u0000')) return { status: 'MESSAGE_ILLEGAL', remark: 'properties must not hold a NUL (\\u0000) character' };
    for (const [what, h] of [['bornHost', m.bornHost], ['storeHost', m.storeHost]] as const) {
      if (!h || (h.ip.length !== 4 && h.ip.length !== 16) || !Number.isInteger(h.port) || h.port < 0 || h.port > 0xffff) return { status: 'MESSAGE_ILLEGAL', remark: `${what} is not an IPv4/IPv6 address and port` };
    }
    const int32 = (v: number) => Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff;
    if (!int32(m.flag) || !int32(m.sysFlag) || !int32(m.reconsumeTimes)) return { status: 'MESSAGE_ILLEGAL', remark: 'flag, sysFlag and reconsumeTimes must be 32-bit integers' };
    if (!Number.isSafeInteger(m.bornTimestamp) || !Number.isSafeInteger(m.preparedTransactionOffset)) return { status: 'MESSAGE_ILLEGAL', remark: 'bornTimestamp and preparedTransactionOffset must be integers' };
    return undefined;
  }

  private topicBuf(topic: string): Buffer {
    let b = this.topicBytes.get(topic);
    if (!b) {
      b = Buffer.from(topic, 'utf8');
      if (this.topicBytes.size > 100_000) this.topicBytes.clear();
      this.topicBytes.set(topic, b);
    }
    return b;
  }

  /** offsetMsgId without a buffer per message: the store host's hex is computed once. */
  private msgIdOf(storeHost: HostAddress, phys: number): string {
    if (this.msgIdHost?.host !== storeHost) this.msgIdHost = { host: storeHost, hex: offsetMsgId(storeHost, 0).slice(0, -16) };
    return this.msgIdHost.hex + phys.toString(16).toUpperCase().padStart(16, '0');
  }

  /** Appends one record synchronously (offsets assigned now) and dispatches it. */
  private appendOne(m: PutMessage, storeTimestamp: number): Appended[number] {
    const topic = this.topicBuf(m.topic);
    const props = Buffer.from(m.properties, 'utf8');
    const sizes = measureRecord(m, topic, props);
    if (sizes.total > this.commitLog.maxRecordSize) throw new RangeError(`record of ${sizes.total} bytes does not fit a commit-log segment of ${this.commitLog.segmentSize}`);
    const cq = this.dispatcher.queue(m.topic, m.queueId);
    const queueOffset = takesQueueSlot(m.sysFlag) ? cq.maxOffset : 0;
    const phys = this.commitLog.append(sizes.total, (buf, at, physicalOffset) => {
      // an explicit object, not a spread: keeps writeRecord's property loads monomorphic (8x faster)
      writeRecord(buf, at, {
        queueId: m.queueId,
        flag: m.flag,
        queueOffset,
        physicalOffset,
        sysFlag: m.sysFlag,
        bornTimestamp: m.bornTimestamp,
        bornHost: m.bornHost,
        storeTimestamp,
        storeHost: m.storeHost,
        reconsumeTimes: m.reconsumeTimes,
        preparedTransactionOffset: m.preparedTransactionOffset,
        body: m.body,
        topic,
        properties: props,
        magic: sizes.magic,
      });
    });
    this.dispatcher.dispatch({ topic: m.topic, queueId: m.queueId, queueOffset, properties: m.properties, storeTimestamp, sysFlag: m.sysFlag }, phys, sizes.total, cq);
    return { phys, queueOffset, size: sizes.total };
  }

  /**
   * Stores messages as consecutive records of one queue (a SEND_BATCH_MESSAGE), atomically with
   * respect to other puts. The result's queueOffset is the first message's. Not an async function:
   * one suspended at its wait keeps its whole register file (~330 bytes per put, measured), so the
   * append runs here and the answer is built in a continuation.
   */
  putBatch(batch: readonly PutMessage[]): Promise<PutMessageResult> {
    const storeTimestamp = Date.now();
    let appended: Appended | PutMessageResult;
    try {
      appended = this.appendBatch(batch, storeTimestamp);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    if (!Array.isArray(appended)) return Promise.resolve(appended);
    const last = appended[appended.length - 1]!;
    const end = last.phys + last.size;
    const wait = findProperty(batch[0]!.properties, PropertyKey.WAIT_STORE_MSG_OK) !== 'false';
    const stored =
      this.config.flushDiskType === 'SYNC_FLUSH' && wait
        ? this.commitLog.waitFlushed(end, this.config.syncFlushTimeout)
        : // bounded like a flush: a write held back by a full disk is answered, not left hanging
          this.commitLog.waitWritten(end, this.config.syncFlushTimeout);
    const records = appended;
    return stored.then((ok) => this.answerPut(ok, batch, records, end, storeTimestamp));
  }

  /** Validates and appends a batch: the records appended, or the refusal. */
  private appendBatch(batch: readonly PutMessage[], storeTimestamp: number): Appended | PutMessageResult {
    const refused = this.gate.refusal();
    if (refused) return refused;
    if (batch.length === 0) return { status: 'MESSAGE_ILLEGAL', remark: 'empty batch' };
    for (let i = 0; i < batch.length; i++) {
      const bad = this.validate(batch[i]!);
      if (bad) return bad;
    }
    const appended: Appended = [];
    try {
      for (let i = 0; i < batch.length; i++) appended.push(this.appendOne(batch[i]!, storeTimestamp));
    } catch (e) {
      if (appended.length === 0 && e instanceof RangeError) return { status: 'MESSAGE_ILLEGAL', remark: e.message };
      throw e;
    }
    this.totals.messages += appended.length;
    for (let i = 0; i < appended.length; i++) this.totals.bytes += appended[i]!.size;
    return appended;
  }

  /** The put's result once its records are written (or flushed): `ok` false when the wait timed out or the log failed. */
  private answerPut(ok: boolean, batch: readonly PutMessage[], appended: Appended, end: number, storeTimestamp: number): PutMessageResult {
    let status: PutMessageResult['status'] = 'PUT_OK';
    let remark: string | undefined;
    if (!ok) {
      const stall = this.commitLog.writeStall;
      if (this.commitLog.writeError !== undefined || (this.commitLog.writtenOffset < end && stall === undefined && !this.commitLog.writable)) {
        return { status: 'UNKNOWN_ERROR', remark: `the message could not be written: ${this.commitLog.writeError?.message ?? 'store closed'}` };
      }
      // appended but not (yet) durable: a slow disk, or a write waiting for space
      status = 'FLUSH_DISK_TIMEOUT';
      if (stall !== undefined && this.commitLog.writtenOffset < end) {
        remark = `FLUSH_DISK_TIMEOUT: not written yet, the disk is full (${stall.error.code}); the broker holds the message and writes it once space is freed, but loses it if it stops before`;
      }
    }
    // appended before this broker lost its right to write: another master may acknowledge by now
    const withheld = this.gate.withheldAnswer();
    if (withheld !== undefined) return { status: 'SERVICE_NOT_AVAILABLE', remark: `not acknowledged: ${withheld}` };
    const first = appended[0]!;
    const msgIds: string[] = [];
    let wroteBytes = 0;
    for (let i = 0; i < appended.length; i++) {
      msgIds.push(this.msgIdOf(batch[i]!.storeHost, appended[i]!.phys));
      wroteBytes += appended[i]!.size;
    }
    const result: PutMessageResult = {
      status,
      appended: { physicalOffset: first.phys, queueOffset: first.queueOffset, msgIds, wroteBytes, endOffset: end, storeTimestamp, count: appended.length },
    };
    if (remark !== undefined) result.remark = remark;
    return result;
  }
}
