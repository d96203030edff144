/**
 * Header specs of the broker API (send, pull, offsets, client management, admin, transactions).
 * Field names, types and @CFNotNull (required) come from apache/rocketmq HEAD (8fc57f1468)
 * remoting/src/main/java/org/apache/rocketmq/remoting/protocol/header/*.java; fields of the
 * `RpcRequestHeader` base class (ns, nsd, bname, oway, lo) are optional and left out. The test
 * test/protocol/headers.test.ts checks them against the schema fixtures.
 */
import { defineHeader, optional, required, withDefault, type HeaderValues } from '../header-spec.js';

export const CheckTransactionStateRequestHeader = defineHeader('CheckTransactionStateRequestHeader', {
  topic: optional.string,
  tranStateTableOffset: required.long,
  commitLogOffset: required.long,
  msgId: optional.string,
  transactionId: optional.string,
  offsetMsgId: optional.string,
});
export type CheckTransactionStateRequest = HeaderValues<typeof CheckTransactionStateRequestHeader>;

export const CheckTransactionStateResponseHeader = defineHeader('CheckTransactionStateResponseHeader', {
  producerGroup: required.string,
  tranStateTableOffset: required.long,
  commitLogOffset: required.long,
  commitOrRollback: required.int,
});
export type CheckTransactionStateResponse = HeaderValues<typeof CheckTransactionStateResponseHeader>;

export const CloneGroupOffsetRequestHeader = defineHeader('CloneGroupOffsetRequestHeader', {
  srcGroup: required.string,
  destGroup: required.string,
  topic: optional.string,
  offline: withDefault('boolean', false),
});
export type CloneGroupOffsetRequest = HeaderValues<typeof CloneGroupOffsetRequestHeader>;

export const ConsumeMessageDirectlyResultRequestHeader = defineHeader('ConsumeMessageDirectlyResultRequestHeader', {
  consumerGroup: required.string,
  clientId: optional.string,
  msgId: optional.string,
  brokerName: optional.string,
  topic: optional.string,
  topicSysFlag: optional.int,
  groupSysFlag: optional.int,
});
export type ConsumeMessageDirectlyResultRequest = HeaderValues<typeof ConsumeMessageDirectlyResultRequestHeader>;

export const ConsumerSendMsgBackRequestHeader = defineHeader('ConsumerSendMsgBackRequestHeader', {
  offset: required.long,
  group: required.string,
  delayLevel: required.int,
  originMsgId: optional.string,
  originTopic: optional.string,
  unitMode: withDefault('boolean', false),
  maxReconsumeTimes: optional.int,
});
export type ConsumerSendMsgBackRequest = HeaderValues<typeof ConsumerSendMsgBackRequestHeader>;

export const CreateTopicRequestHeader = defineHeader('CreateTopicRequestHeader', {
  topic: required.string,
  defaultTopic: required.string,
  readQueueNums: required.int,
  writeQueueNums: required.int,
  perm: required.int,
  topicFilterType: required.string,
  topicSysFlag: optional.int,
  order: required.boolean,
  attributes: optional.string,
  force: withDefault('boolean', false),
});
export type CreateTopicRequest = HeaderValues<typeof CreateTopicRequestHeader>;

export const DeleteSubscriptionGroupRequestHeader = defineHeader('DeleteSubscriptionGroupRequestHeader', {
  groupName: required.string,
  cleanOffset: withDefault('boolean', false),
  /** The 4.x name of cleanOffset (schema fixture); older clients send it. */
  removeOffset: withDefault('boolean', false),
});
export type DeleteSubscriptionGroupRequest = HeaderValues<typeof DeleteSubscriptionGroupRequestHeader>;

export const DeleteTopicRequestHeader = defineHeader('DeleteTopicRequestHeader', {
  topic: required.string,
});
export type DeleteTopicRequest = HeaderValues<typeof DeleteTopicRequestHeader>;

export const EndTransactionRequestHeader = defineHeader('EndTransactionRequestHeader', {
  topic: optional.string,
  producerGroup: required.string,
  tranStateTableOffset: required.long,
  commitLogOffset: required.long,
  commitOrRollback: required.int,
  fromTransactionCheck: withDefault('boolean', false),
  msgId: required.string,
  transactionId: optional.string,
});
export type EndTransactionRequest = HeaderValues<typeof EndTransactionRequestHeader>;

export const EndTransactionResponseHeader = defineHeader('EndTransactionResponseHeader', {});
export type EndTransactionResponse = HeaderValues<typeof EndTransactionResponseHeader>;

export const GetAllProducerInfoRequestHeader = defineHeader('GetAllProducerInfoRequestHeader', {});
export type GetAllProducerInfoRequest = HeaderValues<typeof GetAllProducerInfoRequestHeader>;

export const GetAllTopicConfigResponseHeader = defineHeader('GetAllTopicConfigResponseHeader', {});
export type GetAllTopicConfigResponse = HeaderValues<typeof GetAllTopicConfigResponseHeader>;

export const GetBrokerConfigResponseHeader = defineHeader('GetBrokerConfigResponseHeader', {
  version: required.string,
});
export type GetBrokerConfigResponse = HeaderValues<typeof GetBrokerConfigResponseHeader>;

export const GetConsumeStatsInBrokerHeader = defineHeader('GetConsumeStatsInBrokerHeader', {
  isOrder: required.boolean,
});
export type GetConsumeStatsInBrokerHeaderValues = HeaderValues<typeof GetConsumeStatsInBrokerHeader>;

export const GetConsumeStatsRequestHeader = defineHeader('GetConsumeStatsRequestHeader', {
  consumerGroup: required.string,
  topic: optional.string,
  topicList: optional.string,
});
export type GetConsumeStatsRequest = HeaderValues<typeof GetConsumeStatsRequestHeader>;

export const GetConsumerConnectionListRequestHeader = defineHeader('GetConsumerConnectionListRequestHeader', {
  consumerGroup: required.string,
});
export type GetConsumerConnectionListRequest = HeaderValues<typeof GetConsumerConnectionListRequestHeader>;

export const GetConsumerListByGroupRequestHeader = defineHeader('GetConsumerListByGroupRequestHeader', {
  consumerGroup: required.string,
});
export type GetConsumerListByGroupRequest = HeaderValues<typeof GetConsumerListByGroupRequestHeader>;

export const GetConsumerListByGroupResponseHeader = defineHeader('GetConsumerListByGroupResponseHeader', {});
export type GetConsumerListByGroupResponse = HeaderValues<typeof GetConsumerListByGroupResponseHeader>;

export const GetConsumerRunningInfoRequestHeader = defineHeader('GetConsumerRunningInfoRequestHeader', {
  consumerGroup: required.string,
  clientId: required.string,
  jstackEnable: withDefault('boolean', false),
});
export type GetConsumerRunningInfoRequest = HeaderValues<typeof GetConsumerRunningInfoRequestHeader>;

export const GetConsumerStatusRequestHeader = defineHeader('GetConsumerStatusRequestHeader', {
  topic: required.string,
  group: required.string,
  clientAddr: optional.string,
});
export type GetConsumerStatusRequest = HeaderValues<typeof GetConsumerStatusRequestHeader>;

export const GetEarliestMsgStoretimeRequestHeader = defineHeader('GetEarliestMsgStoretimeRequestHeader', {
  topic: required.string,
  queueId: required.int,
});
export type GetEarliestMsgStoretimeRequest = HeaderValues<typeof GetEarliestMsgStoretimeRequestHeader>;

export const GetEarliestMsgStoretimeResponseHeader = defineHeader('GetEarliestMsgStoretimeResponseHeader', {
  timestamp: required.long,
});
export type GetEarliestMsgStoretimeResponse = HeaderValues<typeof GetEarliestMsgStoretimeResponseHeader>;

export const GetMaxOffsetRequestHeader = defineHeader('GetMaxOffsetRequestHeader', {
  topic: required.string,
  queueId: required.int,
  committed: withDefault('boolean', true),
});
export type GetMaxOffsetRequest = HeaderValues<typeof GetMaxOffsetRequestHeader>;

export const GetMaxOffsetResponseHeader = defineHeader('GetMaxOffsetResponseHeader', {
  offset: required.long,
});
export type GetMaxOffsetResponse = HeaderValues<typeof GetMaxOffsetResponseHeader>;

export const GetMinOffsetRequestHeader = defineHeader('GetMinOffsetRequestHeader', {
  topic: required.string,
  queueId: required.int,
});
export type GetMinOffsetRequest = HeaderValues<typeof GetMinOffsetRequestHeader>;

export const GetMinOffsetResponseHeader = defineHeader('GetMinOffsetResponseHeader', {
  offset: required.long,
});
export type GetMinOffsetResponse = HeaderValues<typeof GetMinOffsetResponseHeader>;

export const GetProducerConnectionListRequestHeader = defineHeader('GetProducerConnectionListRequestHeader', {
  producerGroup: required.string,
});
export type GetProducerConnectionListRequest = HeaderValues<typeof GetProducerConnectionListRequestHeader>;

export const GetTopicStatsInfoRequestHeader = defineHeader('GetTopicStatsInfoRequestHeader', {
  topic: required.string,
});
export type GetTopicStatsInfoRequest = HeaderValues<typeof GetTopicStatsInfoRequestHeader>;

export const NotifyConsumerIdsChangedRequestHeader = defineHeader('NotifyConsumerIdsChangedRequestHeader', {
  consumerGroup: required.string,
});
export type NotifyConsumerIdsChangedRequest = HeaderValues<typeof NotifyConsumerIdsChangedRequestHeader>;

/** `PullMessageRequestHeader.sysFlag` bits (Java `PullSysFlag`). */
export const PullSysFlag = { COMMIT_OFFSET: 1, SUSPEND: 2, SUBSCRIPTION: 4, CLASS_FILTER: 8, LITE_PULL: 16 } as const;

export const PullMessageRequestHeader = defineHeader('PullMessageRequestHeader', {
  consumerGroup: required.string,
  topic: required.string,
  queueId: required.int,
  queueOffset: required.long,
  maxMsgNums: required.int,
  sysFlag: required.int,
  commitOffset: required.long,
  suspendTimeoutMillis: required.long,
  subscription: optional.string,
  subVersion: required.long,
  expressionType: optional.string,
  maxMsgBytes: optional.int,
  requestSource: optional.int,
  proxyFrowardClientId: optional.string,
});
export type PullMessageRequest = HeaderValues<typeof PullMessageRequestHeader>;

export const PullMessageResponseHeader = defineHeader('PullMessageResponseHeader', {
  suggestWhichBrokerId: required.long,
  nextBeginOffset: required.long,
  minOffset: required.long,
  maxOffset: required.long,
  offsetDelta: optional.long,
  topicSysFlag: optional.int,
  groupSysFlag: optional.int,
  forbiddenType: optional.int,
});
export type PullMessageResponse = HeaderValues<typeof PullMessageResponseHeader>;

export const QueryConsumeQueueRequestHeader = defineHeader('QueryConsumeQueueRequestHeader', {
  topic: optional.string,
  queueId: withDefault('int', 0),
  index: withDefault('long', 0),
  count: withDefault('int', 0),
  consumerGroup: optional.string,
});
export type QueryConsumeQueueRequest = HeaderValues<typeof QueryConsumeQueueRequestHeader>;

export const QueryConsumeTimeSpanRequestHeader = defineHeader('QueryConsumeTimeSpanRequestHeader', {
  topic: required.string,
  group: required.string,
});
export type QueryConsumeTimeSpanRequest = HeaderValues<typeof QueryConsumeTimeSpanRequestHeader>;

export const QueryConsumerOffsetRequestHeader = defineHeader('QueryConsumerOffsetRequestHeader', {
  consumerGroup: required.string,
  topic: required.string,
  queueId: required.int,
  setZeroIfNotFound: optional.boolean,
});
export type QueryConsumerOffsetRequest = HeaderValues<typeof QueryConsumerOffsetRequestHeader>;

export const QueryConsumerOffsetResponseHeader = defineHeader('QueryConsumerOffsetResponseHeader', {
  offset: required.long,
});
export type QueryConsumerOffsetResponse = HeaderValues<typeof QueryConsumerOffsetResponseHeader>;

export const QueryCorrectionOffsetHeader = defineHeader('QueryCorrectionOffsetHeader', {
  filterGroups: optional.string,
  compareGroup: required.string,
  topic: required.string,
});
export type QueryCorrectionOffsetHeaderValues = HeaderValues<typeof QueryCorrectionOffsetHeader>;

export const QueryMessageRequestHeader = defineHeader('QueryMessageRequestHeader', {
  topic: required.string,
  key: required.string,
  maxNum: required.int,
  beginTimestamp: required.long,
  endTimestamp: required.long,
});
export type QueryMessageRequest = HeaderValues<typeof QueryMessageRequestHeader>;

export const QueryMessageResponseHeader = defineHeader('QueryMessageResponseHeader', {
  indexLastUpdateTimestamp: required.long,
  indexLastUpdatePhyoffset: required.long,
});
export type QueryMessageResponse = HeaderValues<typeof QueryMessageResponseHeader>;

export const QueryTopicConsumeByWhoRequestHeader = defineHeader('QueryTopicConsumeByWhoRequestHeader', {
  topic: required.string,
});
export type QueryTopicConsumeByWhoRequest = HeaderValues<typeof QueryTopicConsumeByWhoRequestHeader>;

export const ReplyMessageRequestHeader = defineHeader('ReplyMessageRequestHeader', {
  producerGroup: required.string,
  topic: required.string,
  defaultTopic: required.string,
  defaultTopicQueueNums: required.int,
  queueId: required.int,
  sysFlag: required.int,
  bornTimestamp: required.long,
  flag: required.int,
  properties: optional.string,
  reconsumeTimes: optional.int,
  unitMode: withDefault('boolean', false),
  bornHost: required.string,
  storeHost: required.string,
  storeTimestamp: required.long,
});
export type ReplyMessageRequest = HeaderValues<typeof ReplyMessageRequestHeader>;

export const ResetOffsetRequestHeader = defineHeader('ResetOffsetRequestHeader', {
  group: required.string,
  topic: required.string,
  queueId: withDefault('int', -1),
  offset: optional.long,
  timestamp: required.long,
  isForce: required.boolean,
});
export type ResetOffsetRequest = HeaderValues<typeof ResetOffsetRequestHeader>;

export const ResumeCheckHalfMessageRequestHeader = defineHeader('ResumeCheckHalfMessageRequestHeader', {
  topic: optional.string,
  msgId: optional.string,
});
export type ResumeCheckHalfMessageRequest = HeaderValues<typeof ResumeCheckHalfMessageRequestHeader>;

export const SearchOffsetRequestHeader = defineHeader('SearchOffsetRequestHeader', {
  topic: required.string,
  queueId: required.int,
  timestamp: required.long,
  boundaryType: optional.string,
});
export type SearchOffsetRequest = HeaderValues<typeof SearchOffsetRequestHeader>;

export const SearchOffsetResponseHeader = defineHeader('SearchOffsetResponseHeader', {
  offset: required.long,
});
export type SearchOffsetResponse = HeaderValues<typeof SearchOffsetResponseHeader>;

export const SendMessageRequestHeader = defineHeader('SendMessageRequestHeader', {
  producerGroup: required.string,
  topic: required.string,
  defaultTopic: required.string,
  defaultTopicQueueNums: required.int,
  queueId: required.int,
  sysFlag: required.int,
  bornTimestamp: required.long,
  flag: required.int,
  properties: optional.string,
  reconsumeTimes: optional.int,
  unitMode: optional.boolean,
  batch: optional.boolean,
  maxReconsumeTimes: optional.int,
});
export type SendMessageRequest = HeaderValues<typeof SendMessageRequestHeader>;

export const SendMessageRequestHeaderV2 = defineHeader('SendMessageRequestHeaderV2', {
  a: required.string,
  b: required.string,
  c: required.string,
  d: required.int,
  e: required.int,
  f: required.int,
  g: required.long,
  h: required.int,
  i: optional.string,
  j: optional.int,
  k: optional.boolean,
  l: optional.int,
  m: optional.boolean,
  n: optional.string,
});
export type SendMessageRequestV2 = HeaderValues<typeof SendMessageRequestHeaderV2>;

export const SendMessageResponseHeader = defineHeader('SendMessageResponseHeader', {
  msgId: required.string,
  queueId: required.int,
  queueOffset: required.long,
  transactionId: optional.string,
  batchUniqId: optional.string,
  recallHandle: optional.string,
});
export type SendMessageResponse = HeaderValues<typeof SendMessageResponseHeader>;

export const UnregisterClientRequestHeader = defineHeader('UnregisterClientRequestHeader', {
  clientID: required.string,
  producerGroup: optional.string,
  consumerGroup: optional.string,
});
export type UnregisterClientRequest = HeaderValues<typeof UnregisterClientRequestHeader>;

export const UnregisterClientResponseHeader = defineHeader('UnregisterClientResponseHeader', {});
export type UnregisterClientResponse = HeaderValues<typeof UnregisterClientResponseHeader>;

export const UpdateConsumerOffsetRequestHeader = defineHeader('UpdateConsumerOffsetRequestHeader', {
  consumerGroup: required.string,
  topic: required.string,
  queueId: required.int,
  commitOffset: required.long,
});
export type UpdateConsumerOffsetRequest = HeaderValues<typeof UpdateConsumerOffsetRequestHeader>;

export const UpdateConsumerOffsetResponseHeader = defineHeader('UpdateConsumerOffsetResponseHeader', {});
export type UpdateConsumerOffsetResponse = HeaderValues<typeof UpdateConsumerOffsetResponseHeader>;

export const ViewBrokerStatsDataRequestHeader = defineHeader('ViewBrokerStatsDataRequestHeader', {
  statsName: required.string,
  statsKey: required.string,
});
export type ViewBrokerStatsDataRequest = HeaderValues<typeof ViewBrokerStatsDataRequestHeader>;

export const ViewMessageRequestHeader = defineHeader('ViewMessageRequestHeader', {
  topic: optional.string,
  offset: required.long,
});
export type ViewMessageRequest = HeaderValues<typeof ViewMessageRequestHeader>;

export const ViewMessageResponseHeader = defineHeader('ViewMessageResponseHeader', {});
export type ViewMessageResponse = HeaderValues<typeof ViewMessageResponseHeader>;

/** Every spec of this file (the schema-fixture test walks them). */
export const BROKER_HEADERS = [
  CheckTransactionStateRequestHeader,
  CheckTransactionStateResponseHeader,
  CloneGroupOffsetRequestHeader,
  ConsumeMessageDirectlyResultRequestHeader,
  ConsumerSendMsgBackRequestHeader,
  CreateTopicRequestHeader,
  DeleteSubscriptionGroupRequestHeader,
  DeleteTopicRequestHeader,
  EndTransactionRequestHeader,
  EndTransactionResponseHeader,
  GetAllProducerInfoRequestHeader,
  GetAllTopicConfigResponseHeader,
  GetBrokerConfigResponseHeader,
  GetConsumeStatsInBrokerHeader,
  GetConsumeStatsRequestHeader,
  GetConsumerConnectionListRequestHeader,
  GetConsumerListByGroupRequestHeader,
  GetConsumerListByGroupResponseHeader,
  GetConsumerRunningInfoRequestHeader,
  GetConsumerStatusRequestHeader,
  GetEarliestMsgStoretimeRequestHeader,
  GetEarliestMsgStoretimeResponseHeader,
  GetMaxOffsetRequestHeader,
  GetMaxOffsetResponseHeader,
  GetMinOffsetRequestHeader,
  GetMinOffsetResponseHeader,
  GetProducerConnectionListRequestHeader,
  GetTopicStatsInfoRequestHeader,
  NotifyConsumerIdsChangedRequestHeader,
  PullMessageRequestHeader,
  PullMessageResponseHeader,
  QueryConsumeQueueRequestHeader,
  QueryConsumeTimeSpanRequestHeader,
  QueryConsumerOffsetRequestHeader,
  QueryConsumerOffsetResponseHeader,
  QueryCorrectionOffsetHeader,
  QueryMessageRequestHeader,
  QueryMessageResponseHeader,
  QueryTopicConsumeByWhoRequestHeader,
  ReplyMessageRequestHeader,
  ResetOffsetRequestHeader,
  ResumeCheckHalfMessageRequestHeader,
  SearchOffsetRequestHeader,
  SearchOffsetResponseHeader,
  SendMessageRequestHeader,
  SendMessageRequestHeaderV2,
  SendMessageResponseHeader,
  UnregisterClientRequestHeader,
  UnregisterClientResponseHeader,
  UpdateConsumerOffsetRequestHeader,
  UpdateConsumerOffsetResponseHeader,
  ViewBrokerStatsDataRequestHeader,
  ViewMessageRequestHeader,
  ViewMessageResponseHeader,
] as const;
