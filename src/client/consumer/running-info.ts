/**
 * What a push consumer answers to GET_CONSUMER_RUNNING_INFO (Java MQClientInstance /
 * DefaultMQPushConsumerImpl.consumerRunningInfo): its properties, subscriptions and, per queue it
 * holds, the state of that queue's process queue. `statusTable` stays empty: we keep no per-topic
 * RT/TPS figures, and a made-up 0 would read as "idle".
 */
import { RunningInfoProperty, type ConsumerRunningInfo, type ProcessQueueInfo } from '../../protocol/consumer-running-info.js';
import type { SubscriptionData } from '../../protocol/heartbeat.js';
import type { MessageQueue } from '../../protocol/message-queue.js';
import { RMQ_PROTOCOL_VERSION } from '../../remoting/version.js';
import type { ProcessQueue } from './process-queue.js';

export interface RunningState {
  namesrvAddrs: readonly string[];
  consumeConcurrency: number;
  orderly: boolean;
  startedAt: number;
  subscriptions: Iterable<SubscriptionData>;
  queues: Iterable<{ mq: MessageQueue; pq: ProcessQueue; committed: number | undefined }>;
}

function processQueueInfo(pq: ProcessQueue, committed: number | undefined): ProcessQueueInfo {
  const first = pq.count > 0 ? pq.commitOffset() : 0;
  return {
    commitOffset: committed ?? pq.commitOffset(),
    cachedMsgMinOffset: first,
    cachedMsgMaxOffset: pq.count > 0 ? first + pq.span : 0,
    cachedMsgCount: pq.count,
    cachedMsgSizeInMiB: Math.floor(pq.bytes / (1024 * 1024)),
    transactionMsgMinOffset: 0,
    transactionMsgMaxOffset: 0,
    transactionMsgCount: 0,
    locked: pq.locked,
    tryUnlockTimes: 0,
    lastLockTimestamp: pq.lastLockTimestamp,
    droped: pq.dropped,
    lastPullTimestamp: pq.lastPullTimestamp,
    lastConsumeTimestamp: pq.lastConsumeTimestamp,
  };
}

export function consumerRunningInfo(s: RunningState): ConsumerRunningInfo {
  return {
    properties: {
      [RunningInfoProperty.NAMESERVER_ADDR]: s.namesrvAddrs.join(';'),
      [RunningInfoProperty.CONSUME_TYPE]: 'CONSUME_PASSIVELY',
      [RunningInfoProperty.CONSUME_ORDERLY]: String(s.orderly),
      [RunningInfoProperty.THREADPOOL_CORE_SIZE]: String(s.consumeConcurrency),
      [RunningInfoProperty.CLIENT_VERSION]: String(RMQ_PROTOCOL_VERSION),
      [RunningInfoProperty.CONSUMER_START_TIMESTAMP]: String(s.startedAt),
    },
    subscriptionSet: [...s.subscriptions],
    mqTable: [...s.queues].map(({ mq, pq, committed }) => ({ topic: mq.topic, brokerName: mq.brokerName, queueId: mq.queueId, info: processQueueInfo(pq, committed) })),
    statusTable: {},
  };
}
