/**
 * What request handlers see of the broker: its configuration, store, topic table, counters, and
 * the hooks later parts (consumer groups, replication) plug into. Handlers are registered by
 * modules of `handlers/` against this context, so a new feature adds a module and a line in
 * broker.ts rather than editing the existing handlers.
 */
import type { HostAddress } from '../protocol/message/host.js';
import type { Logger } from '../util/log.js';
import type { ResolvedBrokerConfig } from './load-config.js';
import type { PullHoldService } from './pull-hold.js';
import type { BrokerStats } from './stats.js';
import type { SlaveSyncSource } from './ha/slave-sync.js';
import type { MessageStore, PutMessageResult } from './store/index.js';
import type { TopicConfigManager } from './topic-config-manager.js';

/** Subscriptions of a consumer group as its heartbeats declared them (consumer groups, issue #5). */
export interface SubscriptionLookup {
  /** Tag codes the group subscribes to on `topic` (null: all), its subVersion; undefined when unknown. */
  subscription(group: string, topic: string): { tagCodes: ReadonlySet<number> | null; subVersion: number } | undefined;
}

/** Consumer offsets (issue #5): the pull request's piggy-backed commit. */
export interface ConsumerOffsetSink {
  commitOffset(group: string, topic: string, queueId: number, offset: number, from: string): void;
}

export interface BrokerHooks {
  subscriptions?: SubscriptionLookup;
  consumerOffsets?: ConsumerOffsetSink;
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
  readonly hooks: BrokerHooks;
  readonly replication: ReplicationView;
}
