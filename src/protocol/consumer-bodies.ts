/**
 * JSON bodies of the consumer-group API (field names from apache/rocketmq HEAD
 * `remoting/protocol/{admin,body}/*.java`), written the way fastjson writes them:
 * - ConsumeStats (GET_CONSUME_STATS) and ResetOffsetBody (INVOKE_BROKER_TO_RESET_OFFSET) are maps
 *   keyed by a MessageQueue object, `{{"brokerName":"b","queueId":0,"topic":"t"}:{…}}`
 *   (docs/design/protocol.md#maps-keyed-by-objects), which Java admin tools (mqadmin
 *   consumerProgress / resetOffsetByTime) decode;
 * - ConsumerConnection (GET_CONSUMER_CONNECTION_LIST), the consumer id list (GET_CONSUMER_LIST_BY_GROUP),
 *   GroupList (QUERY_TOPIC_CONSUME_BY_WHO), the LOCK/UNLOCK_BATCH_MQ bodies.
 * Readers accept the object-keyed form and an empty `{}`.
 */
import { JavaDouble, JavaMap, toFastJson } from './fastjson.js';
import { CONSUME_FROM_WHERE, CONSUME_TYPES, MESSAGE_MODELS, decodeSubscriptionData, type ConsumeFromWhere, type ConsumeType, type MessageModel, type SubscriptionData } from './heartbeat.js';
import { JsonCheck } from './json-check.js';
import type { LanguageCode } from '../remoting/command.js';
import { compareMessageQueues, decodeMessageQueue, messageQueueJson as mqObject, type MessageQueue } from './message-queue.js';

export type { MessageQueue } from './message-queue.js';

/** Entries of a `Map<MessageQueue, V>` as parsed: a JavaMap when it had entries, `{}` when empty. */
function mqMapEntries<V>(table: unknown, path: string, check: JsonCheck, each: (v: unknown, path: string) => V): [MessageQueue, V][] {
  const entries: readonly (readonly [unknown, unknown])[] = table instanceof JavaMap ? table.entries : Object.entries(check.object(table ?? {}, path));
  return entries
    .map(([k, v], i) => [decodeMessageQueue(k, `${path}[${i}].key`, check), each(v, `${path}[${i}].value`)] as [MessageQueue, V])
    .sort((a, b) => compareMessageQueues(a[0], b[0]));
}

// ---------------------------------------------------------------- ConsumeStats

/** `OffsetWrapper`: one queue's progress for a group. */
export interface QueueConsumeStats extends MessageQueue {
  /** The queue's max offset: where the next message will go. */
  brokerOffset: number;
  /** The group's committed offset (0 when it has none, as Java answers). */
  consumerOffset: number;
  /** How far the group has pulled (≥ consumerOffset). */
  pullOffset: number;
  /** Store time of the last consumed message (consumerOffset − 1); 0 when unknown. */
  lastTimestamp: number;
  /** rmqd: POP messages delivered and not acked yet (absent from other brokers; Java's decoder ignores it). */
  inflight?: number;
}

export interface ConsumeStats {
  queues: QueueConsumeStats[];
  consumeTps: number;
}

export function encodeConsumeStats(s: ConsumeStats): Buffer {
  const entries = s.queues.map((q) => [mqObject(q), { brokerOffset: q.brokerOffset, consumerOffset: q.consumerOffset, ...(q.inflight === undefined ? {} : { inflight: q.inflight }), lastTimestamp: q.lastTimestamp, pullOffset: q.pullOffset }] as const);
  return Buffer.from(toFastJson({ consumeTps: new JavaDouble(s.consumeTps), offsetTable: new JavaMap(entries) }), 'utf8');
}

export function decodeConsumeStats(body: Buffer | undefined): ConsumeStats {
  const check = new JsonCheck('ConsumeStats');
  const o = check.body(body);
  const queues = mqMapEntries(o.offsetTable, 'offsetTable', check, (v, p) => {
    const w = check.object(v, p);
    return {
      brokerOffset: check.integerOr(w.brokerOffset, `${p}.brokerOffset`, 0),
      consumerOffset: check.integerOr(w.consumerOffset, `${p}.consumerOffset`, 0),
      pullOffset: check.integerOr(w.pullOffset, `${p}.pullOffset`, 0),
      lastTimestamp: check.integerOr(w.lastTimestamp, `${p}.lastTimestamp`, 0),
      ...(w.inflight === undefined ? {} : { inflight: check.integer(w.inflight, `${p}.inflight`) }),
    };
  }).map(([mq, w]) => ({ ...mq, ...w }));
  return { queues, consumeTps: typeof o.consumeTps === 'number' ? o.consumeTps : 0 };
}

// ---------------------------------------------------------------- ResetOffsetBody

export interface QueueOffset extends MessageQueue {
  offset: number;
}

export function encodeResetOffsetBody(queues: readonly QueueOffset[]): Buffer {
  return Buffer.from(toFastJson({ offsetTable: new JavaMap(queues.map((q) => [mqObject(q), q.offset] as const)) }), 'utf8');
}

export function decodeResetOffsetBody(body: Buffer | undefined): QueueOffset[] {
  const check = new JsonCheck('ResetOffsetBody');
  const o = check.body(body);
  return mqMapEntries(o.offsetTable, 'offsetTable', check, (v, p) => check.integer(v, p)).map(([mq, offset]) => ({ ...mq, offset }));
}

// ---------------------------------------------------------------- ConsumerConnection

/** One client connection (`Connection`). */
export interface ClientConnection {
  clientId: string;
  /** ip:port the broker sees. */
  clientAddr: string;
  language: LanguageCode | string;
  /** The client's protocol version (MQVersion ordinal). */
  version: number;
}

export interface ConsumerConnection {
  connectionSet: ClientConnection[];
  subscriptionTable: Record<string, SubscriptionData>;
  consumeType: ConsumeType;
  messageModel: MessageModel;
  consumeFromWhere: ConsumeFromWhere;
}

export function encodeConsumerConnection(c: ConsumerConnection): Buffer {
  return Buffer.from(toFastJson(c), 'utf8');
}

export function decodeConsumerConnection(body: Buffer | undefined): ConsumerConnection {
  const check = new JsonCheck('ConsumerConnection');
  const o = check.body(body);
  const enumOf = <T extends string>(v: unknown, p: string, values: readonly T[], dflt: T): T => {
    if (v === undefined || v === null) return dflt;
    const s = check.string(v, p);
    return (values as readonly string[]).includes(s) ? (s as T) : check.fail(p, `one of ${values.join(', ')}`, s);
  };
  return {
    connectionSet: check.array(o.connectionSet ?? [], 'connectionSet').map((c, i) => {
      const p = `connectionSet[${i}]`;
      const x = check.object(c, p);
      return {
        clientId: check.string(x.clientId, `${p}.clientId`),
        clientAddr: check.optionalString(x.clientAddr, `${p}.clientAddr`) ?? '',
        language: check.optionalString(x.language, `${p}.language`) ?? 'OTHER',
        version: check.integerOr(x.version, `${p}.version`, 0),
      };
    }),
    subscriptionTable: check.record(o.subscriptionTable ?? {}, 'subscriptionTable', (v, p) => decodeSubscriptionData(v, p, check)),
    consumeType: enumOf(o.consumeType, 'consumeType', CONSUME_TYPES, 'CONSUME_PASSIVELY'),
    messageModel: enumOf(o.messageModel, 'messageModel', MESSAGE_MODELS, 'CLUSTERING'),
    consumeFromWhere: enumOf(o.consumeFromWhere, 'consumeFromWhere', CONSUME_FROM_WHERE, 'CONSUME_FROM_LAST_OFFSET'),
  };
}

// ---------------------------------------------------------------- small lists

/** GET_CONSUMER_LIST_BY_GROUP reply: `{"consumerIdList":[…]}`. */
export function encodeConsumerIdList(ids: readonly string[]): Buffer {
  return Buffer.from(toFastJson({ consumerIdList: ids }), 'utf8');
}

export function decodeConsumerIdList(body: Buffer | undefined): string[] {
  const check = new JsonCheck('GetConsumerListByGroupResponseBody');
  const o = check.body(body);
  return check.array(o.consumerIdList ?? [], 'consumerIdList').map((v, i) => check.string(v, `consumerIdList[${i}]`));
}

/** QUERY_TOPIC_CONSUME_BY_WHO reply: `{"groupList":[…]}`. */
export function encodeGroupList(groups: readonly string[]): Buffer {
  return Buffer.from(toFastJson({ groupList: groups }), 'utf8');
}

export function decodeGroupList(body: Buffer | undefined): string[] {
  const check = new JsonCheck('GroupList');
  const o = check.body(body);
  return check.array(o.groupList ?? [], 'groupList').map((v, i) => check.string(v, `groupList[${i}]`));
}

/** LOCK_BATCH_MQ / UNLOCK_BATCH_MQ request body (`LockBatchRequestBody` / `UnlockBatchRequestBody`). */
export interface LockBatchRequest {
  consumerGroup: string;
  clientId: string;
  mqSet: MessageQueue[];
  onlyThisBroker?: boolean;
}

export function encodeLockBatchRequest(r: LockBatchRequest): Buffer {
  return Buffer.from(toFastJson({ ...r, mqSet: r.mqSet.map(mqObject) }), 'utf8');
}

export function decodeLockBatchRequest(body: Buffer | undefined): LockBatchRequest {
  const check = new JsonCheck('LockBatchRequestBody');
  const o = check.body(body);
  return {
    consumerGroup: check.string(o.consumerGroup, 'consumerGroup'),
    clientId: check.string(o.clientId, 'clientId'),
    mqSet: check.array(o.mqSet ?? [], 'mqSet').map((q, i) => decodeMessageQueue(q, `mqSet[${i}]`, check)),
    onlyThisBroker: check.booleanOr(o.onlyThisBroker, 'onlyThisBroker', false),
  };
}

/** LOCK_BATCH_MQ reply: `{"lockOKMQSet":[…]}`. */
export function encodeLockBatchResponse(locked: readonly MessageQueue[]): Buffer {
  return Buffer.from(toFastJson({ lockOKMQSet: locked.map(mqObject) }), 'utf8');
}

export function decodeLockBatchResponse(body: Buffer | undefined): MessageQueue[] {
  const check = new JsonCheck('LockBatchResponseBody');
  const o = check.body(body);
  return check.array(o.lockOKMQSet ?? [], 'lockOKMQSet').map((q, i) => decodeMessageQueue(q, `lockOKMQSet[${i}]`, check));
}
