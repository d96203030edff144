/**
 * A held queue's pull loop (Java PullMessageService + the pull callback of
 * DefaultMQPushConsumerImpl): long-polling pulls from the group's master — or the broker the last
 * reply suggested, or a slave while the group has no master — with flow control, and reactions to
 * each pull status as Java has them (found, nothing new, offset moved by the broker).
 */
import type { SubscriptionData } from '../../protocol/heartbeat.js';
import { PropertyKey } from '../../protocol/message/constants.js';
import { findProperty } from '../../protocol/message/properties.js';
import { decodeRecords } from '../../protocol/message/record.js';
import { formatMessageQueue, type MessageQueue } from '../../protocol/message-queue.js';
import { MASTER_ID } from '../../protocol/route.js';
import type { PullResult } from '../broker-api.js';
import { toConsumedMessage, type ConsumedMessage } from './consumed-message.js';
import type { ConsumeService } from './consume-service.js';
import { isRunning, pause, type ConsumerState, type QueueEntry } from './consumer-state.js';
import { ProcessQueue } from './process-queue.js';

export class PullLoops {
  /** The broker id the last pull reply suggested, per queue. */
  private readonly pullFrom = new Map<string, number>();

  constructor(
    private readonly s: ConsumerState,
    private readonly consume: ConsumeService,
  ) {}

  private overloaded(pq: ProcessQueue): boolean {
    return pq.count > this.s.o.pullThresholdForQueue || pq.bytes > this.s.o.pullThresholdSizeForQueue || (!this.s.o.orderly && pq.span > this.s.o.consumeConcurrentlyMaxSpan);
  }

  /** Pulls the queue until it is dropped or the consumer stops. */
  async run(entry: QueueEntry, startOffset: number): Promise<void> {
    const { mq, key } = entry;
    let offset = startOffset;
    while (isRunning(this.s) && !entry.pq.dropped && this.s.table.get(key) === entry) {
      const pq = entry.pq;
      if (this.overloaded(pq)) {
        await pq.whenBelow(() => !this.overloaded(pq) || !isRunning(this.s));
        continue;
      }
      const sub = this.s.subscriptions.get(mq.topic);
      if (sub === undefined) return;
      const target = this.s.routes.subscribeAddr(mq.brokerName, this.pullFrom.get(key) ?? MASTER_ID);
      if (target === undefined) {
        await this.s.routes.fetch(mq.topic).catch(() => undefined);
        await pause(this.s.o.pullTimeDelayMillisWhenException);
        continue;
      }
      const committed = this.s.o.messageModel === 'CLUSTERING' && target.brokerId === MASTER_ID ? this.s.offsets.memoryOffset(mq) : undefined;
      let r: PullResult;
      this.s.stats.pulls++;
      try {
        r = await this.s.brokers.pull(target.addr, {
          consumerGroup: this.s.consumerGroup,
          topic: mq.topic,
          queueId: mq.queueId,
          queueOffset: offset,
          maxMsgNums: this.s.o.pullBatchSize,
          subscription: sub.subString,
          expressionType: sub.expressionType,
          suspendTimeoutMillis: this.s.o.brokerSuspendMaxTimeMillis,
          ...(committed !== undefined && committed > 0 ? { commitOffset: committed } : {}),
        });
      } catch (e) {
        if (!isRunning(this.s) || pq.dropped) return;
        this.s.stats.pullErrors++;
        this.s.log.warn('pull failed; retrying', { queue: formatMessageQueue(mq), broker: target.addr, err: e as Error });
        // the master may be gone: the fresh route may name a slave (or a new master)
        this.pullFrom.delete(key);
        await this.s.routes.fetch(mq.topic).catch(() => undefined);
        await pause(this.s.o.pullTimeDelayMillisWhenException);
        continue;
      }
      if (!isRunning(this.s) || pq.dropped) return;
      this.pullFrom.set(key, r.suggestWhichBrokerId);
      switch (r.status) {
        case 'FOUND': {
          const msgs = this.decode(r, mq, sub);
          pq.put(msgs, r.nextBeginOffset);
          offset = r.nextBeginOffset;
          if (msgs.length > 0 && !this.s.o.orderly) for (const m of msgs) this.consume.consumeConcurrently(entry, m);
          if (msgs.length === 0 && pq.count === 0) this.s.offsets.update(mq, offset, true);
          break;
        }
        case 'NO_NEW_MSG':
        case 'NO_MATCHED_MSG':
          // Java correctTagsOffset: with nothing in flight, the group is caught up to here
          if (r.status === 'NO_MATCHED_MSG' && r.nextBeginOffset === offset) await pause(200); // a broker redirecting without progress: do not spin
          offset = r.nextBeginOffset;
          pq.advance(offset);
          if (pq.count === 0) this.s.offsets.update(mq, offset, true);
          break;
        case 'OFFSET_ILLEGAL': {
          // the broker moved this queue (reset by admin, or the offset is out of range): what is in
          // flight is dropped (its handlers may finish but move no offset), the new offset is
          // committed, and pulling goes on from there
          this.s.log.warn('pull offset moved by the broker', { queue: formatMessageQueue(mq), from: offset, to: r.nextBeginOffset, why: r.remark });
          offset = r.nextBeginOffset;
          pq.drop();
          const fresh = new ProcessQueue(offset);
          fresh.locked = pq.locked;
          fresh.lastLockTimestamp = pq.lastLockTimestamp;
          entry.pq = fresh;
          this.s.offsets.update(mq, offset, false);
          await this.s.offsets.persist([mq]);
          if (this.s.o.orderly) void this.consume.orderlyWorker(entry);
          break;
        }
      }
    }
  }

  /** Records of a FOUND pull as messages, filtered by tag as Java does on the client side. */
  private decode(r: PullResult, mq: MessageQueue, sub: SubscriptionData): ConsumedMessage[] {
    const out: ConsumedMessage[] = [];
    for (const rec of r.body === undefined ? [] : decodeRecords(r.body)) {
      if (sub.tagsSet.length > 0) {
        const tags = findProperty(rec.properties, PropertyKey.TAGS);
        if (tags === undefined || !sub.tagsSet.includes(tags)) continue;
      }
      try {
        out.push(toConsumedMessage(rec, mq, this.s.consumerGroup));
      } catch (e) {
        this.s.log.error('a message could not be decoded; it is skipped', { queue: formatMessageQueue(mq), offset: rec.queueOffset, err: e as Error });
      }
    }
    return out;
  }
}
