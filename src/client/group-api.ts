/**
 * Typed consumer-group calls to one broker (by address): heartbeats and client registration,
 * consumer offsets, sending a failed message back, queue locks, and group administration (stats,
 * connections, subscription groups, offset resets). A non-success answer throws
 * RemoteResponseError unless a method says what it returns instead. The consumers, the `group`
 * commands and the tests build on it (BrokerApi has the message and topic calls).
 */
import { RequestCode, ResponseCode } from '../remoting/codes.js';
import {
  decodeConsumeStats,
  decodeConsumerConnection,
  decodeConsumerIdList,
  decodeGroupList,
  decodeLockBatchResponse,
  decodeResetOffsetBody,
  encodeLockBatchRequest,
  type ConsumeStats,
  type ConsumerConnection,
  type QueueOffset,
} from '../protocol/consumer-bodies.js';
import { decodeConsumerRunningInfo, type ConsumerRunningInfo } from '../protocol/consumer-running-info.js';
import { decodeConsumerOffsetTable, decodeDelayOffsetTable, decodeSubscriptionGroupWrapper, encodeSubscriptionGroupConfig, type SubscriptionGroupConfig, type SubscriptionGroupWrapper } from '../protocol/group-config.js';
import { encodeHeader } from '../protocol/header-spec.js';
import {
  ConsumerSendMsgBackRequestHeader,
  DeleteSubscriptionGroupRequestHeader,
  GetConsumeStatsRequestHeader,
  GetConsumerConnectionListRequestHeader,
  GetConsumerListByGroupRequestHeader,
  GetConsumerRunningInfoRequestHeader,
  QueryConsumerOffsetRequestHeader,
  QueryTopicConsumeByWhoRequestHeader,
  ResetOffsetRequestHeader,
  UnregisterClientRequestHeader,
  UpdateConsumerOffsetRequestHeader,
} from '../protocol/headers/broker.js';
import { encodeCheckClientRequestBody, encodeHeartbeatData, type HeartbeatData, type SubscriptionData } from '../protocol/heartbeat.js';
import type { MessageQueue } from '../protocol/message-queue.js';
import { createRequest, type ExtFields, type RemotingCommand } from '../remoting/command.js';
import type { RemotingClient } from '../remoting/client.js';

export interface SendBackRequest {
  /** Commit-log offset of the message that failed. */
  commitLogOffset: number;
  group: string;
  /** 0: the broker picks (3 + reconsumeTimes); < 0: straight to the dead-letter queue. */
  delayLevel: number;
  originMsgId?: string;
  originTopic?: string;
  maxReconsumeTimes?: number;
}

export interface ResetOffsetRequest {
  group: string;
  topic: string;
  /** Store time (ms) to go back (or forward) to; -1: the end of each queue. */
  timestamp: number;
  /** Also move queues forward (default: only back). */
  force?: boolean;
  /** One queue only (with `offset`: to exactly that offset). */
  queueId?: number;
  offset?: number;
}

export class GroupApi {
  constructor(
    private readonly remoting: RemotingClient,
    private readonly timeoutMillis = 3_000,
  ) {}

  private call(addr: string, code: number, init: { extFields?: ExtFields; body?: Buffer } = {}, accept: readonly number[] = []): Promise<RemotingCommand> {
    return this.remoting.requestOk(addr, createRequest(code, init), this.timeoutMillis, accept);
  }

  async heartbeat(addr: string, data: HeartbeatData): Promise<{ subChanged: boolean }> {
    const res = await this.call(addr, RequestCode.HEART_BEAT, { body: encodeHeartbeatData(data) });
    return { subChanged: res.extFields?.IS_SUB_CHANGE === 'true' };
  }

  /** CHECK_CLIENT_CONFIG: throws (the broker's remark says why) when the broker cannot filter by the subscription. */
  async checkClientConfig(addr: string, group: string, clientId: string, subscriptionData: SubscriptionData): Promise<void> {
    await this.call(addr, RequestCode.CHECK_CLIENT_CONFIG, { body: encodeCheckClientRequestBody({ clientId, group, subscriptionData }) });
  }

  async unregisterClient(addr: string, clientID: string, groups: { producerGroup?: string; consumerGroup?: string }): Promise<void> {
    await this.call(addr, RequestCode.UNREGISTER_CLIENT, { extFields: encodeHeader(UnregisterClientRequestHeader, { clientID, ...groups }) });
  }

  /** Client ids of the group's consumers connected to this broker; [] when none (the broker answers an error then). */
  async consumerIds(addr: string, consumerGroup: string): Promise<string[]> {
    const res = await this.call(addr, RequestCode.GET_CONSUMER_LIST_BY_GROUP, { extFields: encodeHeader(GetConsumerListByGroupRequestHeader, { consumerGroup }) }, [ResponseCode.SYSTEM_ERROR]);
    // each member once: a broker may list a member once per connection it still holds for it, and
    // allocating over a duplicate leaves the duplicate's share of the queues unread
    return res.code === ResponseCode.SUCCESS ? [...new Set(decodeConsumerIdList(res.body))] : [];
  }

  /**
   * A connected consumer's running info (its subscriptions and the queues it holds), asked through
   * the broker it is connected to, which forwards the request on the consumer's connection.
   * Throws RemoteResponseError when the client is not online, does not answer in time
   * (CONSUME_MSG_TIMEOUT) or answers an error; RemotingTimeoutError after `timeoutMillis`.
   */
  async consumerRunningInfo(addr: string, consumerGroup: string, clientId: string, timeoutMillis = this.timeoutMillis): Promise<ConsumerRunningInfo> {
    const req = createRequest(RequestCode.GET_CONSUMER_RUNNING_INFO, { extFields: encodeHeader(GetConsumerRunningInfoRequestHeader, { consumerGroup, clientId, jstackEnable: false }) });
    const res = await this.remoting.requestOk(addr, req, timeoutMillis);
    return decodeConsumerRunningInfo(res.body);
  }

  /** The group's committed offset of a queue, or undefined when it has none (asked with setZeroIfNotFound=false). */
  async queryConsumerOffset(addr: string, consumerGroup: string, topic: string, queueId: number): Promise<number | undefined> {
    const res = await this.call(addr, RequestCode.QUERY_CONSUMER_OFFSET, { extFields: encodeHeader(QueryConsumerOffsetRequestHeader, { consumerGroup, topic, queueId, setZeroIfNotFound: false }) }, [ResponseCode.QUERY_NOT_FOUND]);
    if (res.code === ResponseCode.QUERY_NOT_FOUND) return undefined;
    return Number(res.extFields?.offset);
  }

  async updateConsumerOffset(addr: string, consumerGroup: string, topic: string, queueId: number, commitOffset: number): Promise<void> {
    await this.call(addr, RequestCode.UPDATE_CONSUMER_OFFSET, { extFields: encodeHeader(UpdateConsumerOffsetRequestHeader, { consumerGroup, topic, queueId, commitOffset }) });
  }

  async sendBack(addr: string, r: SendBackRequest): Promise<void> {
    await this.call(addr, RequestCode.CONSUMER_SEND_MSG_BACK, {
      extFields: encodeHeader(ConsumerSendMsgBackRequestHeader, {
        offset: r.commitLogOffset,
        group: r.group,
        delayLevel: r.delayLevel,
        originMsgId: r.originMsgId,
        originTopic: r.originTopic,
        unitMode: false,
        maxReconsumeTimes: r.maxReconsumeTimes,
      }),
    });
  }

  /** LOCK_BATCH_MQ: the queues this client now holds the broker's lock of. */
  async lockQueues(addr: string, consumerGroup: string, clientId: string, queues: readonly MessageQueue[]): Promise<MessageQueue[]> {
    const res = await this.call(addr, RequestCode.LOCK_BATCH_MQ, { body: encodeLockBatchRequest({ consumerGroup, clientId, mqSet: [...queues] }) });
    return decodeLockBatchResponse(res.body);
  }

  async unlockQueues(addr: string, consumerGroup: string, clientId: string, queues: readonly MessageQueue[]): Promise<void> {
    await this.call(addr, RequestCode.UNLOCK_BATCH_MQ, { body: encodeLockBatchRequest({ consumerGroup, clientId, mqSet: [...queues] }) });
  }

  /** GET_CONSUME_STATS: one topic, or every topic the group has offsets for. */
  async consumeStats(addr: string, consumerGroup: string, topic?: string): Promise<ConsumeStats> {
    const res = await this.call(addr, RequestCode.GET_CONSUME_STATS, { extFields: encodeHeader(GetConsumeStatsRequestHeader, { consumerGroup, topic }) });
    return decodeConsumeStats(res.body);
  }

  /** GET_CONSUMER_CONNECTION_LIST; undefined when no consumer of the group is connected to this broker. */
  async consumerConnections(addr: string, consumerGroup: string): Promise<ConsumerConnection | undefined> {
    const res = await this.call(addr, RequestCode.GET_CONSUMER_CONNECTION_LIST, { extFields: encodeHeader(GetConsumerConnectionListRequestHeader, { consumerGroup }) }, [ResponseCode.CONSUMER_NOT_ONLINE]);
    return res.code === ResponseCode.CONSUMER_NOT_ONLINE ? undefined : decodeConsumerConnection(res.body);
  }

  async createSubscriptionGroup(addr: string, config: SubscriptionGroupConfig): Promise<void> {
    await this.call(addr, RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, { body: encodeSubscriptionGroupConfig(config) });
  }

  async subscriptionGroups(addr: string): Promise<SubscriptionGroupWrapper> {
    const res = await this.call(addr, RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG);
    return decodeSubscriptionGroupWrapper(res.body);
  }

  async deleteSubscriptionGroup(addr: string, groupName: string, cleanOffset = false): Promise<void> {
    await this.call(addr, RequestCode.DELETE_SUBSCRIPTIONGROUP, { extFields: encodeHeader(DeleteSubscriptionGroupRequestHeader, { groupName, cleanOffset, removeOffset: cleanOffset }) });
  }

  /** INVOKE_BROKER_TO_RESET_OFFSET: the queues' new offsets. */
  async resetOffset(addr: string, r: ResetOffsetRequest): Promise<QueueOffset[]> {
    const res = await this.call(addr, RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, {
      extFields: encodeHeader(ResetOffsetRequestHeader, { group: r.group, topic: r.topic, timestamp: r.timestamp, isForce: r.force ?? false, queueId: r.queueId ?? -1, offset: r.offset }),
    });
    return decodeResetOffsetBody(res.body);
  }

  /** QUERY_TOPIC_CONSUME_BY_WHO: groups that consume the topic (online, or with offsets for it). */
  async topicConsumers(addr: string, topic: string): Promise<string[]> {
    const res = await this.call(addr, RequestCode.QUERY_TOPIC_CONSUME_BY_WHO, { extFields: encodeHeader(QueryTopicConsumeByWhoRequestHeader, { topic }) });
    return decodeGroupList(res.body);
  }

  async allConsumerOffsets(addr: string): Promise<ReturnType<typeof decodeConsumerOffsetTable>> {
    return decodeConsumerOffsetTable((await this.call(addr, RequestCode.GET_ALL_CONSUMER_OFFSET)).body);
  }

  async allDelayOffsets(addr: string): Promise<ReturnType<typeof decodeDelayOffsetTable>> {
    return decodeDelayOffsetTable((await this.call(addr, RequestCode.GET_ALL_DELAY_OFFSET)).body);
  }
}
