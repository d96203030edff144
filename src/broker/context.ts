/**
 * What request handlers see of the broker: its configuration, store, topic table, counters,
 * consumer groups (clients, offsets, subscription groups, delayed delivery), and the hooks later
 * parts (replication) plug into. Handlers are registered by
 * modules of `handlers/` against this context, so a new feature adds a module and a line in
 * broker.ts rather than editing the existing handlers.
 */
import type { HostAddress } from '../protocol/message/host.js';
import type { Logger } from '../util/log.js';
import type { ClientManager } from './client-manager.js';
import type { ConsumerOffsetManager } from './consumer-offsets.js';
import type { RebalanceLockManager } from './rebalance-locks.js';
import type { ScheduleMessageService } from './schedule.js';
import type { SubscriptionGroupManager } from './subscription-groups.js';
import type { ResolvedBrokerConfig } from './broker-properties.js';
import type { PullHoldService } from './pull-hold.js';
import type { PopEngine } from './pop/engine.js';
import type { BrokerStats } from './stats.js';
import type { SlaveSyncSource } from './ha/slave-sync.js';
import type { MessageStore, PutMessageResult } from './store/index.js';
import type { TopicConfigManager } from './topic-config-manager.js';
import type { TransactionService } from './transaction/service.js';

export interface BrokerHooks {
  /** Called after a topic is deleted from this broker (offsets, subscriptions of it go too). */
  topicDeleted?: (topic: string) => void;
  /**
   * What a slave copies from its master besides the topic table (consumer offsets 43, delay
   * offsets 45, subscription groups 201): each source is asked of the master periodically
   * (ha/slave-sync.ts). Read when the broker starts.
   */
  slaveSync?: SlaveSyncSource[];
}

/** Replication as the request handlers see it (ha/replication.ts). */
export interface ReplicationView {
  /**
   * A stored message's result once replication allows the answer: a SYNC_MASTER with
   * waitStoreMsgOK waits for its slaves (FLUSH_SLAVE_TIMEOUT / SLAVE_NOT_AVAILABLE when they do
   * not ack); everyone else answers at once.
   */
  afterPut(r: PutMessageResult, waitStoreMsgOK: boolean): Promise<PutMessageResult>;
  /** A slave: whether its master's HA stream is live now. A master: true. */
  masterAlive(): boolean;
  /** A master: whether a replicating slave already holds commit-log offset `physOffset` (a pull far behind may be sent there). */
  slaveHolds(physOffset: number): boolean;
}

export interface BrokerContext {
  readonly config: ResolvedBrokerConfig;
  readonly store: MessageStore;
  readonly topics: TopicConfigManager;
  readonly stats: BrokerStats;
  readonly pullHold: PullHoldService;
  readonly log: Logger;
  /** brokerIP1:listenPort, the address clients reach this broker at and the stored STOREHOST. */
  readonly brokerAddr: string;
  readonly storeHost: HostAddress;
  /** Consumer and producer connections, consumer groups' members and subscriptions. */
  readonly clients: ClientManager;
  readonly consumerOffsets: ConsumerOffsetManager;
  readonly subscriptionGroups: SubscriptionGroupManager;
  /** Delayed messages: the SCHEDULE_TOPIC_XXXX transform and delivery. */
  readonly schedule: ScheduleMessageService;
  readonly rebalanceLocks: RebalanceLockManager;
  readonly hooks: BrokerHooks;
  readonly replication: ReplicationView;
  /** POP consumption (v5 SimpleConsumer/PushConsumer, remoting POP codes): pop/types.ts PopService. */
  readonly pop: PopEngine;
  /** Transactional messages: half messages, their commit/rollback and checks (transaction/service.ts). */
  readonly transactions: TransactionService;
}
