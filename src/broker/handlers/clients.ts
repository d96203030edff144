/**
 * Client management (Java ClientManageProcessor, ConsumerManageProcessor, RebalanceLockManager;
 * docs/design/protocol.md#clients-and-heartbeats): HEART_BEAT (34), UNREGISTER_CLIENT (35), GET_CONSUMER_LIST_BY_GROUP (38),
 * CHECK_CLIENT_CONFIG (46), LOCK_BATCH_MQ (41) / UNLOCK_BATCH_MQ (42), and GET_CONSUMER_RUNNING_INFO
 * (307), forwarded to the consumer it names.
 *
 * A consumer heartbeat registers the connection in each of its groups (a group unknown while
 * `autoCreateSubscriptionGroup` is off is skipped, as Java does) and makes sure the group's
 * `%RETRY%` topic exists, so its failed messages have somewhere to go and its consumers a route to
 * read them from.
 */
import { RequestCode, ResponseCode } from '../../remoting/codes.js';
import { decodeLockBatchRequest, encodeConsumerIdList, encodeLockBatchResponse } from '../../protocol/consumer-bodies.js';
import { decodeHeader } from '../../protocol/header-spec.js';
import { GetConsumerListByGroupRequestHeader, GetConsumerRunningInfoRequestHeader, UnregisterClientRequestHeader } from '../../protocol/headers/broker.js';
import { decodeHeartbeatData, decodeSubscriptionData } from '../../protocol/heartbeat.js';
import { JsonCheck } from '../../protocol/json-check.js';
import { PERM_RW, TopicSysFlag } from '../../protocol/perm.js';
import { topicConfig } from '../../protocol/topic-config.js';
import { RETRY_GROUP_TOPIC_PREFIX } from '../../protocol/topic-names.js';
import { MQVersion } from '../../remoting/version.js';
import { createRequest, createResponse } from '../../remoting/command.js';
import { RemotingTimeoutError } from '../../remoting/errors.js';
import type { HandlerTable } from '../../remoting/dispatcher.js';
import type { BrokerContext } from '../context.js';
import { messageFilterOf, SubscriptionNotSupportedError, SubscriptionParseError } from '../subscription.js';

/** How long a request forwarded to a client may take (Java Broker2Client.callClient). */
const FORWARD_TIMEOUT_MILLIS = 10_000;

export function retryTopicOf(group: string): string {
  return `${RETRY_GROUP_TOPIC_PREFIX}${group}`;
}

export function registerClientHandlers(table: HandlerTable, ctx: BrokerContext): void {
  const { clients, subscriptionGroups, topics, log } = ctx;
  /** V2 heartbeats: the subscription fingerprint each group last declared. */
  const fingerprints = new Map<string, number>();

  /** createTopicInSendMessageBackMethod for a group's retry topic. */
  const ensureRetryTopic = async (group: string, queues: number, unitMode: boolean) => {
    const name = retryTopicOf(group);
    if (topics.get(name) !== undefined || queues <= 0) return;
    await topics.createIfAbsent(topicConfig(name, { readQueueNums: queues, writeQueueNums: queues, perm: PERM_RW, topicSysFlag: unitMode ? TopicSysFlag.UNIT_SUB : 0 }));
  };

  table.on(RequestCode.HEART_BEAT, async (req, conn) => {
    const arrival = clients.arrival(); // before any await: see ClientManager
    const hb = decodeHeartbeatData(req.body);
    const channel = { conn, clientId: hb.clientID, language: req.language, version: req.version };
    const v2 = hb.heartbeatFingerprint !== 0;
    log.debug('heartbeat', { clientId: hb.clientID, peer: conn.remoteAddress, consumerGroups: hb.consumerDataSet.map((c) => c.groupName).join(',') || undefined, producerGroups: hb.producerDataSet.map((p) => p.groupName).join(',') || undefined });
    let subChanged = false;
    for (const c of hb.consumerDataSet) {
      const group = subscriptionGroups.find(c.groupName);
      if (group === undefined) {
        log.debug('heartbeat of an unknown consumer group ignored (autoCreateSubscriptionGroup is off)', { group: c.groupName, clientId: hb.clientID });
        continue;
      }
      await ensureRetryTopic(c.groupName, group.retryQueueNums, c.unitMode);
      const known = fingerprints.get(c.groupName);
      const withoutSub = v2 && hb.withoutSub;
      // a heartbeat without subscriptions can only refresh a group whose subscriptions we hold
      if (withoutSub && (known !== hb.heartbeatFingerprint || clients.consumerGroup(c.groupName) === undefined)) subChanged = true;
      if (v2 && !withoutSub) fingerprints.set(c.groupName, hb.heartbeatFingerprint);
      clients.registerConsumer(c, channel, { updateSubscriptions: !withoutSub, arrival });
    }
    for (const p of hb.producerDataSet) clients.registerProducer(p.groupName, channel, arrival);
    return createResponse(req, ResponseCode.SUCCESS, { extFields: { IS_SUPPORT_HEART_BEAT_V2: 'true', IS_SUB_CHANGE: String(v2 ? subChanged : true) } });
  });

  table.on(RequestCode.UNREGISTER_CLIENT, (req, conn) => {
    const h = decodeHeader(UnregisterClientRequestHeader, req.extFields);
    log.debug('unregister client', { clientId: h.clientID, peer: conn.remoteAddress, consumerGroup: h.consumerGroup, producerGroup: h.producerGroup });
    if (h.producerGroup !== undefined) clients.unregisterProducer(h.producerGroup, conn);
    if (h.consumerGroup !== undefined) clients.unregisterConsumer(h.consumerGroup, conn);
    return createResponse(req, ResponseCode.SUCCESS);
  });

  table.on(RequestCode.GET_CONSUMER_LIST_BY_GROUP, (req) => {
    const { consumerGroup } = decodeHeader(GetConsumerListByGroupRequestHeader, req.extFields);
    const ids = clients.consumerGroup(consumerGroup)?.clientIds() ?? [];
    log.debug('consumer list asked', { group: consumerGroup, ids: ids.join(',') });
    if (ids.length === 0) return createResponse(req, ResponseCode.SYSTEM_ERROR, { remark: `no consumer for this group, ${consumerGroup}` });
    return createResponse(req, ResponseCode.SUCCESS, { body: encodeConsumerIdList(ids) });
  });

  /**
   * AdminBrokerProcessor.callConsumer: the request goes on, unchanged, to the consumer's own
   * connection, and its answer comes back as it is. A client that never answers (ali-ons does not
   * handle 307) costs the asker FORWARD_TIMEOUT_MILLIS at most and gets CONSUME_MSG_TIMEOUT.
   */
  table.on(RequestCode.GET_CONSUMER_RUNNING_INFO, async (req) => {
    const h = decodeHeader(GetConsumerRunningInfoRequestHeader, req.extFields);
    const ch = clients.findConsumerChannel(h.consumerGroup, h.clientId);
    if (ch === undefined) return createResponse(req, ResponseCode.SYSTEM_ERROR, { remark: `The Consumer <${h.consumerGroup}> <${h.clientId}> not online` });
    if (ch.version < MQVersion.V3_1_8_SNAPSHOT) {
      return createResponse(req, ResponseCode.SYSTEM_ERROR, { remark: `The Consumer <${h.clientId}> Version <${ch.version}> too low to finish, please upgrade it to V3_1_8_SNAPSHOT` });
    }
    try {
      const forward = createRequest(RequestCode.GET_CONSUMER_RUNNING_INFO, { extFields: { ...req.extFields }, ...(req.body !== undefined ? { body: req.body } : {}) });
      return await ch.conn.request(forward, FORWARD_TIMEOUT_MILLIS);
    } catch (e) {
      if (e instanceof RemotingTimeoutError) return createResponse(req, ResponseCode.CONSUME_MSG_TIMEOUT, { remark: `consumer <${h.consumerGroup}> <${h.clientId}> Timeout: ${e.message}` });
      return createResponse(req, ResponseCode.SYSTEM_ERROR, { remark: `invoke consumer <${h.consumerGroup}> <${h.clientId}> Exception: ${(e as Error).message}` });
    }
  });

  table.on(RequestCode.CHECK_CLIENT_CONFIG, (req) => {
    const check = new JsonCheck('CheckClientRequestBody');
    const o = check.body(req.body);
    const sub = o.subscriptionData === undefined || o.subscriptionData === null ? undefined : decodeSubscriptionData(o.subscriptionData, 'subscriptionData', check);
    if (sub === undefined || sub.expressionType === 'TAG') return createResponse(req, ResponseCode.SUCCESS);
    // RocketMQ's checkClientConfig: SQL92 needs enablePropertyFilter, and the expression must compile
    try {
      messageFilterOf(sub.expressionType, sub.subString, ctx.config.enablePropertyFilter);
      return createResponse(req, ResponseCode.SUCCESS);
    } catch (e) {
      if (e instanceof SubscriptionNotSupportedError) return createResponse(req, ResponseCode.SYSTEM_ERROR, { remark: e.message });
      if (e instanceof SubscriptionParseError) return createResponse(req, ResponseCode.SUBSCRIPTION_PARSE_FAILED, { remark: e.message });
      throw e;
    }
  });

  table.on(RequestCode.LOCK_BATCH_MQ, (req) => {
    const r = decodeLockBatchRequest(req.body);
    const locked = ctx.rebalanceLocks.tryLock(r.consumerGroup, r.clientId, r.mqSet);
    return createResponse(req, ResponseCode.SUCCESS, { body: encodeLockBatchResponse(locked) });
  });

  table.on(RequestCode.UNLOCK_BATCH_MQ, (req) => {
    const r = decodeLockBatchRequest(req.body);
    ctx.rebalanceLocks.unlock(r.consumerGroup, r.clientId, r.mqSet);
    return createResponse(req, ResponseCode.SUCCESS);
  });
}
