import { MAGIC_BLANK, MAGIC_V1, MAGIC_V2, MAX_PROPERTIES_BYTES, MAX_V1_TOPIC_BYTES, Pos, SysFlag } from './constants.js';
import { bodyCrc as computeBodyCrc } from './crc32.js';
import type { HostAddress } from './host.js';
import { readInt64, writeInt64 } from './int64.js';

/**
 * A stored message record — RocketMQ's commit-log layout, which is also what a pull reply carries
 * (docs/design/protocol.md#stored-message-record). All integers big-endian:
 *
 *   TOTALSIZE 4 · MAGICCODE 4 · BODYCRC 4 · QUEUEID 4 · FLAG 4 · QUEUEOFFSET 8 · PHYSICALOFFSET 8 ·
 *   SYSFLAG 4 · BORNTIMESTAMP 8 · BORNHOST 8|20 · STORETIMESTAMP 8 · STOREHOST 8|20 ·
 *   RECONSUMETIMES 4 · PREPAREDTRANSACTIONOFFSET 8 · BODY 4+n · TOPIC 1+t (V1) | 2+t (V2) · PROPERTIES 2+p
 */
export interface MessageRecord {
  totalSize: number;
  magic: number;
  /** CRC32 & 0x7FFFFFFF of the body as stored (possibly compressed). */
  bodyCrc: number;
  queueId: number;
  flag: number;
  queueOffset: number;
  physicalOffset: number;
  sysFlag: number;
  bornTimestamp: number;
  bornHost: HostAddress;
  storeTimestamp: number;
  storeHost: HostAddress;
  reconsumeTimes: number;
  preparedTransactionOffset: number;
  /** The body as stored (compressed when sysFlag has COMPRESSED). A view into the input buffer. */
  body: Buffer;
  topic: string;
  /** The property string as stored; `decodeProperties` turns it into a map. */
  properties: string;
}

/**
 * What the encoder needs: the record's fields less those it computes. TOTALSIZE is always computed;
 * BODYCRC and MAGICCODE unless given (keep a stored CRC to re-encode foreign bytes exactly; V1
 * unless the topic needs V2). Host-length sysFlag bits are set from the hosts' address lengths.
 * Topic and properties may come pre-encoded, to avoid re-encoding strings per message.
 */
export type RecordInput = Omit<MessageRecord, 'totalSize' | 'magic' | 'bodyCrc' | 'body' | 'topic' | 'properties'> & {
  body: Uint8Array;
  topic: string | Uint8Array;
  properties: string | Uint8Array;
  bodyCrc?: number;
  magic?: number;
};

export class RecordFormatError extends Error {
  override readonly name = 'RecordFormatError';
  constructor(
    message: string,
    /** Byte position of the record in the buffer it was read from. */
    readonly at: number,
  ) {
    super(message);
  }
}

const asBytes = (v: string | Uint8Array): Uint8Array => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v);

/** Bytes a BORNHOST/STOREHOST field takes: address + int32 port. */
const hostFieldSize = (h: HostAddress) => h.ip.length + 4;

export interface RecordSizes {
  total: number;
  bodyLength: number;
  topicLength: number;
  propertiesLength: number;
  magic: number;
}

/** Sizes of a record before it is written (lets the store decide whether it still fits a segment). */
export function measureRecord(input: Pick<RecordInput, 'bornHost' | 'storeHost' | 'body' | 'magic'>, topic: Uint8Array, properties: Uint8Array): RecordSizes {
  const magic = input.magic ?? (topic.length > MAX_V1_TOPIC_BYTES ? MAGIC_V2 : MAGIC_V1);
  const total =
    4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + hostFieldSize(input.bornHost) + 8 + hostFieldSize(input.storeHost) + 4 + 8 +
    4 + input.body.length +
    (magic === MAGIC_V2 ? 2 : 1) + topic.length +
    2 + properties.length;
  return { total, bodyLength: input.body.length, topicLength: topic.length, propertiesLength: properties.length, magic };
}

function checkHost(h: HostAddress, what: string): void {
  if (h.ip.length !== 4 && h.ip.length !== 16) throw new RangeError(`${what}: address must be 4 or 16 bytes, got ${h.ip.length}`);
}

/**
 * Writes one record at `at` in `buf` (which must have room for it) and returns its size.
 * `topic`/`properties` may be passed pre-encoded to avoid re-encoding strings per message.
 */
export function writeRecord(buf: Buffer, at: number, input: RecordInput): number {
  const topic = asBytes(input.topic);
  const properties = asBytes(input.properties);
  checkHost(input.bornHost, 'bornHost');
  checkHost(input.storeHost, 'storeHost');
  const sizes = measureRecord(input, topic, properties);
  if (sizes.magic !== MAGIC_V1 && sizes.magic !== MAGIC_V2) throw new RangeError(`magic must be V1 or V2`);
  if (sizes.magic === MAGIC_V1 && topic.length > MAX_V1_TOPIC_BYTES) throw new RangeError(`topic of ${topic.length} bytes needs a V2 record`);
  if (topic.length > 0x7fff) throw new RangeError(`topic of ${topic.length} bytes is too long`);
  if (properties.length > MAX_PROPERTIES_BYTES) throw new RangeError(`properties of ${properties.length} bytes exceed ${MAX_PROPERTIES_BYTES}`);
  let sysFlag = input.sysFlag & ~(SysFlag.BORNHOST_V6 | SysFlag.STOREHOST_V6);
  if (input.bornHost.ip.length === 16) sysFlag |= SysFlag.BORNHOST_V6;
  if (input.storeHost.ip.length === 16) sysFlag |= SysFlag.STOREHOST_V6;

  let p = at;
  buf.writeInt32BE(sizes.total, p);
  buf.writeInt32BE(sizes.magic, p + 4);
  buf.writeInt32BE(input.bodyCrc ?? computeBodyCrc(input.body), p + 8);
  buf.writeInt32BE(input.queueId, p + 12);
  buf.writeInt32BE(input.flag, p + 16);
  writeInt64(buf, input.queueOffset, p + 20);
  writeInt64(buf, input.physicalOffset, p + 28);
  buf.writeInt32BE(sysFlag, p + 36);
  writeInt64(buf, input.bornTimestamp, p + 40);
  p += 48;
  buf.set(input.bornHost.ip, p);
  p += input.bornHost.ip.length;
  buf.writeInt32BE(input.bornHost.port, p);
  p += 4;
  writeInt64(buf, input.storeTimestamp, p);
  p += 8;
  buf.set(input.storeHost.ip, p);
  p += input.storeHost.ip.length;
  buf.writeInt32BE(input.storeHost.port, p);
  p += 4;
  buf.writeInt32BE(input.reconsumeTimes, p);
  writeInt64(buf, input.preparedTransactionOffset, p + 4);
  p += 12;
  buf.writeInt32BE(input.body.length, p);
  buf.set(input.body, p + 4);
  p += 4 + input.body.length;
  if (sizes.magic === MAGIC_V2) {
    buf.writeInt16BE(topic.length, p);
    p += 2;
  } else {
    buf.writeInt8(topic.length, p);
    p += 1;
  }
  buf.set(topic, p);
  p += topic.length;
  buf.writeInt16BE(properties.length, p);
  buf.set(properties, p + 2);
  p += 2 + properties.length;
  return p - at;
}

export function encodeRecord(input: RecordInput): Buffer {
  const sizes = measureRecord(input, asBytes(input.topic), asBytes(input.properties));
  const buf = Buffer.allocUnsafe(sizes.total);
  writeRecord(buf, 0, input);
  return buf;
}

/** The 8-byte blank record that fills a segment's end: TOTALSIZE = bytes left in the segment, MAGICCODE = blank. */
export function writeBlankRecord(buf: Buffer, at: number, remaining: number): void {
  buf.writeInt32BE(remaining, at);
  buf.writeInt32BE(MAGIC_BLANK, at + 4);
}

/** Position of STORETIMESTAMP (depends on the born host's length). */
export function storeTimestampPosition(sysFlag: number): number {
  return Pos.bornHost + ((sysFlag & SysFlag.BORNHOST_V6) !== 0 ? 20 : 8);
}

/** Position of STOREHOST. */
export function storeHostPosition(sysFlag: number): number {
  return storeTimestampPosition(sysFlag) + 8;
}

export interface DecodeOptions {
  /**
   * Strict (default): the fields must add up to TOTALSIZE exactly — what a store demands of its own
   * data. Lenient: walk the fields as Java's MessageDecoder and ali-ons do and ignore TOTALSIZE
   * (for reading records written by other brokers); `decodedSize` tells where the walk ended.
   */
  lenient?: boolean;
}

/**
 * Decodes the record at `at`. Checks structure (sizes add up, magic known, fields inside the
 * record), not the body CRC (see `verifyRecordCrc`). The body and the host addresses are views into `buf`.
 */
export function decodeRecord(buf: Buffer, at = 0, opts: DecodeOptions = {}): MessageRecord & { decodedSize: number } {
  const fail = (why: string): never => {
    throw new RecordFormatError(`bad record at byte ${at}: ${why}`, at);
  };
  if (buf.length - at < 4 + 4) fail(`only ${buf.length - at} bytes left`);
  const totalSize = buf.readInt32BE(at);
  const magic = buf.readInt32BE(at + 4);
  if (magic !== MAGIC_V1 && magic !== MAGIC_V2) fail(magic === MAGIC_BLANK ? 'blank end-of-segment record' : `unknown magic code 0x${(magic >>> 0).toString(16)}`);
  const lenient = opts.lenient === true;
  if (!lenient && (totalSize < 91 || totalSize > buf.length - at)) fail(`TOTALSIZE ${totalSize} does not fit the ${buf.length - at} bytes left`);
  const end = lenient ? buf.length : at + totalSize;
  const need = (p: number, n: number) => {
    if (p + n > end) fail(lenient ? 'record is cut off' : `field runs past TOTALSIZE ${totalSize}`);
  };
  need(at, 48);
  const sysFlag = buf.readInt32BE(at + 36);
  let p = at + 48;
  const bornIpLen = (sysFlag & SysFlag.BORNHOST_V6) !== 0 ? 16 : 4;
  const storeIpLen = (sysFlag & SysFlag.STOREHOST_V6) !== 0 ? 16 : 4;
  need(p, bornIpLen + 4 + 8 + storeIpLen + 4 + 4 + 8 + 4);
  // views, like the body: a copy per address was two allocations per record on every read path
  const bornHost = { ip: buf.subarray(p, p + bornIpLen), port: buf.readInt32BE(p + bornIpLen) };
  p += bornIpLen + 4;
  const storeTimestamp = readInt64(buf, p);
  p += 8;
  const storeHost = { ip: buf.subarray(p, p + storeIpLen), port: buf.readInt32BE(p + storeIpLen) };
  p += storeIpLen + 4;
  const reconsumeTimes = buf.readInt32BE(p);
  const preparedTransactionOffset = readInt64(buf, p + 4);
  p += 12;
  const bodyLength = buf.readInt32BE(p);
  p += 4;
  if (bodyLength < 0) fail(`negative body length ${bodyLength}`);
  need(p, bodyLength);
  const body = buf.subarray(p, p + bodyLength);
  p += bodyLength;
  need(p, magic === MAGIC_V2 ? 2 : 1);
  const topicLength = magic === MAGIC_V2 ? buf.readInt16BE(p) : buf.readInt8(p);
  p += magic === MAGIC_V2 ? 2 : 1;
  if (topicLength < 0) fail(`negative topic length ${topicLength}`);
  need(p, topicLength);
  const topic = buf.toString('utf8', p, p + topicLength);
  p += topicLength;
  need(p, 2);
  const propertiesLength = buf.readInt16BE(p);
  p += 2;
  if (propertiesLength < 0) fail(`negative properties length ${propertiesLength}`);
  need(p, propertiesLength);
  const properties = buf.toString('utf8', p, p + propertiesLength);
  p += propertiesLength;
  if (!lenient && p !== end) fail(`fields end at ${p - at}, TOTALSIZE says ${totalSize}`);
  return {
    decodedSize: p - at,
    totalSize,
    magic,
    bodyCrc: buf.readInt32BE(at + 8),
    queueId: buf.readInt32BE(at + 12),
    flag: buf.readInt32BE(at + 16),
    queueOffset: readInt64(buf, at + 20),
    physicalOffset: readInt64(buf, at + 28),
    sysFlag,
    bornTimestamp: readInt64(buf, at + 40),
    bornHost,
    storeTimestamp,
    storeHost,
    reconsumeTimes,
    preparedTransactionOffset,
    body,
    topic,
    properties,
  };
}

export function verifyRecordCrc(r: MessageRecord): boolean {
  return computeBodyCrc(r.body) === r.bodyCrc;
}

/**
 * Decodes records laid end to end (a pull reply body), stopping where the data ends or at the
 * first bytes that are not a record — as RocketMQ's and ali-ons' decoders do.
 */
export function decodeRecords(buf: Buffer, opts: DecodeOptions = {}): MessageRecord[] {
  const out: MessageRecord[] = [];
  let at = 0;
  while (at + 8 <= buf.length) {
    try {
      const r = decodeRecord(buf, at, opts);
      out.push(r);
      at += r.decodedSize;
    } catch (e) {
      if (e instanceof RecordFormatError) break;
      throw e;
    }
  }
  return out;
}

/** What sits at a position of a commit log (recovery and replication check each record with this). */
export type RecordCheck =
  | { kind: 'record'; size: number; record: MessageRecord }
  | { kind: 'blank'; size: number }
  /** TOTALSIZE and MAGICCODE both zero: nothing was ever written here. */
  | { kind: 'end' }
  | { kind: 'invalid'; reason: string; /** the claimed TOTALSIZE when it looked sane, to look past the record */ size?: number };

/**
 * Checks the bytes at `at` as a commit-log record that must sit at physical offset `physicalOffset`,
 * with `segmentRemaining` bytes left in its segment: structure, body CRC, and that the record's
 * PHYSICALOFFSET field names this very position (so stale bytes are never taken for a record).
 */
export function checkRecordAt(buf: Buffer, at: number, physicalOffset: number, segmentRemaining: number): RecordCheck {
  if (buf.length - at < 8) return buf.subarray(at).every((b) => b === 0) ? { kind: 'end' } : { kind: 'invalid', reason: 'torn record header' };
  const totalSize = buf.readInt32BE(at);
  const magic = buf.readInt32BE(at + 4);
  if (totalSize === 0 && magic === 0) return { kind: 'end' };
  if (magic === MAGIC_BLANK) {
    return totalSize === segmentRemaining ? { kind: 'blank', size: totalSize } : { kind: 'invalid', reason: `blank record of ${totalSize} bytes where ${segmentRemaining} remain in the segment` };
  }
  const sane = totalSize >= 91 && totalSize <= segmentRemaining;
  if (magic !== MAGIC_V1 && magic !== MAGIC_V2) return { kind: 'invalid', reason: `unknown magic code 0x${(magic >>> 0).toString(16)}`, ...(sane ? { size: totalSize } : {}) };
  if (!sane) return { kind: 'invalid', reason: `TOTALSIZE ${totalSize} does not fit the ${segmentRemaining} bytes left in the segment` };
  if (totalSize > buf.length - at) return { kind: 'invalid', reason: `record of ${totalSize} bytes is cut off after ${buf.length - at}`, size: totalSize };
  let record: MessageRecord;
  try {
    record = decodeRecord(buf, at);
  } catch (e) {
    if (e instanceof RecordFormatError) return { kind: 'invalid', reason: e.message, size: totalSize };
    throw e;
  }
  if (record.physicalOffset !== physicalOffset) return { kind: 'invalid', reason: `PHYSICALOFFSET field says ${record.physicalOffset}`, size: totalSize };
  if (!verifyRecordCrc(record)) return { kind: 'invalid', reason: `body CRC mismatch (stored 0x${record.bodyCrc.toString(16)})`, size: totalSize };
  return { kind: 'record', size: totalSize, record };
}
