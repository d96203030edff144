/**
 * Consumer-group administration (Java AdminBrokerProcessor, docs/design/protocol.md#broker-administration):
 * UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200), GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201),
 * DELETE_SUBSCRIPTIONGROUP (207), GET_CONSUMER_CONNECTION_LIST (203), GET_CONSUME_STATS (208, the
 * object-keyed fastjson form mqadmin decodes), INVOKE_BROKER_TO_RESET_OFFSET (222),
 * QUERY_TOPIC_CONSUME_BY_WHO (300), and the tables a slave syncs: GET_ALL_CONSUMER_OFFSET (43),
 * GET_ALL_DELAY_OFFSET (45).
 *
 * Resetting offsets is RocketMQ 5's server-side reset (`useServerSideResetOffset`): the broker
 * computes each queue's offset for the time, stores it, and answers the group's next pull of the
 * queue PULL_OFFSET_MOVED with it — which every client (Java, ali-ons, ours) obeys — so it works
 * whether the group's consumers are online or not. Without `isForce` a queue is only moved back,
 * never forward (the 4.x rule).
 */
import { toFastJson } from '../../protocol/fastjson.js';
import { RequestCode, ResponseCode } from '../../remoting/codes.js';
import { encodeConsumeStats, encodeConsumerConnection, encodeGroupList, encodeResetOffsetBody, type QueueConsumeStats, type QueueOffset } from '../../protocol/consumer-bodies.js';
import { decodeSubscriptionGroupConfigBody, subscriptionGroupWrapperJson } from '../../protocol/group-config.js';
import { decodeHeader } from '../../protocol/header-spec.js';
import {
  DeleteSubscriptionGroupRequestHeader,
  GetConsumeStatsRequestHeader,
  GetConsumerConnectionListRequestHeader,
  QueryTopicConsumeByWhoRequestHeader,
  ResetOffsetRequestHeader,
} from '../../protocol/headers/broker.js';
import { groupNameProblem } from '../../protocol/topic-names.js';
import { createResponse } from '../../remoting/command.js';
import type { HandlerTable } from '../../remoting/dispatcher.js';
import { ResponseError } from '../../remoting/errors.js';
import type { BrokerContext } from '../context.js';

export function registerGroupAdminHandlers(table: HandlerTable, ctx: BrokerContext): void {
  const { config, store, topics, clients, consumerOffsets, subscriptionGroups, schedule, log } = ctx;

  table.on(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, async (req, conn) => {
    const c = decodeSubscriptionGroupConfigBody(req.body);
    const problem = groupNameProblem(c.groupName);
    if (problem !== undefined) throw new ResponseError(ResponseCode.INVALID_PARAMETER, problem);
    const change = await subscriptionGroups.update(c);
    log.debug('subscription group update requested', { group: c.groupName, change, caller: conn.remoteAddress });
    return createResponse(req, ResponseCode.SUCCESS);
  });

  table.on(RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG, (req) =>
    createResponse(req, ResponseCode.SUCCESS, { body: Buffer.from(toFastJson(subscriptionGroupWrapperJson(subscriptionGroups.snapshot())), 'utf8') }),
  );

  table.on(RequestCode.DELETE_SUBSCRIPTIONGROUP, async (req, conn) => {
    const h = decodeHeader(DeleteSubscriptionGroupRequestHeader, req.extFields);
    const existed = await subscriptionGroups.delete(h.groupName);
    if (h.cleanOffset || h.removeOffset) {
      consumerOffsets.removeGroup(h.groupName);
      ctx.pop.forget({ group: h.groupName });
    }
    log.info('subscription group delete requested', { group: h.groupName, existed, cleanOffset: h.cleanOffset || h.removeOffset, caller: conn.remoteAddress });
    return createResponse(req, ResponseCode.SUCCESS);
  });

  table.on(RequestCode.GET_CONSUMER_CONNECTION_LIST, (req) => {
    const { consumerGroup } = decodeHeader(GetConsumerConnectionListRequestHeader, req.extFields);
    const info = clients.consumerGroup(consumerGroup);
    if (info === undefined) return createResponse(req, ResponseCode.CONSUMER_NOT_ONLINE, { remark: `the consumer group[${consumerGroup}] not online` });
    const subscriptionTable = Object.fromEntries([...info.subscriptions].map(([topic, { tagCodes: _t, ...s }]) => [topic, s]));
    const body = encodeConsumerConnection({
      connectionSet: [...info.channels.values()].map((ch) => ({ clientId: ch.clientId, clientAddr: ch.conn.remoteAddress, language: ch.language, version: ch.version })),
      subscriptionTable,
      consumeType: info.consumeType,
      messageModel: info.messageModel,
      consumeFromWhere: info.consumeFromWhere,
    });
    return createResponse(req, ResponseCode.SUCCESS, { body });
  });

  table.on(RequestCode.GET_CONSUME_STATS, async (req) => {
    const h = decodeHeader(GetConsumeStatsRequestHeader, req.extFields);
    const group = h.consumerGroup;
    // Java getTopicsForCollectingConsumeStats: the listed topics; else the given one or every topic
    // the group has offsets for, less those its online consumers do not subscribe to
    let topicNames: string[];
    const listed = (h.topicList ?? '').split(';').filter((t) => t !== '');
    if (listed.length > 0) topicNames = listed;
    else {
      topicNames = h.topic !== undefined && h.topic !== '' ? [h.topic] : consumerOffsets.topicsOf(group);
      const online = clients.consumerGroup(group);
      if (online !== undefined && online.subscriptions.size > 0) topicNames = topicNames.filter((t) => online.subscriptions.has(t));
    }
    const queues: QueueConsumeStats[] = [];
    // POP groups: messages delivered and not acked, per queue
    const inflight = new Map(ctx.pop.inflight({ group }).map((c) => [`${c.topic}\u0000${c.queueId}`, c.invisible + c.expired]));
    for (const topic of topicNames) {
      const tc = topics.get(topic);
      if (tc === undefined) continue;
      for (let queueId = 0; queueId < tc.readQueueNums; queueId++) {
        const brokerOffset = Math.max(0, store.getMaxOffsetInQueue(topic, queueId));
        const consumerOffset = Math.max(0, consumerOffsets.queryOffset(group, topic, queueId));
        const pullOffset = Math.max(consumerOffset, consumerOffsets.queryPullOffset(group, topic, queueId));
        const lastTimestamp = consumerOffset > 0 ? Math.max(0, await store.getMessageStoreTimestamp(topic, queueId, consumerOffset - 1)) : 0;
        const popInflight = inflight.get(`${topic}\u0000${queueId}`);
        queues.push({ topic, brokerName: config.brokerName, queueId, brokerOffset, consumerOffset, pullOffset, lastTimestamp, ...(popInflight === undefined ? {} : { inflight: popInflight }) });
      }
    }
    return createResponse(req, ResponseCode.SUCCESS, { body: encodeConsumeStats({ queues, consumeTps: ctx.stats.groupGetTps(group, topicNames) }) });
  });

  table.on(RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, async (req, conn) => {
    const h = decodeHeader(ResetOffsetRequestHeader, req.extFields);
    if (config.brokerRole === 'SLAVE') return createResponse(req, ResponseCode.SYSTEM_ERROR, { remark: 'Can not reset offset in slave broker' });
    const tc = topics.get(h.topic);
    if (tc === undefined) return createResponse(req, ResponseCode.TOPIC_NOT_EXIST, { remark: `Topic ${h.topic} does not exist` });
    if (!subscriptionGroups.has(h.group)) return createResponse(req, ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, { remark: `Group ${h.group} does not exist` });
    const target = async (queueId: number): Promise<number> => (h.timestamp < 0 ? store.getMaxOffsetInQueue(h.topic, queueId) : store.getOffsetInQueueByTime(h.topic, queueId, h.timestamp));
    const wanted: { queueId: number; offset: number }[] = [];
    if (h.queueId >= 0) {
      if (h.queueId >= tc.readQueueNums) throw new ResponseError(ResponseCode.INVALID_PARAMETER, `queueId ${h.queueId} is out of range: topic ${h.topic} has ${tc.readQueueNums} read queues`);
      let offset = h.offset;
      if (offset !== undefined && offset !== -1) {
        const min = store.getMinOffsetInQueue(h.topic, h.queueId);
        const max = store.getMaxOffsetInQueue(h.topic, h.queueId);
        if (offset < min || offset > max) return createResponse(req, ResponseCode.SYSTEM_ERROR, { remark: `Target offset ${offset} not in consume queue range [${min}-${max}]` });
      } else offset = await target(h.queueId);
      wanted.push({ queueId: h.queueId, offset });
    } else {
      for (let queueId = 0; queueId < tc.readQueueNums; queueId++) wanted.push({ queueId, offset: await target(queueId) });
    }
    const result: QueueOffset[] = [];
    for (const { queueId, offset } of wanted) {
      const current = consumerOffsets.queryOffset(h.group, h.topic, queueId);
      // without force a queue only moves back (a reset never skips messages unless asked to)
      const next = h.isForce || current < 0 || offset < current ? offset : current;
      if (next !== current) consumerOffsets.assignResetOffset(h.group, h.topic, queueId, next);
      result.push({ topic: h.topic, brokerName: config.brokerName, queueId, offset: next });
    }
    log.info('consumer offsets reset', { group: h.group, topic: h.topic, timestamp: h.timestamp, force: h.isForce, queues: result.map((q) => `${q.queueId}:${q.offset}`).join(','), caller: conn.remoteAddress });
    await consumerOffsets.persist();
    return createResponse(req, ResponseCode.SUCCESS, { body: encodeResetOffsetBody(result) });
  });

  table.on(RequestCode.QUERY_TOPIC_CONSUME_BY_WHO, (req) => {
    const { topic } = decodeHeader(QueryTopicConsumeByWhoRequestHeader, req.extFields);
    const groups = new Set([...clients.groupsSubscribing(topic), ...consumerOffsets.groupsOf(topic)]);
    return createResponse(req, ResponseCode.SUCCESS, { body: encodeGroupList([...groups].sort()) });
  });

  table.on(RequestCode.GET_ALL_CONSUMER_OFFSET, (req) => createResponse(req, ResponseCode.SUCCESS, { body: Buffer.from(consumerOffsets.encodeAll(), 'utf8') }));
  table.on(RequestCode.GET_ALL_DELAY_OFFSET, (req) => createResponse(req, ResponseCode.SUCCESS, { body: Buffer.from(schedule.encodeAll(), 'utf8') }));
}
