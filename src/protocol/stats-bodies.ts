/**
 * JSON bodies of the monitoring admin calls (field names from apache/rocketmq
 * `common/protocol/body/*.java` at 4.9.4, what rocketmq-exporter and the Dashboard decode),
 * written as fastjson writes them (fields in alphabetical order, doubles with a decimal point):
 * - BrokerStatsData (VIEW_BROKER_STATS_DATA 315): `{statsDay, statsHour, statsMinute}` of
 *   BrokerStatsItem `{avgpt, sum, tps}`;
 * - ConsumeStatsList (GET_BROKER_CONSUME_STATS 317): `{brokerAddr, consumeStatsList: [{group:
 *   [ConsumeStats…]}…], totalDiff}`;
 * - ProducerTableInfo (GET_ALL_PRODUCER_INFO 328): `{data: {group: [ProducerInfo…]}}`;
 * - ProducerConnection (GET_PRODUCER_CONNECTION_LIST 204): `{connectionSet: [Connection…]}`;
 * - QueryConsumeTimeSpanBody (QUERY_CONSUME_TIME_SPAN 303): `{consumeTimeSpanSet: [QueueTimeSpan…]}`.
 */
import type { LanguageCode } from '../remoting/command.js';
import { consumeStatsJson, consumeStatsOf, decodeConnectionSet, type ClientConnection, type ConsumeStats } from './consumer-bodies.js';
import { JavaDouble, toFastJson } from './fastjson.js';
import { JsonCheck } from './json-check.js';
import { decodeMessageQueue, messageQueueJson, type MessageQueue } from './message-queue.js';

export interface BrokerStatsItem {
  sum: number;
  tps: number;
  avgpt: number;
}

export interface BrokerStatsData {
  statsMinute: BrokerStatsItem;
  statsHour: BrokerStatsItem;
  statsDay: BrokerStatsItem;
}

const itemJson = (i: BrokerStatsItem) => ({ avgpt: new JavaDouble(i.avgpt), sum: i.sum, tps: new JavaDouble(i.tps) });

export function encodeBrokerStatsData(d: BrokerStatsData): Buffer {
  return Buffer.from(toFastJson({ statsDay: itemJson(d.statsDay), statsHour: itemJson(d.statsHour), statsMinute: itemJson(d.statsMinute) }), 'utf8');
}

export function decodeBrokerStatsData(body: Buffer | undefined): BrokerStatsData {
  const check = new JsonCheck('BrokerStatsData');
  const o = check.body(body);
  const item = (v: unknown, p: string): BrokerStatsItem => {
    const x = check.object(v ?? {}, p);
    const dbl = (f: unknown, q: string) => (f === undefined || f === null ? 0 : typeof f === 'number' ? f : check.fail(q, 'a number', f));
    return { sum: check.integerOr(x.sum, `${p}.sum`, 0), tps: dbl(x.tps, `${p}.tps`), avgpt: dbl(x.avgpt, `${p}.avgpt`) };
  };
  return { statsMinute: item(o.statsMinute, 'statsMinute'), statsHour: item(o.statsHour, 'statsHour'), statsDay: item(o.statsDay, 'statsDay') };
}

/** One consumer group's stats per topic on a broker. */
export interface GroupConsumeStats {
  group: string;
  /** One ConsumeStats per topic the group has offsets for. */
  stats: ConsumeStats[];
}

export interface ConsumeStatsList {
  brokerAddr: string;
  groups: GroupConsumeStats[];
  /** Σ (broker offset − consumer offset) over every group and queue. */
  totalDiff: number;
}

export function encodeConsumeStatsList(l: ConsumeStatsList): Buffer {
  return Buffer.from(
    toFastJson({ brokerAddr: l.brokerAddr, consumeStatsList: l.groups.map((g) => ({ [g.group]: g.stats.map(consumeStatsJson) })), totalDiff: l.totalDiff }),
    'utf8',
  );
}

export function decodeConsumeStatsList(body: Buffer | undefined): ConsumeStatsList {
  const check = new JsonCheck('ConsumeStatsList');
  const o = check.body(body);
  const groups: GroupConsumeStats[] = [];
  check.array(o.consumeStatsList ?? [], 'consumeStatsList').forEach((m, i) => {
    for (const [group, list] of Object.entries(check.object(m, `consumeStatsList[${i}]`))) {
      groups.push({ group, stats: check.array(list, `consumeStatsList[${i}].${group}`).map((s, j) => consumeStatsOf(s, check, `consumeStatsList[${i}].${group}[${j}]`)) });
    }
  });
  return { brokerAddr: check.optionalString(o.brokerAddr, 'brokerAddr') ?? '', groups, totalDiff: check.integerOr(o.totalDiff, 'totalDiff', 0) };
}

/** A producer connection (Java ProducerInfo). */
export interface ProducerInfo {
  clientId: string;
  /** ip:port the broker sees. */
  remoteIP: string;
  language: LanguageCode | string;
  version: number;
  lastUpdateTimestamp: number;
}

/** Producer group → its producers. */
export type ProducerTable = Record<string, ProducerInfo[]>;

export function encodeProducerTable(t: ProducerTable): Buffer {
  return Buffer.from(toFastJson({ data: t }), 'utf8');
}

export function decodeProducerTable(body: Buffer | undefined): ProducerTable {
  const check = new JsonCheck('ProducerTableInfo');
  const o = check.body(body);
  return check.record(o.data ?? {}, 'data', (v, p) =>
    check.array(v, p).map((e, i) => {
      const q = `${p}[${i}]`;
      const x = check.object(e, q);
      return {
        clientId: check.string(x.clientId, `${q}.clientId`),
        remoteIP: check.optionalString(x.remoteIP, `${q}.remoteIP`) ?? '',
        language: check.optionalString(x.language, `${q}.language`) ?? 'OTHER',
        version: check.integerOr(x.version, `${q}.version`, 0),
        lastUpdateTimestamp: check.integerOr(x.lastUpdateTimestamp, `${q}.lastUpdateTimestamp`, 0),
      };
    }),
  );
}

export function encodeProducerConnection(connections: readonly ClientConnection[]): Buffer {
  return Buffer.from(toFastJson({ connectionSet: connections }), 'utf8');
}

export function decodeProducerConnection(body: Buffer | undefined): ClientConnection[] {
  const check = new JsonCheck('ProducerConnection');
  const o = check.body(body);
  return decodeConnectionSet(o.connectionSet, check);
}

/** One queue's time span for a group (Java QueueTimeSpan): store times of its first, last and last consumed message. */
export interface QueueTimeSpan extends MessageQueue {
  minTimeStamp: number;
  maxTimeStamp: number;
  consumeTimeStamp: number;
  /** ms since the group's next message was stored (0 when it has consumed everything). */
  delayTime: number;
}

export function encodeConsumeTimeSpans(spans: readonly QueueTimeSpan[]): Buffer {
  return Buffer.from(
    toFastJson({
      consumeTimeSpanSet: spans.map((q) => ({ consumeTimeStamp: q.consumeTimeStamp, delayTime: q.delayTime, maxTimeStamp: q.maxTimeStamp, messageQueue: messageQueueJson(q), minTimeStamp: q.minTimeStamp })),
    }),
    'utf8',
  );
}

export function decodeConsumeTimeSpans(body: Buffer | undefined): QueueTimeSpan[] {
  const check = new JsonCheck('QueryConsumeTimeSpanBody');
  const o = check.body(body);
  return check.array(o.consumeTimeSpanSet ?? [], 'consumeTimeSpanSet').map((v, i) => {
    const p = `consumeTimeSpanSet[${i}]`;
    const x = check.object(v, p);
    return {
      ...decodeMessageQueue(x.messageQueue, `${p}.messageQueue`, check),
      minTimeStamp: check.integerOr(x.minTimeStamp, `${p}.minTimeStamp`, 0),
      maxTimeStamp: check.integerOr(x.maxTimeStamp, `${p}.maxTimeStamp`, 0),
      consumeTimeStamp: check.integerOr(x.consumeTimeStamp, `${p}.consumeTimeStamp`, 0),
      delayTime: check.integerOr(x.delayTime, `${p}.delayTime`, 0),
    };
  });
}
