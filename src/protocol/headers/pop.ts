/**
 * Header specs and the batch-ack body of RocketMQ 5's POP remoting API: POP_MESSAGE (200050),
 * ACK_MESSAGE (200051), CHANGE_MESSAGE_INVISIBLETIME (200053), BATCH_ACK_MESSAGE (200151). Field
 * names, types and @CFNotNull from apache/rocketmq 8fc57f1468
 * remoting/src/main/java/org/apache/rocketmq/remoting/protocol/header/{PopMessageRequestHeader,
 * PopMessageResponseHeader, AckMessageRequestHeader, ChangeInvisibleTimeRequestHeader,
 * ChangeInvisibleTimeResponseHeader}.java and body/{BatchAck, BatchAckMessageRequestBody}.java.
 * These are HEAD-only APIs, absent from the 4.x schema fixture.
 */
import { defineHeader, optional, required, withDefault, type HeaderValues } from '../header-spec.js';
import { JsonCheck } from '../json-check.js';

/** `ConsumeInitMode`: where a group new to a queue starts. */
export const ConsumeInitMode = { MIN: 0, MAX: 1 } as const;

export const PopMessageRequestHeader = defineHeader('PopMessageRequestHeader', {
  consumerGroup: required.string,
  topic: required.string,
  /** −1 (or any negative): every queue of the topic on this broker. */
  queueId: required.int,
  maxMsgNums: required.int,
  invisibleTime: required.long,
  pollTime: required.long,
  bornTime: required.long,
  initMode: required.int,
  expType: optional.string,
  exp: optional.string,
  order: withDefault('boolean', false),
  attemptId: optional.string,
});
export type PopMessageRequest = HeaderValues<typeof PopMessageRequestHeader>;

export const PopMessageResponseHeader = defineHeader('PopMessageResponseHeader', {
  popTime: required.long,
  invisibleTime: required.long,
  reviveQid: required.int,
  /** Messages left in the queues after this pop. */
  restNum: required.long,
  /** `retry queueId startOffset;…` (ExtraInfoUtil.buildStartOffsetInfo) */
  startOffsetInfo: optional.string,
  /** `retry queueId offset,offset…;…` (ExtraInfoUtil.buildMsgOffsetInfo) */
  msgOffsetInfo: optional.string,
  /** `retry qo<queueId>%<offset> count;…` (ExtraInfoUtil.buildQueueOffsetOrderCountInfo) */
  orderCountInfo: optional.string,
});
export type PopMessageResponse = HeaderValues<typeof PopMessageResponseHeader>;

export const AckMessageRequestHeader = defineHeader('AckMessageRequestHeader', {
  consumerGroup: required.string,
  topic: required.string,
  queueId: required.int,
  /** The message's POP_CK property (the receipt handle). */
  extraInfo: required.string,
  offset: required.long,
});
export type AckMessageRequest = HeaderValues<typeof AckMessageRequestHeader>;

export const ChangeInvisibleTimeRequestHeader = defineHeader('ChangeInvisibleTimeRequestHeader', {
  consumerGroup: required.string,
  topic: required.string,
  queueId: required.int,
  extraInfo: required.string,
  offset: required.long,
  invisibleTime: required.long,
});
export type ChangeInvisibleTimeRequest = HeaderValues<typeof ChangeInvisibleTimeRequestHeader>;

export const ChangeInvisibleTimeResponseHeader = defineHeader('ChangeInvisibleTimeResponseHeader', {
  popTime: required.long,
  invisibleTime: required.long,
  reviveQid: required.int,
});
export type ChangeInvisibleTimeResponse = HeaderValues<typeof ChangeInvisibleTimeResponseHeader>;

export const POP_HEADERS = [PopMessageRequestHeader, PopMessageResponseHeader, AckMessageRequestHeader, ChangeInvisibleTimeRequestHeader, ChangeInvisibleTimeResponseHeader] as const;

/** One `BatchAck` of a BATCH_ACK_MESSAGE body: the offsets startOffset + i for each set bit i. */
export interface BatchAck {
  consumerGroup: string;
  topic: string;
  /** "0" original topic, "1"/"2" retry topic v1/v2 (ExtraInfoUtil). */
  retry: string;
  startOffset: number;
  queueId: number;
  reviveQueueId: number;
  popTime: number;
  invisibleTime: number;
  /** Offsets relative to startOffset (java.util.BitSet, written by fastjson as base64 of BitSet.toByteArray()). */
  bits: number[];
}

export interface BatchAckMessageRequestBody {
  brokerName?: string;
  acks: BatchAck[];
}

/** java.util.BitSet.toByteArray: little-endian bytes, bit i of the set is bit (i % 8) of byte i / 8. */
export function bitSetBytes(bits: readonly number[]): Buffer {
  const max = bits.reduce((m, b) => Math.max(m, b), -1);
  const buf = Buffer.alloc(max < 0 ? 0 : (max >> 3) + 1);
  for (const b of bits) buf[b >> 3] = (buf[b >> 3] as number) | (1 << (b & 7));
  return buf;
}

export function bitSetBits(bytes: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) for (let j = 0; j < 8; j++) if (((bytes[i] as number) & (1 << j)) !== 0) out.push(i * 8 + j);
  return out;
}

/** The body as the Java client writes it (JSON field names `c t r so q rq pt it b`). */
export function encodeBatchAckBody(b: BatchAckMessageRequestBody): Buffer {
  const acks = b.acks.map((a) => ({ c: a.consumerGroup, it: a.invisibleTime, pt: a.popTime, q: a.queueId, r: a.retry, rq: a.reviveQueueId, so: a.startOffset, t: a.topic, b: bitSetBytes(a.bits).toString('base64') }));
  return Buffer.from(JSON.stringify({ acks, ...(b.brokerName === undefined ? {} : { brokerName: b.brokerName }) }), 'utf8');
}

/** Parses a BATCH_ACK_MESSAGE body; accepts the short and the long field names (fastjson alternateNames). */
export function decodeBatchAckBody(body: Buffer | undefined): BatchAckMessageRequestBody {
  const check = new JsonCheck('BatchAckMessageRequestBody');
  const o = check.body(body);
  const list = o.acks === undefined || o.acks === null ? [] : check.array(o.acks, 'acks');
  const acks = list.map((v: unknown, i: number): BatchAck => {
    const p = `acks[${i}]`;
    const a = check.object(v, p);
    const pick = (short: string, long: string): unknown => (a[short] !== undefined ? a[short] : a[long]);
    const b = pick('b', 'bitSet');
    let bits: number[] = [];
    if (typeof b === 'string') bits = bitSetBits(Buffer.from(b, 'base64'));
    else if (Array.isArray(b)) bits = bitSetBits(Buffer.from(b.map((x) => Number(x) & 0xff)));
    else if (b !== undefined && b !== null) check.fail(`${p}.b`, 'a base64 string or a byte array', b);
    return {
      consumerGroup: check.string(pick('c', 'consumerGroup'), `${p}.c`),
      topic: check.string(pick('t', 'topic'), `${p}.t`),
      retry: String(pick('r', 'retry') ?? '0'),
      startOffset: check.integer(pick('so', 'startOffset'), `${p}.so`),
      queueId: check.integer(pick('q', 'queueId'), `${p}.q`),
      reviveQueueId: check.integerOr(pick('rq', 'reviveQueueId'), `${p}.rq`, 0),
      popTime: check.integer(pick('pt', 'popTime'), `${p}.pt`),
      invisibleTime: check.integer(pick('it', 'invisibleTime'), `${p}.it`),
      bits,
    };
  });
  const brokerName = typeof o.brokerName === 'string' ? o.brokerName : undefined;
  return { acks, ...(brokerName === undefined ? {} : { brokerName }) };
}
