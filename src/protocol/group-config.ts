/**
 * Consumer-group tables as RocketMQ serialises them — the broker's `config/*.json` files and the
 * bodies a slave syncs from its master (docs/design/protocol.md#ha-replication-stream):
 * - `SubscriptionGroupConfig` and `SubscriptionGroupWrapper` (subscriptionGroup.json,
 *   UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, GET_ALL_SUBSCRIPTIONGROUP_CONFIG);
 * - `ConsumerOffsetSerializeWrapper` (consumerOffset.json, GET_ALL_CONSUMER_OFFSET):
 *   `{"offsetTable":{"Topic@Group":{0:12,1:7}}}` — fastjson writes the Integer keys bare;
 * - `DelayOffsetSerializeWrapper` (delayOffset.json, GET_ALL_DELAY_OFFSET): `{"offsetTable":{1:3,2:0}}`.
 * Field names and defaults: apache/rocketmq HEAD SubscriptionGroupConfig.java, ConsumerOffsetManager,
 * ScheduleMessageService.
 */
import { decodeDataVersion, newDataVersion, type DataVersion } from './data-version.js';
import { JavaMap, toFastJson } from './fastjson.js';
import { JsonCheck } from './json-check.js';

/** `SubscriptionGroupConfig`: a consumer group's settings on a broker. */
export interface SubscriptionGroupConfig {
  groupName: string;
  /** false: the group's pulls are refused (NO_PERMISSION). */
  consumeEnable: boolean;
  consumeFromMinEnable: boolean;
  /** false: BROADCASTING consumers of the group are refused. */
  consumeBroadcastEnable: boolean;
  consumeMessageOrderly: boolean;
  /** Queues of the group's %RETRY% topic; 0 drops failed messages instead of retrying them. */
  retryQueueNums: number;
  /** Deliveries after which a failed message goes to %DLQ% (clients older than V3_4_9 only; newer ones send their own). */
  retryMaxTimes: number;
  /** Broker id consumers should read from while consuming normally (suggestWhichBrokerId). */
  brokerId: number;
  /** Broker id suggested to a consumer that fell far behind. */
  whichBrokerWhenConsumeSlowly: number;
  notifyConsumerIdsChangedEnable: boolean;
  groupSysFlag: number;
  consumeTimeoutMinute: number;
  attributes: Record<string, string>;
  /** Fields of newer RocketMQ versions we do not interpret (groupRetryPolicy, …), kept so they round-trip. */
  extra: Record<string, unknown>;
}

const KNOWN_KEYS = new Set([
  'groupName',
  'consumeEnable',
  'consumeFromMinEnable',
  'consumeBroadcastEnable',
  'consumeMessageOrderly',
  'retryQueueNums',
  'retryMaxTimes',
  'brokerId',
  'whichBrokerWhenConsumeSlowly',
  'notifyConsumerIdsChangedEnable',
  'groupSysFlag',
  'consumeTimeoutMinute',
  'attributes',
]);

/** Most retry queues a group may ask for (each is a consume-queue directory). */
export const MAX_RETRY_QUEUE_NUMS = 64;

/** A group's config with RocketMQ's defaults. */
export function subscriptionGroupConfig(groupName: string, overrides: Partial<Omit<SubscriptionGroupConfig, 'groupName'>> = {}): SubscriptionGroupConfig {
  return {
    groupName,
    consumeEnable: true,
    consumeFromMinEnable: true,
    consumeBroadcastEnable: true,
    consumeMessageOrderly: false,
    retryQueueNums: 1,
    retryMaxTimes: 16,
    brokerId: 0,
    whichBrokerWhenConsumeSlowly: 1,
    notifyConsumerIdsChangedEnable: true,
    groupSysFlag: 0,
    consumeTimeoutMinute: 15,
    attributes: {},
    extra: {},
    ...overrides,
  };
}

export function decodeSubscriptionGroupConfig(v: unknown, path: string, check: JsonCheck): SubscriptionGroupConfig {
  const o = check.object(v, path);
  const d = subscriptionGroupConfig(check.string(o.groupName, `${path}.groupName`));
  const nonNegative = (key: string, max = Number.MAX_SAFE_INTEGER): number => {
    const n = check.integerOr(o[key], `${path}.${key}`, d[key as keyof SubscriptionGroupConfig] as number);
    if (n < 0 || n > max) check.fail(`${path}.${key}`, `an integer in 0..${max}`, n);
    return n;
  };
  const extra: Record<string, unknown> = {};
  for (const k of Object.keys(o)) if (!KNOWN_KEYS.has(k) && o[k] !== null && o[k] !== undefined) extra[k] = o[k];
  return {
    groupName: d.groupName,
    consumeEnable: check.booleanOr(o.consumeEnable, `${path}.consumeEnable`, d.consumeEnable),
    consumeFromMinEnable: check.booleanOr(o.consumeFromMinEnable, `${path}.consumeFromMinEnable`, d.consumeFromMinEnable),
    consumeBroadcastEnable: check.booleanOr(o.consumeBroadcastEnable, `${path}.consumeBroadcastEnable`, d.consumeBroadcastEnable),
    consumeMessageOrderly: check.booleanOr(o.consumeMessageOrderly, `${path}.consumeMessageOrderly`, d.consumeMessageOrderly),
    retryQueueNums: nonNegative('retryQueueNums', MAX_RETRY_QUEUE_NUMS),
    retryMaxTimes: nonNegative('retryMaxTimes', 10_000),
    brokerId: nonNegative('brokerId'),
    whichBrokerWhenConsumeSlowly: nonNegative('whichBrokerWhenConsumeSlowly'),
    notifyConsumerIdsChangedEnable: check.booleanOr(o.notifyConsumerIdsChangedEnable, `${path}.notifyConsumerIdsChangedEnable`, d.notifyConsumerIdsChangedEnable),
    groupSysFlag: check.integerOr(o.groupSysFlag, `${path}.groupSysFlag`, d.groupSysFlag),
    consumeTimeoutMinute: nonNegative('consumeTimeoutMinute'),
    attributes: check.record(o.attributes ?? {}, `${path}.attributes`, (a, p) => check.string(a, p)),
    extra,
  };
}

/** The config as a JSON object (fastjson field order is applied by toFastJson). */
export function subscriptionGroupConfigJson(c: SubscriptionGroupConfig): Record<string, unknown> {
  const { extra, ...known } = c;
  return { ...extra, ...known };
}

export function encodeSubscriptionGroupConfig(c: SubscriptionGroupConfig): Buffer {
  return Buffer.from(toFastJson(subscriptionGroupConfigJson(c)), 'utf8');
}

export function decodeSubscriptionGroupConfigBody(body: Buffer | undefined): SubscriptionGroupConfig {
  const check = new JsonCheck('SubscriptionGroupConfig');
  return decodeSubscriptionGroupConfig(check.body(body), 'body', check);
}

/** `SubscriptionGroupWrapper`: every group of a broker, with the table's DataVersion. */
export interface SubscriptionGroupWrapper {
  dataVersion: DataVersion;
  subscriptionGroupTable: Record<string, SubscriptionGroupConfig>;
}

export function subscriptionGroupWrapperJson(w: SubscriptionGroupWrapper): Record<string, unknown> {
  const table: Record<string, unknown> = {};
  for (const [k, c] of Object.entries(w.subscriptionGroupTable)) table[k] = subscriptionGroupConfigJson(c);
  return { dataVersion: w.dataVersion, forbiddenTable: {}, subscriptionGroupTable: table };
}

export function decodeSubscriptionGroupWrapper(text: Buffer | string | undefined, what = 'SubscriptionGroupWrapper'): SubscriptionGroupWrapper {
  const check = new JsonCheck(what);
  const o = check.body(typeof text === 'string' ? Buffer.from(text, 'utf8') : text);
  const table = check.record(o.subscriptionGroupTable ?? {}, 'subscriptionGroupTable', (v, p) => decodeSubscriptionGroupConfig(v, p, check));
  for (const [name, c] of Object.entries(table)) if (c.groupName !== name) check.fail(`subscriptionGroupTable.${name}.groupName`, JSON.stringify(name), c.groupName);
  return { dataVersion: o.dataVersion === undefined ? newDataVersion(0) : decodeDataVersion(o.dataVersion, 'dataVersion', check), subscriptionGroupTable: table };
}

// ---------------------------------------------------------------- offset tables

/** RocketMQ's key of a (topic, group) pair in the consumer offset table. */
export const TOPIC_GROUP_SEPARATOR = '@';

export function topicAtGroup(topic: string, group: string): string {
  return `${topic}${TOPIC_GROUP_SEPARATOR}${group}`;
}

/** Splits a `topic@group` key. Topics cannot contain '@', so the first '@' separates them. */
export function splitTopicAtGroup(key: string): { topic: string; group: string } | undefined {
  const i = key.indexOf(TOPIC_GROUP_SEPARATOR);
  return i <= 0 || i === key.length - 1 ? undefined : { topic: key.slice(0, i), group: key.slice(i + 1) };
}

/** `topic@group` → queueId → committed offset. */
export type ConsumerOffsetTable = Map<string, Map<number, number>>;

function intKeyedMap(m: ReadonlyMap<number, number>): JavaMap<number, number> {
  return new JavaMap([...m.entries()].sort((a, b) => a[0] - b[0]));
}

function decodeIntKeyed(v: unknown, path: string, check: JsonCheck): Map<number, number> {
  const out = new Map<number, number>();
  for (const [k, n] of Object.entries(check.object(v ?? {}, path))) {
    const key = check.integer(k, `${path} key`);
    out.set(key, check.integer(n, `${path}.${k}`));
  }
  return out;
}

export function encodeConsumerOffsetTable(table: ConsumerOffsetTable, dataVersion: DataVersion): string {
  const keys = [...table.keys()].sort();
  const offsetTable: Record<string, JavaMap<number, number>> = {};
  for (const k of keys) offsetTable[k] = intKeyedMap(table.get(k) as Map<number, number>);
  return toFastJson({ dataVersion, offsetTable });
}

export function decodeConsumerOffsetTable(text: Buffer | string | undefined, what = 'ConsumerOffsetSerializeWrapper'): { offsetTable: ConsumerOffsetTable; dataVersion: DataVersion } {
  const check = new JsonCheck(what);
  const o = check.body(typeof text === 'string' ? Buffer.from(text, 'utf8') : text);
  const offsetTable: ConsumerOffsetTable = new Map();
  for (const [k, v] of Object.entries(check.object(o.offsetTable ?? {}, 'offsetTable'))) {
    if (splitTopicAtGroup(k) === undefined) check.fail(`offsetTable.${k}`, 'a topic@group key', k);
    offsetTable.set(k, decodeIntKeyed(v, `offsetTable.${k}`, check));
  }
  return { offsetTable, dataVersion: o.dataVersion === undefined ? newDataVersion(0) : decodeDataVersion(o.dataVersion, 'dataVersion', check) };
}

/** Delay level → how far its SCHEDULE_TOPIC_XXXX queue has been delivered. */
export function encodeDelayOffsetTable(table: ReadonlyMap<number, number>, dataVersion: DataVersion): string {
  return toFastJson({ dataVersion, offsetTable: intKeyedMap(table) });
}

export function decodeDelayOffsetTable(text: Buffer | string | undefined, what = 'DelayOffsetSerializeWrapper'): { offsetTable: Map<number, number>; dataVersion: DataVersion } {
  const check = new JsonCheck(what);
  const o = check.body(typeof text === 'string' ? Buffer.from(text, 'utf8') : text);
  return { offsetTable: decodeIntKeyed(o.offsetTable, 'offsetTable', check), dataVersion: o.dataVersion === undefined ? newDataVersion(0) : decodeDataVersion(o.dataVersion, 'dataVersion', check) };
}
