/**
 * The push consumer's settings: names and defaults of Java's DefaultMQPushConsumer / ClientConfig
 * unless noted, checked once at construction (a bad value is an InvalidInputError naming it).
 */
import { InvalidInputError } from '../../errors.js';
import type { ConsumeFromWhere, MessageModel } from '../../protocol/heartbeat.js';
import { groupNameProblem } from '../../protocol/topic-names.js';
import type { Logger } from '../../util/log.js';
import { allocateAveragely, type AllocateStrategy } from './allocate.js';
import type { ClientConnectOptions } from '../../remoting/client.js';

/** `credentials` and `tls` as for every client class; a push consumer always owns its connections (brokers call back on them). */
export interface PushConsumerOptions extends Omit<ClientConnectOptions, 'remoting'> {
  namesrvAddrs: readonly string[];
  consumerGroup: string;
  /** CLUSTERING (default): the group shares the queues; BROADCASTING: every consumer gets every message. */
  messageModel?: MessageModel;
  /** Where a group without a stored offset starts (default CONSUME_FROM_LAST_OFFSET). */
  consumeFromWhere?: Extract<ConsumeFromWhere, 'CONSUME_FROM_LAST_OFFSET' | 'CONSUME_FROM_FIRST_OFFSET' | 'CONSUME_FROM_TIMESTAMP'>;
  /** CONSUME_FROM_TIMESTAMP: store time (ms) to start from (default: half an hour ago). */
  consumeTimestamp?: number;
  /** Consume each queue's messages one at a time, in order (locks the queue at the broker in CLUSTERING). */
  orderly?: boolean;
  /** Messages consumed at the same time, all queues together (Java consumeThreadMax; default 20). */
  consumeConcurrency?: number;
  /** Messages per pull (default 32). */
  pullBatchSize?: number;
  /** Flow control: stop pulling a queue holding this many unconsumed messages (default 1000)… */
  pullThresholdForQueue?: number;
  /** …or this many bytes of bodies (default 100 MiB)… */
  pullThresholdSizeForQueue?: number;
  /** …or whose unconsumed messages span this many offsets (concurrent mode; default 2000). */
  consumeConcurrentlyMaxSpan?: number;
  /** How long the broker may hold a pull that finds nothing (long polling; default 15 s). */
  brokerSuspendMaxTimeMillis?: number;
  /** Wait after a failed pull before the next (default 1000 ms; Java 3000). */
  pullTimeDelayMillisWhenException?: number;
  /** Rebalance period (default 20 s); a NOTIFY_CONSUMER_IDS_CHANGED from a broker rebalances at once. */
  rebalanceIntervalMillis?: number;
  /** Heartbeat period to every broker (default 30 s). */
  heartbeatBrokerIntervalMillis?: number;
  /** Offset commit period (default 5 s); offsets are also committed on rebalance and shutdown. */
  persistConsumerOffsetIntervalMillis?: number;
  /** Route refresh period (default 30 s). */
  pollNameServerIntervalMillis?: number;
  /** Deliveries after which a failed message goes to the dead-letter queue (default 16). */
  maxReconsumeTimes?: number;
  /** Orderly mode: pause before consuming a failed message again (default 1000 ms). */
  suspendCurrentQueueTimeMillis?: number;
  /** A message whose send-back failed is consumed again after this long (default 5000 ms). */
  retryLocallyAfterMillis?: number;
  /** Shutdown waits this long for handlers still running (default 15 s). */
  shutdownTimeoutMillis?: number;
  /** BROADCASTING: directory for this host's offsets of the group (default: memory only). */
  localOffsetStoreDir?: string;
  /** Part of the client id `ip@instanceName` (default `pid#hrtime`, unique per consumer). */
  instanceName?: string;
  clientIP?: string;
  allocateStrategy?: AllocateStrategy;
  /** Per request (default 3000 ms). */
  timeoutMillis?: number;
  logger?: Logger;
}

type OptionalKeys = 'localOffsetStoreDir' | 'logger' | 'instanceName' | 'clientIP' | 'credentials' | 'tls' | 'serializeType';
export type ResolvedPushConsumerOptions = Required<Omit<PushConsumerOptions, OptionalKeys>> & Pick<PushConsumerOptions, OptionalKeys>;

export function resolvePushConsumerOptions(o: PushConsumerOptions): ResolvedPushConsumerOptions {
  const problems: string[] = [];
  if (o.namesrvAddrs.length === 0) problems.push('namesrvAddrs: at least one NameServer address is needed');
  const groupProblem = groupNameProblem(o.consumerGroup);
  if (groupProblem !== undefined) problems.push(`consumerGroup: ${groupProblem}`);
  const r: ResolvedPushConsumerOptions = {
    namesrvAddrs: o.namesrvAddrs,
    consumerGroup: o.consumerGroup,
    messageModel: o.messageModel ?? 'CLUSTERING',
    consumeFromWhere: o.consumeFromWhere ?? 'CONSUME_FROM_LAST_OFFSET',
    consumeTimestamp: o.consumeTimestamp ?? Date.now() - 30 * 60_000,
    orderly: o.orderly ?? false,
    consumeConcurrency: o.consumeConcurrency ?? 20,
    pullBatchSize: o.pullBatchSize ?? 32,
    pullThresholdForQueue: o.pullThresholdForQueue ?? 1000,
    pullThresholdSizeForQueue: o.pullThresholdSizeForQueue ?? 100 * 1024 * 1024,
    consumeConcurrentlyMaxSpan: o.consumeConcurrentlyMaxSpan ?? 2000,
    brokerSuspendMaxTimeMillis: o.brokerSuspendMaxTimeMillis ?? 15_000,
    pullTimeDelayMillisWhenException: o.pullTimeDelayMillisWhenException ?? 1_000,
    rebalanceIntervalMillis: o.rebalanceIntervalMillis ?? 20_000,
    heartbeatBrokerIntervalMillis: o.heartbeatBrokerIntervalMillis ?? 30_000,
    persistConsumerOffsetIntervalMillis: o.persistConsumerOffsetIntervalMillis ?? 5_000,
    pollNameServerIntervalMillis: o.pollNameServerIntervalMillis ?? 30_000,
    maxReconsumeTimes: o.maxReconsumeTimes ?? 16,
    suspendCurrentQueueTimeMillis: o.suspendCurrentQueueTimeMillis ?? 1_000,
    retryLocallyAfterMillis: o.retryLocallyAfterMillis ?? 5_000,
    shutdownTimeoutMillis: o.shutdownTimeoutMillis ?? 15_000,
    allocateStrategy: o.allocateStrategy ?? allocateAveragely,
    timeoutMillis: o.timeoutMillis ?? 3_000,
    localOffsetStoreDir: o.localOffsetStoreDir,
    logger: o.logger,
    instanceName: o.instanceName,
    clientIP: o.clientIP,
  };
  const positive: (keyof ResolvedPushConsumerOptions)[] = [
    'consumeConcurrency',
    'pullBatchSize',
    'pullThresholdForQueue',
    'pullThresholdSizeForQueue',
    'consumeConcurrentlyMaxSpan',
    'rebalanceIntervalMillis',
    'heartbeatBrokerIntervalMillis',
    'persistConsumerOffsetIntervalMillis',
    'pollNameServerIntervalMillis',
    'timeoutMillis',
  ];
  for (const k of positive) {
    const v = r[k] as number;
    if (!Number.isInteger(v) || v <= 0) problems.push(`${k}: expected a positive integer, got ${v}`);
  }
  for (const k of ['brokerSuspendMaxTimeMillis', 'pullTimeDelayMillisWhenException', 'maxReconsumeTimes', 'suspendCurrentQueueTimeMillis', 'retryLocallyAfterMillis', 'shutdownTimeoutMillis', 'consumeTimestamp'] as const) {
    const v = r[k];
    if (!Number.isInteger(v) || v < 0) problems.push(`${k}: expected an integer ≥ 0, got ${v}`);
  }
  if (r.brokerSuspendMaxTimeMillis > 25_000) problems.push(`brokerSuspendMaxTimeMillis: at most 25000 (a held pull must end well before the 30 s request timeout), got ${r.brokerSuspendMaxTimeMillis}`);
  if (problems.length > 0) throw new InvalidInputError(`invalid consumer options: ${problems.join('; ')}`, problems);
  return r;
}
