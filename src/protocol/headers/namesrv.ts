/**
 * Header specs of the NameServer API (and the broker's calls to it). Field names, types and
 * @CFNotNull (required) come from apache/rocketmq HEAD (8fc57f1468)
 * remoting/src/main/java/org/apache/rocketmq/remoting/protocol/header/namesrv/*.java; the test
 * test/protocol/headers.test.ts checks them against the schema fixtures.
 */
import { defineHeader, optional, required, withDefault, type HeaderValues } from '../header-spec.js';

export const AddWritePermOfBrokerRequestHeader = defineHeader('AddWritePermOfBrokerRequestHeader', {
  brokerName: required.string,
});
export type AddWritePermOfBrokerRequest = HeaderValues<typeof AddWritePermOfBrokerRequestHeader>;

export const AddWritePermOfBrokerResponseHeader = defineHeader('AddWritePermOfBrokerResponseHeader', {
  addTopicCount: required.int,
});
export type AddWritePermOfBrokerResponse = HeaderValues<typeof AddWritePermOfBrokerResponseHeader>;

export const BrokerHeartbeatRequestHeader = defineHeader('BrokerHeartbeatRequestHeader', {
  clusterName: required.string,
  brokerAddr: required.string,
  brokerName: required.string,
  brokerId: optional.long,
  epoch: optional.int,
  maxOffset: optional.long,
  confirmOffset: optional.long,
  heartbeatTimeoutMills: optional.long,
  electionPriority: optional.int,
});
export type BrokerHeartbeatRequest = HeaderValues<typeof BrokerHeartbeatRequestHeader>;

export const DeleteKVConfigRequestHeader = defineHeader('DeleteKVConfigRequestHeader', {
  namespace: required.string,
  key: required.string,
});
export type DeleteKVConfigRequest = HeaderValues<typeof DeleteKVConfigRequestHeader>;

export const DeleteTopicFromNamesrvRequestHeader = defineHeader('DeleteTopicFromNamesrvRequestHeader', {
  topic: required.string,
  clusterName: optional.string,
});
export type DeleteTopicFromNamesrvRequest = HeaderValues<typeof DeleteTopicFromNamesrvRequestHeader>;

export const GetKVConfigRequestHeader = defineHeader('GetKVConfigRequestHeader', {
  namespace: required.string,
  key: required.string,
});
export type GetKVConfigRequest = HeaderValues<typeof GetKVConfigRequestHeader>;

export const GetKVConfigResponseHeader = defineHeader('GetKVConfigResponseHeader', {
  value: optional.string,
});
export type GetKVConfigResponse = HeaderValues<typeof GetKVConfigResponseHeader>;

export const GetKVListByNamespaceRequestHeader = defineHeader('GetKVListByNamespaceRequestHeader', {
  namespace: required.string,
});
export type GetKVListByNamespaceRequest = HeaderValues<typeof GetKVListByNamespaceRequestHeader>;

export const GetRouteInfoRequestHeader = defineHeader('GetRouteInfoRequestHeader', {
  topic: required.string,
  acceptStandardJsonOnly: optional.boolean,
});
export type GetRouteInfoRequest = HeaderValues<typeof GetRouteInfoRequestHeader>;

export const GetTopicsByClusterRequestHeader = defineHeader('GetTopicsByClusterRequestHeader', {
  cluster: required.string,
});
export type GetTopicsByClusterRequest = HeaderValues<typeof GetTopicsByClusterRequestHeader>;

export const PutKVConfigRequestHeader = defineHeader('PutKVConfigRequestHeader', {
  namespace: required.string,
  key: required.string,
  value: required.string,
});
export type PutKVConfigRequest = HeaderValues<typeof PutKVConfigRequestHeader>;

export const QueryDataVersionRequestHeader = defineHeader('QueryDataVersionRequestHeader', {
  brokerName: required.string,
  brokerAddr: required.string,
  clusterName: required.string,
  brokerId: required.long,
});
export type QueryDataVersionRequest = HeaderValues<typeof QueryDataVersionRequestHeader>;

export const QueryDataVersionResponseHeader = defineHeader('QueryDataVersionResponseHeader', {
  changed: required.boolean,
});
export type QueryDataVersionResponse = HeaderValues<typeof QueryDataVersionResponseHeader>;

export const RegisterBrokerRequestHeader = defineHeader('RegisterBrokerRequestHeader', {
  brokerName: required.string,
  brokerAddr: required.string,
  clusterName: required.string,
  haServerAddr: required.string,
  brokerId: required.long,
  heartbeatTimeoutMillis: optional.long,
  enableActingMaster: optional.boolean,
  compressed: withDefault('boolean', false),
  bodyCrc32: withDefault('int', 0),
});
export type RegisterBrokerRequest = HeaderValues<typeof RegisterBrokerRequestHeader>;

export const RegisterBrokerResponseHeader = defineHeader('RegisterBrokerResponseHeader', {
  haServerAddr: optional.string,
  masterAddr: optional.string,
});
export type RegisterBrokerResponse = HeaderValues<typeof RegisterBrokerResponseHeader>;

export const RegisterOrderTopicRequestHeader = defineHeader('RegisterOrderTopicRequestHeader', {
  topic: required.string,
  orderTopicString: required.string,
});
export type RegisterOrderTopicRequest = HeaderValues<typeof RegisterOrderTopicRequestHeader>;

export const RegisterTopicRequestHeader = defineHeader('RegisterTopicRequestHeader', {
  topic: required.string,
});
export type RegisterTopicRequest = HeaderValues<typeof RegisterTopicRequestHeader>;

export const UnRegisterBrokerRequestHeader = defineHeader('UnRegisterBrokerRequestHeader', {
  brokerName: required.string,
  brokerAddr: required.string,
  clusterName: required.string,
  brokerId: required.long,
});
export type UnRegisterBrokerRequest = HeaderValues<typeof UnRegisterBrokerRequestHeader>;

export const WipeWritePermOfBrokerRequestHeader = defineHeader('WipeWritePermOfBrokerRequestHeader', {
  brokerName: required.string,
});
export type WipeWritePermOfBrokerRequest = HeaderValues<typeof WipeWritePermOfBrokerRequestHeader>;

export const WipeWritePermOfBrokerResponseHeader = defineHeader('WipeWritePermOfBrokerResponseHeader', {
  wipeTopicCount: required.int,
});
export type WipeWritePermOfBrokerResponse = HeaderValues<typeof WipeWritePermOfBrokerResponseHeader>;

export const GetBrokerMemberGroupRequestHeader = defineHeader('GetBrokerMemberGroupRequestHeader', {
  clusterName: required.string,
  brokerName: required.string,
});
export type GetBrokerMemberGroupRequest = HeaderValues<typeof GetBrokerMemberGroupRequestHeader>;

/** Every spec of this file (the schema-fixture test walks them). */
export const NAMESRV_HEADERS = [
  AddWritePermOfBrokerRequestHeader,
  AddWritePermOfBrokerResponseHeader,
  BrokerHeartbeatRequestHeader,
  DeleteKVConfigRequestHeader,
  DeleteTopicFromNamesrvRequestHeader,
  GetKVConfigRequestHeader,
  GetKVConfigResponseHeader,
  GetKVListByNamespaceRequestHeader,
  GetRouteInfoRequestHeader,
  GetTopicsByClusterRequestHeader,
  PutKVConfigRequestHeader,
  QueryDataVersionRequestHeader,
  QueryDataVersionResponseHeader,
  RegisterBrokerRequestHeader,
  RegisterBrokerResponseHeader,
  RegisterOrderTopicRequestHeader,
  RegisterTopicRequestHeader,
  UnRegisterBrokerRequestHeader,
  WipeWritePermOfBrokerRequestHeader,
  WipeWritePermOfBrokerResponseHeader,
  GetBrokerMemberGroupRequestHeader,
] as const;
