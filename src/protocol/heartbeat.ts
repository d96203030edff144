/**
 * HEART_BEAT (34) body: `HeartbeatData` with its producer and consumer data and the consumers'
 * subscriptions (docs/design/protocol.md#clients-and-heartbeats; field names from apache/rocketmq HEAD
 * `remoting/protocol/heartbeat/*.java`). Decoding is lenient where clients differ (ali-ons leaves
 * out expressionType and sends codeSet as numbers; Java sends sets), strict about types.
 */
import { toFastJson } from './fastjson.js';
import { JsonCheck } from './json-check.js';

export const CONSUME_TYPES = ['CONSUME_ACTIVELY', 'CONSUME_PASSIVELY', 'CONSUME_POP'] as const;
export type ConsumeType = (typeof CONSUME_TYPES)[number];
export const MESSAGE_MODELS = ['BROADCASTING', 'CLUSTERING'] as const;
export type MessageModel = (typeof MESSAGE_MODELS)[number];
/** `ConsumeFromWhere`, including the deprecated names old clients still send. */
export const CONSUME_FROM_WHERE = [
  'CONSUME_FROM_LAST_OFFSET',
  'CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST',
  'CONSUME_FROM_MIN_OFFSET',
  'CONSUME_FROM_MAX_OFFSET',
  'CONSUME_FROM_FIRST_OFFSET',
  'CONSUME_FROM_TIMESTAMP',
] as const;
export type ConsumeFromWhere = (typeof CONSUME_FROM_WHERE)[number];

/** `SubscriptionData`: one topic a consumer group subscribes to, with its tag expression. */
export interface SubscriptionData {
  topic: string;
  /** `*` or `TagA || TagB` (or an SQL92 expression). */
  subString: string;
  classFilterMode: boolean;
  tagsSet: string[];
  /** Java String.hashCode of each tag (the consume queue's tags codes). */
  codeSet: number[];
  /** When the client built the subscription (ms); a pull carrying a newer one than the heartbeat's gets SUBSCRIPTION_NOT_LATEST. */
  subVersion: number;
  /** `TAG` (default) or `SQL92`. */
  expressionType: string;
}

export interface ConsumerData {
  groupName: string;
  consumeType: ConsumeType;
  messageModel: MessageModel;
  consumeFromWhere: ConsumeFromWhere;
  subscriptionDataSet: SubscriptionData[];
  unitMode: boolean;
}

export interface HeartbeatData {
  /** `ip@instance[@unit]` */
  clientID: string;
  producerDataSet: { groupName: string }[];
  consumerDataSet: ConsumerData[];
  /** 0 unless the client uses V2 heartbeats. */
  heartbeatFingerprint: number;
  /** V2: the subscriptions are left out (unchanged since the last full heartbeat). */
  withoutSub: boolean;
}

function oneOf<T extends string>(check: JsonCheck, v: unknown, path: string, values: readonly T[], dflt: T): T {
  if (v === undefined || v === null) return dflt;
  const s = check.string(v, path);
  if (!(values as readonly string[]).includes(s)) check.fail(path, `one of ${values.join(', ')}`, s);
  return s as T;
}

export function decodeSubscriptionData(v: unknown, path: string, check: JsonCheck): SubscriptionData {
  const o = check.object(v, path);
  return {
    topic: check.string(o.topic, `${path}.topic`),
    subString: check.optionalString(o.subString, `${path}.subString`) ?? '*',
    classFilterMode: check.booleanOr(o.classFilterMode, `${path}.classFilterMode`, false),
    tagsSet: check.array(o.tagsSet ?? [], `${path}.tagsSet`).map((t, i) => check.string(t, `${path}.tagsSet[${i}]`)),
    codeSet: check.array(o.codeSet ?? [], `${path}.codeSet`).map((c, i) => check.integer(c, `${path}.codeSet[${i}]`)),
    subVersion: check.integerOr(o.subVersion, `${path}.subVersion`, 0),
    expressionType: check.optionalString(o.expressionType, `${path}.expressionType`) ?? 'TAG',
  };
}

function decodeConsumerData(v: unknown, path: string, check: JsonCheck): ConsumerData {
  const o = check.object(v, path);
  return {
    groupName: check.string(o.groupName, `${path}.groupName`),
    consumeType: oneOf(check, o.consumeType, `${path}.consumeType`, CONSUME_TYPES, 'CONSUME_PASSIVELY'),
    messageModel: oneOf(check, o.messageModel, `${path}.messageModel`, MESSAGE_MODELS, 'CLUSTERING'),
    consumeFromWhere: oneOf(check, o.consumeFromWhere, `${path}.consumeFromWhere`, CONSUME_FROM_WHERE, 'CONSUME_FROM_LAST_OFFSET'),
    subscriptionDataSet: check.array(o.subscriptionDataSet ?? [], `${path}.subscriptionDataSet`).map((s, i) => decodeSubscriptionData(s, `${path}.subscriptionDataSet[${i}]`, check)),
    unitMode: check.booleanOr(o.unitMode, `${path}.unitMode`, false),
  };
}

export function decodeHeartbeatData(body: Buffer | undefined): HeartbeatData {
  const check = new JsonCheck('HeartbeatData');
  const o = check.body(body);
  return {
    clientID: check.string(o.clientID, 'clientID'),
    producerDataSet: check.array(o.producerDataSet ?? [], 'producerDataSet').map((p, i) => ({ groupName: check.string(check.object(p, `producerDataSet[${i}]`).groupName, `producerDataSet[${i}].groupName`) })),
    consumerDataSet: check.array(o.consumerDataSet ?? [], 'consumerDataSet').map((c, i) => decodeConsumerData(c, `consumerDataSet[${i}]`, check)),
    heartbeatFingerprint: check.integerOr(o.heartbeatFingerprint, 'heartbeatFingerprint', 0),
    withoutSub: check.booleanOr(o.withoutSub ?? o.isWithoutSub, 'withoutSub', false),
  };
}

export function encodeHeartbeatData(h: HeartbeatData): Buffer {
  return Buffer.from(toFastJson(h), 'utf8');
}

/** CHECK_CLIENT_CONFIG body (Java `CheckClientRequestBody`): can this broker filter by the subscription? */
export function encodeCheckClientRequestBody(b: { clientId: string; group: string; subscriptionData: SubscriptionData }): Buffer {
  return Buffer.from(toFastJson(b), 'utf8');
}
