/**
 * GET_BROKER_RUNTIME_INFO's table (Java AdminBrokerProcessor.prepareRuntimeInfo plus
 * StoreStatsService.getRuntimeInfo): every key rocketmq-exporter's BrokerRuntimeStats parses is
 * present and in Java's format (it parses most with Long.parseLong and gives up on the broker
 * at the first missing one), plus rmqd's own keys (marked). The metrics collectors read the
 * same table for the `rocketmq_brokeruntime_*` gauges.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { humanBytes } from '../../util/human-bytes.js';
import { brokerWriteState, writeStateInfo } from '../write-state.js';
import { MQVersion } from '../../remoting/version.js';
import type { BrokerContext } from '../context.js';
import { SCHEDULE_TOPIC } from '../../protocol/topic-names.js';


/** Where the commit log lives (its filesystem is the one that fills up). */
export function commitLogDirOf(config: BrokerContext['config']): string {
  return config.storePathCommitLog ?? path.join(config.storePathRootDir, 'commitlog');
}

/** The store filesystem's size and free space (bytes), read now; undefined when it cannot be read. */
export async function storeDisk(ctx: Pick<BrokerContext, 'config'>): Promise<{ total: number; free: number } | undefined> {
  try {
    const s = await fsp.statfs(commitLogDirOf(ctx.config));
    return { total: s.blocks * s.bsize, free: s.bavail * s.bsize };
  } catch {
    return undefined; // a vanished store directory shows up elsewhere
  }
}

/** Java's thread-pool capacities (BrokerConfig defaults): rmqd has no such queues, they are reported empty. */
const POOL_CAPACITY = { send: 10_000, pull: 100_000, query: 20_000, endTransaction: 100_000 };

export async function brokerRuntimeInfo(ctx: BrokerContext, extra: { metricsPort?: number } = {}): Promise<Record<string, string>> {
  const { stats, store } = ctx;
  const info: Record<string, string> = {
    brokerVersionDesc: 'V4_9_8',
    brokerVersion: String(MQVersion.V4_9_8),
    brokerActive: 'true',
    // where this broker serves the v5 gRPC protocol (other brokers' QueryRoute and `rmqctl status` read it)
    ...(ctx.config.grpcServerPort > 0 ? { grpcServerPort: String(ctx.config.grpcServerPort) } : {}),
    ...stats.runtimeInfo(),
    commitLogMinOffset: String(store.minPhysOffset),
    commitLogMaxOffset: String(store.maxPhysOffset),
    remainHowManyDataToFlush: humanBytes(Math.max(0, store.maxPhysOffset - store.flushedPhysOffset)),
    earliestMessageTimeStamp: String(await store.getEarliestMessageTime()),
    startAcceptSendRequestTimeStamp: '0',
    dispatchBehindBytes: '0', // dispatch is synchronous with the append
    pageCacheLockTimeMills: '0',
    // no transient store pool: Java reports Integer.MAX_VALUE then
    remainTransientStoreBufferNumbs: '2147483647',
    sendThreadPoolQueueSize: '0',
    sendThreadPoolQueueCapacity: String(POOL_CAPACITY.send),
    sendThreadPoolQueueHeadWaitTimeMills: '0',
    pullThreadPoolQueueSize: '0',
    pullThreadPoolQueueCapacity: String(POOL_CAPACITY.pull),
    pullThreadPoolQueueHeadWaitTimeMills: '0',
    queryThreadPoolQueueSize: '0',
    queryThreadPoolQueueCapacity: String(POOL_CAPACITY.query),
    queryThreadPoolQueueHeadWaitTimeMills: '0',
    EndTransactionQueueSize: '0',
    EndTransactionThreadPoolQueueCapacity: String(POOL_CAPACITY.endTransaction),
    // rmqd's own: long-polling pulls held now; commit-log writev calls (of them on the store thread) and fdatasyncs since start
    pullHoldRequests: String(ctx.pullHold.size),
    commitLogWrites: String(store.stats.writes),
    commitLogSyncWrites: String(store.stats.syncWrites),
    commitLogFsyncs: String(store.stats.fsyncs),
    ...popRuntimeInfo(ctx),
    // rmqd's own: whether a send is stored now, and if not why (write-state.ts)
    brokerRole: ctx.config.brokerRole,
    ...writeStateInfo(brokerWriteState(ctx.config, store), store),
    diskSpaceWarningLevelRatio: String(ctx.config.diskSpaceWarningLevelRatio),
    storePathCommitLog: commitLogDirOf(ctx.config),
    commitLogUnwrittenBytes: String(store.commitLog.unwrittenBytes),
  };
  // Java: scheduleMessageOffset_<level> = "<delivered offset>,<max offset of the level's queue>"
  for (const [level, offset] of ctx.schedule.offsetTable()) {
    info[`scheduleMessageOffset_${level}`] = `${offset},${Math.max(0, store.getMaxOffsetInQueue(SCHEDULE_TOPIC, level - 1))}`;
  }
  // RocketMQ 5's timer keys (timerReadBehind, timerOffsetBehind, timerCongestNum) and rmqd's own timer counters
  for (const [k, v] of Object.entries(ctx.timer.runtimeInfo())) info[k] = String(v);
  // rmqd: where this broker's Prometheus endpoint listens (0 = off), so tools can find its metrics
  if (extra.metricsPort !== undefined) info.metricsPort = String(extra.metricsPort);
  const disk = await storeDisk(ctx);
  if (disk !== undefined) {
    info.commitLogDirCapacity = `Total : ${humanBytes(disk.total)}, Free : ${humanBytes(disk.free)}.`;
    const ratio = disk.total > 0 ? ((disk.total - disk.free) / disk.total).toFixed(4) : '0';
    info.commitLogDiskRatio = ratio;
    // consume queues live under the same root here
    info.consumeQueueDiskRatio = ratio;
    info.commitLogDiskTotalBytes = String(disk.total);
    info.commitLogDiskFreeBytes = String(disk.free);
  }
  return info;
}

/** rmqd's own POP figures: receives waiting now (and the limit), messages in flight, journal records and appends since start. */
function popRuntimeInfo(ctx: BrokerContext): Record<string, string> {
  const p = ctx.pop.stats();
  return {
    popPollingRequests: String(p.pollers),
    popPollingLimit: String(p.maxPollers),
    popInflightMessages: String(p.inflight),
    popJournalRecords: String(p.journal.records),
    popJournalAppends: String(p.journal.appends),
  };
}
