/**
 * Where a producer may send a topic's messages (Java `TopicPublishInfo` + `MQFaultStrategy`):
 * the writable queues of the route's master brokers, in brokerName then queueId order, chosen
 * round robin; a broker that just failed is avoided for a while, and a retry avoids the broker
 * the last attempt went to — unless nothing else is left.
 */
import { isWriteable } from '../protocol/perm.js';
import type { MessageQueue } from '../protocol/message-queue.js';
import { masterAddr, type TopicRouteData } from '../protocol/route.js';

export type { MessageQueue } from '../protocol/message-queue.js';

export class TopicPublishInfo {
  /** Round-robin position; starts at random so producers spread over queues. */
  private index = Math.floor(Math.random() * 0x7fffffff);

  constructor(
    readonly topic: string,
    readonly queues: readonly MessageQueue[],
    /** brokerName → master address */
    readonly brokerAddrs: ReadonlyMap<string, string>,
    readonly route: TopicRouteData,
  ) {}

  /**
   * From a route: queues of queueDatas with the write bit whose broker group has a master. For a
   * topic routed through TBW102 (not created yet), `cap` limits each broker to that many queues
   * (the client's defaultTopicQueueNums), as the broker will create it with at most that many.
   */
  static fromRoute(topic: string, route: TopicRouteData, cap = Number.POSITIVE_INFINITY): TopicPublishInfo {
    const addrs = new Map<string, string>();
    for (const b of route.brokerDatas) {
      const m = masterAddr(b);
      if (m !== undefined) addrs.set(b.brokerName, m);
    }
    const queues: MessageQueue[] = [];
    const datas = [...route.queueDatas].sort((a, b) => (a.brokerName < b.brokerName ? -1 : a.brokerName > b.brokerName ? 1 : 0));
    for (const q of datas) {
      if (!isWriteable(q.perm) || !addrs.has(q.brokerName)) continue;
      const n = Math.min(q.writeQueueNums, cap);
      for (let queueId = 0; queueId < n; queueId++) queues.push({ topic, brokerName: q.brokerName, queueId });
    }
    return new TopicPublishInfo(topic, queues, addrs, route);
  }

  get ok(): boolean {
    return this.queues.length > 0;
  }

  /**
   * The next queue: round robin, skipping brokers in `avoid` (failed recently, or tried by an
   * earlier attempt of this send); when every queue is on such a broker, the plain next one.
   */
  select(avoid: (brokerName: string) => boolean): MessageQueue {
    const n = this.queues.length;
    for (let i = 0; i < n; i++) {
      const q = this.queues[(this.index = (this.index + 1) & 0x7fffffff) % n] as MessageQueue;
      if (!avoid(q.brokerName)) return q;
    }
    return this.queues[(this.index = (this.index + 1) & 0x7fffffff) % n] as MessageQueue;
  }
}

/**
 * Brokers to stay away from for a while (Java `LatencyFaultTolerance`): a broker that failed a
 * send is avoided for `isolationMillis`; one that answered slowly for a time that grows with the
 * latency (RocketMQ 5's table: ≥ 550 ms → 2 s, ≥ 1.8 s → 5 s, ≥ 3 s → 6 s, ≥ 5 s → 10 s, ≥ 15 s → 30 s).
 */
export class BrokerFaults {
  private readonly until = new Map<string, number>();

  constructor(
    private readonly isolationMillis = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  failed(brokerName: string): void {
    this.until.set(brokerName, this.now() + this.isolationMillis);
  }

  latency(brokerName: string, millis: number): void {
    const avoidFor = millis >= 15_000 ? 30_000 : millis >= 5_000 ? 10_000 : millis >= 3_000 ? 6_000 : millis >= 1_800 ? 5_000 : millis >= 550 ? 2_000 : 0;
    if (avoidFor > 0) this.until.set(brokerName, this.now() + avoidFor);
    else if (this.until.size > 0) this.until.delete(brokerName);
  }

  isAvoided(brokerName: string): boolean {
    if (this.until.size === 0) return false;
    const t = this.until.get(brokerName);
    if (t === undefined) return false;
    if (t <= this.now()) {
      this.until.delete(brokerName);
      return false;
    }
    return true;
  }
}
