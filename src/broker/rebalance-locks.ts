/**
 * Queue locks for orderly consumers (Java `RebalanceLockManager`): a consumer that consumes a queue
 * in order locks it at the broker (LOCK_BATCH_MQ) and renews the lock every 20 s, so that during a
 * rebalance the queue's old and new owners never consume it at the same time. A lock not renewed
 * for 60 s (`rocketmq.broker.rebalance.lockMaxLiveTime`) expires.
 */
import { messageQueueKey, type MessageQueue } from '../protocol/message-queue.js';

export const REBALANCE_LOCK_MAX_LIVE_MILLIS = 60_000;

interface LockEntry {
  clientId: string;
  lastUpdateTimestamp: number;
}

export class RebalanceLockManager {
  /** group → queue key → lock */
  private readonly table = new Map<string, Map<string, LockEntry>>();

  constructor(
    private readonly maxLiveMillis = REBALANCE_LOCK_MAX_LIVE_MILLIS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Locks (or renews) each queue free, expired or already this client's; returns those now held by it. */
  tryLock(group: string, clientId: string, queues: readonly MessageQueue[]): MessageQueue[] {
    let locks = this.table.get(group);
    if (locks === undefined) this.table.set(group, (locks = new Map()));
    const now = this.now();
    const held: MessageQueue[] = [];
    for (const q of queues) {
      const key = messageQueueKey(q);
      const e = locks.get(key);
      if (e === undefined || e.clientId === clientId || now - e.lastUpdateTimestamp > this.maxLiveMillis) {
        locks.set(key, { clientId, lastUpdateTimestamp: now });
        held.push(q);
      }
    }
    return held;
  }

  /** Releases the queues this client holds (others' locks are left alone). */
  unlock(group: string, clientId: string, queues: readonly MessageQueue[]): void {
    const locks = this.table.get(group);
    if (locks === undefined) return;
    for (const q of queues) {
      const key = messageQueueKey(q);
      if (locks.get(key)?.clientId === clientId) locks.delete(key);
    }
    if (locks.size === 0) this.table.delete(group);
  }

  /** Whether some consumer of the group holds an unexpired lock (Java isLockAllExpired, negated). */
  hasLiveLock(group: string): boolean {
    const now = this.now();
    for (const e of this.table.get(group)?.values() ?? []) if (now - e.lastUpdateTimestamp <= this.maxLiveMillis) return true;
    return false;
  }
}
