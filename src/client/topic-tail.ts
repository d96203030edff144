/**
 * Follows a topic without a consumer group (`rmqctl message tail`): one long-polling pull loop per
 * readable queue of every master serving the topic, from the end (or the beginning) of each
 * queue, delivering records as they arrive. No offsets are committed; nothing is rebalanced.
 * The route is re-read every 30 s so new queues and broker groups are followed too.
 */
import type { MessageRecord } from '../protocol/message/record.js';
import { isReadable } from '../protocol/perm.js';
import { masterAddr } from '../protocol/route.js';
import type { AdminClient } from './admin.js';
import { recordsOf, type BrokerApi } from './broker-api.js';
import type { MessageQueue } from './publish-info.js';

export interface TailOptions {
  topic: string;
  /** Tag expression (`*`, `TagA || TagB`). */
  subscription?: string;
  /** Start at each queue's end (default) or its first stored message. */
  from?: 'end' | 'beginning';
  consumerGroup?: string;
  signal: AbortSignal;
  onMessage: (record: MessageRecord, queue: MessageQueue) => void;
  /** Transient failures (a broker down…), reported and retried. */
  onError?: (queue: MessageQueue, error: Error) => void;
  /** How long each pull may be held by the broker (default 15 s). */
  suspendMillis?: number;
}

const ROUTE_REFRESH_MILLIS = 30_000;
const RETRY_AFTER_ERROR_MILLIS = 1_000;

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}

export async function tailTopic(deps: { admin: AdminClient; brokers: BrokerApi }, opts: TailOptions): Promise<void> {
  const running = new Map<string, Promise<void>>();
  const followQueue = async (q: MessageQueue, addr: string) => {
    let offset: number | undefined;
    while (!opts.signal.aborted) {
      try {
        if (offset === undefined) {
          offset = opts.from === 'beginning' ? await deps.brokers.minOffset(addr, q.topic, q.queueId) : await deps.brokers.maxOffset(addr, q.topic, q.queueId);
        }
        const r = await deps.brokers.pull(addr, {
          consumerGroup: opts.consumerGroup ?? 'rmqctl_tail',
          topic: q.topic,
          queueId: q.queueId,
          queueOffset: offset,
          subscription: opts.subscription ?? '*',
          suspendTimeoutMillis: opts.suspendMillis ?? 15_000,
        });
        if (opts.signal.aborted) return;
        if (r.status === 'FOUND') for (const rec of recordsOf(r.body)) opts.onMessage(rec, q);
        offset = r.nextBeginOffset;
      } catch (e) {
        if (opts.signal.aborted) return;
        opts.onError?.(q, e as Error);
        await delay(RETRY_AFTER_ERROR_MILLIS, opts.signal);
      }
    }
  };
  const refresh = async () => {
    const route = await deps.admin.topicRoute(opts.topic);
    if (route === undefined) throw new Error(`topic ${opts.topic} has no route: no broker serves it`);
    for (const qd of route.queueDatas) {
      const bd = route.brokerDatas.find((b) => b.brokerName === qd.brokerName);
      const addr = bd && masterAddr(bd);
      if (addr === undefined || !isReadable(qd.perm)) continue;
      for (let queueId = 0; queueId < qd.readQueueNums; queueId++) {
        const key = `${qd.brokerName}/${queueId}`;
        if (!running.has(key)) running.set(key, followQueue({ topic: opts.topic, brokerName: qd.brokerName, queueId }, addr));
      }
    }
  };
  await refresh();
  while (!opts.signal.aborted) {
    await delay(ROUTE_REFRESH_MILLIS, opts.signal);
    if (!opts.signal.aborted) await refresh().catch(() => {});
  }
  await Promise.all(running.values());
}
