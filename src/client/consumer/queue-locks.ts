/**
 * Orderly consumption's queue locks at each queue's master (LOCK_BATCH_MQ / UNLOCK_BATCH_MQ), as
 * Java's RebalanceImpl holds them: taken before a queue is consumed, renewed every 20 s, and
 * considered lost 30 s after the last successful renewal.
 */
import { messageQueueKey, type MessageQueue } from '../../protocol/message-queue.js';
import type { ConsumerState } from './consumer-state.js';

/** Client-side lock expiry of an orderly queue (Java REBALANCE_LOCK_MAX_LIVE_TIME) and renewal period. */
export const LOCK_MAX_LIVE_MILLIS = 30_000;
export const LOCK_RENEW_MILLIS = 20_000;

function byBroker(queues: readonly MessageQueue[]): Map<string, MessageQueue[]> {
  const m = new Map<string, MessageQueue[]>();
  for (const q of queues) m.set(q.brokerName, [...(m.get(q.brokerName) ?? []), q]);
  return m;
}

export class QueueLocks {
  constructor(private readonly s: ConsumerState) {}

  /** LOCK_BATCH_MQ at each queue's master; returns the queues now held. */
  async lock(queues: readonly MessageQueue[]): Promise<MessageQueue[]> {
    const held: MessageQueue[] = [];
    for (const [brokerName, qs] of byBroker(queues)) {
      const master = this.s.routes.masterAddr(brokerName);
      if (master === undefined) continue;
      try {
        held.push(...(await this.s.groups.lockQueues(master, this.s.consumerGroup, this.s.clientId, qs)));
      } catch (e) {
        this.s.log.warn('locking queues failed', { broker: master, err: e as Error });
      }
    }
    return held;
  }

  async unlock(queues: readonly MessageQueue[]): Promise<void> {
    for (const [brokerName, qs] of byBroker(queues)) {
      const master = this.s.routes.masterAddr(brokerName);
      if (master !== undefined) await this.s.groups.unlockQueues(master, this.s.consumerGroup, this.s.clientId, qs).catch(() => undefined);
    }
  }

  /** Renews every assigned queue's lock (Java lockAll every 20 s). */
  async lockAll(): Promise<void> {
    const entries = [...this.s.table.values()];
    const held = new Set((await this.lock(entries.map((e) => e.mq))).map(messageQueueKey));
    const now = Date.now();
    for (const e of entries) {
      if (held.has(e.key)) {
        e.pq.locked = true;
        e.pq.lastLockTimestamp = now;
      } else if (now - e.pq.lastLockTimestamp > LOCK_MAX_LIVE_MILLIS) e.pq.locked = false;
    }
  }
}
