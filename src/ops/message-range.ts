/**
 * Messages of a topic stored within a time range (the Dashboard's "query by topic and time",
 * mqadmin's queryMsgByOffset over SEARCH_OFFSET_BY_TIMESTAMP): on the master of every broker group
 * serving the topic, each readable queue's first offset at or after `begin` and last before `end`
 * (SEARCH_OFFSET_BY_TIMESTAMP), then the records between them read with non-held pulls as
 * RocketMQ's tools group (nothing is committed). Newest first, at most `max` in all: a range with
 * more says so (`truncated`), so a caller narrows it rather than reading a whole topic.
 */
import { isReadable } from '../protocol/perm.js';
import { masterAddr } from '../protocol/route.js';
import type { AdminClient } from '../client/admin.js';
import type { BrokerApi } from '../client/broker-api.js';
import { MessageNotFoundError, splitRecords, type FoundMessage } from './message-lookup.js';
import { TOOLS_CONSUMER_GROUP } from './topic-tail.js';

export interface RangeOptions {
  /** Store time from (ms, inclusive). */
  begin: number;
  /** Store time to (ms, exclusive). */
  end: number;
  /** At most this many messages in all (default 64). */
  max?: number;
}

export interface RangeResult {
  messages: FoundMessage[];
  /** More messages of the range were left out (over `max`). */
  truncated: boolean;
  /** Queues that could not be read, with why. */
  problems: string[];
}

/** Pulls are capped per request by the broker; this many records are asked for at a time. */
const PULL_BATCH = 32;

export async function findByTime(d: { admin: AdminClient; brokers: BrokerApi }, topic: string, opts: RangeOptions): Promise<RangeResult> {
  const max = opts.max ?? 64;
  if (!(opts.end > opts.begin)) throw new RangeError(`the time range is empty: ${new Date(opts.begin).toISOString()} is not before ${new Date(opts.end).toISOString()}`);
  const route = await d.admin.topicRoute(topic);
  if (route === undefined) throw new MessageNotFoundError(`topic ${topic} has no route: no broker serves it`);
  const problems: string[] = [];
  const queues: { addr: string; queueId: number }[] = [];
  for (const qd of route.queueDatas) {
    if (!isReadable(qd.perm)) continue;
    const bd = route.brokerDatas.find((b) => b.brokerName === qd.brokerName);
    const addr = bd && masterAddr(bd);
    if (addr === undefined) {
      problems.push(`${qd.brokerName}: no live master`);
      continue;
    }
    for (let queueId = 0; queueId < qd.readQueueNums; queueId++) queues.push({ addr, queueId });
  }
  const found: FoundMessage[] = [];
  let truncated = false;
  await Promise.all(
    queues.map(async ({ addr, queueId }) => {
      try {
        const from = await d.brokers.searchOffset(addr, topic, queueId, opts.begin, 'lower');
        const to = Math.min(await d.brokers.maxOffset(addr, topic, queueId), (await d.brokers.searchOffset(addr, topic, queueId, opts.end, 'upper')) + 1);
        // the newest `max` of this queue are enough: no more than `max` are kept in all
        let offset = Math.max(from, to - max);
        if (offset > from) truncated = true;
        while (offset < to) {
          const r = await d.brokers.pull(addr, { consumerGroup: TOOLS_CONSUMER_GROUP, topic, queueId, queueOffset: offset, maxMsgNums: Math.min(PULL_BATCH, to - offset) });
          if (r.status !== 'FOUND') break;
          for (const { record, raw } of splitRecords(r.body ?? Buffer.alloc(0))) {
            if (record.queueOffset >= to) break;
            if (record.storeTimestamp >= opts.begin && record.storeTimestamp < opts.end) found.push({ addr, record, raw });
          }
          if (r.nextBeginOffset <= offset) break;
          offset = r.nextBeginOffset;
        }
      } catch (e) {
        problems.push(`${addr} queue ${queueId}: ${(e as Error).message}`);
      }
    }),
  );
  found.sort((a, b) => b.record.storeTimestamp - a.record.storeTimestamp || b.record.physicalOffset - a.record.physicalOffset);
  if (found.length > max) truncated = true;
  return { messages: found.slice(0, max), truncated, problems };
}
