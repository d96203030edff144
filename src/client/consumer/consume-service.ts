/**
 * Running the user's handler (Java ConsumeMessageConcurrentlyService / ConsumeMessageOrderlyService).
 * Concurrent: up to `consumeConcurrency` handlers at once; a failure is sent back to the broker
 * (or republished to %RETRY%) for a later retry, or kept and retried here when that is impossible.
 * Orderly: one message of a queue at a time, in offset order, while the queue's lock is held; a
 * failure is retried in place, then dead-lettered after maxReconsumeTimes.
 */
import { Semaphore } from '../../util/concurrency.js';
import type { ConsumedMessage } from './consumed-message.js';
import { isRunning, pause, type ConsumeContext, type ConsumerState, type MessageHandler, type QueueEntry } from './consumer-state.js';
import { LOCK_MAX_LIVE_MILLIS, type QueueLocks } from './queue-locks.js';
import { sendMessageBack } from './send-back.js';


export class ConsumeService {
  /** Handlers running now (shutdown waits for them); a count, not a Set of their promises: one insert and one delete per message would churn its table (see IntKeyTable). */
  private running = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly slots: Semaphore;

  constructor(
    private readonly s: ConsumerState,
    private readonly locks: QueueLocks,
    private readonly handler: MessageHandler,
  ) {
    this.slots = new Semaphore(s.o.orderly ? Number.MAX_SAFE_INTEGER : s.o.consumeConcurrency);
  }

  track(p: Promise<void>): void {
    this.running++;
    const done = () => {
      if (--this.running > 0) return;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    };
    p.then(done, done);
  }

  get inFlight(): number {
    return this.running;
  }

  /** Resolves once no handler is running. */
  idle(): Promise<void> {
    return this.running === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Runs the handler; true when it consumed the message. */
  private async callHandler(msg: ConsumedMessage, ctx: ConsumeContext): Promise<boolean> {
    try {
      const result = await this.handler(msg, ctx);
      if (result === 'RECONSUME_LATER') {
        this.s.stats.failed++;
        return false;
      }
      this.s.stats.consumed++;
      return true;
    } catch (e) {
      this.s.stats.failed++;
      this.s.log.warn('message handler failed; the message will be retried', { topic: msg.topic, msgId: msg.msgId, reconsumeTimes: msg.reconsumeTimes, err: e as Error });
      return false;
    }
  }

  consumeConcurrently(entry: QueueEntry, msg: ConsumedMessage): void {
    const pq = entry.pq;
    this.track(
      (async () => {
        await this.slots.acquire();
        try {
          // once shutdown began nothing new reaches the handler: it stays unacknowledged and is delivered again later
          if (pq.dropped || this.s.phase !== 'running') return;
          const ctx: ConsumeContext = { queue: entry.mq, delayLevelWhenNextConsume: 0 };
          if (!(await this.callHandler(msg, ctx))) {
            if (this.s.o.messageModel === 'BROADCASTING') {
              this.s.stats.dropped++;
              this.s.log.warn('BROADCASTING: a failed message is dropped', { topic: msg.topic, msgId: msg.msgId });
            } else {
              const how = await sendMessageBack(this.sendBackDeps(), msg, ctx.delayLevelWhenNextConsume, this.s.o.maxReconsumeTimes);
              if (how === undefined) {
                // keep it in flight (the offset stays before it) and consume it here again later
                this.s.stats.retriedLocally++;
                const again = { ...msg, reconsumeTimes: msg.reconsumeTimes + 1 };
                setTimeout(() => {
                  if (!pq.dropped && isRunning(this.s)) this.consumeConcurrently(entry, again);
                }, this.s.o.retryLocallyAfterMillis).unref();
                return;
              }
              if (how === 'sent-back') this.s.stats.sentBack++;
              else this.s.stats.republished++;
            }
          }
          if (pq.dropped) return;
          this.s.offsets.update(entry.mq, pq.remove([msg]), true);
        } finally {
          this.slots.release();
        }
      })(),
    );
  }

  /** Orderly mode: one message of the queue at a time, in offset order, while the queue's lock is held. */
  async orderlyWorker(entry: QueueEntry): Promise<void> {
    const pq = entry.pq;
    if (entry.busy !== undefined) await entry.busy;
    const clustering = this.s.o.messageModel === 'CLUSTERING';
    while (isRunning(this.s) && !pq.dropped) {
      const [msg] = pq.pending(1);
      if (msg === undefined) {
        await pq.nextChange();
        continue;
      }
      if (clustering && (!pq.locked || Date.now() - pq.lastLockTimestamp > LOCK_MAX_LIVE_MILLIS)) {
        await this.locks.lockAll();
        if (!pq.locked) await pause(this.s.o.suspendCurrentQueueTimeMillis);
        continue;
      }
      let done = false;
      const run = (async () => {
        let attempt = msg;
        while (!pq.dropped && this.s.phase !== 'stopped') {
          if (await this.callHandler(attempt, { queue: entry.mq, delayLevelWhenNextConsume: 0 })) {
            done = true;
            return;
          }
          if (attempt.reconsumeTimes + 1 >= this.s.o.maxReconsumeTimes && clustering) {
            const how = await sendMessageBack(this.sendBackDeps(), attempt, -1, this.s.o.maxReconsumeTimes);
            if (how !== undefined) {
              this.s.stats.deadLettered++;
              done = true;
              return;
            }
          }
          if (!clustering && attempt.reconsumeTimes + 1 >= this.s.o.maxReconsumeTimes) {
            this.s.stats.dropped++;
            done = true;
            return;
          }
          this.s.stats.retriedLocally++;
          attempt = { ...attempt, reconsumeTimes: attempt.reconsumeTimes + 1 };
          await pause(this.s.o.suspendCurrentQueueTimeMillis);
          if (!isRunning(this.s)) return;
        }
      })();
      this.track(run);
      entry.busy = run;
      await run;
      entry.busy = undefined;
      if (done && !pq.dropped) this.s.offsets.update(entry.mq, pq.remove([msg]), true);
    }
  }

  private sendBackDeps() {
    return { group: this.s.consumerGroup, api: this.s.groups, remoting: this.s.remoting, routes: this.s.routes, log: this.s.log, timeoutMillis: this.s.o.timeoutMillis };
  }
}
