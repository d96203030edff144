/**
 * Header specs of rmqd's own failover requests (RmqExtensionCode): a planned switchover (`rmqctl
 * failover`) fences a master, moves the master role to a slave and the former master under it.
 * Not RocketMQ's: its controller mode has no such broker API (the controller drives brokers
 * through NOTIFY_BROKER_ROLE_CHANGED with another meaning).
 */
import { defineHeader, optional, required, type HeaderValues } from '../header-spec.js';

/** BROKER_FENCE: stop (or resume) taking puts; the answer carries the log's end once every put appended is written. */
export const BrokerFenceRequestHeader = defineHeader('BrokerFenceRequestHeader', {
  /** true: refuse puts from now; false: take them again. */
  fence: required.boolean,
  /** Shown in every refused put's remark and in runtime info. */
  reason: optional.string,
});
export type BrokerFenceRequest = HeaderValues<typeof BrokerFenceRequestHeader>;

export const BrokerFenceResponseHeader = defineHeader('BrokerFenceResponseHeader', {
  /** The commit log's end (everything below it is written). */
  maxOffset: required.long,
  /** The epoch the log is at. */
  epoch: required.long,
});
export type BrokerFenceResponse = HeaderValues<typeof BrokerFenceResponseHeader>;

/** BROKER_CHANGE_ROLE: become master of a new epoch, or slave of another master — no restart, state kept. */
export const BrokerChangeRoleRequestHeader = defineHeader('BrokerChangeRoleRequestHeader', {
  /** SYNC_MASTER, ASYNC_MASTER or SLAVE. */
  brokerRole: required.string,
  /** 0 for a master; the slave's id otherwise. */
  brokerId: required.long,
  /** A master: the epoch it begins (newer than every epoch of the group). */
  epoch: optional.long,
  /** A master: haAllowedAddresses from now on (empty: anyone). */
  haAllowedAddresses: optional.string,
  /** A slave: its master's remoting and HA addresses. */
  masterAddr: optional.string,
  haMasterAddress: optional.string,
  /** A master: how the epoch history names it (the topology's node id; default the node's nodeName, else its address). */
  nodeName: optional.string,
  /** A master: the log must end exactly here (the offset the switchover waited for), else the change is refused. */
  expectMaxOffset: optional.long,
});
export type BrokerChangeRoleRequest = HeaderValues<typeof BrokerChangeRoleRequestHeader>;

export const BrokerChangeRoleResponseHeader = defineHeader('BrokerChangeRoleResponseHeader', {
  maxOffset: required.long,
  epoch: required.long,
});
export type BrokerChangeRoleResponse = HeaderValues<typeof BrokerChangeRoleResponseHeader>;

/** FAILOVER_PROMISE: a master that cannot reach etcd asks each member not to stand for one lease (failover: auto). */
export const FailoverPromiseRequestHeader = defineHeader('FailoverPromiseRequestHeader', {
  /** The master's node name and epoch. */
  node: required.string,
  epoch: required.long,
});
export type FailoverPromiseRequest = HeaderValues<typeof FailoverPromiseRequestHeader>;
