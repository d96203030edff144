/**
 * A consumer's view of topic routes (Java MQClientInstance's topicRouteTable / brokerAddrTable):
 * the readable queues of each subscribed topic — every broker group with the read permission,
 * whether or not its master is up, so a group keeps its queues while a slave serves them — and
 * each broker group's addresses by broker id. Routes come from the NameServers, on demand and
 * on `refresh()`; a failed refresh keeps the last route.
 */
import { isReadable } from '../../protocol/perm.js';
import { MASTER_ID, type BrokerData, type TopicRouteData } from '../../protocol/route.js';
import type { MessageQueue } from '../../protocol/message-queue.js';
import type { Logger } from '../../util/log.js';
import type { AdminClient } from '../admin.js';
import { brokerIdTable, subscribeTarget, type PullTarget } from '../pull-target.js';

export class TopicRoutes {
  private readonly routes = new Map<string, TopicRouteData>();
  /** brokerName → broker id → address, merged over every route seen (latest wins). */
  private readonly brokers = new Map<string, ReadonlyMap<number, string>>();
  private readonly fetching = new Map<string, Promise<TopicRouteData | undefined>>();

  constructor(
    private readonly admin: AdminClient,
    private readonly log: Logger,
  ) {}

  /** The topic's route, fetched when not known yet; undefined when no NameServer has one. */
  async route(topic: string): Promise<TopicRouteData | undefined> {
    return this.routes.get(topic) ?? this.fetch(topic);
  }

  /** Fetches the topic's route again (one fetch per topic at a time). */
  fetch(topic: string): Promise<TopicRouteData | undefined> {
    let f = this.fetching.get(topic);
    if (f === undefined) {
      f = this.admin
        .topicRoute(topic)
        .then((route) => {
          if (route !== undefined) this.learn(topic, route);
          return route ?? this.routes.get(topic);
        })
        .finally(() => this.fetching.delete(topic));
      this.fetching.set(topic, f);
    }
    return f;
  }

  /** Refreshes every topic known so far; failures are logged and the last route kept. */
  async refresh(topics: Iterable<string> = this.routes.keys()): Promise<void> {
    await Promise.all(
      [...topics].map((t) =>
        this.fetch(t).catch((e: unknown) => {
          this.log.warn('route refresh failed; keeping the last route', { topic: t, err: e as Error });
        }),
      ),
    );
  }

  /** Readable queues of a topic (Java topicRouteData2TopicSubscribeInfo); [] without a route. */
  subscribeQueues(topic: string): MessageQueue[] {
    const route = this.routes.get(topic);
    if (route === undefined) return [];
    const out: MessageQueue[] = [];
    for (const q of route.queueDatas) {
      if (!isReadable(q.perm)) continue;
      for (let queueId = 0; queueId < q.readQueueNums; queueId++) out.push({ topic, brokerName: q.brokerName, queueId });
    }
    return out;
  }

  /** The address to pull from (../pull-target.ts: RocketMQ's findBrokerAddressInSubscribe). */
  subscribeAddr(brokerName: string, brokerId: number = MASTER_ID): PullTarget | undefined {
    const ids = this.brokers.get(brokerName);
    return ids === undefined ? undefined : subscribeTarget(ids, brokerId);
  }

  masterAddr(brokerName: string): string | undefined {
    return this.brokers.get(brokerName)?.get(MASTER_ID);
  }

  /** Any broker serving the topic, master preferred (where to ask for the group's member list). */
  anyBrokerOf(topic: string): string | undefined {
    const route = this.routes.get(topic);
    const datas: BrokerData[] = route ? [...route.brokerDatas].sort((a, b) => (a.brokerName < b.brokerName ? -1 : a.brokerName > b.brokerName ? 1 : 0)) : [];
    for (const b of datas) {
      const a = this.subscribeAddr(b.brokerName);
      if (a !== undefined) return a.addr;
    }
    return undefined;
  }

  /** Every broker address of every route known (heartbeats go to all of them, slaves too). */
  allBrokerAddrs(): { brokerName: string; brokerId: number; addr: string }[] {
    const out: { brokerName: string; brokerId: number; addr: string }[] = [];
    for (const [brokerName, ids] of this.brokers) for (const [brokerId, addr] of ids) out.push({ brokerName, brokerId, addr });
    return out;
  }

  private learn(topic: string, route: TopicRouteData): void {
    this.routes.set(topic, route);
    for (const b of route.brokerDatas) this.brokers.set(b.brokerName, brokerIdTable(b));
  }
}
