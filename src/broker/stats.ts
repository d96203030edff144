/**
 * Broker counters, the one place the hot paths count into (plain numbers, no metrics library on
 * the send or pull path): messages and bytes put per topic and message type, got per topic and
 * group, send-backs, dead-lettered messages, send latencies. Everything that reports reads them:
 * GET_BROKER_RUNTIME_INFO (RocketMQ's StoreStatsService/BrokerStats keys, today / yesterday
 * snapshots at local midnight, tps over 10 s / 60 s / 600 s), VIEW_BROKER_STATS_DATA (Java's
 * StatsItemSets, metrics/stats-item.ts), GET_TOPIC_STATS_INFO / GET_CONSUME_STATS rates, and the
 * Prometheus collectors of metrics/broker-metrics.ts at scrape time.
 */
import { LatencyHistogram } from '../util/histogram.js';
import { groupStatsKey, HOUR_SAMPLE_MS, MINUTES_SAMPLE_MS, SECONDS_SAMPLE_MS, STATS_NAMES, StatsItemSet, type StatsItem, type StatsName } from './metrics/stats-item.js';

/** RocketMQ 5's message types (TopicMessageType metrics values); transactions are refused here. */
export const MESSAGE_TYPES = ['normal', 'fifo', 'delay', 'transaction'] as const;
export type MessageTypeIndex = 0 | 1 | 2 | 3;

/** Per topic: messages and bytes put by message type (rocketmq_messages_in_total & co.). */
export interface TopicPuts {
  readonly messages: Float64Array;
  readonly bytes: Float64Array;
}

/** Per `topic@group`: messages and bytes pulled, messages sent back, messages dead-lettered. */
export interface GroupGets {
  readonly topic: string;
  readonly group: string;
  messages: number;
  bytes: number;
  sentBack: number;
  dlq: number;
}

/** Java StoreStatsService.PUT_MESSAGE_ENTIRE_TIME_MAX_DESC, upper bounds in ms (last: no bound). */
export const PUT_DISTRIBUTION = [
  { desc: '[<=0ms]', below: 1 },
  { desc: '[0~10ms]', below: 10 },
  { desc: '[10~50ms]', below: 50 },
  { desc: '[50~100ms]', below: 100 },
  { desc: '[100~200ms]', below: 200 },
  { desc: '[200~500ms]', below: 500 },
  { desc: '[500ms~1s]', below: 1000 },
  { desc: '[1~2s]', below: 2000 },
  { desc: '[2~3s]', below: 3000 },
  { desc: '[3~4s]', below: 4000 },
  { desc: '[4~5s]', below: 5000 },
  { desc: '[5~10s]', below: 10000 },
  { desc: '[10s~]', below: Infinity },
] as const;

const PER_SECOND_RECORDS = 601; // 600 s of one-second samples plus the current one

/** Totals sampled every second, for the "10 s, 60 s, 600 s" rates Java prints (putTps & co.). */
class SecondsRing {
  private readonly values = new Float64Array(PER_SECOND_RECORDS);
  private readonly at = new Float64Array(PER_SECOND_RECORDS);
  private n = 0;

  sample(now: number, total: number): void {
    const i = this.n % PER_SECOND_RECORDS;
    this.values[i] = total;
    this.at[i] = now;
    this.n++;
  }

  /** Per second over the last `seconds` samples; undefined until that much history exists (Java prints nothing then). */
  rate(seconds: number): number | undefined {
    if (this.n <= seconds) return undefined;
    const last = (this.n - 1) % PER_SECOND_RECORDS;
    const before = (this.n - 1 - seconds) % PER_SECOND_RECORDS;
    const dt = (this.at[last] as number) - (this.at[before] as number);
    return dt <= 0 ? 0 : (((this.values[last] as number) - (this.values[before] as number)) * 1000) / dt;
  }
}

function midnight(now: number): number {
  const d = new Date(now);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

export interface BrokerStatsOptions {
  /** brokerClusterName: the key of BROKER_PUT_NUMS / BROKER_GET_NUMS. */
  clusterName?: string;
  now?: () => number;
}

export class BrokerStats {
  readonly bootTimestamp: number;
  readonly clusterName: string;
  private readonly now: () => number;
  /** Java's StatsItemSets by name (VIEW_BROKER_STATS_DATA). */
  readonly sets: Readonly<Record<StatsName, StatsItemSet>>;
  /** Per topic, by message type. */
  readonly topicPuts = new Map<string, TopicPuts>();
  /** Per `topic@group`. */
  readonly groupGets = new Map<string, GroupGets>();
  private readonly clusterPut: StatsItem;
  private readonly clusterGet: StatsItem;
  putMessages = 0;
  putBytes = 0;
  putFailures = 0;
  getFound = 0;
  getMiss = 0;
  /** Messages transferred to consumers (Java getTransferedTps counts messages of found pulls). */
  getTransferred = 0;
  /** Send latency (ms) distribution of the current and the last full minute (Java putMessageDistributeTime). */
  private putDistribution = new Float64Array(PUT_DISTRIBUTION.length);
  private lastPutDistribution = new Float64Array(PUT_DISTRIBUTION.length);
  /** Longest send (ms) since start (Java putMessageEntireTimeMax). */
  putLatencyMaxMillis = 0;
  /** Send latencies since start, for putLatency99/999. */
  readonly putLatency = new LatencyHistogram();
  private readonly puts = new SecondsRing();
  private readonly found = new SecondsRing();
  private readonly miss = new SecondsRing();
  private readonly transferred = new SecondsRing();
  private readonly totalRing = new SecondsRing();
  private today: number;
  private putTodayMorning = 0;
  private putYesterdayMorning = 0;
  private getTodayMorning = 0;
  private getYesterdayMorning = 0;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(opts: BrokerStatsOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.clusterName = opts.clusterName ?? 'DefaultCluster';
    this.bootTimestamp = this.now();
    this.today = midnight(this.bootTimestamp);
    this.sets = Object.fromEntries(Object.keys(STATS_NAMES).map((n) => [n, new StatsItemSet(n)])) as unknown as Record<StatsName, StatsItemSet>;
    this.clusterPut = this.sets.BROKER_PUT_NUMS.item(this.clusterName);
    this.clusterGet = this.sets.BROKER_GET_NUMS.item(this.clusterName);
  }

  /** Starts the samplers (1 s, 10 s, 10 min, 1 h, as Java); the timers do not keep the process alive. */
  start(): void {
    const every = (ms: number, f: () => void) => {
      f();
      const t = setInterval(f, ms);
      t.unref();
      this.timers.push(t);
    };
    every(1_000, () => this.sampleSecond());
    every(SECONDS_SAMPLE_MS, () => this.sampleSets('seconds'));
    every(MINUTES_SAMPLE_MS, () => this.sampleSets('minutes'));
    every(HOUR_SAMPLE_MS, () => this.sampleSets('hour'));
    every(60_000, () => this.rotateDistribution());
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
  }

  // ── hot path ────────────────────────────────────────────────────────────────────────────────

  /** A send stored `count` messages of `bytes` (one request). */
  recordPut(topic: string, count: number, bytes: number, type: MessageTypeIndex = 0): void {
    this.putMessages += count;
    this.putBytes += bytes;
    let t = this.topicPuts.get(topic);
    if (t === undefined) this.topicPuts.set(topic, (t = { messages: new Float64Array(MESSAGE_TYPES.length), bytes: new Float64Array(MESSAGE_TYPES.length) }));
    t.messages[type] = (t.messages[type] as number) + count;
    t.bytes[type] = (t.bytes[type] as number) + bytes;
    this.sets.TOPIC_PUT_NUMS.add(topic, count, 1);
    this.sets.TOPIC_PUT_SIZE.add(topic, bytes, 1);
    this.clusterPut.add(count, 1);
  }

  recordPutFailure(): void {
    this.putFailures++;
  }

  /** How long a send took, request in to answer out (ms, fractional). */
  recordPutLatency(millis: number): void {
    let i = 0;
    while (millis >= (PUT_DISTRIBUTION[i] as { below: number }).below) i++;
    this.putDistribution[i] = (this.putDistribution[i] as number) + 1;
    if (millis > this.putLatencyMaxMillis) this.putLatencyMaxMillis = millis;
    this.putLatency.record(millis * 1000);
  }

  /** A pull answered with `found` messages (0: none found). */
  recordGet(found: number): void {
    if (found > 0) {
      this.getFound++;
      this.getTransferred += found;
    } else this.getMiss++;
  }

  recordGroupGet(group: string, topic: string, count: number, bytes = 0): void {
    const g = this.groupGetsOf(group, topic);
    g.messages += count;
    g.bytes += bytes;
    const key = groupStatsKey(topic, group);
    this.sets.GROUP_GET_NUMS.add(key, count, 1);
    this.sets.GROUP_GET_SIZE.add(key, bytes, 1);
    this.clusterGet.add(count, 1);
  }

  /** A consumer sent a message of `topic` back for a retry (CONSUMER_SEND_MSG_BACK). */
  recordSendBack(group: string, topic: string, toDlq: boolean): void {
    const g = this.groupGetsOf(group, topic);
    g.sentBack++;
    if (toDlq) g.dlq++;
    this.sets.SNDBCK_PUT_NUMS.add(groupStatsKey(topic, group), 1, 1);
  }

  private groupGetsOf(group: string, topic: string): GroupGets {
    const key = groupStatsKey(topic, group);
    let g = this.groupGets.get(key);
    if (g === undefined) this.groupGets.set(key, (g = { topic, group, messages: 0, bytes: 0, sentBack: 0, dlq: 0 }));
    return g;
  }

  // ── readers ─────────────────────────────────────────────────────────────────────────────────

  /** Messages per second the group pulled from these topics over the last minute. */
  groupGetTps(group: string, topics: readonly string[]): number {
    let sum = 0;
    for (const t of topics) sum += this.sets.GROUP_GET_NUMS.get(groupStatsKey(t, group))?.inMinute().tps ?? 0;
    return sum;
  }

  /** Messages put into `topic` per second over the last minute. */
  topicPutTps(topic: string): number {
    return this.sets.TOPIC_PUT_NUMS.get(topic)?.inMinute().tps ?? 0;
  }

  forgetTopic(topic: string): void {
    this.topicPuts.delete(topic);
    const ofTopic = (k: string) => k === topic || k.startsWith(`${topic}@`);
    for (const k of [...this.groupGets.keys()]) if (ofTopic(k)) this.groupGets.delete(k);
    for (const set of Object.values(this.sets)) set.delete(ofTopic);
  }

  get msgGetTotalTodayNow(): number {
    return this.getTransferred;
  }

  /** Send latency distribution of the last full minute, Java's `[<=0ms]:n [0~10ms]:n …` form. */
  putDistributionText(): string {
    return PUT_DISTRIBUTION.map((b, i) => `${b.desc}:${this.lastPutDistribution[i] ?? 0} `).join('');
  }

  /**
   * RocketMQ's runtime-info keys for counters and rates (values as strings, as Java sends them:
   * StoreStatsService.getRuntimeInfo and BrokerStats; tps as "10s 60s 600s").
   */
  runtimeInfo(): Record<string, string> {
    this.rollDay();
    const now = this.now();
    const up = Math.floor((now - this.bootTimestamp) / 1000);
    const tps = (r: SecondsRing) =>
      [10, 60, 600]
        .map((s) => r.rate(s))
        .filter((v): v is number => v !== undefined)
        .map((v) => v.toFixed(2))
        .join(' ');
    const puts = this.putMessages;
    return {
      bootTimestamp: String(this.bootTimestamp),
      runtime: `[ ${Math.floor(up / 86400)} days, ${Math.floor((up % 86400) / 3600)} hours, ${Math.floor((up % 3600) / 60)} minutes, ${up % 60} seconds ]`,
      msgPutTotalTodayNow: String(puts),
      msgPutTotalTodayMorning: String(this.putTodayMorning),
      msgPutTotalYesterdayMorning: String(this.putYesterdayMorning),
      msgGetTotalTodayNow: String(this.getTransferred),
      msgGetTotalTodayMorning: String(this.getTodayMorning),
      msgGetTotalYesterdayMorning: String(this.getYesterdayMorning),
      putMessageTimesTotal: String(puts),
      putMessageSizeTotal: String(this.putBytes),
      putMessageFailedTimes: String(this.putFailures),
      putMessageAverageSize: puts === 0 ? '0.0' : (this.putBytes / puts).toFixed(1),
      putMessageEntireTimeMax: String(Math.ceil(this.putLatencyMaxMillis)),
      putMessageDistributeTime: this.putDistributionText(),
      getMessageEntireTimeMax: '0',
      dispatchMaxBuffer: '0',
      putTps: tps(this.puts),
      getFoundTps: tps(this.found),
      getMissTps: tps(this.miss),
      getTotalTps: tps(this.totalRing),
      getTransferedTps: tps(this.transferred),
      putLatency99: (this.putLatency.percentile(0.99) / 1000).toFixed(2),
      putLatency999: (this.putLatency.percentile(0.999) / 1000).toFixed(2),
    };
  }

  private sampleSecond(): void {
    const now = this.now();
    this.puts.sample(now, this.putMessages);
    this.found.sample(now, this.getFound);
    this.miss.sample(now, this.getMiss);
    this.totalRing.sample(now, this.getFound + this.getMiss);
    this.transferred.sample(now, this.getTransferred);
  }

  private sampleSets(kind: 'seconds' | 'minutes' | 'hour'): void {
    this.rollDay();
    const now = this.now();
    for (const set of Object.values(this.sets)) set.sample(kind, now);
  }

  private rotateDistribution(): void {
    this.lastPutDistribution = this.putDistribution;
    this.putDistribution = new Float64Array(PUT_DISTRIBUTION.length);
  }

  /** At the first look after local midnight, today's morning becomes yesterday's. */
  private rollDay(): void {
    const m = midnight(this.now());
    if (m === this.today) return;
    this.today = m;
    this.putYesterdayMorning = this.putTodayMorning;
    this.getYesterdayMorning = this.getTodayMorning;
    this.putTodayMorning = this.putMessages;
    this.getTodayMorning = this.getTransferred;
  }
}
