/**
 * A broker's Prometheus metrics (docs/guide/monitoring.md has the table), read at scrape time
 * from the broker's own counters and state — nothing here runs on the send or pull path:
 *
 * - RocketMQ 5's names and labels (BrokerMetricsConstant, RemotingMetricsConstant,
 *   DefaultStoreMetricsConstant): `rocketmq_messages_in_total`, `rocketmq_throughput_in_total`,
 *   `rocketmq_messages_out_total`, `rocketmq_consumer_lag_messages`, `rocketmq_rpc_latency` …
 *   with `cluster`, `node_type`, `node_id` (the broker name) on every series;
 * - rocketmq-exporter's gauges, names and labels as its RMQMetricsCollector writes them
 *   (`rocketmq_producer_tps`, `rocketmq_group_diff`, `rocketmq_brokeruntime_*` …), so Grafana
 *   boards built on the exporter work when Prometheus scrapes brokers directly. Like the
 *   exporter, which asks masters only, only a master emits them (and the lag figures);
 * - rmqd's own (`rmq_*`): store disk, replication, node info.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { HaRuntimeInfo } from '../../protocol/ha-runtime-info.js';
import { isDlqTopic, isRetryTopic, RETRY_GROUP_TOPIC_PREFIX, DLQ_GROUP_TOPIC_PREFIX, SYSTEM_GROUP_NAMES } from '../../protocol/topic-names.js';
import { registerRpcLatency } from '../../remoting/rpc-latency-metric.js';
import type { TimedDispatcher } from '../../remoting/timed-dispatcher.js';
import { perScrape, scrapedCounter, scrapedGauge, type Emit, type Labels } from '../../util/prom-metrics.js';
import type { BrokerContext } from '../context.js';
import { rpcLabel, type GrpcCallLatency } from '../grpc/call-latency.js';
import { MESSAGE_TYPES } from '../stats.js';
import { brokerRuntimeInfo, storeDisk } from './runtime-info.js';

export interface BrokerMetricsSources {
  ctx: BrokerContext;
  /** Request latencies (the broker's dispatcher). */
  rpc: TimedDispatcher;
  /** v5 call latencies, when the broker serves gRPC. */
  grpc?: GrpcCallLatency;
  /** Replication state (GET_BROKER_HA_STATUS's body). */
  ha: () => Promise<HaRuntimeInfo>;
  metricsPort: number;
}

/** One consumer group on one topic of this broker, summed over the topic's queues. */
export interface GroupTopicProgress {
  group: string;
  topic: string;
  /** Σ max(0, max offset − committed offset) over queues with a committed offset (what `group describe` shows). */
  lag: number;
  /** Σ max(0, pulled − committed): delivered to clients, not committed yet. */
  inflight: number;
  /** Σ max(0, max offset − pulled): stored, not pulled yet. */
  ready: number;
  /** Σ max offsets and Σ committed offsets (negative counted as 0), as ConsumeStats reports them. */
  brokerOffsets: number;
  consumerOffsets: number;
  /** ms since the oldest unconsumed message was stored (0: nothing waiting). */
  lagLatencyMillis: number;
  /** ms since the oldest unpulled message was stored (0: nothing waiting). */
  queueingLatencyMillis: number;
}

const bool = (b: boolean) => (b ? 'true' : 'false');
const isSystemGroup = (g: string) => SYSTEM_GROUP_NAMES.includes(g) || g.toLowerCase().startsWith('cid_rmq_sys_');

/** Every (group, topic) with committed offsets on this broker, with lag figures (computed per scrape). */
export async function groupProgress(ctx: BrokerContext, now = Date.now()): Promise<GroupTopicProgress[]> {
  const { consumerOffsets, topics, store } = ctx;
  const out: GroupTopicProgress[] = [];
  for (const group of consumerOffsets.groups()) {
    for (const topic of consumerOffsets.topicsOf(group)) {
      const tc = topics.get(topic);
      if (tc === undefined) continue;
      const p: GroupTopicProgress = { group, topic, lag: 0, inflight: 0, ready: 0, brokerOffsets: 0, consumerOffsets: 0, lagLatencyMillis: 0, queueingLatencyMillis: 0 };
      let oldestUnconsumed = Infinity;
      let oldestUnpulled = Infinity;
      for (let queueId = 0; queueId < tc.readQueueNums; queueId++) {
        const max = Math.max(0, store.getMaxOffsetInQueue(topic, queueId));
        const committed = consumerOffsets.queryOffset(group, topic, queueId);
        p.brokerOffsets += max;
        p.consumerOffsets += Math.max(0, committed);
        if (committed < 0) continue;
        const pulled = Math.max(committed, consumerOffsets.queryPullOffset(group, topic, queueId));
        p.lag += Math.max(0, max - committed);
        p.inflight += Math.max(0, pulled - committed);
        p.ready += Math.max(0, max - pulled);
        if (committed < max) {
          const ts = await store.getMessageStoreTimestamp(topic, queueId, committed);
          if (ts > 0) oldestUnconsumed = Math.min(oldestUnconsumed, ts);
        }
        if (pulled < max) {
          const ts = await store.getMessageStoreTimestamp(topic, queueId, pulled);
          if (ts > 0) oldestUnpulled = Math.min(oldestUnpulled, ts);
        }
      }
      if (Number.isFinite(oldestUnconsumed)) p.lagLatencyMillis = Math.max(0, now - oldestUnconsumed);
      if (Number.isFinite(oldestUnpulled)) p.queueingLatencyMillis = Math.max(0, now - oldestUnpulled);
      out.push(p);
    }
  }
  return out;
}

/** Topic → Σ max offsets of its queues (rocketmq_producer_offset & co.). */
function topicOffsets(ctx: BrokerContext): Map<string, number> {
  const out = new Map<string, number>();
  for (const q of ctx.store.listQueues()) out.set(q.topic, (out.get(q.topic) ?? 0) + Math.max(0, q.maxOffset));
  return out;
}

/** Runtime-info keys the exporter turns into `rocketmq_brokeruntime_*` gauges (metric suffix → key, how to read it). */
const BROKERUNTIME: readonly [string, string, (v: string) => number | undefined][] = (() => {
  const num = (v: string) => (v === '' || Number.isNaN(Number(v)) ? undefined : Number(v));
  const first = (v: string) => num(v.split(' ')[0] ?? '');
  const tps = (i: number) => (v: string) => num(v.split(' ')[i] ?? '');
  const l: [string, string, (v: string) => number | undefined][] = [
    ['msg_put_total_today_now', 'msgPutTotalTodayNow', num],
    ['msg_gettotal_today_now', 'msgGetTotalTodayNow', num],
    ['msg_puttotal_todaymorning', 'msgPutTotalTodayMorning', num],
    ['msg_gettotal_todaymorning', 'msgGetTotalTodayMorning', num],
    ['msg_puttotal_yesterdaymorning', 'msgPutTotalYesterdayMorning', num],
    ['msg_gettotal_yesterdaymorning', 'msgGetTotalYesterdayMorning', num],
    ['dispatch_behind_bytes', 'dispatchBehindBytes', num],
    ['put_message_size_total', 'putMessageSizeTotal', num],
    ['put_message_average_size', 'putMessageAverageSize', num],
    ['putmessage_times_total', 'putMessageTimesTotal', num],
    ['putmessage_entire_time_max', 'putMessageEntireTimeMax', num],
    ['getmessage_entire_time_max', 'getMessageEntireTimeMax', num],
    ['earliest_message_timestamp', 'earliestMessageTimeStamp', num],
    ['start_accept_sendrequest_time', 'startAcceptSendRequestTimeStamp', num],
    ['remain_transientstore_buffer_numbs', 'remainTransientStoreBufferNumbs', num],
    ['pagecache_lock_time_mills', 'pageCacheLockTimeMills', num],
    ['commitlog_disk_ratio', 'commitLogDiskRatio', num],
    ['consumequeue_disk_ratio', 'consumeQueueDiskRatio', num],
    ['commitlog_maxoffset', 'commitLogMaxOffset', num],
    ['commitlog_minoffset', 'commitLogMinOffset', num],
    ['remain_howmanydata_toflush', 'remainHowManyDataToFlush', first],
    ['dispatch_maxbuffer', 'dispatchMaxBuffer', num],
    ['put_latency_99', 'putLatency99', num],
    ['put_latency_999', 'putLatency999', num],
    ['send_threadpool_queue_size', 'sendThreadPoolQueueSize', num],
    ['send_threadpoolqueue_capacity', 'sendThreadPoolQueueCapacity', num],
    ['send_threadpoolqueue_headwait_timemills', 'sendThreadPoolQueueHeadWaitTimeMills', num],
    ['pull_threadpoolqueue_size', 'pullThreadPoolQueueSize', num],
    ['pull_threadpoolqueue_capacity', 'pullThreadPoolQueueCapacity', num],
    ['pull_threadpoolqueue_headwait_timemills', 'pullThreadPoolQueueHeadWaitTimeMills', num],
    ['query_threadpoolqueue_size', 'queryThreadPoolQueueSize', num],
    ['query_threadpool_queue_capacity', 'queryThreadPoolQueueCapacity', num],
    ['query_threadpoolqueue_headwait_timemills', 'queryThreadPoolQueueHeadWaitTimeMills', num],
  ];
  for (const [metric, key] of [['put', 'putTps'], ['getfound', 'getFoundTps'], ['getmiss', 'getMissTps'], ['gettotal', 'getTotalTps'], ['gettransfered', 'getTransferedTps']] as const) {
    ['10', '60', '600'].forEach((w, i) => l.push([`${metric}_tps${w}`, key, tps(i)]));
  }
  return l;
})();

/** The exporter's putMessageDistributeTime buckets → metric suffixes. */
const PMDT: readonly [string, string][] = [
  ['<=0ms', '0ms'],
  ['0~10ms', '0to10ms'],
  ['10~50ms', '10to50ms'],
  ['50~100ms', '50to100ms'],
  ['100~200ms', '100to200ms'],
  ['200~500ms', '200to500ms'],
  ['500ms~1s', '500to1s'],
  ['1~2s', '1to2s'],
  ['2~3s', '2to3s'],
  ['3~4s', '3to4s'],
  ['4~5s', '4to5s'],
  ['5~10s', '5to10s'],
  ['10s~', '10stomore'],
];

export function brokerMetricsRegistry(src: BrokerMetricsSources): Registry {
  const { ctx, rpc } = src;
  const { config, stats, store, topics, clients, subscriptionGroups } = ctx;
  const registry = new Registry();
  const master = config.brokerRole !== 'SLAVE';
  const base: Labels = { cluster: config.brokerClusterName, node_type: 'broker', node_id: config.brokerName };
  const progress = perScrape(() => groupProgress(ctx));
  const runtime = perScrape(() => brokerRuntimeInfo(ctx, { metricsPort: src.metricsPort }));
  const ha = perScrape(src.ha);
  const disk = perScrape(() => storeDisk(ctx));
  const isSystem = (topic: string, group?: string) => bool(topics.isSystemTopic(topic) || (group !== undefined && isSystemGroup(group)));
  const gauge = (name: string, help: string, labels: readonly string[], fill: (emit: Emit) => void | Promise<void>) => scrapedGauge(registry, name, help, labels, fill);
  const counter = (name: string, help: string, labels: readonly string[], fill: (emit: Emit) => void | Promise<void>) => scrapedCounter(registry, name, help, labels, fill);
  const B = Object.keys(base);
  /** Exporter-compatible gauges exist on masters only (the exporter asks masters). */
  const onMaster = (f: (emit: Emit) => void | Promise<void>) => (emit: Emit) => (master ? f(emit) : undefined);

  collectDefaultMetrics({ register: registry, prefix: 'rmq_process_' });

  // ── RocketMQ 5 (BrokerMetricsConstant) ─────────────────────────────────────────────────────
  const inLabels = [...B, 'topic', 'message_type', 'is_system'];
  const eachTopicPut = (emit: Emit, pick: 'messages' | 'bytes') => {
    for (const [topic, t] of stats.topicPuts) {
      // RocketMQ counts client sends: retry and dead-letter traffic is left out
      if (isRetryTopic(topic) || isDlqTopic(topic)) continue;
      MESSAGE_TYPES.forEach((type, i) => {
        const v = t[pick][i] as number;
        if (v > 0 || i === 0) emit({ ...base, topic, message_type: type, is_system: isSystem(topic) }, v);
      });
    }
  };
  counter('rocketmq_messages_in_total', 'Messages stored from client sends (retry and DLQ topics excluded, as RocketMQ).', inLabels, (emit) => eachTopicPut(emit, 'messages'));
  counter('rocketmq_throughput_in_total', 'Bytes stored from client sends (as stored: record size).', inLabels, (emit) => eachTopicPut(emit, 'bytes'));
  const outLabels = [...B, 'topic', 'consumer_group', 'is_system'];
  const eachGroupGet = (emit: Emit, pick: 'messages' | 'bytes') => {
    for (const g of stats.groupGets.values()) {
      if (isRetryTopic(g.topic) || isDlqTopic(g.topic) || (g.messages === 0 && g.bytes === 0)) continue;
      emit({ ...base, topic: g.topic, consumer_group: g.group, is_system: isSystem(g.topic, g.group) }, g[pick]);
    }
  };
  counter('rocketmq_messages_out_total', 'Messages delivered to consumers by pulls (retry and DLQ topics excluded, as RocketMQ).', outLabels, (emit) => eachGroupGet(emit, 'messages'));
  counter('rocketmq_throughput_out_total', 'Bytes delivered to consumers by pulls.', outLabels, (emit) => eachGroupGet(emit, 'bytes'));
  counter('rocketmq_send_to_dlq_messages_total', 'Messages a consumer sent back that went to the dead-letter queue.', [...B, 'consumer_group', 'topic', 'is_system'], (emit) => {
    for (const g of stats.groupGets.values()) if (g.dlq > 0) emit({ ...base, consumer_group: g.group, topic: g.topic, is_system: isSystem(g.topic, g.group) }, g.dlq);
  });
  // transactions (RocketMQ 5 transaction metrics): half messages waiting, commits and rollbacks by topic
  gauge('rocketmq_half_messages', 'Transactional half messages neither committed nor rolled back yet, by topic.', [...B, 'topic'], (emit) => {
    for (const [topic, n] of ctx.transactions.pendingByTopic()) emit({ ...base, topic }, n);
  });
  counter('rocketmq_commit_messages_total', 'Transactional messages committed, by topic.', [...B, 'topic'], (emit) => {
    for (const [topic, n] of ctx.transactions.endedByTopic.commit) emit({ ...base, topic }, n);
  });
  counter('rocketmq_rollback_messages_total', 'Transactional messages rolled back, by topic.', [...B, 'topic'], (emit) => {
    for (const [topic, n] of ctx.transactions.endedByTopic.rollback) emit({ ...base, topic }, n);
  });
  // timers (RocketMQ 5 DefaultStoreMetricsConstant; our counts, no per-topic split)
  counter('rocketmq_timer_enqueue_total', 'Timer messages and recall markers indexed into the wheel.', B, (emit) => emit(base, ctx.timer.counts.enqueued));
  counter('rocketmq_timer_dequeue_total', 'Timer messages delivered to their topic (masters).', B, (emit) => emit(base, ctx.timer.counts.delivered));
  counter('rmq_timer_recalled_total', 'Timer messages cancelled by a recall before their time.', B, (emit) => emit(base, ctx.timer.counts.recalled));
  counter('rmq_timer_missing_total', 'Timer messages whose record was gone at delivery (retention, a cut log): not delivered.', B, (emit) => emit(base, ctx.timer.counts.missing));
  gauge('rocketmq_timing_messages', 'Timer units waiting: messages and recall markers in the wheel and the delivery heap.', B, (emit) => emit(base, ctx.timer.pending));
  gauge('rocketmq_timer_enqueue_lag', 'Entries of the timer topic not indexed yet.', B, (emit) => emit(base, ctx.timer.progress().enqueueLag));
  gauge('rocketmq_timer_dequeue_lag', 'ms the first slot not yet taken for delivery is behind now (0 on a slave).', B, (emit) => emit(base, ctx.timer.progress().dequeueLagMillis));
  gauge('rocketmq_topic_number', 'Topics on this broker.', B, (emit) => emit(base, topics.size));
  gauge('rocketmq_consumer_group_number', 'Subscription groups on this broker.', B, (emit) => emit(base, Object.keys(subscriptionGroups.snapshot().subscriptionGroupTable).length));
  gauge('rocketmq_broker_permission', 'brokerPermission (6 read+write, 4 read-only, 2 write-only).', B, (emit) => emit(base, config.brokerPermission));
  gauge('rocketmq_producer_connections', 'Producer connections, by client language and version.', [...B, 'language', 'version'], (emit) => {
    const n = new Map<string, { language: string; version: string; count: number }>();
    for (const group of clients.producerGroups()) {
      for (const ch of clients.producerGroup(group)) {
        const k = `${ch.language}/${ch.version}`;
        const e = n.get(k) ?? { language: String(ch.language).toLowerCase(), version: String(ch.version), count: 0 };
        e.count++;
        n.set(k, e);
      }
    }
    for (const e of n.values()) emit({ ...base, language: e.language, version: e.version }, e.count);
  });
  gauge('rocketmq_consumer_connections', 'Consumer connections, by group, client language and version.', [...B, 'consumer_group', 'language', 'version', 'consume_mode', 'is_system'], (emit) => {
    for (const info of clients.consumerGroups()) {
      const n = new Map<string, { language: string; version: string; count: number }>();
      for (const ch of info.channels.values()) {
        const language = String(ch.language).toLowerCase();
        const k = `${language}/${ch.version}`;
        const e = n.get(k) ?? { language, version: String(ch.version), count: 0 };
        e.count++;
        n.set(k, e);
      }
      const mode = info.consumeType === 'CONSUME_ACTIVELY' ? 'pull' : 'push';
      for (const e of n.values()) emit({ ...base, consumer_group: info.groupName, language: e.language, version: e.version, consume_mode: mode, is_system: bool(isSystemGroup(info.groupName)) }, e.count);
    }
  });
  const lagLabels = [...B, 'consumer_group', 'topic', 'is_retry', 'is_system'];
  const eachProgress = (pick: (p: Awaited<ReturnType<typeof groupProgress>>[number]) => number) =>
    onMaster(async (emit) => {
      for (const p of await progress()) emit({ ...base, consumer_group: p.group, topic: p.topic, is_retry: bool(isRetryTopic(p.topic)), is_system: isSystem(p.topic, p.group) }, pick(p));
    });
  gauge('rocketmq_consumer_lag_messages', 'Messages stored and not yet committed by the group (max offset − committed offset, summed over queues).', lagLabels, eachProgress((p) => p.lag));
  gauge('rocketmq_consumer_lag_latency', 'ms since the oldest message the group has not committed was stored.', lagLabels, eachProgress((p) => p.lagLatencyMillis));
  gauge('rocketmq_consumer_inflight_messages', 'Messages pulled by the group and not committed yet.', lagLabels, eachProgress((p) => p.inflight));
  gauge('rocketmq_consumer_ready_messages', 'Messages stored and not pulled by the group yet.', lagLabels, eachProgress((p) => p.ready));
  gauge('rocketmq_consumer_queueing_latency', 'ms since the oldest message the group has not pulled was stored.', lagLabels, eachProgress((p) => p.queueingLatencyMillis));
  registerRpcLatency(registry, rpc, base, function* () {
    if (src.grpc === undefined) return;
    for (const g of src.grpc.series()) {
      yield { labels: { protocol_type: 'grpc', request_code: rpcLabel(g.rpc), response_code: g.code, is_long_polling: String(g.isLongPolling), result: g.result }, counts: g.counts, sum: g.sumMillis, count: g.count };
    }
  });

  // ── RocketMQ 5 store (DefaultStoreMetricsConstant) ──────────────────────────────────────────
  const storeLabels = [...B, 'storage_type', 'storage_medium'];
  const sbase = { ...base, storage_type: 'local', storage_medium: 'disk' };
  gauge('rocketmq_storage_size', 'Bytes of commit log kept (max − min physical offset).', storeLabels, (emit) => emit(sbase, Math.max(0, store.maxPhysOffset - store.minPhysOffset)));
  gauge('rocketmq_storage_flush_behind_bytes', 'Commit-log bytes written and not yet fsynced.', storeLabels, (emit) => emit(sbase, Math.max(0, store.maxPhysOffset - store.flushedPhysOffset)));
  gauge('rocketmq_storage_dispatch_behind_bytes', 'Commit-log bytes not yet dispatched to queues (0: dispatch is synchronous here).', storeLabels, (emit) => emit(sbase, 0));
  gauge('rocketmq_storage_message_reserve_time', 'ms since the oldest message kept was stored.', storeLabels, async (emit) => {
    const earliest = await store.getEarliestMessageTime();
    emit(sbase, earliest > 0 ? Math.max(0, Date.now() - earliest) : 0);
  });

  // ── rmqd ────────────────────────────────────────────────────────────────────────────────────
  gauge('rmq_node_info', 'Always 1: the node and its role.', [...B, 'broker_id', 'role'], (emit) => emit({ ...base, broker_id: String(config.brokerId), role: config.brokerRole }, 1));
  gauge('rmq_store_disk_used_ratio', 'Used share of the store filesystem (0..1); writes stop at diskSpaceWarningLevelRatio.', B, async (emit) => {
    const d = await disk();
    if (d !== undefined && d.total > 0) emit(base, (d.total - d.free) / d.total);
  });
  gauge('rmq_store_disk_bytes', 'Store filesystem size and free space.', [...B, 'kind'], async (emit) => {
    const d = await disk();
    if (d === undefined) return;
    emit({ ...base, kind: 'total' }, d.total);
    emit({ ...base, kind: 'free' }, d.free);
  });
  gauge('rmq_commitlog_offset_bytes', 'Commit-log physical offsets: min kept, max written, flushed.', [...B, 'kind'], (emit) => {
    emit({ ...base, kind: 'min' }, store.minPhysOffset);
    emit({ ...base, kind: 'max' }, store.maxPhysOffset);
    emit({ ...base, kind: 'flushed' }, store.flushedPhysOffset);
  });
  counter('rmq_send_failures_total', 'Sends refused or failed in the store.', B, (emit) => emit(base, stats.putFailures));
  gauge('rmq_pull_hold_requests', 'Long-polling pulls held now.', B, (emit) => emit(base, ctx.pullHold.size));
  gauge('rmq_ha_slave_behind_bytes', 'Master: bytes of commit log a slave does not have yet.', [...B, 'slave'], async (emit) => {
    for (const c of (await ha()).haConnectionInfo) emit({ ...base, slave: c.addr }, Math.max(0, c.diff));
  });
  gauge('rmq_ha_slave_behind_seconds', 'Master: age of the oldest message a slave does not have yet (0: in step).', [...B, 'slave'], async (emit) => {
    for (const c of (await ha()).haConnectionInfo) emit({ ...base, slave: c.addr }, (c.lagMillis ?? 0) / 1000);
  });
  gauge('rmq_ha_in_sync_slaves', 'Master: slaves within haMaxGapNotInSync.', B, async (emit) => {
    if (master) emit(base, (await ha()).inSyncSlaveNums);
  });
  gauge('rmq_ha_replicating', 'Slave: 1 while its replication stream from the master is live.', B, async (emit) => {
    if (!master) emit(base, (await ha()).haClientRuntimeInfo.state === 'replicating' ? 1 : 0);
  });

  // ── rocketmq-exporter (RMQMetricsCollector) ─────────────────────────────────────────────────
  const cluster = config.brokerClusterName;
  const broker = config.brokerName;
  const brokerIP = ctx.brokerAddr;
  const topicNums = ['cluster', 'broker', 'topic'];
  const groupNums = ['cluster', 'broker', 'topic', 'group'];
  const userTopic = (t: string) => !isRetryTopic(t) && !isDlqTopic(t);
  gauge('rocketmq_producer_tps', 'exporter: messages put per second into the topic over the last minute (TOPIC_PUT_NUMS).', topicNums, onMaster((emit) => {
    for (const [topic, it] of stats.sets.TOPIC_PUT_NUMS.entries()) if (userTopic(topic)) emit({ cluster, broker, topic }, it.inMinute().tps);
  }));
  gauge('rocketmq_producer_message_size', 'exporter: bytes put per second into the topic over the last minute (TOPIC_PUT_SIZE).', topicNums, onMaster((emit) => {
    for (const [topic, it] of stats.sets.TOPIC_PUT_SIZE.entries()) if (userTopic(topic)) emit({ cluster, broker, topic }, it.inMinute().tps);
  }));
  gauge('rocketmq_producer_offset', 'exporter: Σ max offsets of the topic’s queues.', topicNums, onMaster((emit) => {
    for (const [topic, n] of topicOffsets(ctx)) if (userTopic(topic)) emit({ cluster, broker, topic }, n);
  }));
  gauge('rocketmq_topic_retry_offset', 'exporter: Σ max offsets of a retry topic’s queues.', topicNums, onMaster((emit) => {
    for (const [topic, n] of topicOffsets(ctx)) if (isRetryTopic(topic)) emit({ cluster, broker, topic }, n);
  }));
  gauge('rocketmq_topic_dlq_offset', 'exporter: Σ max offsets of a group’s dead-letter queues.', ['cluster', 'broker', 'group'], onMaster((emit) => {
    for (const [topic, n] of topicOffsets(ctx)) if (isDlqTopic(topic)) emit({ cluster, broker, group: topic.slice(DLQ_GROUP_TOPIC_PREFIX.length) }, n);
  }));
  gauge('rocketmq_producer_count', 'exporter: producer instances per producer group.', ['cluster', 'broker', 'group'], onMaster((emit) => {
    for (const group of clients.producerGroups()) emit({ cluster, broker, group }, clients.producerGroup(group).length);
  }));
  const statsWindowGauge = (name: string, help: string, set: 'GROUP_GET_NUMS' | 'GROUP_GET_SIZE' | 'SNDBCK_PUT_NUMS', read: 'tps' | 'sum') =>
    gauge(name, help, groupNums, onMaster((emit) => {
      for (const [key, it] of stats.sets[set].entries()) {
        const at = key.lastIndexOf('@');
        emit({ cluster, broker, topic: key.slice(0, at), group: key.slice(at + 1) }, it.inMinute()[read]);
      }
    }));
  statsWindowGauge('rocketmq_consumer_tps', 'exporter: messages pulled per second by the group over the last minute (GROUP_GET_NUMS).', 'GROUP_GET_NUMS', 'tps');
  statsWindowGauge('rocketmq_consumer_message_size', 'exporter: bytes pulled per second by the group over the last minute (GROUP_GET_SIZE).', 'GROUP_GET_SIZE', 'tps');
  statsWindowGauge('rocketmq_send_back_nums', 'exporter: messages the group sent back for a retry in the last minute (SNDBCK_PUT_NUMS).', 'SNDBCK_PUT_NUMS', 'sum');
  const eachProgressExporter = (pick: (p: GroupTopicProgress) => number, which: (topic: string) => boolean = () => true) =>
    onMaster(async (emit) => {
      for (const p of await progress()) if (which(p.topic)) emit({ cluster, broker, topic: p.topic, group: p.group }, pick(p));
    });
  gauge('rocketmq_consumer_offset', 'exporter: Σ committed offsets of the group on the topic.', groupNums, eachProgressExporter((p) => p.consumerOffsets));
  gauge('rocketmq_group_get_latency_by_storetime', 'exporter: ms since the oldest message the group has not consumed was stored.', groupNums, eachProgressExporter((p) => p.lagLatencyMillis));
  const diffLabels = ['group', 'topic', 'countOfOnlineConsumers', 'msgModel'];
  const diff = (which: (topic: string) => boolean) =>
    onMaster(async (emit) => {
      for (const p of await progress()) {
        if (!which(p.topic)) continue;
        const online = clients.consumerGroup(p.group);
        // the exporter records diffs for CLUSTERING groups only (msgModel: the enum ordinal, 1)
        if (online?.messageModel === 'BROADCASTING') continue;
        emit({ group: p.group, topic: p.topic, countOfOnlineConsumers: String(online?.channels.size ?? 0), msgModel: '1' }, Math.max(0, p.brokerOffsets - p.consumerOffsets));
      }
    });
  gauge('rocketmq_group_diff', 'exporter: Σ (broker offset − consumer offset) of the group on the topic.', diffLabels, diff(userTopic));
  gauge('rocketmq_group_retrydiff', 'exporter: the same for the group’s retry topic.', diffLabels, diff((t) => t.startsWith(RETRY_GROUP_TOPIC_PREFIX)));
  gauge('rocketmq_group_dlqdiff', 'exporter: the same for the group’s dead-letter topic.', diffLabels, diff(isDlqTopic));
  gauge('rocketmq_group_count', 'exporter: online consumers of the group.', ['caddr', 'localaddr', 'group'], onMaster((emit) => {
    for (const info of clients.consumerGroups()) {
      const chans = [...info.channels.values()];
      emit({ caddr: chans.map((c) => c.conn.remoteAddress).join(','), localaddr: chans.map((c) => c.clientId).join(','), group: info.groupName }, chans.length);
    }
  }));
  const brokerNums = ['cluster', 'brokerIP', 'broker'];
  gauge('rocketmq_broker_tps', 'exporter: messages put per second over the last minute (BROKER_PUT_NUMS).', brokerNums, onMaster((emit) => emit({ cluster, brokerIP, broker }, stats.sets.BROKER_PUT_NUMS.item(cluster).inMinute().tps)));
  gauge('rocketmq_broker_qps', 'exporter: messages got per second over the last minute (BROKER_GET_NUMS).', brokerNums, onMaster((emit) => emit({ cluster, brokerIP, broker }, stats.sets.BROKER_GET_NUMS.item(cluster).inMinute().tps)));
  gauge('rocketmq_broker_commitlog_diff', 'exporter: master − slave commit-log max offset, per slave (brokerIP: the slave’s HA connection).', brokerNums, onMaster(async (emit) => {
    for (const c of (await ha()).haConnectionInfo) emit({ cluster, brokerIP: c.addr, broker }, Math.max(0, c.diff));
  }));
  const rtLabels = ['cluster', 'brokerIP', 'brokerHost', 'des', 'boottime', 'broker_version'];
  const rtBase = async () => {
    const info = await runtime();
    return { info, labels: { cluster, brokerIP, brokerHost: '', des: info.brokerVersionDesc ?? '', boottime: info.bootTimestamp ?? '', broker_version: info.brokerVersion ?? '' } };
  };
  for (const [suffix, key, read] of BROKERUNTIME) {
    gauge(`rocketmq_brokeruntime_${suffix}`, `exporter: runtime info ${key}.`, rtLabels, onMaster(async (emit) => {
      const { info, labels } = await rtBase();
      const v = info[key] === undefined ? undefined : read(info[key] as string);
      if (v !== undefined) emit(labels, v);
    }));
  }
  gauge('rocketmq_brokeruntime_commitlogdir_capacity_total', 'exporter: store filesystem size (bytes).', rtLabels, onMaster(async (emit) => {
    const [d, { labels }] = await Promise.all([disk(), rtBase()]);
    if (d !== undefined) emit(labels, d.total);
  }));
  gauge('rocketmq_brokeruntime_commitlogdir_capacity_free', 'exporter: store filesystem free space (bytes).', rtLabels, onMaster(async (emit) => {
    const [d, { labels }] = await Promise.all([disk(), rtBase()]);
    if (d !== undefined) emit(labels, d.free);
  }));
  for (const [desc, suffix] of PMDT) {
    gauge(`rocketmq_brokeruntime_pmdt_${suffix}`, `exporter: sends that took ${desc} in the last full minute.`, rtLabels, onMaster(async (emit) => {
      const { info, labels } = await rtBase();
      const m = new RegExp(`\\[${desc.replace(/[~<=]/g, (c) => `\\${c}`)}\\]:(\\d+)`).exec(info.putMessageDistributeTime ?? '');
      emit(labels, m ? Number(m[1]) : 0);
    }));
  }
  return registry;
}
