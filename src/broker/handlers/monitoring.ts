/**
 * The admin calls monitoring tools poll (Java AdminBrokerProcessor at 4.9.4, what
 * rocketmq-exporter's MetricsCollectTask and the Dashboard call through MQAdminExt):
 * VIEW_BROKER_STATS_DATA (315), GET_BROKER_CONSUME_STATS (317), GET_ALL_PRODUCER_INFO (328),
 * GET_PRODUCER_CONNECTION_LIST (204), QUERY_CONSUME_TIME_SPAN (303) and GET_BROKER_CONFIG (26). The others they use
 * (GET_TOPIC_STATS_INFO, GET_CONSUME_STATS, GET_CONSUMER_CONNECTION_LIST,
 * QUERY_TOPIC_CONSUME_BY_WHO, GET_BROKER_RUNTIME_INFO) are in admin.ts and groups.ts.
 */
import { BROKER_KEYS } from '../../node-config/broker-keys.js';
import type { ConsumeStats, QueueConsumeStats } from '../../protocol/consumer-bodies.js';
import { newDataVersion } from '../../protocol/data-version.js';
import { toFastJson } from '../../protocol/fastjson.js';
import { decodeHeader, encodeHeader } from '../../protocol/header-spec.js';
import { GetBrokerConfigResponseHeader, GetConsumeStatsInBrokerHeader, GetProducerConnectionListRequestHeader, QueryConsumeTimeSpanRequestHeader, ViewBrokerStatsDataRequestHeader } from '../../protocol/headers/broker.js';
import { encodeBrokerStatsData, encodeConsumeStatsList, encodeConsumeTimeSpans, encodeProducerConnection, encodeProducerTable, type GroupConsumeStats, type ProducerTable, type QueueTimeSpan } from '../../protocol/stats-bodies.js';
import { RequestCode, ResponseCode } from '../../remoting/codes.js';
import { createResponse } from '../../remoting/command.js';
import type { HandlerTable } from '../../remoting/dispatcher.js';
import type { BrokerContext } from '../context.js';
import { STATS_NAMES, type StatsName } from '../metrics/stats-item.js';

export function registerMonitoringHandlers(table: HandlerTable, ctx: BrokerContext): void {
  const { config, stats, store, topics, clients, consumerOffsets, subscriptionGroups } = ctx;

  table.on(RequestCode.VIEW_BROKER_STATS_DATA, (req) => {
    const h = decodeHeader(ViewBrokerStatsDataRequestHeader, req.extFields);
    const item = Object.hasOwn(STATS_NAMES, h.statsName) ? stats.sets[h.statsName as StatsName].get(h.statsKey) : undefined;
    if (item === undefined) return createResponse(req, ResponseCode.SYSTEM_ERROR, { remark: `The stats <${h.statsName}> <${h.statsKey}> not exist` });
    return createResponse(req, ResponseCode.SUCCESS, { body: encodeBrokerStatsData({ statsMinute: item.inMinute(), statsHour: item.inHour(), statsDay: item.inDay() }) });
  });

  /** Java fetchAllConsumeStatsInBroker: every subscription group, each topic it has offsets for. */
  table.on(RequestCode.GET_BROKER_CONSUME_STATS, async (req) => {
    const { isOrder } = decodeHeader(GetConsumeStatsInBrokerHeader, req.extFields);
    const groups: GroupConsumeStats[] = [];
    let totalDiff = 0;
    for (const group of Object.keys(subscriptionGroups.snapshot().subscriptionGroupTable)) {
      const list: ConsumeStats[] = [];
      const online = clients.consumerGroup(group);
      for (const topic of consumerOffsets.topicsOf(group)) {
        const tc = topics.get(topic);
        if (tc === undefined || (isOrder && !tc.order)) continue;
        // a group online with subscriptions: only the topics it subscribes to
        if (online !== undefined && online.subscriptions.size > 0 && !online.subscriptions.has(topic)) continue;
        const queues: QueueConsumeStats[] = [];
        for (let queueId = 0; queueId < tc.writeQueueNums; queueId++) {
          const brokerOffset = Math.max(0, store.getMaxOffsetInQueue(topic, queueId));
          const consumerOffset = Math.max(0, consumerOffsets.queryOffset(group, topic, queueId));
          const lastTimestamp = consumerOffset > 0 ? Math.max(0, await store.getMessageStoreTimestamp(topic, queueId, consumerOffset - 1)) : 0;
          const pullOffset = Math.max(consumerOffset, consumerOffsets.queryPullOffset(group, topic, queueId));
          queues.push({ topic, brokerName: config.brokerName, queueId, brokerOffset, consumerOffset, pullOffset, lastTimestamp });
          totalDiff += brokerOffset - consumerOffset;
        }
        list.push({ queues, consumeTps: stats.groupGetTps(group, [topic]) });
      }
      groups.push({ group, stats: list });
    }
    return createResponse(req, ResponseCode.SUCCESS, { body: encodeConsumeStatsList({ brokerAddr: ctx.brokerAddr, groups, totalDiff }) });
  });

  table.on(RequestCode.GET_ALL_PRODUCER_INFO, (req) => {
    const t: ProducerTable = {};
    for (const group of clients.producerGroups()) {
      t[group] = clients.producerGroup(group).map((ch) => ({ clientId: ch.clientId, remoteIP: ch.conn.remoteAddress, language: ch.language, version: ch.version, lastUpdateTimestamp: ch.lastUpdateTimestamp }));
    }
    return createResponse(req, ResponseCode.SUCCESS, { body: encodeProducerTable(t) });
  });

  table.on(RequestCode.GET_PRODUCER_CONNECTION_LIST, (req) => {
    const { producerGroup } = decodeHeader(GetProducerConnectionListRequestHeader, req.extFields);
    const chans = clients.producerGroup(producerGroup);
    if (chans.length === 0) return createResponse(req, ResponseCode.SYSTEM_ERROR, { remark: `the producer group[${producerGroup}] not exist` });
    return createResponse(req, ResponseCode.SUCCESS, { body: encodeProducerConnection(chans.map((ch) => ({ clientId: ch.clientId, clientAddr: ch.conn.remoteAddress, language: ch.language, version: ch.version }))) });
  });

  /** Java queryConsumeTimeSpan: per write queue, store times of the first, last and last consumed message, and how long the next one waits. */
  table.on(RequestCode.QUERY_CONSUME_TIME_SPAN, async (req) => {
    const { topic, group } = decodeHeader(QueryConsumeTimeSpanRequestHeader, req.extFields);
    const tc = topics.get(topic);
    if (tc === undefined) return createResponse(req, ResponseCode.TOPIC_NOT_EXIST, { remark: `topic[${topic}] not exist` });
    const spans: QueueTimeSpan[] = [];
    for (let queueId = 0; queueId < tc.writeQueueNums; queueId++) {
      const minTimeStamp = await store.getEarliestMessageTime(topic, queueId);
      const max = store.getMaxOffsetInQueue(topic, queueId);
      const maxTimeStamp = await store.getMessageStoreTimestamp(topic, queueId, max - 1);
      const consumerOffset = consumerOffsets.queryOffset(group, topic, queueId);
      const consumeTimeStamp = consumerOffset > 0 ? await store.getMessageStoreTimestamp(topic, queueId, consumerOffset - 1) : minTimeStamp;
      const delayTime = consumerOffset < max ? Date.now() - (await store.getMessageStoreTimestamp(topic, queueId, Math.max(0, consumerOffset))) : 0;
      spans.push({ topic, brokerName: config.brokerName, queueId, minTimeStamp, maxTimeStamp, consumeTimeStamp, delayTime });
    }
    return createResponse(req, ResponseCode.SUCCESS, { body: encodeConsumeTimeSpans(spans) });
  });

  /** The effective broker.properties (every registry key, unset ones empty), as Java's getAllConfigsFormatString. */
  table.on(RequestCode.GET_BROKER_CONFIG, (req) => {
    const c = config as unknown as Record<string, unknown>;
    const values = new Map(Object.keys(BROKER_KEYS).map((k) => [k, c[k] === null || c[k] === undefined ? '' : String(c[k])]));
    values.set('namesrvAddr', config.namesrvAddrs.join(';'));
    const body = Buffer.from(`${[...values].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join('\n')}\n`, 'utf8');
    return createResponse(req, ResponseCode.SUCCESS, { body, extFields: encodeHeader(GetBrokerConfigResponseHeader, { version: toFastJson(newDataVersion(stats.bootTimestamp)) }) });
  });
}
