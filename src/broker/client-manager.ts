/**
 * The clients connected to the broker (Java `ConsumerManager` + `ProducerManager` +
 * `ClientHousekeepingService`): which connections belong to which consumer and producer group, each
 * consumer group's model and subscriptions as its heartbeats declare them.
 *
 * - A connection that closes leaves every group at once; one silent (no heartbeat) for
 *   `channelExpiredTimeout` is dropped and closed by a periodic scan.
 * - Requests of one connection are handled concurrently (a heartbeat may await its retry topic), so
 *   each client-management request takes an arrival ticket before it awaits anything; a heartbeat
 *   that arrived before its client's UNREGISTER_CLIENT for a group is not applied to that group.
 *   (Java clients serialise the two under one lock; ali-ons does not, and its connection outlives
 *   the consumer — a late heartbeat would leave a member that never heartbeats for the group again.)
 * - When a CLUSTERING group's membership or subscriptions change, every member is told with a
 *   oneway NOTIFY_CONSUMER_IDS_CHANGED so it rebalances now rather than at its next period
 *   (Java clients and ours do; ali-ons ignores it and rebalances every 10 s).
 */
import { RequestCode } from '../remoting/codes.js';
import type { ConsumeFromWhere, ConsumeType, ConsumerData, MessageModel, SubscriptionData } from '../protocol/heartbeat.js';
import { createRequest, type LanguageCode } from '../remoting/command.js';
import type { Connection } from '../remoting/connection.js';
import { silentLogger, type Logger } from '../util/log.js';
import { SubscriptionParseError, tagCodesOf } from './subscription.js';

/**
 * What the client tables need of a client's link: a remoting Connection, or a v5 (gRPC) client's
 * session (broker/grpc), which answers remoting requests forwarded to it with an error.
 */
export type ClientLink = Pick<Connection, 'remoteAddress' | 'isClosed' | 'onClose' | 'close' | 'oneway' | 'request'>;

/** A client connection as a group knows it (Java `ClientChannelInfo`). */
export interface ClientChannel {
  conn: ClientLink;
  clientId: string;
  language: LanguageCode | string;
  version: number;
  lastUpdateTimestamp: number;
}

/** A subscription as the broker filters by it: the heartbeat's data plus the parsed tag codes. */
export interface Subscription extends SubscriptionData {
  /** Tags codes accepted (null: all). */
  tagCodes: ReadonlySet<number> | null;
}

export class ConsumerGroupInfo {
  readonly channels = new Map<ClientLink, ClientChannel>();
  readonly subscriptions = new Map<string, Subscription>();
  lastUpdateTimestamp = Date.now();

  constructor(
    readonly groupName: string,
    public consumeType: ConsumeType,
    public messageModel: MessageModel,
    public consumeFromWhere: ConsumeFromWhere,
  ) {}

  /**
   * The group's members, each once. A client can hold two connections for a while — it gave up on
   * one the broker still sees as open (a one-way partition: its close never arrived) and
   * reconnected — and a member listed twice makes every consumer's allocation count a member that
   * pulls nothing: the queues allocated to it go unread until the old connection expires.
   */
  clientIds(): string[] {
    return [...new Set(Array.from(this.channels.values(), (c) => c.clientId))];
  }
}

export interface ClientManagerOptions {
  /** Drop a client silent this long (ms; `channelExpiredTimeout`). */
  channelExpiredTimeoutMillis: number;
  /** Send NOTIFY_CONSUMER_IDS_CHANGED on membership changes (`notifyConsumerIdsChangedEnable`). */
  notifyConsumerIdsChanged: boolean;
  /** A group's own switch (its subscription group's notifyConsumerIdsChangedEnable). */
  groupNotifies?: (group: string) => boolean;
  logger?: Logger;
  now?: () => number;
}

/** The subscription as the broker keeps it; a tag expression that cannot be parsed filters nothing out. */
function toSubscription(s: SubscriptionData): Subscription {
  let tagCodes: ReadonlySet<number> | null = null;
  if (s.expressionType === 'TAG') {
    try {
      tagCodes = s.codeSet.length > 0 ? new Set(s.codeSet) : tagCodesOf(s.subString);
    } catch (e) {
      if (!(e instanceof SubscriptionParseError)) throw e;
    }
  }
  return { ...s, tagCodes };
}

export class ClientManager {
  private readonly consumers = new Map<string, ConsumerGroupInfo>();
  private readonly producers = new Map<string, Map<ClientLink, ClientChannel>>();
  /** Links we watch for close. */
  private readonly watched = new WeakSet<ClientLink>();
  private readonly log: Logger;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  /** The last arrival ticket handed out (see `arrival()`). */
  private arrivals = 0;
  /** Per connection, per group ('C:'/'P:' + name): the ticket of its last UNREGISTER_CLIENT. */
  private readonly unregisteredAt = new WeakMap<ClientLink, Map<string, number>>();

  constructor(private readonly opts: ClientManagerOptions) {
    this.log = opts.logger ?? silentLogger;
    this.now = opts.now ?? Date.now;
  }

  /** Starts the expiry scan (Java every 10 s; more often for short timeouts). */
  start(): void {
    const every = Math.max(100, Math.min(10_000, Math.floor(this.opts.channelExpiredTimeoutMillis / 4)));
    this.timer ??= setInterval(() => this.scanNotActiveChannels(), every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A ticket in arrival order: take it when a request arrives, before the handler awaits anything. */
  arrival(): number {
    return ++this.arrivals;
  }

  /** Whether the connection unregistered from `key` after a request with ticket `arrival` came in. */
  private unregisteredSince(conn: ClientLink, key: string, arrival: number | undefined): boolean {
    return arrival !== undefined && (this.unregisteredAt.get(conn)?.get(key) ?? 0) > arrival;
  }

  private markUnregistered(conn: ClientLink, key: string): void {
    let m = this.unregisteredAt.get(conn);
    if (m === undefined) this.unregisteredAt.set(conn, (m = new Map()));
    m.set(key, this.arrival());
  }

  /**
   * A consumer heartbeat for one group: the connection joins (or refreshes) the group, the group
   * takes the heartbeat's model and subscriptions. Members are notified when membership or
   * subscriptions changed. A heartbeat older (by `opts.arrival`) than the connection's unregister
   * from the group is ignored. Returns whether anything changed.
   */
  registerConsumer(data: ConsumerData, channel: Omit<ClientChannel, 'lastUpdateTimestamp'>, opts: { updateSubscriptions: boolean; arrival?: number }): boolean {
    if (this.unregisteredSince(channel.conn, `C:${data.groupName}`, opts.arrival)) {
      this.log.debug('heartbeat older than its unregister ignored', { group: data.groupName, clientId: channel.clientId, addr: channel.conn.remoteAddress });
      return false;
    }
    const now = this.now();
    let info = this.consumers.get(data.groupName);
    if (info === undefined) {
      info = new ConsumerGroupInfo(data.groupName, data.consumeType, data.messageModel, data.consumeFromWhere);
      this.consumers.set(data.groupName, info);
    }
    info.consumeType = data.consumeType;
    info.messageModel = data.messageModel;
    info.consumeFromWhere = data.consumeFromWhere;
    this.watch(channel.conn);
    let joined = false;
    const had = info.channels.get(channel.conn);
    if (had === undefined) {
      info.channels.set(channel.conn, { ...channel, lastUpdateTimestamp: now });
      joined = true;
      this.log.info('consumer joined', { group: data.groupName, clientId: channel.clientId, addr: channel.conn.remoteAddress, model: data.messageModel, members: info.channels.size });
    } else {
      if (had.clientId !== channel.clientId) info.channels.set(channel.conn, { ...had, clientId: channel.clientId, lastUpdateTimestamp: now });
      else had.lastUpdateTimestamp = now;
    }
    info.lastUpdateTimestamp = now;
    const subsChanged = opts.updateSubscriptions && this.updateSubscriptions(info, data.subscriptionDataSet);
    if (joined || subsChanged) this.notifyChange(info);
    return joined || subsChanged;
  }

  unregisterConsumer(group: string, conn: ClientLink): boolean {
    this.markUnregistered(conn, `C:${group}`);
    const info = this.consumers.get(group);
    if (info === undefined) return false;
    const had = info.channels.get(conn);
    if (had === undefined) return false;
    info.channels.delete(conn);
    this.log.info('consumer left', { group, clientId: had.clientId, addr: conn.remoteAddress, why: 'unregistered', members: info.channels.size });
    this.afterLeave(info);
    return true;
  }

  registerProducer(group: string, channel: Omit<ClientChannel, 'lastUpdateTimestamp'>, arrival?: number): void {
    if (this.unregisteredSince(channel.conn, `P:${group}`, arrival)) return;
    this.watch(channel.conn);
    let m = this.producers.get(group);
    if (m === undefined) this.producers.set(group, (m = new Map()));
    const had = m.get(channel.conn);
    if (had === undefined) m.set(channel.conn, { ...channel, lastUpdateTimestamp: this.now() });
    else had.lastUpdateTimestamp = this.now();
  }

  unregisterProducer(group: string, conn: ClientLink): void {
    this.markUnregistered(conn, `P:${group}`);
    const m = this.producers.get(group);
    if (m?.delete(conn) && m.size === 0) this.producers.delete(group);
  }

  /** A group member's connection by client id (Java ConsumerManager.findChannel). */
  findConsumerChannel(group: string, clientId: string): ClientChannel | undefined {
    for (const ch of this.consumers.get(group)?.channels.values() ?? []) if (ch.clientId === clientId) return ch;
    return undefined;
  }

  consumerGroup(group: string): ConsumerGroupInfo | undefined {
    return this.consumers.get(group);
  }

  consumerGroups(): ConsumerGroupInfo[] {
    return [...this.consumers.values()];
  }

  /** Producer groups with a connection now. */
  producerGroups(): string[] {
    return [...this.producers.keys()];
  }

  producerGroup(group: string): ClientChannel[] {
    return [...(this.producers.get(group)?.values() ?? [])];
  }

  /** The subscription a group's heartbeats declared for `topic`. */
  subscription(group: string, topic: string): Subscription | undefined {
    return this.consumers.get(group)?.subscriptions.get(topic);
  }

  /** Groups whose online consumers subscribe to `topic`. */
  groupsSubscribing(topic: string): string[] {
    return [...this.consumers.values()].filter((g) => g.subscriptions.has(topic)).map((g) => g.groupName);
  }

  /** Drops every client whose last heartbeat is older than channelExpiredTimeout, closing its connection. */
  scanNotActiveChannels(): void {
    const now = this.now();
    const limit = this.opts.channelExpiredTimeoutMillis;
    const expired = new Set<ClientLink>();
    for (const info of [...this.consumers.values()]) {
      let left = false;
      for (const [conn, ch] of [...info.channels]) {
        if (now - ch.lastUpdateTimestamp <= limit) continue;
        info.channels.delete(conn);
        expired.add(conn);
        left = true;
        this.log.warn('consumer left', { group: info.groupName, clientId: ch.clientId, addr: conn.remoteAddress, why: `expired: silent ${now - ch.lastUpdateTimestamp} ms > ${limit} ms`, members: info.channels.size });
      }
      if (left) this.afterLeave(info);
    }
    for (const [group, m] of [...this.producers]) {
      for (const [conn, ch] of [...m]) {
        if (now - ch.lastUpdateTimestamp <= limit) continue;
        m.delete(conn);
        expired.add(conn);
      }
      if (m.size === 0) this.producers.delete(group);
    }
    for (const conn of expired) conn.close(`client silent for more than ${limit} ms`);
  }

  private watch(conn: ClientLink): void {
    if (this.watched.has(conn)) return;
    this.watched.add(conn);
    conn.onClose((reason) => this.onConnectionClosed(conn, reason));
  }

  /** Java doChannelCloseEvent: the connection leaves every group at once. */
  private onConnectionClosed(conn: ClientLink, reason: string): void {
    for (const info of [...this.consumers.values()]) {
      const had = info.channels.get(conn);
      if (had === undefined) continue;
      info.channels.delete(conn);
      this.log.info('consumer left', { group: info.groupName, clientId: had.clientId, addr: conn.remoteAddress, why: `connection closed (${reason})`, members: info.channels.size });
      this.afterLeave(info);
    }
    for (const [group, m] of [...this.producers]) if (m.delete(conn) && m.size === 0) this.producers.delete(group);
  }

  private afterLeave(info: ConsumerGroupInfo): void {
    if (info.channels.size === 0) {
      this.consumers.delete(info.groupName);
      this.log.info('consumer group has no member left', { group: info.groupName });
      return;
    }
    this.notifyChange(info);
  }

  /** ConsumerGroupInfo.updateSubscription: new topics are added, newer versions replace older, topics not declared are removed. */
  private updateSubscriptions(info: ConsumerGroupInfo, subs: readonly SubscriptionData[]): boolean {
    let changed = false;
    const declared = new Set<string>();
    for (const s of subs) {
      declared.add(s.topic);
      const old = info.subscriptions.get(s.topic);
      if (old === undefined) {
        info.subscriptions.set(s.topic, toSubscription(s));
        changed = true;
      } else if (s.subVersion > old.subVersion) {
        if (old.subString !== s.subString) this.log.info('subscription changed', { group: info.groupName, topic: s.topic, from: old.subString, to: s.subString });
        info.subscriptions.set(s.topic, toSubscription(s));
      }
    }
    for (const topic of [...info.subscriptions.keys()]) {
      if (!declared.has(topic)) {
        info.subscriptions.delete(topic);
        changed = true;
      }
    }
    return changed;
  }

  /** NOTIFY_CONSUMER_IDS_CHANGED (oneway) to every member of a CLUSTERING group. */
  private notifyChange(info: ConsumerGroupInfo): void {
    if (!this.opts.notifyConsumerIdsChanged || info.messageModel === 'BROADCASTING' || this.opts.groupNotifies?.(info.groupName) === false) return;
    for (const ch of info.channels.values()) {
      if (ch.conn.isClosed) continue;
      try {
        ch.conn.oneway(createRequest(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, { extFields: { consumerGroup: info.groupName } }));
      } catch (e) {
        this.log.debug('notifying a consumer failed', { group: info.groupName, clientId: ch.clientId, err: e as Error });
      }
    }
  }
}
