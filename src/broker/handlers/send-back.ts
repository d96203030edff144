/**
 * CONSUMER_SEND_MSG_BACK (36): a consumer failed to consume a message; the broker stores a copy for
 * a later retry (Java AbstractSendMessageProcessor.consumerSendMsgBack, docs/design/protocol.md#retry-dead-letters-and-delays):
 *
 * - into `%RETRY%<group>` (a random one of the group's retryQueueNums queues) with delay level
 *   `delayLevel`, or 3 + reconsumeTimes when the consumer leaves it to the broker (0) — so the
 *   first retry comes after level 3 (10 s by default), the next ones later and later;
 * - into `%DLQ%<group>` queue 0, undelayed, once the message has been consumed maxReconsumeTimes
 *   times (the header's value from clients at V3_4_9 or later, else the group's retryMaxTimes), or
 *   when the consumer asks for it (delayLevel < 0).
 *
 * The copy keeps body, flag, properties, born host and time; its reconsumeTimes is one more;
 * RETRY_TOPIC names the original topic and ORIGIN_MESSAGE_ID the first delivery's msgId.
 */
import { RequestCode, ResponseCode } from '../../remoting/codes.js';
import { decodeHeader } from '../../protocol/header-spec.js';
import { ConsumerSendMsgBackRequestHeader } from '../../protocol/headers/broker.js';
import { PropertyKey } from '../../protocol/message/constants.js';
import { offsetMsgId } from '../../protocol/message/msg-id.js';
import { decodeProperties, encodeProperties } from '../../protocol/message/properties.js';
import { decodeRecord } from '../../protocol/message/record.js';
import { isWriteable, PERM_RW, TopicSysFlag } from '../../protocol/perm.js';
import { topicConfig } from '../../protocol/topic-config.js';
import { DLQ_GROUP_TOPIC_PREFIX, RETRY_GROUP_TOPIC_PREFIX } from '../../protocol/topic-names.js';
import { MQVersion } from '../../remoting/version.js';
import { createResponse } from '../../remoting/command.js';
import type { HandlerTable } from '../../remoting/dispatcher.js';
import type { BrokerContext } from '../context.js';
import type { PutMessageStatus } from '../store/index.js';
import { retryTopicOf } from './clients.js';

export function dlqTopicOf(group: string): string {
  return `${DLQ_GROUP_TOPIC_PREFIX}${group}`;
}

/** Queues of a group's dead-letter topic (MixAll.DLQ_NUMS_PER_GROUP). */
export const DLQ_NUMS_PER_GROUP = 1;

/** The property string without DELAY (a dead-lettered message is not delayed). */
export function withoutDelay(properties: string): string {
  const props = decodeProperties(properties);
  return props.delete(PropertyKey.DELAY_TIME_LEVEL) ? encodeProperties(props) : properties;
}

/**
 * Java SendMessageProcessor.handleRetryAndDLQ, for a send to `%RETRY%<group>` (ali-ons' fallback
 * when CONSUMER_SEND_MSG_BACK fails): past the group's max reconsume times (the header's from
 * clients at V3_4_9 or later) the message goes to `%DLQ%<group>` instead. `dlq` is undefined
 * when the message stays where it was sent.
 */
export async function deadLetterTarget(
  ctx: BrokerContext,
  retryTopic: string,
  reconsumeTimes: number,
  headerMaxReconsumeTimes: number | undefined,
  version: number,
): Promise<{ code: number; remark: string } | { dlq: string | undefined; queueId: number }> {
  const groupName = retryTopic.slice(RETRY_GROUP_TOPIC_PREFIX.length);
  const group = ctx.subscriptionGroups.find(groupName);
  if (group === undefined) return { code: ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, remark: `subscription group not exist, ${groupName}` };
  const max = version >= MQVersion.V3_4_9 && headerMaxReconsumeTimes !== undefined ? headerMaxReconsumeTimes : group.retryMaxTimes;
  if (reconsumeTimes <= max) return { dlq: undefined, queueId: 0 };
  const tc = await ctx.topics.createIfAbsent(topicConfig(dlqTopicOf(groupName), { readQueueNums: DLQ_NUMS_PER_GROUP, writeQueueNums: DLQ_NUMS_PER_GROUP, perm: PERM_RW }));
  ctx.log.info('message moved to the dead-letter queue', { group: groupName, dlq: tc.topicName, reconsumeTimes, maxReconsumeTimes: max });
  return { dlq: tc.topicName, queueId: Math.floor(Math.random() * DLQ_NUMS_PER_GROUP) };
}

const STORED: ReadonlySet<PutMessageStatus> = new Set(['PUT_OK', 'FLUSH_DISK_TIMEOUT', 'FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE']);

export function registerSendBackHandler(table: HandlerTable, ctx: BrokerContext): void {
  const { config, store, topics, subscriptionGroups, schedule, stats, log } = ctx;

  table.on(RequestCode.CONSUMER_SEND_MSG_BACK, async (req, conn) => {
    const h = decodeHeader(ConsumerSendMsgBackRequestHeader, req.extFields);
    const fail = (code: number, remark: string) => createResponse(req, code, { remark });
    if (config.brokerRole === 'SLAVE') return fail(ResponseCode.SYSTEM_ERROR, `no master available along with ${config.brokerIP1}: send the message back to the master of ${config.brokerName}`);
    const group = subscriptionGroups.find(h.group);
    if (group === undefined) return fail(ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, `subscription group not exist, ${h.group}`);
    if (!isWriteable(config.brokerPermission)) return fail(ResponseCode.NO_PERMISSION, `the broker[${config.brokerIP1}] sending message is forbidden`);
    // a group without retry queues drops failed messages (Java answers success)
    if (group.retryQueueNums <= 0) return createResponse(req, ResponseCode.SUCCESS);

    const unit = h.unitMode ? TopicSysFlag.UNIT_SUB : 0;
    let tc = await topics.createIfAbsent(topicConfig(retryTopicOf(h.group), { readQueueNums: group.retryQueueNums, writeQueueNums: group.retryQueueNums, perm: PERM_RW, topicSysFlag: unit }));
    if (!isWriteable(tc.perm)) return fail(ResponseCode.NO_PERMISSION, `the topic[${tc.topicName}] sending message is forbidden`);

    const raw = await store.lookMessageByOffset(h.offset);
    if (raw === undefined) return fail(ResponseCode.SYSTEM_ERROR, `look message by offset failed, ${h.offset}`);
    const orig = decodeRecord(raw);
    const props = decodeProperties(orig.properties);
    if (!props.has(PropertyKey.RETRY_TOPIC)) props.set(PropertyKey.RETRY_TOPIC, orig.topic);

    const maxReconsumeTimes = req.version >= MQVersion.V3_4_9 && h.maxReconsumeTimes !== undefined ? h.maxReconsumeTimes : group.retryMaxTimes;
    const toDlq = orig.reconsumeTimes >= maxReconsumeTimes || h.delayLevel < 0;
    let queueId: number;
    if (toDlq) {
      tc = await topics.createIfAbsent(topicConfig(dlqTopicOf(h.group), { readQueueNums: DLQ_NUMS_PER_GROUP, writeQueueNums: DLQ_NUMS_PER_GROUP, perm: PERM_RW }));
      queueId = Math.floor(Math.random() * DLQ_NUMS_PER_GROUP);
      props.delete(PropertyKey.DELAY_TIME_LEVEL);
    } else {
      queueId = Math.floor(Math.random() * group.retryQueueNums);
      props.set(PropertyKey.DELAY_TIME_LEVEL, String(h.delayLevel === 0 ? 3 + orig.reconsumeTimes : h.delayLevel));
    }
    if (!props.get(PropertyKey.ORIGIN_MESSAGE_ID)) props.set(PropertyKey.ORIGIN_MESSAGE_ID, offsetMsgId(orig.storeHost, orig.physicalOffset));

    // a SYNC_MASTER acknowledges the send-back once its slaves hold the retry copy (the original is acked with it)
    const stored = await store.put(
      schedule.transform({
        topic: tc.topicName,
        queueId,
        flag: orig.flag,
        body: Buffer.from(orig.body),
        properties: encodeProperties(props),
        sysFlag: orig.sysFlag,
        bornTimestamp: orig.bornTimestamp,
        bornHost: orig.bornHost,
        storeHost: ctx.storeHost,
        reconsumeTimes: orig.reconsumeTimes + 1,
        preparedTransactionOffset: 0,
      }),
    );
    const put = await ctx.replication.afterPut(stored, true);
    if (!STORED.has(put.status) || put.appended === undefined) {
      stats.recordPutFailure();
      return fail(ResponseCode.SYSTEM_ERROR, put.remark ?? put.status);
    }
    stats.recordPut(tc.topicName, 1, put.appended.wroteBytes);
    if (toDlq) {
      log.info('message moved to the dead-letter queue', {
        group: h.group,
        dlq: tc.topicName,
        originTopic: h.originTopic ?? orig.topic,
        msgId: props.get(PropertyKey.UNIQ_CLIENT_MESSAGE_ID_KEYIDX),
        reconsumeTimes: orig.reconsumeTimes,
        maxReconsumeTimes,
        consumer: conn.remoteAddress,
      });
    }
    return createResponse(req, ResponseCode.SUCCESS);
  });
}
