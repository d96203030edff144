/**
 * Which queues of the group this consumer holds (Java RebalanceImpl): CLUSTERING shares the
 * readable queues among the members a broker lists, with the allocate strategy; BROADCASTING
 * takes them all. A queue taken gets its start offset (Java computePullFromWhere), its orderly
 * lock, a pull loop and — orderly — a worker; a queue given up is committed, forgotten and unlocked.
 */
import { formatMessageQueue, messageQueueKey, type MessageQueue } from '../../protocol/message-queue.js';
import { RETRY_GROUP_TOPIC_PREFIX } from '../../protocol/topic-names.js';
import type { ConsumeService } from './consume-service.js';
import { isRunning, locksQueues, pause, type ConsumerState, type QueueEntry } from './consumer-state.js';
import { ProcessQueue } from './process-queue.js';
import type { PullLoops } from './pull-loop.js';
import type { QueueLocks } from './queue-locks.js';

export class Rebalancer {
  private rebalancing: Promise<void> | undefined;
  private rebalanceAgain = false;
  private rebalanceSoon: NodeJS.Timeout | undefined;

  constructor(
    private readonly s: ConsumerState,
    private readonly locks: QueueLocks,
    private readonly pulls: PullLoops,
    private readonly consume: ConsumeService,
    /** Heartbeats brokers the routes name for the first time (so the group lists this member there). */
    private readonly heartbeatNewBrokers: () => Promise<void>,
  ) {}

  /** Cancels a pending rebalance and waits for one running. */
  async stop(): Promise<void> {
    if (this.rebalanceSoon) clearTimeout(this.rebalanceSoon);
    this.rebalanceSoon = undefined;
    await this.rebalancing;
  }

  /** A rebalance in `ms` (at most one pending). */
  schedule(ms: number): void {
    if (!isRunning(this.s) || this.rebalanceSoon !== undefined) return;
    this.rebalanceSoon = setTimeout(() => {
      this.rebalanceSoon = undefined;
      void this.run();
    }, ms);
  }

  /** Rebalances every subscribed topic now; calls made while one runs share its next round. */
  run(): Promise<void> {
    if (this.rebalancing !== undefined) {
      this.rebalanceAgain = true;
      return this.rebalancing;
    }
    this.rebalancing = (async () => {
      do {
        this.rebalanceAgain = false;
        for (const topic of [...this.s.subscriptions.keys()]) {
          if (!isRunning(this.s)) return;
          try {
            await this.rebalanceTopic(topic);
          } catch (e) {
            this.s.log.warn('rebalance failed; keeping the current queues', { topic, err: e as Error });
          }
        }
        // queues of topics no longer subscribed
        for (const e of [...this.s.table.values()]) if (!this.s.subscriptions.has(e.mq.topic)) await this.removeQueue(e);
      } while (this.rebalanceAgain && isRunning(this.s));
    })().finally(() => {
      this.rebalancing = undefined;
    });
    return this.rebalancing;
  }

  private async rebalanceTopic(topic: string): Promise<void> {
    if (this.s.routes.subscribeQueues(topic).length === 0) {
      await this.s.routes.fetch(topic);
      await this.heartbeatNewBrokers();
    }
    const all = this.s.routes.subscribeQueues(topic);
    if (all.length === 0) {
      this.s.log.debug('rebalance: the topic has no readable queue (yet)', { topic });
      return;
    }
    let mine: MessageQueue[];
    if (this.s.o.messageModel === 'BROADCASTING') mine = all;
    else {
      const addr = this.s.routes.anyBrokerOf(topic);
      if (addr === undefined) return;
      const cids = await this.s.groups.consumerIds(addr, this.s.consumerGroup);
      if (cids.length === 0) {
        this.s.log.debug('rebalance: the broker lists no member of the group yet', { topic, broker: addr });
        return;
      }
      mine = this.s.o.allocateStrategy(this.s.consumerGroup, this.s.clientId, all, cids);
    }
    const wanted = new Set(mine.map(messageQueueKey));
    for (const e of [...this.s.table.values()]) {
      if (e.mq.topic === topic && !wanted.has(e.key)) await this.removeQueue(e);
    }
    const added: MessageQueue[] = [];
    for (const mq of mine) {
      if (!isRunning(this.s) || this.s.table.has(messageQueueKey(mq))) continue;
      if (await this.addQueue(mq)) added.push(mq);
    }
    if (added.length > 0 || mine.length !== all.length) {
      this.s.log.info('rebalanced', { topic, group: this.s.consumerGroup, mine: mine.map((q) => `${q.brokerName}#${q.queueId}`).join(',') || '-', of: all.length, added: added.length });
    }
  }

  /** Java computePullFromWhere: the stored offset, else where consumeFromWhere says; undefined when it cannot be read now. */
  private async startOffset(mq: MessageQueue): Promise<number | undefined> {
    const stored = await this.s.offsets.storedOffset(mq);
    if (stored !== undefined && stored >= 0) return stored;
    const addr = this.s.routes.subscribeAddr(mq.brokerName)?.addr;
    if (addr === undefined) return undefined;
    const isRetry = mq.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX);
    switch (this.s.o.consumeFromWhere) {
      case 'CONSUME_FROM_FIRST_OFFSET':
        return this.s.brokers.minOffset(addr, mq.topic, mq.queueId);
      case 'CONSUME_FROM_TIMESTAMP':
        return isRetry ? this.s.brokers.maxOffset(addr, mq.topic, mq.queueId) : this.s.brokers.searchOffset(addr, mq.topic, mq.queueId, this.s.o.consumeTimestamp);
      default:
        return isRetry ? 0 : this.s.brokers.maxOffset(addr, mq.topic, mq.queueId);
    }
  }

  private async addQueue(mq: MessageQueue): Promise<boolean> {
    if (locksQueues(this.s)) {
      const locked = await this.locks.lock([mq]);
      if (locked.length === 0) {
        this.s.log.debug('orderly: queue held by another consumer, not taken yet', { queue: formatMessageQueue(mq) });
        return false;
      }
    }
    let start: number | undefined;
    try {
      start = await this.startOffset(mq);
    } catch (e) {
      this.s.log.warn('cannot read the start offset of a queue; trying again at the next rebalance', { queue: formatMessageQueue(mq), err: e as Error });
    }
    if (start === undefined || !isRunning(this.s)) return false;
    const entry: QueueEntry = { mq, key: messageQueueKey(mq), pq: new ProcessQueue(start) };
    if (locksQueues(this.s)) {
      entry.pq.locked = true;
      entry.pq.lastLockTimestamp = Date.now();
    }
    this.s.offsets.update(mq, start, false);
    this.s.table.set(entry.key, entry);
    void this.pulls.run(entry, start);
    if (this.s.o.orderly) void this.consume.orderlyWorker(entry);
    return true;
  }

  async removeQueue(e: QueueEntry): Promise<void> {
    e.pq.drop();
    this.s.table.delete(e.key);
    // orderly: the queue's lock goes only once its current message is done (up to 1 s, as Java)
    if (e.busy !== undefined) await Promise.race([e.busy, pause(1_000)]);
    await this.s.offsets.persist([e.mq]);
    this.s.offsets.forget(e.mq);
    if (locksQueues(this.s)) await this.locks.unlock([e.mq]);
  }
}
