/**
 * A pull consumer for tools and tests (Java's DefaultMQPullConsumer, simplified): the caller picks
 * queues and offsets; the consumer finds the broker to read from (the group's master, a slave while
 * it has none), decodes messages, and reads or commits the group's offsets. No rebalance, no
 * heartbeat loop, nothing committed unless asked.
 *
 *   const c = new PullConsumer({ namesrvAddrs, consumerGroup: 'tools', credentials });  // credentials: with ACL
 *   for (const mq of await c.queues('Orders')) {
 *     const r = await c.pull(mq, { offset: (await c.committedOffset(mq)) ?? 0 });
 *     ... r.messages ...; await c.commit(mq, r.nextBeginOffset);
 *   }
 *   c.shutdown();
 */
import { RmqError } from '../../errors.js';
import { decodeRecords } from '../../protocol/message/record.js';
import type { MessageQueue } from '../../protocol/message-queue.js';
import { silentLogger, type Logger } from '../../util/log.js';
import { AdminClient } from '../admin.js';
import { BrokerApi, type PullStatus } from '../broker-api.js';
import { GroupApi } from '../group-api.js';
import { ownConnectionOptions, RemotingClient, type ClientConnectOptions } from '../../remoting/client.js';
import { toConsumedMessage, type ConsumedMessage } from './consumed-message.js';
import { TopicRoutes } from './routes.js';
import { subscriptionData, type MessageSelector } from './subscription.js';
import { sendMessageBack } from './send-back.js';

/** `credentials`, `tls` and a shared `remoting` as for every client class (ClientConnectOptions). */
export interface PullConsumerOptions extends ClientConnectOptions {
  namesrvAddrs: readonly string[];
  consumerGroup: string;
  timeoutMillis?: number;
  logger?: Logger;
}

export interface PullOptions {
  offset: number;
  /** Tag expression (default `*`) or `{ sql }` (a SQL92 filter the broker applies; needs enablePropertyFilter). */
  expression?: MessageSelector;
  maxNums?: number;
  /** Let the broker hold the pull this long when nothing is new (default 0: answer at once). */
  suspendMillis?: number;
}

export interface PullOutcome {
  status: PullStatus;
  messages: ConsumedMessage[];
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
}

/** The pull header's subscription fields for a selector (checked here, so a bad SQL92 text fails before any request). */
function selectorFields(selector: MessageSelector): { subscription: string; expressionType: string } {
  const d = subscriptionData('', selector);
  return { subscription: d.subString, expressionType: d.expressionType };
}

export class PullConsumer {
  readonly consumerGroup: string;
  private readonly remoting: RemotingClient;
  private readonly owns: boolean;
  private readonly routes: TopicRoutes;
  private readonly brokers: BrokerApi;
  private readonly groups: GroupApi;
  private readonly log: Logger;
  private readonly timeout: number;

  constructor(opts: PullConsumerOptions) {
    this.consumerGroup = opts.consumerGroup;
    this.log = opts.logger ?? silentLogger;
    this.timeout = opts.timeoutMillis ?? 3_000;
    this.owns = opts.remoting === undefined;
    const own = ownConnectionOptions(opts, 'PullConsumer');
    this.remoting = opts.remoting ?? new RemotingClient({ logger: this.log, ...own });
    this.routes = new TopicRoutes(new AdminClient({ namesrvAddrs: opts.namesrvAddrs, remoting: this.remoting, timeoutMillis: this.timeout }), this.log);
    this.brokers = new BrokerApi(this.remoting, this.timeout);
    this.groups = new GroupApi(this.remoting, this.timeout);
  }

  /** The topic's readable queues (fetching its route). */
  async queues(topic: string): Promise<MessageQueue[]> {
    await this.routes.fetch(topic);
    const qs = this.routes.subscribeQueues(topic);
    if (qs.length === 0) throw new RmqError(`topic ${topic} has no readable queue: no broker serves it`);
    return qs;
  }

  async pull(mq: MessageQueue, o: PullOptions): Promise<PullOutcome> {
    const addr = await this.readAddr(mq);
    const r = await this.brokers.pull(addr, {
      consumerGroup: this.consumerGroup,
      topic: mq.topic,
      queueId: mq.queueId,
      queueOffset: o.offset,
      maxMsgNums: o.maxNums ?? 32,
      ...selectorFields(o.expression ?? '*'),
      suspendTimeoutMillis: o.suspendMillis ?? 0,
    });
    const messages = r.body === undefined ? [] : decodeRecords(r.body).map((rec) => toConsumedMessage(rec, mq, this.consumerGroup));
    return { status: r.status, messages, nextBeginOffset: r.nextBeginOffset, minOffset: r.minOffset, maxOffset: r.maxOffset };
  }

  /** The group's committed offset of the queue; undefined when it has none. */
  async committedOffset(mq: MessageQueue): Promise<number | undefined> {
    return this.groups.queryConsumerOffset(await this.readAddr(mq), this.consumerGroup, mq.topic, mq.queueId);
  }

  /** Commits the group's offset of the queue (to its master). */
  async commit(mq: MessageQueue, offset: number): Promise<void> {
    const master = this.routes.masterAddr(mq.brokerName) ?? (await this.routes.fetch(mq.topic), this.routes.masterAddr(mq.brokerName));
    if (master === undefined) throw new RmqError(`broker group ${mq.brokerName} has no master to commit to`);
    await this.groups.updateConsumerOffset(master, this.consumerGroup, mq.topic, mq.queueId, offset);
  }

  async minOffset(mq: MessageQueue): Promise<number> {
    return this.brokers.minOffset(await this.readAddr(mq), mq.topic, mq.queueId);
  }

  async maxOffset(mq: MessageQueue): Promise<number> {
    return this.brokers.maxOffset(await this.readAddr(mq), mq.topic, mq.queueId);
  }

  /** The first offset stored at or after `timestamp` (ms). */
  async searchOffset(mq: MessageQueue, timestamp: number): Promise<number> {
    return this.brokers.searchOffset(await this.readAddr(mq), mq.topic, mq.queueId, timestamp);
  }

  /** Sends a message back for a retry (delayLevel 0: the broker's choice; < 0: dead-letter queue). */
  async sendBack(msg: ConsumedMessage, delayLevel = 0, maxReconsumeTimes = 16): Promise<void> {
    const how = await sendMessageBack({ group: this.consumerGroup, api: this.groups, remoting: this.remoting, routes: this.routes, log: this.log, timeoutMillis: this.timeout }, msg, delayLevel, maxReconsumeTimes);
    if (how === undefined) throw new RmqError(`message ${msg.msgId} could not be sent back`);
  }

  /** Closes its connections (when it owns them); resolves once the brokers have seen the close. */
  shutdown(): Promise<void> {
    return this.owns ? this.remoting.shutdown() : Promise.resolve();
  }

  private async readAddr(mq: MessageQueue): Promise<string> {
    const a = this.routes.subscribeAddr(mq.brokerName) ?? (await this.routes.fetch(mq.topic), this.routes.subscribeAddr(mq.brokerName));
    if (a === undefined) throw new RmqError(`broker group ${mq.brokerName} of topic ${mq.topic} has no address in the route`);
    return a.addr;
  }
}
