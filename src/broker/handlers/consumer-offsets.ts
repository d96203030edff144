/**
 * QUERY_CONSUMER_OFFSET (14) and UPDATE_CONSUMER_OFFSET (15), docs/design/protocol.md#offsets (Java
 * ConsumerManageProcessor at apache/rocketmq HEAD).
 *
 * A group without a stored offset gets QUERY_NOT_FOUND — except, as in Java, when the client did not
 * say `setZeroIfNotFound=false` and the queue still starts at 0 with its first message "in memory"
 * (within `accessMessageInMemoryMaxRatio` % of RAM behind the commit log's end): then 0. That is why a
 * new group with CONSUME_FROM_LAST_OFFSET reads a young queue from its start (Java and ali-ons
 * clients rely on it); our consumer sends `setZeroIfNotFound=false` and decides itself.
 */
import os from 'node:os';
import { RequestCode, ResponseCode } from '../../remoting/codes.js';
import { decodeHeader } from '../../protocol/header-spec.js';
import { QueryConsumerOffsetRequestHeader, UpdateConsumerOffsetRequestHeader } from '../../protocol/headers/broker.js';
import { Pos } from '../../protocol/message/constants.js';
import { readInt64 } from '../../protocol/message/int64.js';
import { createResponse } from '../../remoting/command.js';
import type { HandlerTable } from '../../remoting/dispatcher.js';
import type { BrokerContext } from '../context.js';

export function registerConsumerOffsetHandlers(table: HandlerTable, ctx: BrokerContext): void {
  const { store, consumerOffsets, subscriptionGroups, topics, config, log } = ctx;

  /** Java checkInMemByConsumeOffset(topic, queueId, 0, 1). */
  const firstMessageInMemory = async (topic: string, queueId: number): Promise<boolean> => {
    const r = await store.getMessage(topic, queueId, 0, 1, 1024 * 1024);
    const rec = r.records[0];
    if (r.status !== 'FOUND' || rec === undefined || rec.length < Pos.physicalOffset + 8) return false;
    const behind = store.maxPhysOffset - readInt64(rec, Pos.physicalOffset);
    return behind <= (os.totalmem() * config.accessMessageInMemoryMaxRatio) / 100;
  };

  table.on(RequestCode.QUERY_CONSUMER_OFFSET, async (req) => {
    const h = decodeHeader(QueryConsumerOffsetRequestHeader, req.extFields);
    const offset = consumerOffsets.queryOffset(h.consumerGroup, h.topic, h.queueId);
    log.debug('consumer offset asked', { group: h.consumerGroup, topic: h.topic, queueId: h.queueId, offset });
    if (offset >= 0) return createResponse(req, ResponseCode.SUCCESS, { extFields: { offset: String(offset) } });
    if (h.setZeroIfNotFound === false) return createResponse(req, ResponseCode.QUERY_NOT_FOUND, { remark: 'Not found, do not set to zero, maybe this group boot first' });
    if (store.getMinOffsetInQueue(h.topic, h.queueId) <= 0 && (await firstMessageInMemory(h.topic, h.queueId))) {
      return createResponse(req, ResponseCode.SUCCESS, { extFields: { offset: '0' } });
    }
    return createResponse(req, ResponseCode.QUERY_NOT_FOUND, { remark: 'Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first' });
  });

  table.on(RequestCode.UPDATE_CONSUMER_OFFSET, (req, conn) => {
    const h = decodeHeader(UpdateConsumerOffsetRequestHeader, req.extFields);
    if (subscriptionGroups.find(h.consumerGroup) === undefined) {
      return createResponse(req, ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, { remark: `subscription group not exist, ${h.consumerGroup}` });
    }
    if (topics.get(h.topic) === undefined) return createResponse(req, ResponseCode.TOPIC_NOT_EXIST, { remark: `topic[${h.topic}] not exist` });
    const outcome = consumerOffsets.commitOffset(h.consumerGroup, h.topic, h.queueId, h.commitOffset, conn.remoteAddress);
    log.debug('consumer offset committed', { group: h.consumerGroup, topic: h.topic, queueId: h.queueId, offset: h.commitOffset, peer: conn.remoteAddress, outcome });
    return createResponse(req, ResponseCode.SUCCESS, outcome === 'ignored-reset' ? { remark: 'Offset has been previously reset' } : {});
  });
}
