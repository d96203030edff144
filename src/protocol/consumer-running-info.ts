/**
 * GET_CONSUMER_RUNNING_INFO (307) reply body: Java `ConsumerRunningInfo` (apache/rocketmq HEAD
 * remoting/.../protocol/body/ConsumerRunningInfo.java, ProcessQueueInfo.java, ConsumeStatus.java),
 * as fastjson writes it — fields alphabetical, `mqTable` keyed by MessageQueue objects
 * (`{{"brokerName":"b","queueId":0,"topic":"t"}:{…}}`), the doubles of ConsumeStatus with a point.
 * A consumer answers it (asked through the broker, which forwards the request on the consumer's
 * own connection); admin tools read which client holds which queue from `mqTable`.
 */
import { JavaDouble, JavaMap, toFastJson } from './fastjson.js';
import { decodeSubscriptionData, type SubscriptionData } from './heartbeat.js';
import { JsonCheck } from './json-check.js';
import { compareMessageQueues, decodeMessageQueue, messageQueueJson, type MessageQueue } from './message-queue.js';

/** Keys of `properties` Java admin tools read (ConsumerRunningInfo.PROP_*). */
export const RunningInfoProperty = {
  NAMESERVER_ADDR: 'PROP_NAMESERVER_ADDR',
  THREADPOOL_CORE_SIZE: 'PROP_THREADPOOL_CORE_SIZE',
  CONSUME_ORDERLY: 'PROP_CONSUMEORDERLY',
  CONSUME_TYPE: 'PROP_CONSUME_TYPE',
  CLIENT_VERSION: 'PROP_CLIENT_VERSION',
  CONSUMER_START_TIMESTAMP: 'PROP_CONSUMER_START_TIMESTAMP',
} as const;

/** One held queue's state in the consumer (`ProcessQueueInfo`). */
export interface ProcessQueueInfo {
  /** The offset the consumer would commit now. */
  commitOffset: number;
  cachedMsgMinOffset: number;
  cachedMsgMaxOffset: number;
  cachedMsgCount: number;
  cachedMsgSizeInMiB: number;
  transactionMsgMinOffset: number;
  transactionMsgMaxOffset: number;
  transactionMsgCount: number;
  locked: boolean;
  tryUnlockTimes: number;
  lastLockTimestamp: number;
  /** Java spells it this way. */
  droped: boolean;
  lastPullTimestamp: number;
  lastConsumeTimestamp: number;
}

/** Per-topic rates (`ConsumeStatus`). */
export interface ConsumeStatusInfo {
  pullRT: number;
  pullTPS: number;
  consumeRT: number;
  consumeOKTPS: number;
  consumeFailedTPS: number;
  consumeFailedMsgs: number;
}

export interface ConsumerRunningInfo {
  properties: Record<string, string>;
  subscriptionSet: SubscriptionData[];
  /** The queues the consumer holds, in Java's MessageQueue order. */
  mqTable: (MessageQueue & { info: ProcessQueueInfo })[];
  statusTable: Record<string, ConsumeStatusInfo>;
}

export function encodeConsumerRunningInfo(r: ConsumerRunningInfo): Buffer {
  const mqs = [...r.mqTable].sort(compareMessageQueues);
  const status = Object.fromEntries(
    Object.entries(r.statusTable).map(([topic, s]) => [
      topic,
      {
        consumeFailedMsgs: s.consumeFailedMsgs,
        consumeFailedTPS: new JavaDouble(s.consumeFailedTPS),
        consumeOKTPS: new JavaDouble(s.consumeOKTPS),
        consumeRT: new JavaDouble(s.consumeRT),
        pullRT: new JavaDouble(s.pullRT),
        pullTPS: new JavaDouble(s.pullTPS),
      },
    ]),
  );
  const body = {
    mqPopTable: {},
    mqTable: new JavaMap(mqs.map((q) => [messageQueueJson(q), q.info] as const)),
    properties: r.properties,
    statusTable: status,
    subscriptionSet: r.subscriptionSet,
    userConsumerInfo: {},
  };
  return Buffer.from(toFastJson(body), 'utf8');
}

export function decodeConsumerRunningInfo(body: Buffer | undefined): ConsumerRunningInfo {
  const check = new JsonCheck('ConsumerRunningInfo');
  const o = check.body(body);
  const table: unknown = o.mqTable ?? {};
  const entries: readonly (readonly [unknown, unknown])[] = table instanceof JavaMap ? table.entries : Object.entries(check.object(table, 'mqTable'));
  const mqTable = entries
    .map(([k, v], i) => {
      const p = `mqTable[${i}]`;
      const w = check.object(v, `${p}.value`);
      const int = (f: keyof ProcessQueueInfo) => check.integerOr(w[f], `${p}.value.${f}`, 0);
      const bool = (f: keyof ProcessQueueInfo) => check.booleanOr(w[f], `${p}.value.${f}`, false);
      const info: ProcessQueueInfo = {
        commitOffset: int('commitOffset'),
        cachedMsgMinOffset: int('cachedMsgMinOffset'),
        cachedMsgMaxOffset: int('cachedMsgMaxOffset'),
        cachedMsgCount: int('cachedMsgCount'),
        cachedMsgSizeInMiB: int('cachedMsgSizeInMiB'),
        transactionMsgMinOffset: int('transactionMsgMinOffset'),
        transactionMsgMaxOffset: int('transactionMsgMaxOffset'),
        transactionMsgCount: int('transactionMsgCount'),
        locked: bool('locked'),
        tryUnlockTimes: int('tryUnlockTimes'),
        lastLockTimestamp: int('lastLockTimestamp'),
        droped: bool('droped'),
        lastPullTimestamp: int('lastPullTimestamp'),
        lastConsumeTimestamp: int('lastConsumeTimestamp'),
      };
      return { ...decodeMessageQueue(k, `${p}.key`, check), info };
    })
    .sort(compareMessageQueues);
  const num = (v: unknown, p: string): number => (typeof v === 'number' ? v : v === undefined || v === null ? 0 : check.fail(p, 'a number', v));
  return {
    properties: check.record(o.properties ?? {}, 'properties', (v, p) => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : check.fail(p, 'a string', v))),
    subscriptionSet: check.array(o.subscriptionSet ?? [], 'subscriptionSet').map((s, i) => decodeSubscriptionData(s, `subscriptionSet[${i}]`, check)),
    mqTable,
    statusTable: check.record(o.statusTable ?? {}, 'statusTable', (v, p) => {
      const s = check.object(v, p);
      return {
        pullRT: num(s.pullRT, `${p}.pullRT`),
        pullTPS: num(s.pullTPS, `${p}.pullTPS`),
        consumeRT: num(s.consumeRT, `${p}.consumeRT`),
        consumeOKTPS: num(s.consumeOKTPS, `${p}.consumeOKTPS`),
        consumeFailedTPS: num(s.consumeFailedTPS, `${p}.consumeFailedTPS`),
        consumeFailedMsgs: check.integerOr(s.consumeFailedMsgs, `${p}.consumeFailedMsgs`, 0),
      };
    }),
  };
}
