/**
 * The push consumer (Java `DefaultMQPushConsumer`): subscribe to topics with tag expressions,
 * start with a handler, and messages arrive.
 *
 *   const c = new PushConsumer({ namesrvAddrs: ['127.0.0.1:9876'], consumerGroup: 'orders-svc' });
 *   c.subscribe('Orders', 'Created || Paid');
 *   await c.start(async (msg) => { await handle(msg.body); });   // throw (or return 'RECONSUME_LATER') to retry it later
 *   ...
 *   await c.shutdown();                                             // commits offsets, leaves the group
 *
 * How it works, as RocketMQ's client does:
 * - CLUSTERING: the group's queues are shared with AllocateMessageQueueAveragely over the member
 *   list a broker reports; rebalanced every `rebalanceIntervalMillis` and at once when a broker
 *   sends NOTIFY_CONSUMER_IDS_CHANGED. The group's `%RETRY%` topic is subscribed too. BROADCASTING:
 *   every queue, offsets kept by this consumer (memory or a local file).
 * - Each assigned queue has a long-polling pull loop (`brokerSuspendMaxTimeMillis`), reading the
 *   group's master — or the broker the reply suggests, or a slave while the group has no master —
 *   and reacting to PULL_NOT_FOUND / PULL_RETRY_IMMEDIATELY (pull on from nextBeginOffset) and
 *   PULL_OFFSET_MOVED (drop what is in flight, jump, commit) as Java does.
 * - Flow control: a queue with `pullThresholdForQueue` messages (or bytes, or span) unconsumed is
 *   not pulled until its handler catches up.
 * - Concurrent mode (default): up to `consumeConcurrency` handlers run at once; a failed message
 *   is sent back (CONSUMER_SEND_MSG_BACK, or republished to %RETRY%) and retried later by the
 *   broker with growing delays, the dead-letter queue after `maxReconsumeTimes`. Orderly mode: one
 *   message of a queue at a time in offset order, the queue locked at the broker; a failure is
 *   retried in place after `suspendCurrentQueueTimeMillis`, then dead-lettered.
 * - Offsets: a queue's offset is the smallest one still being consumed (never past an unconsumed
 *   message), committed every `persistConsumerOffsetIntervalMillis`, piggy-backed on pulls, and on
 *   rebalance and shutdown. Delivery is at-least-once: a crash re-delivers what was consumed after
 *   the last commit.
 */
import { RmqError } from '../../errors.js';
import { RequestCode, ResponseCode } from '../../remoting/codes.js';
import type { HeartbeatData, SubscriptionData } from '../../protocol/heartbeat.js';
import { PropertyKey } from '../../protocol/message/constants.js';
import { findProperty } from '../../protocol/message/properties.js';
import { decodeRecords } from '../../protocol/message/record.js';
import { javaStringHashCode } from '../../protocol/message/tags.js';
import { formatMessageQueue, messageQueueKey, type MessageQueue } from '../../protocol/message-queue.js';
import { MASTER_ID } from '../../protocol/route.js';
import { RETRY_GROUP_TOPIC_PREFIX, topicNameProblem } from '../../protocol/topic-names.js';
import { createResponse } from '../../remoting/command.js';
import { HandlerTable } from '../../remoting/dispatcher.js';
import { encodeConsumerRunningInfo, type ConsumerRunningInfo } from '../../protocol/consumer-running-info.js';
import { decodeHeader } from '../../protocol/header-spec.js';
import { GetConsumerRunningInfoRequestHeader } from '../../protocol/headers/broker.js';
import { consumerRunningInfo } from './running-info.js';
import { guessLocalAddress } from '../../util/local-address.js';
import { silentLogger, type Logger } from '../../util/log.js';
import { AdminClient } from '../admin.js';
import { BrokerApi, type PullResult } from '../broker-api.js';
import { GroupApi } from '../group-api.js';
import { ownConnectionOptions, RemotingClient } from '../../remoting/client.js';
import { toConsumedMessage, type ConsumedMessage } from './consumed-message.js';
import { LocalFileOffsetStore, RemoteBrokerOffsetStore, type OffsetStore } from './offset-store.js';
import { resolvePushConsumerOptions, type PushConsumerOptions, type ResolvedPushConsumerOptions } from './options.js';
import { ProcessQueue } from './process-queue.js';
import { TopicRoutes } from './routes.js';
import { sendMessageBack } from './send-back.js';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Semaphore } from '../../util/concurrency.js';

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

interface QueueEntry {
  mq: MessageQueue;
  key: string;
  /** Replaced when the broker moves the queue's offset. */
  pq: ProcessQueue;
  /** Orderly mode: the message being consumed now. */
  busy?: Promise<void>;
}

/** Client-side lock expiry of an orderly queue (Java REBALANCE_LOCK_MAX_LIVE_TIME) and renewal period. */
const LOCK_MAX_LIVE_MILLIS = 30_000;
const LOCK_RENEW_MILLIS = 20_000;

/** A pause that does not keep the process alive (a consumer's retry back-off must not hold up exit). */
const sleep = (ms: number) => delay(ms, undefined, { ref: false });

export class PushConsumer {
  readonly clientId: string;
  readonly consumerGroup: string;
  readonly stats: ConsumerStats = { consumed: 0, failed: 0, sentBack: 0, republished: 0, retriedLocally: 0, deadLettered: 0, dropped: 0, pulls: 0, pullErrors: 0 };
  private readonly o: ResolvedPushConsumerOptions;
  private readonly log: Logger;
  private readonly remoting: RemotingClient;
  private readonly admin: AdminClient;
  private readonly brokers: BrokerApi;
  private readonly groups: GroupApi;
  private readonly routes: TopicRoutes;
  private readonly offsets: OffsetStore;
  private readonly subscriptions = new Map<string, SubscriptionData>();
  private readonly table = new Map<string, QueueEntry>();
  private readonly pullFrom = new Map<string, number>();
  private readonly slots: Semaphore;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private handler: MessageHandler | undefined;
  private state: 'created' | 'running' | 'stopping' | 'stopped' = 'created';
  private rebalancing: Promise<void> | undefined;
  private rebalanceAgain = false;
  private rebalanceSoon: NodeJS.Timeout | undefined;
  private knownBrokers = '';
  private startedAt = 0;

  constructor(opts: PushConsumerOptions) {
    this.o = resolvePushConsumerOptions(opts);
    this.consumerGroup = this.o.consumerGroup;
    this.log = this.o.logger ?? silentLogger;
    this.clientId = `${this.o.clientIP ?? guessLocalAddress()}@${this.o.instanceName ?? `${process.pid}#${process.hrtime.bigint()}`}`;
    const dispatcher = new HandlerTable()
      .on(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, (req) => {
        this.log.debug('broker says the group changed; rebalancing', { group: req.extFields?.consumerGroup });
        this.scheduleRebalance(0);
        return createResponse(req, ResponseCode.SUCCESS);
      })
      // an admin asks (through the broker) which queues this consumer holds
      .on(RequestCode.GET_CONSUMER_RUNNING_INFO, (req) => {
        const { consumerGroup } = decodeHeader(GetConsumerRunningInfoRequestHeader, req.extFields);
        if (consumerGroup !== this.consumerGroup || !this.running) {
          return createResponse(req, ResponseCode.SYSTEM_ERROR, { remark: `The Consumer Group <${consumerGroup}> not exist in this consumer` });
        }
        return createResponse(req, ResponseCode.SUCCESS, { body: encodeConsumerRunningInfo(this.runningInfo()) });
      });
    this.remoting = new RemotingClient({ dispatcher, logger: this.log.child('remoting'), ...ownConnectionOptions(opts, 'PushConsumer') });
    this.admin = new AdminClient({ namesrvAddrs: this.o.namesrvAddrs, remoting: this.remoting, logger: this.log, timeoutMillis: this.o.timeoutMillis });
    this.brokers = new BrokerApi(this.remoting, this.o.timeoutMillis);
    this.groups = new GroupApi(this.remoting, this.o.timeoutMillis);
    this.routes = new TopicRoutes(this.admin, this.log);
    this.offsets =
      this.o.messageModel === 'CLUSTERING'
        ? new RemoteBrokerOffsetStore(this.consumerGroup, this.groups, this.routes, this.log)
        : new LocalFileOffsetStore(this.o.localOffsetStoreDir === undefined ? undefined : path.join(this.o.localOffsetStoreDir, this.consumerGroup, 'offsets.json'), this.log);
    this.slots = new Semaphore(this.o.orderly ? Number.MAX_SAFE_INTEGER : this.o.consumeConcurrency);
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /** Subscribes to `topic` with a tag expression (`*`, `TagA || TagB`); before or after start. */
  subscribe(topic: string, expression = '*'): this {
    const problem = topicNameProblem(topic);
    if (problem !== undefined) throw new RmqError(problem);
    this.subscriptions.set(topic, subscriptionData(topic, expression));
    if (this.running) void this.afterSubscriptionChange();
    return this;
  }

  unsubscribe(topic: string): void {
    this.subscriptions.delete(topic);
    if (this.running) void this.afterSubscriptionChange();
  }

  /** What GET_CONSUMER_RUNNING_INFO answers: subscriptions and the state of every queue held. */
  runningInfo(): ConsumerRunningInfo {
    return consumerRunningInfo({
      namesrvAddrs: this.o.namesrvAddrs,
      consumeConcurrency: this.o.consumeConcurrency,
      orderly: this.o.orderly,
      startedAt: this.startedAt,
      subscriptions: this.subscriptions.values(),
      queues: [...this.table.values()].map((e) => ({ mq: e.mq, pq: e.pq, committed: this.offsets.memoryOffset(e.mq) })),
    });
  }

  /** The queues this consumer holds now. */
  assignedQueues(): MessageQueue[] {
    return [...this.table.values()].map((e) => e.mq);
  }

  /** Joins the group (heartbeats), takes its share of queues, and starts delivering to `handler`. */
  async start(handler: MessageHandler): Promise<void> {
    if (this.state !== 'created') throw new RmqError(`the consumer is ${this.state}; create a new one`);
    if (this.subscriptions.size === 0) throw new RmqError('subscribe to a topic before starting the consumer');
    this.handler = handler;
    if (this.o.messageModel === 'CLUSTERING') this.subscriptions.set(this.retryTopic, subscriptionData(this.retryTopic, '*'));
    await this.offsets.load();
    this.state = 'running';
    this.startedAt = Date.now();
    await this.routes.refresh(this.subscriptions.keys());
    // the first heartbeat creates the group's retry topic on the brokers; then its route exists
    await this.heartbeat();
    if (this.o.messageModel === 'CLUSTERING') await this.routes.fetch(this.retryTopic).catch(() => undefined);
    await this.rebalance();
    this.every(this.o.heartbeatBrokerIntervalMillis, () => this.heartbeat());
    this.every(this.o.rebalanceIntervalMillis, () => this.rebalance());
    this.every(this.o.persistConsumerOffsetIntervalMillis, () => this.offsets.persist(this.assignedQueues()));
    this.every(this.o.pollNameServerIntervalMillis, () => this.refreshRoutes());
    if (this.o.orderly && this.o.messageModel === 'CLUSTERING') this.every(LOCK_RENEW_MILLIS, () => this.lockAll());
    this.log.info('consumer started', { group: this.consumerGroup, clientId: this.clientId, model: this.o.messageModel, orderly: this.o.orderly, topics: [...this.subscriptions.keys()].join(',') });
  }

  /**
   * Stops pulling, waits (up to shutdownTimeoutMillis) for handlers still running, commits the
   * offsets, unlocks orderly queues and leaves the group on every broker.
   */
  async shutdown(): Promise<void> {
    if (this.state !== 'running') {
      this.state = 'stopped';
      this.remoting.shutdown();
      return;
    }
    this.state = 'stopping';
    for (const t of this.timers) clearInterval(t);
    if (this.rebalanceSoon) clearTimeout(this.rebalanceSoon);
    await this.rebalancing;
    const deadline = sleep(this.o.shutdownTimeoutMillis).then(() => 'timeout' as const);
    if ((await Promise.race([Promise.all([...this.inFlight]).then(() => 'done' as const), deadline])) === 'timeout') {
      this.log.warn('shutdown: handlers still running after the timeout; their messages will be delivered again', { running: this.inFlight.size });
    }
    const queues = this.assignedQueues();
    await this.offsets.persist(queues);
    if (this.o.orderly && this.o.messageModel === 'CLUSTERING') await this.unlock(queues);
    for (const e of this.table.values()) e.pq.drop();
    this.table.clear();
    await Promise.all(
      this.routes.allBrokerAddrs().map(({ addr }) => this.groups.unregisterClient(addr, this.clientId, { consumerGroup: this.consumerGroup }).catch(() => undefined)),
    );
    this.state = 'stopped';
    this.remoting.shutdown();
    this.log.info('consumer stopped', { group: this.consumerGroup, clientId: this.clientId, consumed: this.stats.consumed });
  }

  /** Rebalances now (tests and tools; the consumer does it on its own). */
  rebalanceNow(): Promise<void> {
    return this.rebalance();
  }

  private get retryTopic(): string {
    return `${RETRY_GROUP_TOPIC_PREFIX}${this.consumerGroup}`;
  }

  private every(ms: number, job: () => Promise<unknown>): void {
    const t = setInterval(() => {
      if (this.running) job().catch((e: unknown) => this.log.warn('periodic consumer task failed', { err: e as Error }));
    }, ms);
    t.unref();
    this.timers.push(t);
  }

  private async afterSubscriptionChange(): Promise<void> {
    await this.routes.refresh(this.subscriptions.keys());
    await this.heartbeat();
    await this.rebalance();
  }

  private async refreshRoutes(): Promise<void> {
    await this.routes.refresh(this.subscriptions.keys());
    await this.heartbeatNewBrokers();
  }

  /** A broker seen for the first time gets a heartbeat now, not in up to 30 s. */
  private async heartbeatNewBrokers(): Promise<void> {
    const now = this.routes
      .allBrokerAddrs()
      .map((b) => b.addr)
      .sort()
      .join(',');
    if (now !== this.knownBrokers) await this.heartbeat();
  }

  // ------------------------------------------------------------------ heartbeat

  private heartbeatData(): HeartbeatData {
    return {
      clientID: this.clientId,
      producerDataSet: [],
      consumerDataSet: [
        {
          groupName: this.consumerGroup,
          consumeType: 'CONSUME_PASSIVELY',
          messageModel: this.o.messageModel,
          consumeFromWhere: this.o.consumeFromWhere,
          subscriptionDataSet: [...this.subscriptions.values()],
          unitMode: false,
        },
      ],
      heartbeatFingerprint: 0,
      withoutSub: false,
    };
  }

  /** HEART_BEAT to every broker of every subscribed topic (slaves too, as Java does for consumers). */
  private async heartbeat(): Promise<void> {
    const brokers = this.routes.allBrokerAddrs();
    this.knownBrokers = brokers
      .map((b) => b.addr)
      .sort()
      .join(',');
    const data = this.heartbeatData();
    await Promise.all(
      brokers.map(({ addr }) =>
        this.groups.heartbeat(addr, data).catch((e: unknown) => {
          this.log.debug('heartbeat failed', { broker: addr, err: e as Error });
        }),
      ),
    );
  }

  // ------------------------------------------------------------------ rebalance

  private scheduleRebalance(ms: number): void {
    if (!this.running || this.rebalanceSoon !== undefined) return;
    this.rebalanceSoon = setTimeout(() => {
      this.rebalanceSoon = undefined;
      void this.rebalance();
    }, ms);
  }

  private rebalance(): Promise<void> {
    if (this.rebalancing !== undefined) {
      this.rebalanceAgain = true;
      return this.rebalancing;
    }
    this.rebalancing = (async () => {
      do {
        this.rebalanceAgain = false;
        for (const topic of [...this.subscriptions.keys()]) {
          if (!this.running) return;
          try {
            await this.rebalanceTopic(topic);
          } catch (e) {
            this.log.warn('rebalance failed; keeping the current queues', { topic, err: e as Error });
          }
        }
        // queues of topics no longer subscribed
        for (const e of [...this.table.values()]) if (!this.subscriptions.has(e.mq.topic)) await this.removeQueue(e);
      } while (this.rebalanceAgain && this.running);
    })().finally(() => {
      this.rebalancing = undefined;
    });
    return this.rebalancing;
  }

  private async rebalanceTopic(topic: string): Promise<void> {
    if (this.routes.subscribeQueues(topic).length === 0) {
      await this.routes.fetch(topic);
      await this.heartbeatNewBrokers();
    }
    const all = this.routes.subscribeQueues(topic);
    if (all.length === 0) {
      this.log.debug('rebalance: the topic has no readable queue (yet)', { topic });
      return;
    }
    let mine: MessageQueue[];
    if (this.o.messageModel === 'BROADCASTING') mine = all;
    else {
      const addr = this.routes.anyBrokerOf(topic);
      if (addr === undefined) return;
      const cids = await this.groups.consumerIds(addr, this.consumerGroup);
      if (cids.length === 0) {
        this.log.debug('rebalance: the broker lists no member of the group yet', { topic, broker: addr });
        return;
      }
      mine = this.o.allocateStrategy(this.consumerGroup, this.clientId, all, cids);
    }
    const wanted = new Set(mine.map(messageQueueKey));
    for (const e of [...this.table.values()]) {
      if (e.mq.topic === topic && !wanted.has(e.key)) await this.removeQueue(e);
    }
    const added: MessageQueue[] = [];
    for (const mq of mine) {
      if (!this.running || this.table.has(messageQueueKey(mq))) continue;
      if (await this.addQueue(mq)) added.push(mq);
    }
    if (added.length > 0 || mine.length !== all.length) {
      this.log.info('rebalanced', { topic, group: this.consumerGroup, mine: mine.map((q) => `${q.brokerName}#${q.queueId}`).join(',') || '-', of: all.length, added: added.length });
    }
  }

  /** Java computePullFromWhere: the stored offset, else where consumeFromWhere says; undefined when it cannot be read now. */
  private async startOffset(mq: MessageQueue): Promise<number | undefined> {
    const stored = await this.offsets.storedOffset(mq);
    if (stored !== undefined && stored >= 0) return stored;
    const addr = this.routes.subscribeAddr(mq.brokerName)?.addr;
    if (addr === undefined) return undefined;
    const isRetry = mq.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX);
    switch (this.o.consumeFromWhere) {
      case 'CONSUME_FROM_FIRST_OFFSET':
        return this.brokers.minOffset(addr, mq.topic, mq.queueId);
      case 'CONSUME_FROM_TIMESTAMP':
        return isRetry ? this.brokers.maxOffset(addr, mq.topic, mq.queueId) : this.brokers.searchOffset(addr, mq.topic, mq.queueId, this.o.consumeTimestamp);
      default:
        return isRetry ? 0 : this.brokers.maxOffset(addr, mq.topic, mq.queueId);
    }
  }

  private async addQueue(mq: MessageQueue): Promise<boolean> {
    if (this.o.orderly && this.o.messageModel === 'CLUSTERING') {
      const locked = await this.lock([mq]);
      if (locked.length === 0) {
        this.log.debug('orderly: queue held by another consumer, not taken yet', { queue: formatMessageQueue(mq) });
        return false;
      }
    }
    let start: number | undefined;
    try {
      start = await this.startOffset(mq);
    } catch (e) {
      this.log.warn('cannot read the start offset of a queue; trying again at the next rebalance', { queue: formatMessageQueue(mq), err: e as Error });
    }
    if (start === undefined || !this.running) return false;
    const entry: QueueEntry = { mq, key: messageQueueKey(mq), pq: new ProcessQueue(start) };
    if (this.o.orderly && this.o.messageModel === 'CLUSTERING') {
      entry.pq.locked = true;
      entry.pq.lastLockTimestamp = Date.now();
    }
    this.offsets.update(mq, start, false);
    this.table.set(entry.key, entry);
    void this.pullLoop(entry, start);
    if (this.o.orderly) void this.orderlyWorker(entry);
    return true;
  }

  private async removeQueue(e: QueueEntry): Promise<void> {
    e.pq.drop();
    this.table.delete(e.key);
    // orderly: the queue's lock goes only once its current message is done (up to 1 s, as Java)
    if (e.busy !== undefined) await Promise.race([e.busy, sleep(1_000)]);
    await this.offsets.persist([e.mq]);
    this.offsets.forget(e.mq);
    if (this.o.orderly && this.o.messageModel === 'CLUSTERING') await this.unlock([e.mq]);
  }

  // ------------------------------------------------------------------ orderly locks

  /** LOCK_BATCH_MQ at each queue's master; returns the queues now held. */
  private async lock(queues: readonly MessageQueue[]): Promise<MessageQueue[]> {
    const byBroker = new Map<string, MessageQueue[]>();
    for (const q of queues) byBroker.set(q.brokerName, [...(byBroker.get(q.brokerName) ?? []), q]);
    const held: MessageQueue[] = [];
    for (const [brokerName, qs] of byBroker) {
      const master = this.routes.masterAddr(brokerName);
      if (master === undefined) continue;
      try {
        held.push(...(await this.groups.lockQueues(master, this.consumerGroup, this.clientId, qs)));
      } catch (e) {
        this.log.warn('locking queues failed', { broker: master, err: e as Error });
      }
    }
    return held;
  }

  private async unlock(queues: readonly MessageQueue[]): Promise<void> {
    const byBroker = new Map<string, MessageQueue[]>();
    for (const q of queues) byBroker.set(q.brokerName, [...(byBroker.get(q.brokerName) ?? []), q]);
    for (const [brokerName, qs] of byBroker) {
      const master = this.routes.masterAddr(brokerName);
      if (master !== undefined) await this.groups.unlockQueues(master, this.consumerGroup, this.clientId, qs).catch(() => undefined);
    }
  }

  /** Renews every assigned queue's lock (Java lockAll every 20 s). */
  private async lockAll(): Promise<void> {
    const entries = [...this.table.values()];
    const held = new Set((await this.lock(entries.map((e) => e.mq))).map(messageQueueKey));
    const now = Date.now();
    for (const e of entries) {
      if (held.has(e.key)) {
        e.pq.locked = true;
        e.pq.lastLockTimestamp = now;
      } else if (now - e.pq.lastLockTimestamp > LOCK_MAX_LIVE_MILLIS) e.pq.locked = false;
    }
  }

  // ------------------------------------------------------------------ pulling

  private overloaded(pq: ProcessQueue): boolean {
    return pq.count > this.o.pullThresholdForQueue || pq.bytes > this.o.pullThresholdSizeForQueue || (!this.o.orderly && pq.span > this.o.consumeConcurrentlyMaxSpan);
  }

  private async pullLoop(entry: QueueEntry, startOffset: number): Promise<void> {
    const { mq, key } = entry;
    let offset = startOffset;
    while (this.running && !entry.pq.dropped && this.table.get(key) === entry) {
      const pq = entry.pq;
      if (this.overloaded(pq)) {
        await pq.whenBelow(() => !this.overloaded(pq) || !this.running);
        continue;
      }
      const sub = this.subscriptions.get(mq.topic);
      if (sub === undefined) return;
      const target = this.routes.subscribeAddr(mq.brokerName, this.pullFrom.get(key) ?? MASTER_ID);
      if (target === undefined) {
        await this.routes.fetch(mq.topic).catch(() => undefined);
        await sleep(this.o.pullTimeDelayMillisWhenException);
        continue;
      }
      const committed = this.o.messageModel === 'CLUSTERING' && target.brokerId === MASTER_ID ? this.offsets.memoryOffset(mq) : undefined;
      let r: PullResult;
      this.stats.pulls++;
      try {
        r = await this.brokers.pull(target.addr, {
          consumerGroup: this.consumerGroup,
          topic: mq.topic,
          queueId: mq.queueId,
          queueOffset: offset,
          maxMsgNums: this.o.pullBatchSize,
          subscription: sub.subString,
          suspendTimeoutMillis: this.o.brokerSuspendMaxTimeMillis,
          ...(committed !== undefined && committed > 0 ? { commitOffset: committed } : {}),
        });
      } catch (e) {
        if (!this.running || pq.dropped) return;
        this.stats.pullErrors++;
        this.log.warn('pull failed; retrying', { queue: formatMessageQueue(mq), broker: target.addr, err: e as Error });
        // the master may be gone: the fresh route may name a slave (or a new master)
        this.pullFrom.delete(key);
        await this.routes.fetch(mq.topic).catch(() => undefined);
        await sleep(this.o.pullTimeDelayMillisWhenException);
        continue;
      }
      if (!this.running || pq.dropped) return;
      this.pullFrom.set(key, r.suggestWhichBrokerId);
      switch (r.status) {
        case 'FOUND': {
          const msgs = this.decode(r, mq, sub);
          pq.put(msgs, r.nextBeginOffset);
          offset = r.nextBeginOffset;
          if (msgs.length > 0 && !this.o.orderly) for (const m of msgs) this.consumeConcurrently(entry, m);
          if (msgs.length === 0 && pq.count === 0) this.offsets.update(mq, offset, true);
          break;
        }
        case 'NO_NEW_MSG':
        case 'NO_MATCHED_MSG':
          // Java correctTagsOffset: with nothing in flight, the group is caught up to here
          if (r.status === 'NO_MATCHED_MSG' && r.nextBeginOffset === offset) await sleep(200); // a broker redirecting without progress: do not spin
          offset = r.nextBeginOffset;
          pq.advance(offset);
          if (pq.count === 0) this.offsets.update(mq, offset, true);
          break;
        case 'OFFSET_ILLEGAL': {
          // the broker moved this queue (reset by admin, or the offset is out of range): what is in
          // flight is dropped (its handlers may finish but move no offset), the new offset is
          // committed, and pulling goes on from there
          this.log.warn('pull offset moved by the broker', { queue: formatMessageQueue(mq), from: offset, to: r.nextBeginOffset, why: r.remark });
          offset = r.nextBeginOffset;
          pq.drop();
          const fresh = new ProcessQueue(offset);
          fresh.locked = pq.locked;
          fresh.lastLockTimestamp = pq.lastLockTimestamp;
          entry.pq = fresh;
          this.offsets.update(mq, offset, false);
          await this.offsets.persist([mq]);
          if (this.o.orderly) void this.orderlyWorker(entry);
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
        out.push(toConsumedMessage(rec, mq, this.consumerGroup));
      } catch (e) {
        this.log.error('a message could not be decoded; it is skipped', { queue: formatMessageQueue(mq), offset: rec.queueOffset, err: e as Error });
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ consuming

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** Runs the handler; true when it consumed the message. */
  private async callHandler(msg: ConsumedMessage, ctx: ConsumeContext): Promise<boolean> {
    try {
      const result = await (this.handler as MessageHandler)(msg, ctx);
      if (result === 'RECONSUME_LATER') {
        this.stats.failed++;
        return false;
      }
      this.stats.consumed++;
      return true;
    } catch (e) {
      this.stats.failed++;
      this.log.warn('message handler failed; the message will be retried', { topic: msg.topic, msgId: msg.msgId, reconsumeTimes: msg.reconsumeTimes, err: e as Error });
      return false;
    }
  }

  private consumeConcurrently(entry: QueueEntry, msg: ConsumedMessage): void {
    const pq = entry.pq;
    this.track(
      (async () => {
        await this.slots.acquire();
        try {
          // once shutdown began nothing new reaches the handler: it stays unacknowledged and is delivered again later
          if (pq.dropped || this.state !== 'running') return;
          const ctx: ConsumeContext = { queue: entry.mq, delayLevelWhenNextConsume: 0 };
          if (!(await this.callHandler(msg, ctx))) {
            if (this.o.messageModel === 'BROADCASTING') {
              this.stats.dropped++;
              this.log.warn('BROADCASTING: a failed message is dropped', { topic: msg.topic, msgId: msg.msgId });
            } else {
              const how = await sendMessageBack(this.sendBackDeps(), msg, ctx.delayLevelWhenNextConsume, this.o.maxReconsumeTimes);
              if (how === undefined) {
                // keep it in flight (the offset stays before it) and consume it here again later
                this.stats.retriedLocally++;
                const again = { ...msg, reconsumeTimes: msg.reconsumeTimes + 1 };
                setTimeout(() => {
                  if (!pq.dropped && this.running) this.consumeConcurrently(entry, again);
                }, this.o.retryLocallyAfterMillis).unref();
                return;
              }
              if (how === 'sent-back') this.stats.sentBack++;
              else this.stats.republished++;
            }
          }
          if (pq.dropped) return;
          this.offsets.update(entry.mq, pq.remove([msg]), true);
        } finally {
          this.slots.release();
        }
      })(),
    );
  }

  /** Orderly mode: one message of the queue at a time, in offset order, while the queue's lock is held. */
  private async orderlyWorker(entry: QueueEntry): Promise<void> {
    const pq = entry.pq;
    if (entry.busy !== undefined) await entry.busy;
    const clustering = this.o.messageModel === 'CLUSTERING';
    while (this.running && !pq.dropped) {
      const [msg] = pq.pending(1);
      if (msg === undefined) {
        await pq.nextChange();
        continue;
      }
      if (clustering && (!pq.locked || Date.now() - pq.lastLockTimestamp > LOCK_MAX_LIVE_MILLIS)) {
        await this.lockAll();
        if (!pq.locked) await sleep(this.o.suspendCurrentQueueTimeMillis);
        continue;
      }
      let done = false;
      const run = (async () => {
        let attempt = msg;
        while (!pq.dropped && this.state !== 'stopped') {
          if (await this.callHandler(attempt, { queue: entry.mq, delayLevelWhenNextConsume: 0 })) {
            done = true;
            return;
          }
          if (attempt.reconsumeTimes + 1 >= this.o.maxReconsumeTimes && clustering) {
            const how = await sendMessageBack(this.sendBackDeps(), attempt, -1, this.o.maxReconsumeTimes);
            if (how !== undefined) {
              this.stats.deadLettered++;
              done = true;
              return;
            }
          }
          if (!clustering && attempt.reconsumeTimes + 1 >= this.o.maxReconsumeTimes) {
            this.stats.dropped++;
            done = true;
            return;
          }
          this.stats.retriedLocally++;
          attempt = { ...attempt, reconsumeTimes: attempt.reconsumeTimes + 1 };
          await sleep(this.o.suspendCurrentQueueTimeMillis);
          if (!this.running) return;
        }
      })();
      this.track(run);
      entry.busy = run;
      await run;
      entry.busy = undefined;
      if (done && !pq.dropped) this.offsets.update(entry.mq, pq.remove([msg]), true);
    }
  }

  private sendBackDeps() {
    return { group: this.consumerGroup, api: this.groups, remoting: this.remoting, routes: this.routes, log: this.log, timeoutMillis: this.o.timeoutMillis };
  }
}

/** SubscriptionData for a tag expression (Java FilterAPI.buildSubscriptionData). */
export function subscriptionData(topic: string, expression: string): SubscriptionData {
  const s = expression.trim();
  const all = s === '' || s === '*';
  const tags = all
    ? []
    : s
        .split('||')
        .map((t) => t.trim())
        .filter((t) => t !== '');
  if (!all && tags.length === 0) throw new RmqError(`subscription ${JSON.stringify(expression)} names no tag: use '*' or 'TagA || TagB'`);
  return { topic, subString: all ? '*' : s, classFilterMode: false, tagsSet: tags, codeSet: tags.map(javaStringHashCode), subVersion: Date.now(), expressionType: 'TAG' };
}
