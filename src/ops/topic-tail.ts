/**
 * Follows a topic without a consumer group (`rmqctl message tail`): one long-polling pull loop per
 * readable queue of every broker group serving the topic, from the end (or the beginning) of each
 * queue, delivering records as they arrive. No offsets are committed; nothing is rebalanced.
 *
 * Each queue is read where the last answer suggested (suggestWhichBrokerId) — its master, or a
 * slave while the master is gone from the route (pull-target.ts). A failed pull re-reads the route
 * at once (a dead master has left it within moments: NameServers drop a broker whose connection
 * closes), so reading resumes from the slave at the same offset; it returns to the master when the
 * master is back. The route is also re-read every 30 s for new queues and broker groups.
 */
import type { MessageRecord } from '../protocol/message/record.js';
import { isReadable } from '../protocol/perm.js';
import type { TopicRouteData } from '../protocol/route.js';
import type { AdminClient } from '../client/admin.js';
import { recordsOf, type BrokerApi, type PullResult } from '../client/broker-api.js';
import { pullTarget, type PullTarget } from '../client/pull-target.js';
import type { MessageQueue } from '../client/publish-info.js';
import { setTimeout as sleep } from 'node:timers/promises';

export interface TailOptions {
  topic: string;
  /** Tag expression (`*`, `TagA || TagB`). */
  subscription?: string;
  /** Start at each queue's end (default) or its first stored message. */
  from?: 'end' | 'beginning';
  consumerGroup?: string;
  signal: AbortSignal;
  /**
   * `source`: the broker that served the record (its id: 0 the master, > 0 a slave). A returned
   * promise holds the queue's delivery until it settles (a busy consumer); the queue's next pull
   * is already out then (sent when the answer came), the one after it waits.
   */
  onMessage: (record: MessageRecord, queue: MessageQueue, source: PullTarget) => void | Promise<void>;
  /** Transient failures (a broker down…), reported and retried. */
  onError?: (queue: MessageQueue, error: Error) => void;
  /** Every pull answer (tests and tools that watch where reads go). */
  onPull?: (queue: MessageQueue, source: PullTarget, result: PullResult) => void;
  /** How long each pull may be held by the broker (default 15 s). */
  suspendMillis?: number;
  /** Largest number of messages per pull (default 32). */
  maxMsgNums?: number;
}

/**
 * The group RocketMQ's own tools pull as (MixAll.TOOLS_CONSUMER_GROUP): every broker has it, so a
 * tail creates no group anywhere, and nothing is committed for it.
 */
export const TOOLS_CONSUMER_GROUP = 'TOOLS_CONSUMER';

const ROUTE_REFRESH_MILLIS = 30_000;
/** A route re-read because of a failure waits at least this long after the previous one. */
const ROUTE_RETRY_MILLIS = 200;
const RETRY_AFTER_ERROR_MILLIS = [100, 250, 500, 1_000];

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    // the listener goes when the delay ends, so a long tail does not pile listeners on the signal
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The topic's route, shared by the queue loops: re-read on demand, one read at a time, not more often than ROUTE_RETRY_MILLIS. */
class RouteCache {
  route: TopicRouteData | undefined;
  private reading: Promise<TopicRouteData | undefined> | undefined;
  private readAt = 0;

  constructor(
    private readonly admin: AdminClient,
    private readonly topic: string,
  ) {}

  refresh(): Promise<TopicRouteData | undefined> {
    this.reading ??= (async () => {
      const wait = this.readAt + ROUTE_RETRY_MILLIS - Date.now();
      if (wait > 0) await sleep(wait);
      try {
        const r = await this.admin.topicRoute(this.topic);
        if (r !== undefined) this.route = r;
        return r;
      } finally {
        this.readAt = Date.now();
      }
    })().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }
}

export async function tailTopic(deps: { admin: AdminClient; brokers: BrokerApi }, opts: TailOptions): Promise<void> {
  const running = new Map<string, Promise<void>>();
  const routes = new RouteCache(deps.admin, opts.topic);

  const followQueue = async (q: MessageQueue) => {
    let offset: number | undefined;
    let suggested = 0;
    let failures = 0;
    /**
     * The next pull, sent before the previous answer's records are delivered (as Java's push
     * consumer pulls again before its consume threads are done): the broker reads the next batch
     * while this one is decoded and handed out. One pull in flight per queue still.
     */
    let ahead: { target: PullTarget; offset: number; result: Promise<PullResult> } | undefined;
    const pullAt = (target: PullTarget, from: number): Promise<PullResult> =>
      deps.brokers.pull(target.addr, {
        consumerGroup: opts.consumerGroup ?? TOOLS_CONSUMER_GROUP,
        topic: q.topic,
        queueId: q.queueId,
        queueOffset: from,
        subscription: opts.subscription ?? '*',
        suspendTimeoutMillis: opts.suspendMillis ?? 15_000,
        maxMsgNums: opts.maxMsgNums ?? 32,
      });
    while (!opts.signal.aborted) {
      const target = ahead?.target ?? (routes.route === undefined ? undefined : pullTarget(routes.route, q.brokerName, suggested));
      try {
        if (target === undefined) throw new Error(`no broker of ${q.brokerName} is in the route`);
        if (offset === undefined) {
          offset = opts.from === 'beginning' ? await deps.brokers.minOffset(target.addr, q.topic, q.queueId) : await deps.brokers.maxOffset(target.addr, q.topic, q.queueId);
        }
        const pending = ahead !== undefined && ahead.offset === offset ? ahead.result : pullAt(target, offset);
        ahead = undefined;
        const r = await pending;
        if (opts.signal.aborted) return;
        failures = 0;
        opts.onPull?.(q, target, r);
        const next = r.suggestWhichBrokerId;
        // sent elsewhere: follow, and re-read the route when it does not have that broker (the master is back)
        if (next !== target.brokerId) {
          suggested = next;
          const to = routes.route === undefined ? undefined : pullTarget(routes.route, q.brokerName, next);
          if (to === undefined || to.brokerId !== next) await routes.refresh().catch(() => undefined);
        }
        if (r.status === 'FOUND') {
          const to = routes.route === undefined ? undefined : pullTarget(routes.route, q.brokerName, suggested);
          if (to !== undefined) {
            ahead = { target: to, offset: r.nextBeginOffset, result: pullAt(to, r.nextBeginOffset) };
            // settled by the next turn of the loop, or dropped (a failed delivery, an abort)
            ahead.result.catch(() => {});
            // a full answer (a backlog): the connection writes what was queued once the current
            // run of microtasks ends — yield to the event loop so the pull goes out before the
            // records are decoded and delivered, and broker and consumer work at the same time. A
            // short answer (a live queue) is delivered first: the pull will only be held, and
            // sending it first hands the core to the broker.
            if (r.nextBeginOffset - offset >= (opts.maxMsgNums ?? 32)) await new Promise<void>((resolve) => setImmediate(resolve));
          }
          for (const rec of recordsOf(r.body)) {
            const busy = opts.onMessage(rec, q, target);
            if (busy !== undefined) await busy;
          }
        }
        // only past the records once they are delivered: a delivery that throws gets them again
        offset = r.nextBeginOffset;
      } catch (e) {
        ahead = undefined;
        if (opts.signal.aborted) return;
        opts.onError?.(q, e as Error);
        // the broker may be gone: the route says where to read now
        suggested = 0;
        await routes.refresh().catch(() => undefined);
        await delay(RETRY_AFTER_ERROR_MILLIS[Math.min(failures++, RETRY_AFTER_ERROR_MILLIS.length - 1)] as number, opts.signal);
      }
    }
  };

  const follow = async () => {
    const route = await routes.refresh();
    if (route === undefined) throw new Error(`topic ${opts.topic} has no route: no broker serves it`);
    for (const qd of route.queueDatas) {
      if (!isReadable(qd.perm)) continue;
      for (let queueId = 0; queueId < qd.readQueueNums; queueId++) {
        const key = `${qd.brokerName}/${queueId}`;
        if (!running.has(key)) running.set(key, followQueue({ topic: opts.topic, brokerName: qd.brokerName, queueId }));
      }
    }
  };
  await follow();
  while (!opts.signal.aborted) {
    await delay(ROUTE_REFRESH_MILLIS, opts.signal);
    if (!opts.signal.aborted) await follow().catch(() => {});
  }
  await Promise.all(running.values());
}
