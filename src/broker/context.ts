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
import type { ResolvedBrokerConfig } from './load-config.js';
import type { PullHoldService } from './pull-hold.js';
import type { BrokerStats } from './stats.js';
import type { MessageStore } from './store/index.js';
import type { TopicConfigManager } from './topic-config-manager.js';

export interface BrokerHooks {
  /** Called after a topic is deleted from this broker (offsets, subscriptions of it go too). */
  topicDeleted?: (topic: string) => void;
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
}
