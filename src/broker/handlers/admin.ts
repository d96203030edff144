/**
 * Topic administration and broker facts (Java AdminBrokerProcessor, docs/design/protocol.md#broker-administration):
 * UPDATE_AND_CREATE_TOPIC (17), DELETE_TOPIC_IN_BROKER (215), GET_ALL_TOPIC_CONFIG (21),
 * GET_TOPIC_STATS_INFO (202, the object-keyed fastjson form Java admin tools decode),
 * GET_BROKER_RUNTIME_INFO (28, metrics/runtime-info.ts).
 */
import { encodeKVTable } from '../../protocol/bodies.js';
import { RequestCode, ResponseCode } from '../../remoting/codes.js';
import { toFastJson } from '../../protocol/fastjson.js';
import { decodeHeader } from '../../protocol/header-spec.js';
import { CreateTopicRequestHeader, DeleteTopicRequestHeader, GetTopicStatsInfoRequestHeader } from '../../protocol/headers/broker.js';
import { isValidPerm } from '../../protocol/perm.js';
import { encodeTopicStatsTable, type QueueStats } from '../../protocol/topic-stats.js';
import { TOPIC_FILTER_TYPES, topicConfig, type TopicFilterType } from '../../protocol/topic-config.js';
import { createResponse } from '../../remoting/command.js';
import type { HandlerTable } from '../../remoting/dispatcher.js';
import { ResponseError } from '../../remoting/errors.js';
import type { BrokerContext } from '../context.js';
import { applyAttributeModification, TopicAttributeError } from '../topic-attributes.js';
import { topicNameProblem } from '../../protocol/topic-names.js';
import { brokerRuntimeInfo } from '../metrics/runtime-info.js';

/** Most queues a topic may have on one broker (each queue is a directory of the store). */
export const MAX_QUEUE_NUMS = 16_384;

const invalid = (message: string) => new ResponseError(ResponseCode.INVALID_PARAMETER, message);


export function registerAdminHandlers(table: HandlerTable, ctx: BrokerContext): void {
  const { topics, store, stats, config, log } = ctx;

  table.on(RequestCode.UPDATE_AND_CREATE_TOPIC, async (req, conn) => {
    const h = decodeHeader(CreateTopicRequestHeader, req.extFields);
    const problem = topicNameProblem(h.topic);
    if (problem !== undefined) throw invalid(problem);
    if (topics.isSystemTopic(h.topic)) throw invalid(`The topic[${h.topic}] is conflict with system topic.`);
    for (const [name, n, min] of [['readQueueNums', h.readQueueNums, 0], ['writeQueueNums', h.writeQueueNums, 0]] as const) {
      if (n < min || n > MAX_QUEUE_NUMS) throw invalid(`${name} ${n} is out of range: expected ${min}..${MAX_QUEUE_NUMS}`);
    }
    if (h.readQueueNums === 0 && h.writeQueueNums === 0) throw invalid('readQueueNums and writeQueueNums are both 0: a topic needs at least one queue');
    if (!isValidPerm(h.perm)) throw invalid(`perm ${h.perm} is invalid: expected 0..7, the sum of READ 4, WRITE 2, INHERIT 1`);
    if (!(TOPIC_FILTER_TYPES as readonly string[]).includes(h.topicFilterType)) throw invalid(`topicFilterType ${JSON.stringify(h.topicFilterType)} is invalid: expected SINGLE_TAG or MULTI_TAG`);
    let attributes: Record<string, string>;
    try {
      attributes = applyAttributeModification(topics.get(h.topic)?.attributes ?? {}, h.attributes);
    } catch (e) {
      if (e instanceof TopicAttributeError) throw invalid(e.message);
      throw e;
    }
    const tc = topicConfig(h.topic, {
      readQueueNums: h.readQueueNums,
      writeQueueNums: h.writeQueueNums,
      perm: h.perm,
      topicFilterType: h.topicFilterType as TopicFilterType,
      topicSysFlag: h.topicSysFlag ?? 0,
      order: h.order,
      attributes,
    });
    const change = await topics.update(tc);
    log.debug('topic update requested', { topic: h.topic, change, caller: conn.remoteAddress });
    return createResponse(req, ResponseCode.SUCCESS);
  });

  table.on(RequestCode.DELETE_TOPIC_IN_BROKER, async (req, conn) => {
    const { topic } = decodeHeader(DeleteTopicRequestHeader, req.extFields);
    if (topic.trim() === '') throw invalid('The specified topic is blank.');
    if (topics.isSystemTopic(topic)) throw invalid(`The topic[${topic}] is conflict with system topic.`);
    const existed = await topics.delete(topic);
    // consume queues go even when the config was already gone (a half-finished earlier delete)
    await store.deleteTopic(topic);
    stats.forgetTopic(topic);
    ctx.hooks.topicDeleted?.(topic);
    log.info('topic delete requested', { topic, existed, caller: conn.remoteAddress });
    return createResponse(req, ResponseCode.SUCCESS);
  });

  table.on(RequestCode.GET_ALL_TOPIC_CONFIG, (req) => createResponse(req, ResponseCode.SUCCESS, { body: Buffer.from(toFastJson(topics.snapshot()), 'utf8') }));

  table.on(RequestCode.GET_TOPIC_STATS_INFO, async (req) => {
    const { topic } = decodeHeader(GetTopicStatsInfoRequestHeader, req.extFields);
    const tc = topics.get(topic);
    if (tc === undefined) return createResponse(req, ResponseCode.TOPIC_NOT_EXIST, { remark: `topic[${topic}] not exist` });
    const queues: QueueStats[] = [];
    for (let queueId = 0; queueId < Math.max(tc.readQueueNums, tc.writeQueueNums); queueId++) {
      const minOffset = Math.max(0, store.getMinOffsetInQueue(topic, queueId));
      const maxOffset = Math.max(0, store.getMaxOffsetInQueue(topic, queueId));
      const lastUpdateTimestamp = maxOffset > 0 ? Math.max(0, await store.getMessageStoreTimestamp(topic, queueId, maxOffset - 1)) : 0;
      queues.push({ brokerName: config.brokerName, topic, queueId, minOffset, maxOffset, lastUpdateTimestamp });
    }
    return createResponse(req, ResponseCode.SUCCESS, { body: encodeTopicStatsTable({ queues, topicPutTps: stats.topicPutTps(topic) }) });
  });

  table.on(RequestCode.GET_BROKER_RUNTIME_INFO, async (req) => createResponse(req, ResponseCode.SUCCESS, { body: encodeKVTable(await brokerRuntimeInfo(ctx, { metricsPort: config.metricsPort })) }));
}

