/**
 * What the parts of a push consumer share: its options and clients, the subscriptions, the table
 * of queues it holds, its counters and whether it is running. The PushConsumer owns one and hands
 * it to the rebalancer, the pull loops and the consume service.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { SubscriptionData } from '../../protocol/heartbeat.js';
import type { MessageQueue } from '../../protocol/message-queue.js';
import type { RemotingClient } from '../../remoting/client.js';
import type { Logger } from '../../util/log.js';
import type { BrokerApi } from '../broker-api.js';
import type { GroupApi } from '../group-api.js';
import type { ConsumedMessage } from './consumed-message.js';
import type { OffsetStore } from './offset-store.js';
import type { ResolvedPushConsumerOptions } from './options.js';
import type { ProcessQueue } from './process-queue.js';
import type { TopicRoutes } from './routes.js';

export type ConsumeStatus = 'CONSUME_SUCCESS' | 'RECONSUME_LATER';

export interface ConsumeContext {
  readonly queue: MessageQueue;
  /** Concurrent mode: the delay level of the retry if this delivery fails (0: the broker's choice, 3 + reconsumeTimes). */
  delayLevelWhenNextConsume: number;
}

/** Resolve (or return anything but 'RECONSUME_LATER') when consumed; throw or return 'RECONSUME_LATER' to retry later. */
export type MessageHandler = (msg: ConsumedMessage, ctx: ConsumeContext) => unknown;

/** Counters since start (what `bench consume` and the tests read). */
export interface ConsumerStats {
  /** Handler calls that succeeded. */
  consumed: number;
  /** Handler calls that failed (threw or asked to retry). */
  failed: number;
  sentBack: number;
  republished: number;
  /** Failed messages kept and consumed again here (send-back impossible, or orderly mode). */
  retriedLocally: number;
  /** Orderly mode: messages given up after maxReconsumeTimes and sent to the DLQ. */
  deadLettered: number;
  /** Broadcasting: failed messages dropped. */
  dropped: number;
  pulls: number;
  pullErrors: number;
}

/** A queue this consumer holds. */
export interface QueueEntry {
  mq: MessageQueue;
  key: string;
  /** Replaced when the broker moves the queue's offset. */
  pq: ProcessQueue;
  /** Orderly mode: the message being consumed now. */
  busy?: Promise<void>;
}

export type ConsumerPhase = 'created' | 'running' | 'stopping' | 'stopped';

export interface ConsumerState {
  readonly o: ResolvedPushConsumerOptions;
  readonly log: Logger;
  readonly consumerGroup: string;
  readonly clientId: string;
  readonly stats: ConsumerStats;
  readonly remoting: RemotingClient;
  readonly brokers: BrokerApi;
  readonly groups: GroupApi;
  readonly routes: TopicRoutes;
  readonly offsets: OffsetStore;
  readonly subscriptions: Map<string, SubscriptionData>;
  /** The queues held, by messageQueueKey. */
  readonly table: Map<string, QueueEntry>;
  phase: ConsumerPhase;
}

export const isRunning = (s: ConsumerState): boolean => s.phase === 'running';
/** Orderly queues are locked at the broker only when the group shares them. */
export const locksQueues = (s: ConsumerState): boolean => s.o.orderly && s.o.messageModel === 'CLUSTERING';

/** A pause that does not keep the process alive (a consumer's retry back-off must not hold up exit). */
export const pause = (ms: number) => delay(ms, undefined, { ref: false });
