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
 *
 * The parts: rebalance.ts (which queues), pull-loop.ts (pulling them), consume-service.ts (the
 * handler, concurrent or orderly), queue-locks.ts (orderly locks), consumer-state.ts (what they share).
 */
import path from 'node:path';
import { RmqError } from '../../errors.js';
import { RequestCode, ResponseCode } from '../../remoting/codes.js';
import type { HeartbeatData } from '../../protocol/heartbeat.js';
import type { MessageQueue } from '../../protocol/message-queue.js';
import { RETRY_GROUP_TOPIC_PREFIX, topicNameProblem } from '../../protocol/topic-names.js';
import { createResponse } from '../../remoting/command.js';
import { HandlerTable } from '../../remoting/dispatcher.js';
import { encodeConsumerRunningInfo, type ConsumerRunningInfo } from '../../protocol/consumer-running-info.js';
import { decodeHeader } from '../../protocol/header-spec.js';
import { GetConsumerRunningInfoRequestHeader } from '../../protocol/headers/broker.js';
import { consumerRunningInfo } from './running-info.js';
import { guessLocalAddress } from '../../util/local-address.js';
import { silentLogger } from '../../util/log.js';
import { AdminClient } from '../admin.js';
import { BrokerApi } from '../broker-api.js';
import { GroupApi } from '../group-api.js';
import { ownConnectionOptions, RemotingClient } from '../../remoting/client.js';
import { ConsumeService } from './consume-service.js';
import { isRunning, locksQueues, pause, type ConsumerState, type ConsumerStats, type MessageHandler } from './consumer-state.js';
import { LocalFileOffsetStore, RemoteBrokerOffsetStore } from './offset-store.js';
import { resolvePushConsumerOptions, type PushConsumerOptions } from './options.js';
import { PullLoops } from './pull-loop.js';
import { LOCK_RENEW_MILLIS, QueueLocks } from './queue-locks.js';
import { Rebalancer } from './rebalance.js';
import { TopicRoutes } from './routes.js';
import { subscriptionData, type MessageSelector } from './subscription.js';

export type { ConsumeContext, ConsumeStatus, ConsumerStats, MessageHandler } from './consumer-state.js';
export { subscriptionData, type MessageSelector } from './subscription.js';

/** The parts that exist once the consumer runs (the handler is given to start()). */
interface Running {
  consume: ConsumeService;
  rebalancer: Rebalancer;
}

export class PushConsumer {
  readonly clientId: string;
  readonly consumerGroup: string;
  private readonly s: ConsumerState;
  private readonly locks: QueueLocks;
  private parts: Running | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private knownBrokers = '';
  private startedAt = 0;

  constructor(opts: PushConsumerOptions) {
    const o = resolvePushConsumerOptions(opts);
    const log = o.logger ?? silentLogger;
    this.consumerGroup = o.consumerGroup;
    this.clientId = `${o.clientIP ?? guessLocalAddress()}@${o.instanceName ?? `${process.pid}#${process.hrtime.bigint()}`}`;
    const dispatcher = new HandlerTable()
      .on(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, (req) => {
        log.debug('broker says the group changed; rebalancing', { group: req.extFields?.consumerGroup });
        if (this.running) this.parts?.rebalancer.schedule(0);
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
    const remoting = new RemotingClient({ dispatcher, logger: log.child('remoting'), ...ownConnectionOptions(opts, 'PushConsumer') });
    const admin = new AdminClient({ namesrvAddrs: o.namesrvAddrs, remoting, logger: log, timeoutMillis: o.timeoutMillis });
    const groups = new GroupApi(remoting, o.timeoutMillis);
    const routes = new TopicRoutes(admin, log);
    this.s = {
      o,
      log,
      consumerGroup: this.consumerGroup,
      clientId: this.clientId,
      stats: { consumed: 0, failed: 0, sentBack: 0, republished: 0, retriedLocally: 0, deadLettered: 0, dropped: 0, pulls: 0, pullErrors: 0 },
      remoting,
      brokers: new BrokerApi(remoting, o.timeoutMillis),
      groups,
      routes,
      offsets:
        o.messageModel === 'CLUSTERING'
          ? new RemoteBrokerOffsetStore(this.consumerGroup, groups, routes, log)
          : new LocalFileOffsetStore(o.localOffsetStoreDir === undefined ? undefined : path.join(o.localOffsetStoreDir, this.consumerGroup, 'offsets.json'), log),
      subscriptions: new Map(),
      table: new Map(),
      phase: 'created',
    };
    this.locks = new QueueLocks(this.s);
  }

  get running(): boolean {
    return isRunning(this.s);
  }

  /** Counters since start. */
  get stats(): ConsumerStats {
    return this.s.stats;
  }

  /** Subscribes to `topic` with a tag expression (`*`, `TagA || TagB`) or `{ sql }`; before or after start. */
  subscribe(topic: string, selector: MessageSelector = '*'): this {
    const problem = topicNameProblem(topic);
    if (problem !== undefined) throw new RmqError(problem);
    this.s.subscriptions.set(topic, subscriptionData(topic, selector));
    if (this.running) void this.afterSubscriptionChange();
    return this;
  }

  unsubscribe(topic: string): void {
    this.s.subscriptions.delete(topic);
    if (this.running) void this.afterSubscriptionChange();
  }

  /** What GET_CONSUMER_RUNNING_INFO answers: subscriptions and the state of every queue held. */
  runningInfo(): ConsumerRunningInfo {
    return consumerRunningInfo({
      namesrvAddrs: this.s.o.namesrvAddrs,
      consumeConcurrency: this.s.o.consumeConcurrency,
      orderly: this.s.o.orderly,
      startedAt: this.startedAt,
      subscriptions: this.s.subscriptions.values(),
      queues: [...this.s.table.values()].map((e) => ({ mq: e.mq, pq: e.pq, committed: this.s.offsets.memoryOffset(e.mq) })),
    });
  }

  /** The queues this consumer holds now. */
  assignedQueues(): MessageQueue[] {
    return [...this.s.table.values()].map((e) => e.mq);
  }

  /** Joins the group (heartbeats), takes its share of queues, and starts delivering to `handler`. */
  async start(handler: MessageHandler): Promise<void> {
    const { o } = this.s;
    if (this.s.phase !== 'created') throw new RmqError(`the consumer is ${this.s.phase}; create a new one`);
    if (this.s.subscriptions.size === 0) throw new RmqError('subscribe to a topic before starting the consumer');
    const consume = new ConsumeService(this.s, this.locks, handler);
    const rebalancer = new Rebalancer(this.s, this.locks, new PullLoops(this.s, consume), consume, () => this.heartbeatNewBrokers());
    this.parts = { consume, rebalancer };
    if (o.messageModel === 'CLUSTERING') this.s.subscriptions.set(this.retryTopic, subscriptionData(this.retryTopic, '*'));
    await this.s.offsets.load();
    await this.s.routes.refresh(this.s.subscriptions.keys());
    await this.checkFiltersInBrokers();
    this.s.phase = 'running';
    this.startedAt = Date.now();
    // the first heartbeat creates the group's retry topic on the brokers; then its route exists
    await this.heartbeat();
    if (o.messageModel === 'CLUSTERING') await this.s.routes.fetch(this.retryTopic).catch(() => undefined);
    await rebalancer.run();
    this.every(o.heartbeatBrokerIntervalMillis, () => this.heartbeat());
    this.every(o.rebalanceIntervalMillis, () => rebalancer.run());
    this.every(o.persistConsumerOffsetIntervalMillis, () => this.s.offsets.persist(this.assignedQueues()));
    this.every(o.pollNameServerIntervalMillis, () => this.refreshRoutes());
    if (locksQueues(this.s)) this.every(LOCK_RENEW_MILLIS, () => this.locks.lockAll());
    this.s.log.info('consumer started', { group: this.consumerGroup, clientId: this.clientId, model: o.messageModel, orderly: o.orderly, topics: [...this.s.subscriptions.keys()].join(',') });
  }

  /**
   * Stops pulling, waits (up to shutdownTimeoutMillis) for handlers still running, commits the
   * offsets, unlocks orderly queues, leaves the group on every broker and closes its connections
   * (resolved once the brokers have seen the close).
   */
  async shutdown(): Promise<void> {
    const s = this.s;
    if (s.phase !== 'running' || this.parts === undefined) {
      s.phase = 'stopped';
      await s.remoting.shutdown();
      return;
    }
    const { consume, rebalancer } = this.parts;
    s.phase = 'stopping';
    for (const t of this.timers) clearInterval(t);
    await rebalancer.stop();
    const deadline = pause(s.o.shutdownTimeoutMillis).then(() => 'timeout' as const);
    if ((await Promise.race([consume.idle().then(() => 'done' as const), deadline])) === 'timeout') {
      s.log.warn('shutdown: handlers still running after the timeout; their messages will be delivered again', { running: consume.inFlight });
    }
    const queues = this.assignedQueues();
    await s.offsets.persist(queues);
    if (locksQueues(s)) await this.locks.unlock(queues);
    for (const e of s.table.values()) e.pq.drop();
    s.table.clear();
    await Promise.all(s.routes.allBrokerAddrs().map(({ addr }) => s.groups.unregisterClient(addr, this.clientId, { consumerGroup: this.consumerGroup }).catch(() => undefined)));
    s.phase = 'stopped';
    // resolves once every broker has seen the close: a pull one still held is gone, so a message
    // sent after shutdown() stays for the group's next consumer
    await s.remoting.shutdown();
    s.log.info('consumer stopped', { group: this.consumerGroup, clientId: this.clientId, consumed: s.stats.consumed });
  }

  /** Rebalances now (tests and tools; the consumer does it on its own). */
  async rebalanceNow(): Promise<void> {
    await this.parts?.rebalancer.run();
  }

  private get retryTopic(): string {
    return `${RETRY_GROUP_TOPIC_PREFIX}${this.consumerGroup}`;
  }

  private every(ms: number, job: () => Promise<unknown>): void {
    const t = setInterval(() => {
      if (this.running) job().catch((e: unknown) => this.s.log.warn('periodic consumer task failed', { err: e as Error }));
    }, ms);
    t.unref();
    this.timers.push(t);
  }

  /**
   * Java checkClientInBroker: every master serving a SQL92-filtered topic is asked whether it can
   * filter so (enablePropertyFilter, and the expression compiles there); a refusal fails start().
   */
  private async checkFiltersInBrokers(): Promise<void> {
    for (const sub of this.s.subscriptions.values()) {
      if (sub.expressionType === 'TAG') continue;
      for (const brokerName of new Set(this.s.routes.subscribeQueues(sub.topic).map((q) => q.brokerName))) {
        const master = this.s.routes.masterAddr(brokerName);
        if (master === undefined) continue;
        try {
          await this.s.groups.checkClientConfig(master, this.consumerGroup, this.clientId, sub);
        } catch (e) {
          throw new RmqError(`broker ${brokerName} refuses the ${sub.expressionType} subscription to ${sub.topic}: ${(e as Error).message}`);
        }
      }
    }
  }

  private async afterSubscriptionChange(): Promise<void> {
    await this.s.routes.refresh(this.s.subscriptions.keys());
    await this.heartbeat();
    await this.parts?.rebalancer.run();
  }

  private async refreshRoutes(): Promise<void> {
    await this.s.routes.refresh(this.s.subscriptions.keys());
    await this.heartbeatNewBrokers();
  }

  /** A broker seen for the first time gets a heartbeat now, not in up to 30 s. */
  private async heartbeatNewBrokers(): Promise<void> {
    const now = this.s.routes
      .allBrokerAddrs()
      .map((b) => b.addr)
      .sort()
      .join(',');
    if (now !== this.knownBrokers) await this.heartbeat();
  }

  private heartbeatData(): HeartbeatData {
    return {
      clientID: this.clientId,
      producerDataSet: [],
      consumerDataSet: [
        {
          groupName: this.consumerGroup,
          consumeType: 'CONSUME_PASSIVELY',
          messageModel: this.s.o.messageModel,
          consumeFromWhere: this.s.o.consumeFromWhere,
          subscriptionDataSet: [...this.s.subscriptions.values()],
          unitMode: false,
        },
      ],
      heartbeatFingerprint: 0,
      withoutSub: false,
    };
  }

  /** HEART_BEAT to every broker of every subscribed topic (slaves too, as Java does for consumers). */
  private async heartbeat(): Promise<void> {
    const brokers = this.s.routes.allBrokerAddrs();
    this.knownBrokers = brokers
      .map((b) => b.addr)
      .sort()
      .join(',');
    const data = this.heartbeatData();
    await Promise.all(
      brokers.map(({ addr }) =>
        this.s.groups.heartbeat(addr, data).catch((e: unknown) => {
          this.s.log.debug('heartbeat failed', { broker: addr, err: e as Error });
        }),
      ),
    );
  }
}
