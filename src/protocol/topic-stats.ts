/**
 * TopicStatsTable, the GET_TOPIC_STATS_INFO body (docs/design/protocol.md#maps-keyed-by-objects): per message queue its min
 * and max offset and the store time of its last message, keyed by the MessageQueue object the way
 * fastjson writes a `Map<MessageQueue, TopicOffset>` —
 * `{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{"lastUpdateTimestamp":…,"maxOffset":…,"minOffset":…}},"topicPutTps":0.0}`
 * — which Java admin tools (mqadmin topicStatus) decode.
 */
import { JavaDouble, JavaMap, toFastJson } from './fastjson.js';
import { JsonCheck } from './json-check.js';

export interface QueueStats {
  brokerName: string;
  topic: string;
  queueId: number;
  minOffset: number;
  maxOffset: number;
  /** Store time (ms) of the queue's last message; 0 when it has none. */
  lastUpdateTimestamp: number;
}

export interface TopicStatsTable {
  queues: QueueStats[];
  /** Messages per second put into the topic over the last minute. */
  topicPutTps: number;
}

export function encodeTopicStatsTable(t: TopicStatsTable): Buffer {
  const entries = t.queues.map((q) => [{ brokerName: q.brokerName, queueId: q.queueId, topic: q.topic }, { lastUpdateTimestamp: q.lastUpdateTimestamp, maxOffset: q.maxOffset, minOffset: q.minOffset }] as const);
  return Buffer.from(toFastJson({ offsetTable: new JavaMap(entries), topicPutTps: new JavaDouble(t.topicPutTps) }), 'utf8');
}

export function decodeTopicStatsTable(body: Buffer | undefined): TopicStatsTable {
  const check = new JsonCheck('TopicStatsTable');
  const o = check.body(body);
  const table = o.offsetTable;
  // an empty map parses as {}, a map with object keys as a JavaMap
  const entries: readonly (readonly [unknown, unknown])[] = table instanceof JavaMap ? table.entries : Object.entries(check.object(table ?? {}, 'offsetTable'));
  const queues = entries.map(([k, v], i) => {
    const key = check.object(k, `offsetTable[${i}].key`);
    const val = check.object(v, `offsetTable[${i}].value`);
    return {
      brokerName: check.string(key.brokerName, `offsetTable[${i}].key.brokerName`),
      topic: check.string(key.topic, `offsetTable[${i}].key.topic`),
      queueId: check.integer(key.queueId, `offsetTable[${i}].key.queueId`),
      minOffset: check.integerOr(val.minOffset, `offsetTable[${i}].minOffset`, 0),
      maxOffset: check.integerOr(val.maxOffset, `offsetTable[${i}].maxOffset`, 0),
      lastUpdateTimestamp: check.integerOr(val.lastUpdateTimestamp, `offsetTable[${i}].lastUpdateTimestamp`, 0),
    };
  });
  queues.sort((a, b) => (a.brokerName < b.brokerName ? -1 : a.brokerName > b.brokerName ? 1 : a.queueId - b.queueId));
  const tps = o.topicPutTps;
  return { queues, topicPutTps: typeof tps === 'number' ? tps : 0 };
}
