/**
 * A v5 `Message` and our stored message model, both ways, so one broker serves both protocols
 * with the same body, tag, keys and properties (what a remoting consumer reads of a message a v5
 * producer sent, and the other way round).
 *
 * v5 → stored (a send): the mapping the Proxy makes (`SendMessageActivity.buildMessage`,
 * `GrpcValidator`): tag → TAGS, keys → KEYS (space-separated), message_id → UNIQ_KEY,
 * message_group → __SHARDINGKEY, delivery_timestamp → TIMER_DELIVER_MS, born_host → __BORNHOST,
 * trace_context → TRACE_CONTEXT, user properties as they are. What would corrupt the property
 * string or another client's view of the message is refused with the v2 code saying which field.
 *
 * stored → v5 (a delivery, `GrpcConverter.buildMessage`): the system fields back from those
 * properties and the record, user properties = every property not reserved by RocketMQ
 * (`MessageConst.STRING_HASH_SET`), the body inflated when a remoting producer compressed it,
 * and an MD5 `body_digest` (the Node client throws without one).
 */
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import {
  decodeProperties,
  formatHostAddress,
  formatIp,
  KEY_SEPARATOR,
  NAME_VALUE_SEPARATOR,
  offsetMsgId,
  PROPERTY_SEPARATOR,
  PropertyKey,
  SysFlag,
  transactionType,
  uncompressedBody,
  type MessageRecord,
} from '../protocol/message/index.js';
import { topicNameProblem } from '../protocol/topic-names.js';
import { V2Error } from './codes.js';
import type { Message, Message__Output } from './generated/apache/rocketmq/v2/Message.js';
import type { MessageType__Output } from './generated/apache/rocketmq/v2/MessageType.js';
import type { Timestamp, Timestamp__Output } from './generated/google/protobuf/Timestamp.js';
import type { Duration, Duration__Output } from './generated/google/protobuf/Duration.js';

/** Properties RocketMQ keeps for itself (`MessageConst.STRING_HASH_SET` and the 5.x additions): never user properties. */
export const RESERVED_PROPERTY_KEYS: ReadonlySet<string> = new Set<string>([
  ...Object.values(PropertyKey),
  'TRACE_CONTEXT',
  '__STARTDELIVERTIME',
  'TIMER_OUT_MS',
  'TIMER_ENQUEUE_MS',
  'TIMER_DEQUEUE_MS',
  'TIMER_ROLL_TIMES',
  'TIMER_DEL_UNIQKEY',
  'TRAN_PREPARED_QUEUE_OFFSET',
  'POP_CK',
  'POP_CK_OFFSET',
  '1ST_POP_TIME',
  'INNER_MULTI_DISPATCH',
  'INNER_MULTI_QUEUE_OFFSET',
  'SHARDING_KEY',
  '__RECALL_HANDLE',
  'UNIQ_KEY',
]);

export const TRACE_CONTEXT = 'TRACE_CONTEXT';

/** Limits a send is checked against (the Proxy's defaults unless the broker says otherwise). */
export interface MessageLimits {
  /** Largest body, bytes (the broker's maxMessageSize). */
  maxBodyBytes: number;
  /** Largest sum of user property keys and values, bytes (Proxy maxUserPropertySize: 16 KiB). */
  maxUserPropertyBytes: number;
  /** Most user properties (Proxy userPropertyMaxNum: 128). */
  maxUserProperties: number;
  /** Longest message group (Proxy maxMessageGroupSize: 64). */
  maxMessageGroupLength: number;
}

export const DEFAULT_MESSAGE_LIMITS: MessageLimits = { maxBodyBytes: 4 * 1024 * 1024, maxUserPropertyBytes: 16 * 1024, maxUserProperties: 128, maxMessageGroupLength: 64 };

export type V2MessageType = Exclude<MessageType__Output, number | 'MESSAGE_TYPE_UNSPECIFIED'>;

/** A v5 message as the store takes it: everything but what the broker decides (queue, hosts, flags). */
export interface InboundMessage {
  topic: string;
  body: Buffer;
  /** The encoded property string (RocketMQ's `k\u0001v\u0002` form). */
  properties: string;
  bornTimestamp: number;
  messageId: string;
  /** The type the message declares (checked against the topic's `message.type` by the broker). */
  messageType: V2MessageType;
  messageGroup?: string;
  /** Delivery time (ms since the epoch) of a DELAY message. */
  deliverAtMillis?: number;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export function timestampMillis(t: Timestamp__Output | Timestamp | null | undefined): number | undefined {
  if (t === null || t === undefined) return undefined;
  return Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

export function durationMillis(d: Duration__Output | Duration | null | undefined): number | undefined {
  if (d === null || d === undefined) return undefined;
  return Number(d.seconds ?? 0) * 1000 + Math.floor((d.nanos ?? 0) / 1e6);
}

export function timestampOf(ms: number): Timestamp {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

export function durationOf(ms: number): Duration {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

const shown = (s: string) => JSON.stringify(s.length > 64 ? `${s.slice(0, 61)}...` : s);

/** The declared type, or the one the fields imply when the client left it unspecified. */
function messageTypeOf(m: Message__Output): V2MessageType {
  const sp = m.systemProperties;
  const declared = sp?.messageType;
  if (typeof declared === 'string' && declared !== 'MESSAGE_TYPE_UNSPECIFIED') return declared as V2MessageType;
  if (typeof declared === 'number' && declared !== 0) throw new V2Error('BAD_REQUEST', `unknown message type ${declared}`);
  if (sp?.messageGroup !== undefined && sp.messageGroup !== '') return 'FIFO';
  if (sp?.deliveryTimestamp) return 'DELAY';
  return 'NORMAL';
}

/**
 * Checks a v5 message and turns it into what the store takes. Throws V2Error with the code that
 * names the bad field (ILLEGAL_TOPIC, ILLEGAL_MESSAGE_ID, ILLEGAL_MESSAGE_TAG, ILLEGAL_MESSAGE_KEY,
 * ILLEGAL_MESSAGE_GROUP, ILLEGAL_MESSAGE_PROPERTY_KEY, MESSAGE_PROPERTIES_TOO_LARGE,
 * MESSAGE_BODY_EMPTY, MESSAGE_BODY_TOO_LARGE, MESSAGE_CORRUPTED, ILLEGAL_DELIVERY_TIME,
 * MESSAGE_PROPERTY_CONFLICT_WITH_TYPE).
 */
export function fromV2Message(m: Message__Output, limits: MessageLimits = DEFAULT_MESSAGE_LIMITS): InboundMessage {
  const topic = m.topic?.name ?? '';
  const topicProblem = topic === '' ? 'topic name is empty' : topicNameProblem(topic);
  if (topicProblem !== undefined) throw new V2Error('ILLEGAL_TOPIC', topicProblem);
  const sp = m.systemProperties;
  if (sp === null || sp === undefined) throw new V2Error('BAD_REQUEST', 'message has no system_properties');
  const messageId = sp.messageId ?? '';
  if (messageId === '' || messageId.length > 128 || CONTROL.test(messageId)) throw new V2Error('ILLEGAL_MESSAGE_ID', `message_id ${shown(messageId)} must be 1-128 characters without control characters`);

  const props = new Map<string, string>();
  // user properties first, system ones after (a system key always wins: user keys may not be reserved)
  const user = m.userProperties ?? {};
  let userBytes = 0;
  let userCount = 0;
  for (const [k, v] of Object.entries(user)) {
    userCount++;
    if (k === '' || CONTROL.test(k)) throw new V2Error('ILLEGAL_MESSAGE_PROPERTY_KEY', `property key ${shown(k)} is empty or has a control character`);
    if (RESERVED_PROPERTY_KEYS.has(k)) throw new V2Error('ILLEGAL_MESSAGE_PROPERTY_KEY', `property key ${shown(k)} is reserved by the system`);
    if (CONTROL.test(v)) throw new V2Error('ILLEGAL_MESSAGE_PROPERTY_KEY', `the value of property ${shown(k)} has a control character`);
    userBytes += Buffer.byteLength(k) + Buffer.byteLength(v);
    props.set(k, v);
  }
  if (userCount > limits.maxUserProperties) throw new V2Error('MESSAGE_PROPERTIES_TOO_LARGE', `${userCount} user properties, at most ${limits.maxUserProperties}`);
  if (userBytes > limits.maxUserPropertyBytes) throw new V2Error('MESSAGE_PROPERTIES_TOO_LARGE', `user properties take ${userBytes} bytes, at most ${limits.maxUserPropertyBytes}`);

  if (sp.tag !== undefined) {
    const tag = sp.tag;
    if (tag.trim() === '' || tag.includes('|') || CONTROL.test(tag)) throw new V2Error('ILLEGAL_MESSAGE_TAG', `tag ${shown(tag)} must not be blank or contain '|' or control characters`);
    props.set(PropertyKey.TAGS, tag);
  }
  const keys = sp.keys ?? [];
  for (const k of keys) {
    if (k.trim() === '' || CONTROL.test(k)) throw new V2Error('ILLEGAL_MESSAGE_KEY', `key ${shown(k)} must not be blank or contain control characters`);
  }
  if (keys.length > 0) props.set(PropertyKey.KEYS, keys.join(KEY_SEPARATOR));
  props.set(PropertyKey.UNIQ_CLIENT_MESSAGE_ID_KEYIDX, messageId);

  const messageType = messageTypeOf(m);
  const group = sp.messageGroup;
  if (group !== undefined && group !== '') {
    if (group.trim() === '' || group.length > limits.maxMessageGroupLength || CONTROL.test(group)) {
      throw new V2Error('ILLEGAL_MESSAGE_GROUP', `message group ${shown(group)} must be 1-${limits.maxMessageGroupLength} characters without control characters`);
    }
    props.set(PropertyKey.SHARDING_KEY, group);
  }
  const deliverAt = timestampMillis(sp.deliveryTimestamp);
  if (deliverAt !== undefined) {
    if (!Number.isSafeInteger(deliverAt) || deliverAt < 0) throw new V2Error('ILLEGAL_DELIVERY_TIME', 'delivery_timestamp is out of range');
    props.set(PropertyKey.TIMER_DELIVER_MS, String(deliverAt));
  }
  // the declared type must match the fields (PublishingMessage sets them together)
  if (messageType === 'FIFO' && (group === undefined || group === '')) throw new V2Error('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE', 'a FIFO message needs a message group');
  if (messageType === 'DELAY' && deliverAt === undefined) throw new V2Error('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE', 'a DELAY message needs a delivery_timestamp');
  if (messageType === 'NORMAL' && ((group !== undefined && group !== '') || deliverAt !== undefined)) {
    throw new V2Error('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE', 'a NORMAL message may not have a message group or a delivery_timestamp');
  }
  if (messageType === 'TRANSACTION') {
    props.set(PropertyKey.TRANSACTION_PREPARED, 'true');
    // the Proxy's orphaned_transaction_recovery_duration: the first check waits this long (at most maxTransactionRecoverySecond, 1 h)
    const recover = durationMillis(sp.orphanedTransactionRecoveryDuration);
    if (recover !== undefined) props.set(PropertyKey.CHECK_IMMUNITY_TIME_IN_SECONDS, String(Math.min(3600, Math.max(0, Math.floor(recover / 1000)))));
  }
  if (sp.bornHost) {
    if (CONTROL.test(sp.bornHost)) throw new V2Error('BAD_REQUEST', 'born_host has a control character');
    props.set(PropertyKey.BORN_HOST, sp.bornHost);
  }
  if (sp.traceContext !== undefined && sp.traceContext !== '') {
    if (CONTROL.test(sp.traceContext)) throw new V2Error('BAD_REQUEST', 'trace_context has a control character');
    props.set(TRACE_CONTEXT, sp.traceContext);
  }

  let body = m.body ?? Buffer.alloc(0);
  if (sp.bodyEncoding === 'GZIP') {
    if (body.length > limits.maxBodyBytes) throw new V2Error('MESSAGE_BODY_TOO_LARGE', `body of ${body.length} bytes exceeds ${limits.maxBodyBytes}`);
    try {
      body = zlib.gunzipSync(body, { maxOutputLength: limits.maxBodyBytes + 1 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new V2Error('MESSAGE_BODY_TOO_LARGE', `body inflates past ${limits.maxBodyBytes} bytes`);
      throw new V2Error('MESSAGE_CORRUPTED', `body_encoding GZIP but the body is not gzip: ${(e as Error).message}`);
    }
  }
  if (body.length === 0) throw new V2Error('MESSAGE_BODY_EMPTY', 'message body is empty');
  if (body.length > limits.maxBodyBytes) throw new V2Error('MESSAGE_BODY_TOO_LARGE', `body of ${body.length} bytes exceeds ${limits.maxBodyBytes}`);

  let properties = '';
  for (const [k, v] of props) properties += k + NAME_VALUE_SEPARATOR + v + PROPERTY_SEPARATOR;
  const born = timestampMillis(sp.bornTimestamp);
  const out: InboundMessage = { topic, body: Buffer.from(body.buffer, body.byteOffset, body.length), properties, bornTimestamp: born !== undefined && Number.isSafeInteger(born) && born >= 0 ? born : Date.now(), messageId, messageType };
  if (group !== undefined && group !== '') out.messageGroup = group;
  if (deliverAt !== undefined) out.deliverAtMillis = deliverAt;
  return out;
}

/** How one delivery of a stored message goes out (the POP engine decides these). */
export interface Delivery {
  receiptHandle: string;
  /** 1 for the first delivery. */
  deliveryAttempt: number;
  invisibleMillis: number;
  /** The topic the consumer asked for, when the record sits in another (a %RETRY% copy). */
  topic?: string;
}

/** The type a stored message was sent as. */
export function storedMessageType(props: ReadonlyMap<string, string>, sysFlag: number): V2MessageType {
  const tx = transactionType(sysFlag);
  if (props.get(PropertyKey.TRANSACTION_PREPARED) === 'true' || tx === SysFlag.TRANSACTION_PREPARED_TYPE || tx === SysFlag.TRANSACTION_COMMIT_TYPE) return 'TRANSACTION';
  if (props.has(PropertyKey.SHARDING_KEY)) return 'FIFO';
  if (props.has(PropertyKey.TIMER_DELIVER_MS) || props.has(PropertyKey.DELAY_TIME_LEVEL) || props.has('__STARTDELIVERTIME')) return 'DELAY';
  return 'NORMAL';
}

/** A stored record as a v5 message for one delivery. Throws when the body cannot be inflated (LZ4/ZSTD). */
export function toV2Message(rec: MessageRecord, delivery: Delivery): Message {
  const props = decodeProperties(rec.properties);
  const body = uncompressedBody(rec.sysFlag, rec.body);
  const userProperties: Record<string, string> = {};
  for (const [k, v] of props) if (!RESERVED_PROPERTY_KEYS.has(k)) userProperties[k] = v;
  const tag = props.get(PropertyKey.TAGS);
  const keys = props.get(PropertyKey.KEYS);
  const group = props.get(PropertyKey.SHARDING_KEY);
  const deliverAt = Number(props.get(PropertyKey.TIMER_DELIVER_MS));
  const trace = props.get(TRACE_CONTEXT);
  return {
    topic: { name: delivery.topic ?? props.get(PropertyKey.RETRY_TOPIC) ?? rec.topic, resourceNamespace: '' },
    userProperties,
    body,
    systemProperties: {
      ...(tag !== undefined ? { tag } : {}),
      keys: keys === undefined ? [] : keys.split(KEY_SEPARATOR).filter((k) => k !== ''),
      messageId: props.get(PropertyKey.UNIQ_CLIENT_MESSAGE_ID_KEYIDX) ?? offsetMsgId(rec.storeHost, rec.physicalOffset),
      bodyDigest: { type: 'MD5', checksum: createHash('md5').update(body).digest('hex').toUpperCase() },
      bodyEncoding: 'IDENTITY',
      messageType: storedMessageType(props, rec.sysFlag),
      bornTimestamp: timestampOf(rec.bornTimestamp),
      bornHost: props.get(PropertyKey.BORN_HOST) ?? formatIp(rec.bornHost.ip),
      storeTimestamp: timestampOf(rec.storeTimestamp),
      storeHost: formatHostAddress(rec.storeHost),
      ...(Number.isSafeInteger(deliverAt) && deliverAt > 0 ? { deliveryTimestamp: timestampOf(deliverAt) } : {}),
      receiptHandle: delivery.receiptHandle,
      queueId: rec.queueId,
      queueOffset: rec.queueOffset,
      invisibleDuration: durationOf(delivery.invisibleMillis),
      deliveryAttempt: delivery.deliveryAttempt,
      ...(group !== undefined ? { messageGroup: group } : {}),
      ...(trace !== undefined ? { traceContext: trace } : {}),
    },
  };
}
