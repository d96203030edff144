/**
 * Broker counters for GET_BROKER_RUNTIME_INFO and GET_TOPIC_STATS_INFO: messages put and got in
 * total and per topic, today / yesterday snapshots taken at local midnight (RocketMQ's
 * msgPutTotalTodayMorning & co.), and rates over the last minute from 10-second samples.
 */

const SAMPLE_EVERY_MS = 10_000;
/** Samples kept: one minute of history plus the current one. */
const SAMPLES = 7;

/** A counter with a rate over the last minute (from 10-second samples). */
class RateCounter {
  total = 0;
  private readonly samples: { at: number; total: number }[] = [];

  sample(now: number): void {
    this.samples.push({ at: now, total: this.total });
    if (this.samples.length > SAMPLES) this.samples.shift();
  }

  /** Per second over up to the last minute of samples (0 before two samples exist). */
  perSecond(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (first === undefined || last === undefined || last.at === first.at) return 0;
    return ((last.total - first.total) * 1000) / (last.at - first.at);
  }
}

function midnight(now: number): number {
  const d = new Date(now);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

export class BrokerStats {
  readonly bootTimestamp: number;
  private readonly put = new RateCounter();
  private readonly putBytes = new RateCounter();
  private readonly getFound = new RateCounter();
  private readonly getMiss = new RateCounter();
  private readonly topicPuts = new Map<string, RateCounter>();
  /** Messages pulled per `topic@group` (GET_CONSUME_STATS consumeTps). */
  private readonly groupGets = new Map<string, RateCounter>();
  private putFailures = 0;
  private today: number;
  private putTodayMorning = 0;
  private putYesterdayMorning = 0;
  private getTodayMorning = 0;
  private getYesterdayMorning = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly now: () => number = Date.now) {
    this.bootTimestamp = now();
    this.today = midnight(this.bootTimestamp);
  }

  /** Starts sampling (every 10 s); the timer does not keep the process alive. */
  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  recordPut(topic: string, count: number, bytes: number): void {
    this.put.total += count;
    this.putBytes.total += bytes;
    let t = this.topicPuts.get(topic);
    if (t === undefined) this.topicPuts.set(topic, (t = new RateCounter()));
    t.total += count;
  }

  recordPutFailure(): void {
    this.putFailures++;
  }

  recordGet(found: number): void {
    if (found > 0) this.getFound.total += found;
    else this.getMiss.total++;
  }

  recordGroupGet(group: string, topic: string, count: number): void {
    const key = `${topic}@${group}`;
    let c = this.groupGets.get(key);
    if (c === undefined) this.groupGets.set(key, (c = new RateCounter()));
    c.total += count;
  }

  /** Messages per second the group pulled from these topics over the last minute. */
  groupGetTps(group: string, topics: readonly string[]): number {
    let sum = 0;
    for (const t of topics) sum += this.groupGets.get(`${t}@${group}`)?.perSecond() ?? 0;
    return sum;
  }

  forgetTopic(topic: string): void {
    this.topicPuts.delete(topic);
    for (const key of [...this.groupGets.keys()]) if (key.startsWith(`${topic}@`)) this.groupGets.delete(key);
  }

  /** Messages put into `topic` per second over the last minute. */
  topicPutTps(topic: string): number {
    return this.topicPuts.get(topic)?.perSecond() ?? 0;
  }

  /** RocketMQ's runtime-info keys for counters and rates (values as strings, as Java sends them). */
  runtimeInfo(): Record<string, string> {
    this.rollDay();
    const now = this.now();
    const up = Math.floor((now - this.bootTimestamp) / 1000);
    const tps = (n: number) => n.toFixed(2);
    return {
      bootTimestamp: String(this.bootTimestamp),
      runtime: `[ ${Math.floor(up / 86400)} days, ${Math.floor((up % 86400) / 3600)} hours, ${Math.floor((up % 3600) / 60)} minutes, ${up % 60} seconds ]`,
      msgPutTotalTodayNow: String(this.put.total),
      msgPutTotalTodayMorning: String(this.putTodayMorning),
      msgPutTotalYesterdayMorning: String(this.putYesterdayMorning),
      msgGetTotalTodayNow: String(this.getFound.total),
      msgGetTotalTodayMorning: String(this.getTodayMorning),
      msgGetTotalYesterdayMorning: String(this.getYesterdayMorning),
      putMessageTimesTotal: String(this.put.total),
      putMessageSizeTotal: String(this.putBytes.total),
      putMessageFailedTimes: String(this.putFailures),
      putMessageAverageSize: this.put.total === 0 ? '0.0' : (this.putBytes.total / this.put.total).toFixed(1),
      putTps: tps(this.put.perSecond()),
      getFoundTps: tps(this.getFound.perSecond()),
      getMissTps: tps(this.getMiss.perSecond()),
      getTotalTps: tps(this.getFound.perSecond() + this.getMiss.perSecond()),
    };
  }

  private sample(): void {
    this.rollDay();
    const now = this.now();
    for (const c of [this.put, this.putBytes, this.getFound, this.getMiss, ...this.topicPuts.values(), ...this.groupGets.values()]) c.sample(now);
  }

  /** At the first look after local midnight, today's morning becomes yesterday's. */
  private rollDay(): void {
    const m = midnight(this.now());
    if (m === this.today) return;
    this.today = m;
    this.putYesterdayMorning = this.putTodayMorning;
    this.getYesterdayMorning = this.getTodayMorning;
    this.putTodayMorning = this.put.total;
    this.getTodayMorning = this.getFound.total;
  }
}
