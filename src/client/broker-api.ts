/**
 * Typed calls to one broker (by address): pull, queue offsets, message lookup, topic
 * administration and broker facts. A non-success answer throws RemoteResponseError, except where
 * a method documents codes it returns (pull's statuses). The consumer, the admin commands and the
 * tests build on it.
 */
import { decodeKVTable } from '../protocol/bodies.js';
import { RequestCode, ResponseCode, RmqExtensionCode } from '../remoting/codes.js';
import { decodeTransactionState, GetTransactionStateRequestHeader, type GetTransactionStateRequest, type TransactionState } from '../protocol/transaction-state.js';
import { decodeHeader, encodeHeader } from '../protocol/header-spec.js';
import {
  CreateTopicRequestHeader,
  DeleteTopicRequestHeader,
  GetEarliestMsgStoretimeRequestHeader,
  GetMaxOffsetRequestHeader,
  GetMinOffsetRequestHeader,
  GetTopicStatsInfoRequestHeader,
  PullMessageRequestHeader,
  PullMessageResponseHeader,
  PullSysFlag,
  QueryMessageRequestHeader,
  SearchOffsetRequestHeader,
  ViewMessageRequestHeader,
} from '../protocol/headers/broker.js';
import { decodeHaRuntimeInfo, type HaRuntimeInfo } from '../protocol/ha-runtime-info.js';
import { decodeRecords, type MessageRecord } from '../protocol/message/record.js';
import { decodeTopicConfigWrapper, type TopicConfigSerializeWrapper } from '../protocol/register-broker-body.js';
import type { TopicConfig } from '../protocol/topic-config.js';
import { decodeTopicStatsTable, type TopicStatsTable } from '../protocol/topic-stats.js';
import { createRequest, type ExtFields, type RemotingCommand } from '../remoting/command.js';
import { RemoteResponseError } from '../remoting/errors.js';
import type { RemotingClient } from '../remoting/client.js';

/** Pull outcome names of the Java client (`PullStatus`). */
export type PullStatus = 'FOUND' | 'NO_NEW_MSG' | 'NO_MATCHED_MSG' | 'OFFSET_ILLEGAL';

const PULL_STATUS: Record<number, PullStatus> = {
  [ResponseCode.SUCCESS]: 'FOUND',
  [ResponseCode.PULL_NOT_FOUND]: 'NO_NEW_MSG',
  [ResponseCode.PULL_RETRY_IMMEDIATELY]: 'NO_MATCHED_MSG',
  [ResponseCode.PULL_OFFSET_MOVED]: 'OFFSET_ILLEGAL',
};

export interface PullRequest {
  consumerGroup: string;
  topic: string;
  queueId: number;
  queueOffset: number;
  maxMsgNums?: number;
  /** Tag expression (`*`, `TagA || TagB`) or SQL92 text; sent with the subscription flag. */
  subscription?: string;
  /** 'TAG' (default) or 'SQL92'. */
  expressionType?: string;
  /** Let the broker hold the request up to this long when nothing is new (long polling); 0 = answer at once. */
  suspendTimeoutMillis?: number;
  /** Piggy-backed commit of the consumer's offset (sets the commit flag). */
  commitOffset?: number;
  maxMsgBytes?: number;
}

export interface PullResult {
  status: PullStatus;
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
  suggestWhichBrokerId: number;
  /** The store status the broker named (remark). */
  remark: string | undefined;
  /** Stored records laid end to end, as sent (FOUND only). */
  body: Buffer | undefined;
}

export interface QueryMessageRequest {
  topic: string;
  key: string;
  maxNum?: number;
  beginTimestamp?: number;
  endTimestamp?: number;
  /** The key is a UNIQ_KEY (client message id). */
  unique?: boolean;
}

export type CreateTopicRequest = Pick<TopicConfig, 'topicName' | 'readQueueNums' | 'writeQueueNums' | 'perm'> & Partial<Pick<TopicConfig, 'topicFilterType' | 'topicSysFlag' | 'order'>> & { attributes?: string };

export class BrokerApi {
  constructor(
    private readonly remoting: RemotingClient,
    private readonly timeoutMillis = 3_000,
  ) {}

  private async call(addr: string, code: number, extFields?: ExtFields, timeoutMillis = this.timeoutMillis, accept: readonly number[] = []): Promise<RemotingCommand> {
    return this.remoting.requestOk(addr, createRequest(code, extFields === undefined ? {} : { extFields }), timeoutMillis, accept);
  }

  /** PULL_MESSAGE. Codes 0/19/20/21 are results; others throw. A held pull gets suspend + 15 s to answer. */
  async pull(addr: string, r: PullRequest): Promise<PullResult> {
    const suspend = r.suspendTimeoutMillis ?? 0;
    const sysFlag = (r.commitOffset !== undefined ? PullSysFlag.COMMIT_OFFSET : 0) | (suspend > 0 ? PullSysFlag.SUSPEND : 0) | PullSysFlag.SUBSCRIPTION;
    const ext = encodeHeader(PullMessageRequestHeader, {
      consumerGroup: r.consumerGroup,
      topic: r.topic,
      queueId: r.queueId,
      queueOffset: r.queueOffset,
      maxMsgNums: r.maxMsgNums ?? 32,
      sysFlag,
      commitOffset: r.commitOffset ?? 0,
      suspendTimeoutMillis: suspend,
      subscription: r.subscription ?? '*',
      subVersion: Date.now(),
      expressionType: r.expressionType ?? 'TAG',
      maxMsgBytes: r.maxMsgBytes,
    });
    const res = await this.call(addr, RequestCode.PULL_MESSAGE, ext, suspend + this.timeoutMillis + 15_000, [ResponseCode.PULL_NOT_FOUND, ResponseCode.PULL_RETRY_IMMEDIATELY, ResponseCode.PULL_OFFSET_MOVED]);
    const h = decodeHeader(PullMessageResponseHeader, res.extFields);
    return {
      status: PULL_STATUS[res.code] as PullStatus,
      nextBeginOffset: h.nextBeginOffset,
      minOffset: h.minOffset,
      maxOffset: h.maxOffset,
      suggestWhichBrokerId: h.suggestWhichBrokerId,
      remark: res.remark,
      body: res.code === ResponseCode.SUCCESS ? res.body : undefined,
    };
  }

  async maxOffset(addr: string, topic: string, queueId: number): Promise<number> {
    const res = await this.call(addr, RequestCode.GET_MAX_OFFSET, encodeHeader(GetMaxOffsetRequestHeader, { topic, queueId }));
    return offsetOf(res);
  }

  async minOffset(addr: string, topic: string, queueId: number): Promise<number> {
    const res = await this.call(addr, RequestCode.GET_MIN_OFFSET, encodeHeader(GetMinOffsetRequestHeader, { topic, queueId }));
    return offsetOf(res);
  }

  async searchOffset(addr: string, topic: string, queueId: number, timestamp: number, boundaryType: 'lower' | 'upper' = 'lower'): Promise<number> {
    const res = await this.call(addr, RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, encodeHeader(SearchOffsetRequestHeader, { topic, queueId, timestamp, boundaryType }));
    return offsetOf(res);
  }

  async earliestMessageStoreTime(addr: string, topic: string, queueId: number): Promise<number> {
    const res = await this.call(addr, RequestCode.GET_EARLIEST_MSG_STORETIME, encodeHeader(GetEarliestMsgStoretimeRequestHeader, { topic, queueId }));
    return Number(res.extFields?.timestamp ?? -1);
  }

  /** VIEW_MESSAGE_BY_ID: the stored record at a commit-log offset (its bytes as stored). */
  async viewMessage(addr: string, commitLogOffset: number): Promise<Buffer> {
    const res = await this.call(addr, RequestCode.VIEW_MESSAGE_BY_ID, encodeHeader(ViewMessageRequestHeader, { offset: commitLogOffset }));
    return res.body ?? Buffer.alloc(0);
  }

  /** QUERY_MESSAGE by key (or UNIQ_KEY): the matching stored records; [] when the broker has none. */
  async queryMessage(addr: string, q: QueryMessageRequest): Promise<Buffer> {
    const ext = encodeHeader(QueryMessageRequestHeader, { topic: q.topic, key: q.key, maxNum: q.maxNum ?? 32, beginTimestamp: q.beginTimestamp ?? 0, endTimestamp: q.endTimestamp ?? Number.MAX_SAFE_INTEGER });
    if (q.unique) ext._UNIQUE_KEY_QUERY = 'true';
    const res = await this.call(addr, RequestCode.QUERY_MESSAGE, ext, this.timeoutMillis, [ResponseCode.QUERY_NOT_FOUND]);
    return res.code === ResponseCode.SUCCESS && res.body !== undefined ? res.body : Buffer.alloc(0);
  }

  async createTopic(addr: string, t: CreateTopicRequest): Promise<void> {
    await this.call(
      addr,
      RequestCode.UPDATE_AND_CREATE_TOPIC,
      encodeHeader(CreateTopicRequestHeader, {
        topic: t.topicName,
        defaultTopic: 'TBW102',
        readQueueNums: t.readQueueNums,
        writeQueueNums: t.writeQueueNums,
        perm: t.perm,
        topicFilterType: t.topicFilterType ?? 'SINGLE_TAG',
        topicSysFlag: t.topicSysFlag ?? 0,
        order: t.order ?? false,
        attributes: t.attributes,
      }),
    );
  }

  async deleteTopic(addr: string, topic: string): Promise<void> {
    await this.call(addr, RequestCode.DELETE_TOPIC_IN_BROKER, encodeHeader(DeleteTopicRequestHeader, { topic }));
  }

  async allTopicConfig(addr: string): Promise<TopicConfigSerializeWrapper> {
    const res = await this.call(addr, RequestCode.GET_ALL_TOPIC_CONFIG);
    return decodeTopicConfigWrapper(res.body);
  }

  /** GET_TOPIC_STATS_INFO; throws RemoteResponseError with TOPIC_NOT_EXIST when the broker lacks the topic. */
  async topicStats(addr: string, topic: string): Promise<TopicStatsTable> {
    const res = await this.call(addr, RequestCode.GET_TOPIC_STATS_INFO, encodeHeader(GetTopicStatsInfoRequestHeader, { topic }));
    return decodeTopicStatsTable(res.body);
  }

  /** GET_BROKER_HA_STATUS (907): the broker's replication state (Java HARuntimeInfo plus rmqd's fields). */
  async haStatus(addr: string): Promise<HaRuntimeInfo> {
    const res = await this.call(addr, RequestCode.GET_BROKER_HA_STATUS);
    return decodeHaRuntimeInfo(res.body);
  }

  async runtimeInfo(addr: string): Promise<Record<string, string>> {
    const res = await this.call(addr, RequestCode.GET_BROKER_RUNTIME_INFO);
    return decodeKVTable(res.body);
  }

  /** GET_TRANSACTION_STATE (rmqd): the broker's pending half messages (narrowed to a topic / producer group) and its transaction counters. */
  async transactionState(addr: string, filter: GetTransactionStateRequest = {}): Promise<TransactionState> {
    const res = await this.call(addr, RmqExtensionCode.GET_TRANSACTION_STATE, encodeHeader(GetTransactionStateRequestHeader, filter));
    return decodeTransactionState(res.body);
  }
}

function offsetOf(res: RemotingCommand): number {
  const v = Number(res.extFields?.offset);
  if (!Number.isSafeInteger(v)) throw new RemoteResponseError(res.code, `answer without a valid offset: ${JSON.stringify(res.extFields?.offset)}`, res.code, '?');
  return v;
}

/** Decodes a pull or query body into records (stopping at the first bytes that are not one, as clients do). */
export function recordsOf(body: Buffer | undefined): MessageRecord[] {
  return body === undefined || body.length === 0 ? [] : decodeRecords(body);
}
