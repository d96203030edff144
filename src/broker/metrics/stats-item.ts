/**
 * RocketMQ's broker statistics items (Java `StatsItem` / `StatsItemSet`, common/stats): a running
 * value and count of additions ("times"), snapshotted every 10 s (7 kept: the last minute), every
 * 10 min (7: the last hour) and every hour (25: the last day). VIEW_BROKER_STATS_DATA answers
 * from these windows (sum, tps, avgpt), and so do the exporter-compatible gauges.
 *
 * The hot path only adds to `value` and `times`; the sampling timers of the owning BrokerStats
 * call `sample*` on every item.
 */

interface Snapshot {
  at: number;
  times: number;
  value: number;
}

/** One window's figures (Java `StatsSnapshot`). */
export interface StatsWindow {
  /** Value added within the window. */
  sum: number;
  /** sum per second over the window. */
  tps: number;
  /** sum per addition (average per call). */
  avgpt: number;
  times: number;
}

const MINUTE_SAMPLES = 7;
const HOUR_SAMPLES = 7;
const DAY_SAMPLES = 25;
export const SECONDS_SAMPLE_MS = 10_000;
export const MINUTES_SAMPLE_MS = 10 * 60_000;
export const HOUR_SAMPLE_MS = 60 * 60_000;

function windowOf(list: readonly Snapshot[]): StatsWindow {
  const first = list[0];
  const last = list[list.length - 1];
  if (first === undefined || last === undefined || last.at === first.at) return { sum: 0, tps: 0, avgpt: 0, times: 0 };
  const sum = last.value - first.value;
  const times = last.times - first.times;
  return { sum, tps: (sum * 1000) / (last.at - first.at), avgpt: times > 0 ? sum / times : 0, times };
}

function push(list: Snapshot[], s: Snapshot, cap: number, period: number): void {
  // Java seeds an empty list with a zero snapshot one period back, so the first window counts
  // everything added since the item was created.
  if (list.length === 0) list.push({ at: s.at - period, times: 0, value: 0 });
  list.push(s);
  if (list.length > cap) list.shift();
}

export class StatsItem {
  value = 0;
  times = 0;
  private readonly minute: Snapshot[] = [];
  private readonly hour: Snapshot[] = [];
  private readonly day: Snapshot[] = [];

  add(value: number, times: number): void {
    this.value += value;
    this.times += times;
  }

  sampleSeconds(now: number): void {
    push(this.minute, { at: now, times: this.times, value: this.value }, MINUTE_SAMPLES, SECONDS_SAMPLE_MS);
  }

  sampleMinutes(now: number): void {
    push(this.hour, { at: now, times: this.times, value: this.value }, HOUR_SAMPLES, MINUTES_SAMPLE_MS);
  }

  sampleHour(now: number): void {
    push(this.day, { at: now, times: this.times, value: this.value }, DAY_SAMPLES, HOUR_SAMPLE_MS);
  }

  inMinute(): StatsWindow {
    return windowOf(this.minute);
  }

  inHour(): StatsWindow {
    return windowOf(this.hour);
  }

  inDay(): StatsWindow {
    return windowOf(this.day);
  }
}

/** Items of one statistic by key (a topic, `topic@group`, the cluster name …). */
export class StatsItemSet {
  private readonly items = new Map<string, StatsItem>();

  constructor(readonly name: string) {}

  item(key: string): StatsItem {
    let it = this.items.get(key);
    if (it === undefined) this.items.set(key, (it = new StatsItem()));
    return it;
  }

  get(key: string): StatsItem | undefined {
    return this.items.get(key);
  }

  add(key: string, value: number, times: number): void {
    this.item(key).add(value, times);
  }

  entries(): IterableIterator<[string, StatsItem]> {
    return this.items.entries();
  }

  delete(predicate: (key: string) => boolean): void {
    for (const k of [...this.items.keys()]) if (predicate(k)) this.items.delete(k);
  }

  sample(kind: 'seconds' | 'minutes' | 'hour', now: number): void {
    for (const it of this.items.values()) {
      if (kind === 'seconds') it.sampleSeconds(now);
      else if (kind === 'minutes') it.sampleMinutes(now);
      else it.sampleHour(now);
    }
  }
}

/** The statistic names VIEW_BROKER_STATS_DATA knows (Java `Stats`), with how their keys are built. */
export const STATS_NAMES = {
  TOPIC_PUT_NUMS: 'TOPIC_PUT_NUMS', // key: topic
  TOPIC_PUT_SIZE: 'TOPIC_PUT_SIZE', // key: topic
  GROUP_GET_NUMS: 'GROUP_GET_NUMS', // key: topic@group
  GROUP_GET_SIZE: 'GROUP_GET_SIZE', // key: topic@group
  SNDBCK_PUT_NUMS: 'SNDBCK_PUT_NUMS', // key: topic@group
  BROKER_PUT_NUMS: 'BROKER_PUT_NUMS', // key: cluster name
  BROKER_GET_NUMS: 'BROKER_GET_NUMS', // key: cluster name
} as const;
export type StatsName = keyof typeof STATS_NAMES;

/** Java BrokerStatsManager.buildStatsKey(topic, group). */
export function groupStatsKey(topic: string, group: string): string {
  return `${topic}@${group}`;
}
