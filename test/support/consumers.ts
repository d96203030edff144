/**
 * Consumers for tests against a TestCluster, shut down when the test finishes: our PushConsumer
 * (fast periods so rebalances settle in a second or two) recording what it received, and helpers
 * to wait for a group to settle and to check who got what.
 */
import { onTestFinished } from 'vitest';
import type { ConsumedMessage } from '../../src/client/consumer/consumed-message.js';
import type { PushConsumerOptions } from '../../src/client/consumer/options.js';
import { PushConsumer, type MessageHandler, type MessageSelector } from '../../src/client/consumer/push-consumer.js';
import { messageQueueKey } from '../../src/protocol/message-queue.js';
import type { TestCluster } from './cluster.js';
import { waitFor } from './wait.js';

export interface RecordingConsumer {
  consumer: PushConsumer;
  received: ConsumedMessage[];
}

/** A started PushConsumer on `topics` that records every message before calling `handler`. */
export async function startConsumer(c: TestCluster, group: string, topics: Record<string, MessageSelector> | string, opts: Partial<PushConsumerOptions> = {}, handler?: MessageHandler): Promise<RecordingConsumer> {
  const consumer = new PushConsumer({
    namesrvAddrs: c.namesrvAddrs,
    consumerGroup: group,
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
    rebalanceIntervalMillis: 1_000,
    persistConsumerOffsetIntervalMillis: 500,
    pollNameServerIntervalMillis: 1_000,
    heartbeatBrokerIntervalMillis: 2_000,
    brokerSuspendMaxTimeMillis: 2_000,
    ...opts,
  });
  onTestFinished(() => consumer.shutdown());
  const received: ConsumedMessage[] = [];
  for (const [topic, expr] of Object.entries(typeof topics === 'string' ? { [topics]: '*' } : topics)) consumer.subscribe(topic, expr);
  await consumer.start(async (msg, ctx) => {
    received.push(msg);
    return handler?.(msg, ctx);
  });
  return { consumer, received };
}

/** Waits until the consumers hold `queueCount` queues of `topic` between them, each exactly once. */
export async function waitBalanced(consumers: readonly PushConsumer[], topic: string, queueCount: number, timeout = 15_000): Promise<void> {
  await waitFor(
    () => {
      const keys = consumers.flatMap((c) => c.assignedQueues().filter((q) => q.topic === topic).map(messageQueueKey));
      return keys.length === queueCount && new Set(keys).size === queueCount && consumers.every((c) => c.assignedQueues().some((q) => q.topic === topic));
    },
    { timeout, what: `${consumers.length} consumers to share the ${queueCount} queues of ${topic}` },
  );
}

/** How many times each body was received, over all consumers. */
export function countBodies(...lists: { body: Buffer }[][]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const l of lists) for (const m of l) counts.set(m.body.toString(), (counts.get(m.body.toString()) ?? 0) + 1);
  return counts;
}
