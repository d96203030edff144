/**
 * PULL_MESSAGE (11): Java's PullMessageProcessor + DefaultPullMessageResultHandler (apache/rocketmq
 * HEAD), docs/design/protocol.md#pull. Every answer carries all four response header fields
 * (suggestWhichBrokerId, nextBeginOffset, minOffset, maxOffset: ali-ons reads them on every
 * outcome), the store status as remark, and on FOUND the stored records as they are.
 * A PULL_NOT_FOUND with the suspend flag is parked in the hold service (long polling) and runs
 * once more when a matching message arrives or the suspend time ends.
 */
import { RequestCode, ResponseCode } from '../../remoting/codes.js';
import { decodeHeader } from '../../protocol/header-spec.js';
import { PullMessageRequestHeader, PullSysFlag, type PullMessageRequest } from '../../protocol/headers/broker.js';
import { MASTER_ID } from '../../protocol/route.js';
import { isReadable } from '../../protocol/perm.js';
import { createResponse, type RemotingCommand } from '../../remoting/command.js';
import type { Connection } from '../../remoting/connection.js';
import type { HandlerResult, HandlerTable } from '../../remoting/dispatcher.js';
import type { BrokerContext } from '../context.js';
import type { GetMessageResult, GetMessageStatus } from '../store/index.js';
import { messageFilterOf, propertiesMatch, SubscriptionNotSupportedError, SubscriptionParseError, type MessageFilter } from '../subscription.js';
import { decodeRecord } from '../../protocol/message/record.js';
import { groupNameProblem } from '../../protocol/topic-names.js';
import { readInt64 } from '../../protocol/message/int64.js';
import os from 'node:os';

/** Longest hold we grant, whatever the client asks: clients give up on a pull after 30 s. */
const MAX_SUSPEND_MILLIS = 60_000;

/** Store status → response code and the next offset a master tells the client to pull from. */
export function pullOutcome(status: GetMessageStatus, requestOffset: number, r: Pick<GetMessageResult, 'nextBeginOffset'>): { code: number; nextBeginOffset: number } {
  switch (status) {
    case 'FOUND':
      return { code: ResponseCode.SUCCESS, nextBeginOffset: r.nextBeginOffset };
    case 'NO_MESSAGE_IN_QUEUE':
    case 'NO_MATCHED_LOGIC_QUEUE':
      // an empty or unknown queue: fine at offset 0, any other offset is moved back to 0
      return { code: requestOffset === 0 ? ResponseCode.PULL_NOT_FOUND : ResponseCode.PULL_OFFSET_MOVED, nextBeginOffset: r.nextBeginOffset };
    case 'OFFSET_OVERFLOW_ONE':
    case 'OFFSET_FOUND_NULL':
      return { code: ResponseCode.PULL_NOT_FOUND, nextBeginOffset: r.nextBeginOffset };
    case 'OFFSET_TOO_SMALL':
    case 'OFFSET_OVERFLOW_BADLY':
      return { code: ResponseCode.PULL_OFFSET_MOVED, nextBeginOffset: r.nextBeginOffset };
    case 'NO_MATCHED_MESSAGE':
    case 'MESSAGE_WAS_REMOVING':
      return { code: ResponseCode.PULL_RETRY_IMMEDIATELY, nextBeginOffset: r.nextBeginOffset };
  }
}

class PullRefusal extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** RocketMQ's subscription group default `whichBrokerWhenConsumeSlowly`: the first slave. */
const SLOW_CONSUMER_BROKER_ID = 1;
/** PHYSICALOFFSET of a stored record (after TOTALSIZE, MAGICCODE, BODYCRC, QUEUEID, FLAG, QUEUEOFFSET). */
const RECORD_PHYSICAL_OFFSET_AT = 28;

/**
 * A slave's answer, given the store's (PullMessageProcessor on a SLAVE, apache/rocketmq HEAD, and
 * docs/design/protocol.md#pull). While its master is alive a slave that has nothing sends the consumer back
 * to the master (PULL_RETRY_IMMEDIATELY, suggest 0). Either way it never moves a consumer's offset
 * back or to its own end (offsetCheckInSlave=false): an offset past what the slave has may be data
 * the master holds and will send, so the consumer keeps it and waits (PULL_NOT_FOUND).
 */
export function slavePullOutcome(status: GetMessageStatus, requestOffset: number, r: Pick<GetMessageResult, 'nextBeginOffset'>, masterAlive: boolean): { code: number; nextBeginOffset: number } {
  const o = pullOutcome(status, requestOffset, r);
  if (status === 'OFFSET_OVERFLOW_BADLY' || status === 'NO_MESSAGE_IN_QUEUE' || status === 'NO_MATCHED_LOGIC_QUEUE') {
    o.code = ResponseCode.PULL_NOT_FOUND;
    o.nextBeginOffset = requestOffset;
  }
  if (masterAlive && o.code !== ResponseCode.SUCCESS) o.code = ResponseCode.PULL_RETRY_IMMEDIATELY;
  return o;
}

/**
 * The records as one reply body: a view when they already lie back to back in one buffer (the
 * store copies records read from memory that way), else a copy.
 */
export function joinRecords(records: readonly Buffer[], total: number): Buffer {
  const first = records[0]!;
  if (records.length === 1) return first;
  let end = first.byteOffset + first.length;
  for (let i = 1; i < records.length; i++) {
    const r = records[i]!;
    if (r.buffer !== first.buffer || r.byteOffset !== end) return Buffer.concat(records, total);
    end += r.length;
  }
  return Buffer.from(first.buffer, first.byteOffset, end - first.byteOffset);
}

export function registerPullHandler(table: HandlerTable, ctx: BrokerContext): void {
  const { config, topics, store, stats, pullHold, replication, clients, consumerOffsets, subscriptionGroups, log } = ctx;
  // the role can change while the broker runs (failover): read it per pull
  const slave = () => config.brokerRole === 'SLAVE';
  /** Data further behind the log's end than this is "not in memory any more" (DefaultMessageStore: accessMessageInMemoryMaxRatio of RAM). */
  const inMemoryBytes = Math.floor((os.totalmem() * config.accessMessageInMemoryMaxRatio) / 100);

  const answer = (req: RemotingCommand, code: number, remark: string, next: number, min: number, max: number, body?: Buffer, suggest = MASTER_ID): RemotingCommand =>
    createResponse(req, code, {
      remark,
      extFields: { suggestWhichBrokerId: String(suggest), nextBeginOffset: String(next), minOffset: String(min), maxOffset: String(max) },
      ...(body === undefined ? {} : { body }),
    });

  /**
   * Which broker the consumer should pull from next. A master with slaveReadEnable sends a
   * consumer reading far behind its end to the slave (when a slave has that data); a slave sends
   * it back to the master while the master is alive, and keeps it while the master is away.
   */
  const suggestion = (records: readonly Buffer[]): number => {
    if (slave()) return replication.masterAlive() ? MASTER_ID : config.brokerId;
    if (!config.slaveReadEnable || records.length === 0) return MASTER_ID;
    const last = records[records.length - 1] as Buffer;
    const phys = readInt64(last, RECORD_PHYSICAL_OFFSET_AT);
    return store.maxPhysOffset - phys > inMemoryBytes && replication.slaveHolds(phys) ? SLOW_CONSUMER_BROKER_ID : MASTER_ID;
  };

  /**
   * The filter of this pull: from the request (subscription flag), else what the group's
   * heartbeats declared (SUBSCRIPTION_NOT_EXIST / SUBSCRIPTION_NOT_LATEST when they declared none or an older one).
   */
  const filterOf = (h: PullMessageRequest, consumeBroadcastEnable: boolean): MessageFilter => {
    const parse = (type: string | undefined, expression: string | undefined): MessageFilter => {
      try {
        return messageFilterOf(type, expression, config.enablePropertyFilter);
      } catch (e) {
        if (e instanceof SubscriptionParseError) throw new PullRefusal(ResponseCode.SUBSCRIPTION_PARSE_FAILED, `parse the consumer's subscription failed: ${e.message}`);
        if (e instanceof SubscriptionNotSupportedError) throw new PullRefusal(ResponseCode.SYSTEM_ERROR, e.message);
        throw e;
      }
    };
    if ((h.sysFlag & PullSysFlag.SUBSCRIPTION) !== 0) return parse(h.expressionType, h.subscription);
    const info = clients.consumerGroup(h.consumerGroup);
    if (info === undefined) throw new PullRefusal(ResponseCode.SUBSCRIPTION_NOT_EXIST, `the consumer's group info not exist: group ${h.consumerGroup} has no consumer that sent a heartbeat to this broker`);
    if (!consumeBroadcastEnable && info.messageModel === 'BROADCASTING') throw new PullRefusal(ResponseCode.NO_PERMISSION, `the consumer group[${h.consumerGroup}] can not consume by broadcast way`);
    const sub = info.subscriptions.get(h.topic);
    if (sub === undefined) throw new PullRefusal(ResponseCode.SUBSCRIPTION_NOT_EXIST, `the consumer's subscription not exist: group ${h.consumerGroup} declared none for topic ${h.topic}`);
    if (sub.subVersion < h.subVersion) throw new PullRefusal(ResponseCode.SUBSCRIPTION_NOT_LATEST, `the consumer's subscription not latest: group ${h.consumerGroup}`);
    return sub.expressionType === 'TAG' ? { tagCodes: sub.tagCodes } : parse(sub.expressionType, sub.subString);
  };

  /** Keeps the records whose properties pass the filter's SQL92 part (the tags part was applied by the store). */
  const applyPropertyFilter = (r: GetMessageResult, filter: MessageFilter): GetMessageResult => {
    if (filter.sql === undefined || r.status !== 'FOUND') return r;
    const records = r.records.filter((rec) => propertiesMatch(filter, decodeRecord(rec).properties));
    if (records.length === r.records.length) return r;
    // nextBeginOffset stays past every record read: the ones dropped do not match, none that does is skipped
    return { ...r, status: records.length > 0 ? 'FOUND' : 'NO_MATCHED_MESSAGE', records, bufferTotalSize: records.reduce((n, x) => n + x.length, 0) };
  };

  /**
   * One pull: the checks, then the store read, then `respond`. Not an async function: a pull
   * suspended at its read keeps its whole frame alive; a continuation keeps only what it needs.
   */
  const pull = (req: RemotingCommand, conn: Connection, h: PullMessageRequest, allowSuspend: boolean): HandlerResult | Promise<HandlerResult> => {
    try {
      const isSlave = slave();
      const masterAlive = isSlave && replication.masterAlive();
      if (masterAlive && !config.slaveReadEnable) {
        // reads go to the master while it is alive; a slave serves them only when it is away
        return answer(req, ResponseCode.PULL_RETRY_IMMEDIATELY, 'slave read is disabled while the master is alive: pull from the master', h.queueOffset, store.getMinOffsetInQueue(h.topic, h.queueId), store.getMaxOffsetInQueue(h.topic, h.queueId));
      }
      if (!isReadable(config.brokerPermission)) throw new PullRefusal(ResponseCode.NO_PERMISSION, `the broker[${config.brokerIP1}] pulling message is forbidden`);
      const groupProblem = groupNameProblem(h.consumerGroup);
      if (groupProblem !== undefined) throw new PullRefusal(ResponseCode.INVALID_PARAMETER, groupProblem);
      const group = subscriptionGroups.find(h.consumerGroup);
      if (group === undefined) throw new PullRefusal(ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, `subscription group [${h.consumerGroup}] does not exist (autoCreateSubscriptionGroup is off: create it first)`);
      if (!group.consumeEnable) throw new PullRefusal(ResponseCode.NO_PERMISSION, `subscription group no permission, ${h.consumerGroup}`);
      const tc = topics.get(h.topic);
      if (tc === undefined) throw new PullRefusal(ResponseCode.TOPIC_NOT_EXIST, `topic[${h.topic}] not exist, apply first please!`);
      if (!isReadable(tc.perm)) throw new PullRefusal(ResponseCode.NO_PERMISSION, `the topic[${h.topic}] pulling message is forbidden`);
      if (h.queueId < 0 || h.queueId >= tc.readQueueNums) {
        throw new PullRefusal(ResponseCode.INVALID_PARAMETER, `queueId[${h.queueId}] is illegal, topic:[${h.topic}] topicConfig.readQueueNums:[${tc.readQueueNums}] consumer:[${conn.remoteAddress}]`);
      }
      const filter = filterOf(h, group.consumeBroadcastEnable);
      // an admin reset of this queue: the group's pull is sent to the new offset (RocketMQ 5 OFFSET_RESET)
      const reset = consumerOffsets.takeResetOffset(h.consumerGroup, h.topic, h.queueId);
      if (reset !== undefined) {
        return answer(req, ResponseCode.PULL_OFFSET_MOVED, 'OFFSET_RESET', reset, store.getMinOffsetInQueue(h.topic, h.queueId), store.getMaxOffsetInQueue(h.topic, h.queueId));
      }
      const maxMsgs = Math.max(1, Math.min(h.maxMsgNums, config.maxTransferCountOnMessageInMemory));
      const maxBytes = Math.min(h.maxMsgBytes !== undefined && h.maxMsgBytes > 0 ? h.maxMsgBytes : Number.MAX_SAFE_INTEGER, config.maxTransferBytesOnMessageInMemory);
      return store.getMessage(h.topic, h.queueId, h.queueOffset, maxMsgs, maxBytes, filter.tagCodes).then((found) => respond(req, conn, h, allowSuspend, filter, applyPropertyFilter(found, filter), isSlave, masterAlive));
    } catch (e) {
      if (e instanceof PullRefusal) {
        log.debug('pull refused', { group: h.consumerGroup, topic: h.topic, queueId: h.queueId, code: e.code, why: e.message, peer: conn.remoteAddress });
        return answer(req, e.code, e.message, h.queueOffset, 0, 0);
      }
      throw e;
    }
  };

  /** The answer to a pull given what the store found: the records, a hold until a message arrives (then the pull once more), or the status. */
  const respond = (req: RemotingCommand, conn: Connection, h: PullMessageRequest, allowSuspend: boolean, filter: MessageFilter, r: GetMessageResult, isSlave: boolean, masterAlive: boolean): HandlerResult | Promise<HandlerResult> => {
    const { code, nextBeginOffset } = isSlave ? slavePullOutcome(r.status, h.queueOffset, r, masterAlive) : pullOutcome(r.status, h.queueOffset, r);

    // piggy-backed commit of the consumer's offset, once per request (not again after a hold)
    if (allowSuspend && (h.sysFlag & PullSysFlag.COMMIT_OFFSET) !== 0 && config.brokerRole !== 'SLAVE') {
      consumerOffsets.commitOffset(h.consumerGroup, h.topic, h.queueId, h.commitOffset, conn.remoteAddress);
    }

    if (code === ResponseCode.PULL_NOT_FOUND && allowSuspend && (h.sysFlag & PullSysFlag.SUSPEND) !== 0) {
      const hold = config.longPollingEnable ? Math.min(Math.max(0, h.suspendTimeoutMillis), MAX_SUSPEND_MILLIS) : config.shortPollingTimeMills;
      return pullHold.hold(h.topic, h.queueId, h.queueOffset, filter.tagCodes, hold, conn).then((end) => (end === 'closed' ? null : pull(req, conn, h, false)));
    }
    stats.recordGet(r.records.length);
    if (r.records.length > 0) {
      stats.recordGroupGet(h.consumerGroup, h.topic, r.records.length, r.bufferTotalSize);
      consumerOffsets.recordPullOffset(h.consumerGroup, h.topic, h.queueId, nextBeginOffset);
    }
    const body = r.records.length === 0 ? undefined : joinRecords(r.records, r.bufferTotalSize);
    return answer(req, code, r.status, nextBeginOffset, r.minOffset, r.maxOffset, body, suggestion(r.records));
  };

  table.on(RequestCode.PULL_MESSAGE, (req, conn) => pull(req, conn, decodeHeader(PullMessageRequestHeader, req.extFields), true));
}
