/**
 * Finding stored messages (mqadmin queryMsgById / queryMsgByKey):
 * - by offset msgId: it names the broker (store address) and the commit-log offset, so one
 *   VIEW_MESSAGE_BY_ID to that broker;
 * - by UNIQ_KEY (the producer's msgId) or by a KEYS entry: QUERY_MESSAGE to every master serving
 *   the topic, answers merged, newest first.
 * Every result keeps the record's bytes exactly as the broker sent them.
 */
import { RmqError } from '../errors.js';
import { PropertyKey } from '../protocol/message/constants.js';
import { formatHostAddress } from '../protocol/message/host.js';
import { offsetMsgId, parseOffsetMsgId } from '../protocol/message/msg-id.js';
import { decodeProperties } from '../protocol/message/properties.js';
import { decodeRecord, type MessageRecord } from '../protocol/message/record.js';
import { uncompressedBody } from '../protocol/message/compression.js';
import { masterAddr } from '../protocol/route.js';
import type { AdminClient } from '../client/admin.js';
import type { BrokerApi } from '../client/broker-api.js';

export interface FoundMessage {
  /** Broker address that answered. */
  addr: string;
  record: MessageRecord;
  /** The stored record's bytes, as sent. */
  raw: Buffer;
}

export class MessageNotFoundError extends RmqError {
  override readonly name: string = 'MessageNotFoundError';
}

/** Splits a body of records laid end to end, keeping each record's own bytes. */
export function splitRecords(body: Buffer): { record: MessageRecord; raw: Buffer }[] {
  const out: { record: MessageRecord; raw: Buffer }[] = [];
  let at = 0;
  while (at < body.length) {
    let r;
    try {
      r = decodeRecord(body, at);
    } catch {
      break;
    }
    out.push({ record: r, raw: body.subarray(at, at + r.decodedSize) });
    at += r.decodedSize;
  }
  return out;
}

/** The record's offset msgId (store address + commit-log offset), as clients compute it. */
export function recordMsgId(r: MessageRecord): string {
  return offsetMsgId(r.storeHost, r.physicalOffset);
}

/** A stored record's fields as people read them. */
export interface RecordDescription {
  /** The producer's msgId (UNIQ_KEY), else the offset msgId. */
  msgId: string;
  offsetMsgId: string;
  topic: string;
  tags: string | undefined;
  keys: string | undefined;
  queueId: number;
  queueOffset: number;
  commitLogOffset: number;
  storeSize: number;
  flag: number;
  sysFlag: number;
  reconsumeTimes: number;
  bornTimestamp: number;
  bornHost: string;
  storeTimestamp: number;
  storeHost: string;
  bodyCrc: number;
  properties: Record<string, string>;
  /** Decompressed when the record is compressed (else as stored; bodyNote says why). */
  body: Buffer;
  bodyNote?: string;
}

/** A readable view of a stored record (body decompressed when possible). */
export function describeRecord(r: MessageRecord): RecordDescription {
  const props = decodeProperties(r.properties);
  let body: Buffer = r.body;
  let bodyNote: string | undefined;
  try {
    body = uncompressedBody(r.sysFlag, r.body);
  } catch (e) {
    bodyNote = (e as Error).message;
  }
  return {
    msgId: props.get(PropertyKey.UNIQ_CLIENT_MESSAGE_ID_KEYIDX) ?? recordMsgId(r),
    offsetMsgId: recordMsgId(r),
    topic: r.topic,
    tags: props.get(PropertyKey.TAGS),
    keys: props.get(PropertyKey.KEYS),
    queueId: r.queueId,
    queueOffset: r.queueOffset,
    commitLogOffset: r.physicalOffset,
    storeSize: r.totalSize,
    flag: r.flag,
    sysFlag: r.sysFlag,
    reconsumeTimes: r.reconsumeTimes,
    bornTimestamp: r.bornTimestamp,
    bornHost: formatHostAddress(r.bornHost),
    storeTimestamp: r.storeTimestamp,
    storeHost: formatHostAddress(r.storeHost),
    bodyCrc: r.bodyCrc,
    properties: Object.fromEntries(props),
    body,
    ...(bodyNote ? { bodyNote } : {}),
  };
}

export interface LookupDeps {
  admin: AdminClient;
  brokers: BrokerApi;
}

async function topicMasters(d: LookupDeps, topic: string): Promise<string[]> {
  const route = await d.admin.topicRoute(topic);
  if (route === undefined) throw new MessageNotFoundError(`topic ${topic} has no route: no broker serves it`);
  const served = new Set(route.queueDatas.map((q) => q.brokerName));
  return route.brokerDatas.filter((b) => served.has(b.brokerName)).flatMap((b) => masterAddr(b) ?? []);
}

/**
 * By id. An offset msgId (what send results call offsetMsgId) is looked up on the broker it
 * names; with `topic`, the id is also tried as a UNIQ_KEY (the producer's msgId) in that topic.
 */
export async function findById(d: LookupDeps, id: string, topic?: string): Promise<FoundMessage[]> {
  const found: FoundMessage[] = [];
  const errors: string[] = [];
  let parsed: ReturnType<typeof parseOffsetMsgId> | undefined;
  try {
    parsed = parseOffsetMsgId(id);
  } catch {
    parsed = undefined;
  }
  if (parsed !== undefined) {
    const addr = formatHostAddress(parsed.storeHost);
    try {
      const raw = await d.brokers.viewMessage(addr, parsed.commitLogOffset);
      for (const m of splitRecords(raw)) if (topic === undefined || m.record.topic === topic) found.push({ addr, ...m });
    } catch (e) {
      errors.push(`${addr}: ${(e as Error).message}`);
    }
  }
  if (topic !== undefined && /^[0-9A-Fa-f]+$/.test(id)) {
    for (const addr of await topicMasters(d, topic)) {
      try {
        const body = await d.brokers.queryMessage(addr, { topic, key: id, unique: true });
        for (const m of splitRecords(body)) {
          if (decodeProperties(m.record.properties).get(PropertyKey.UNIQ_CLIENT_MESSAGE_ID_KEYIDX) === id && !found.some((f) => f.raw.equals(m.raw))) found.push({ addr, ...m });
        }
      } catch (e) {
        errors.push(`${addr}: ${(e as Error).message}`);
      }
    }
  }
  if (found.length === 0) {
    if (parsed === undefined && topic === undefined) throw new MessageNotFoundError(`${id} is not an offset msgId (32 or 56 hex digits naming a broker); to look up a producer msgId (UNIQ_KEY), give its --topic`);
    throw new MessageNotFoundError(`no message with id ${id}${topic ? ` in topic ${topic}` : ''}${errors.length ? ` (${errors.join('; ')})` : ''}`);
  }
  return found;
}

/** Messages of `topic` with `key` among their KEYS, from every master serving the topic, newest first. */
export async function findByKey(d: LookupDeps, topic: string, key: string, opts: { maxNum?: number; beginTimestamp?: number; endTimestamp?: number } = {}): Promise<FoundMessage[]> {
  const found: FoundMessage[] = [];
  const errors: string[] = [];
  const masters = await topicMasters(d, topic);
  await Promise.all(
    masters.map(async (addr) => {
      try {
        const body = await d.brokers.queryMessage(addr, { topic, key, maxNum: opts.maxNum ?? 32, beginTimestamp: opts.beginTimestamp ?? 0, endTimestamp: opts.endTimestamp ?? Number.MAX_SAFE_INTEGER });
        for (const m of splitRecords(body)) found.push({ addr, ...m });
      } catch (e) {
        errors.push(`${addr}: ${(e as Error).message}`);
      }
    }),
  );
  if (found.length === 0 && errors.length === masters.length && masters.length > 0) throw new RmqError(`no broker answered: ${errors.join('; ')}`);
  return found.sort((a, b) => b.record.storeTimestamp - a.record.storeTimestamp || b.record.physicalOffset - a.record.physicalOffset);
}
