/**
 * Small helpers over prom-client for metrics whose values are read at scrape time from counters
 * kept elsewhere (the hot paths never call prom-client): a gauge or counter refilled by a
 * `fill` function on every collection, and a histogram whose buckets are counted by the caller
 * (rendered through prom-client's registry like any other metric).
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export type Labels = Record<string, string>;
export type Emit = (labels: Labels, value: number) => void;
export type Fill = (emit: Emit) => void | Promise<void>;

/** A gauge whose every value is set by `fill` at each scrape (label sets not emitted disappear). */
export function scrapedGauge(registry: Registry, name: string, help: string, labelNames: readonly string[], fill: Fill): Gauge {
  return new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      this.reset();
      await fill((labels, value) => (labelNames.length === 0 ? this.set(value) : this.set(labels, value)));
    },
  });
}

/** A counter whose totals are read at each scrape from counters kept by the caller (never decreasing). */
export function scrapedCounter(registry: Registry, name: string, help: string, labelNames: readonly string[], fill: Fill): Counter {
  return new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      this.reset();
      await fill((labels, value) => (labelNames.length === 0 ? this.inc(value) : this.inc(labels, value)));
    },
  });
}

/** One label set of a caller-counted histogram: counts per bucket (one more than bounds: the +Inf rest). */
export interface BucketCounts {
  labels: Labels;
  counts: ArrayLike<number>;
  sum: number;
  count: number;
}

interface ValueLine {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

/**
 * A histogram counted outside prom-client (hot-path code adds to plain arrays): registered in the
 * registry as an object with prom-client's metric `get()` shape, so the registry writes it in the
 * exposition format with the other metrics.
 */
export function scrapedHistogram(registry: Registry, name: string, help: string, bounds: readonly number[], read: () => Iterable<BucketCounts>): void {
  const metric = {
    name,
    help,
    type: 'histogram' as const,
    aggregator: 'sum' as const,
    get: async () => {
      const values: ValueLine[] = [];
      for (const s of read()) {
        let acc = 0;
        bounds.forEach((le, i) => {
          acc += s.counts[i] ?? 0;
          values.push({ labels: { ...s.labels, le }, value: acc, metricName: `${name}_bucket` });
        });
        values.push({ labels: { ...s.labels, le: '+Inf' }, value: s.count, metricName: `${name}_bucket` });
        values.push({ labels: s.labels, value: s.sum, metricName: `${name}_sum` });
        values.push({ labels: s.labels, value: s.count, metricName: `${name}_count` });
      }
      return { name, help, type: metric.type, aggregator: metric.aggregator, values };
    },
    reset: () => {},
  };
  registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
}

/**
 * Runs `compute` once per scrape: a registry collects all its metrics in one synchronous pass, so
 * every metric of that scrape shares the first call's result, and the next scrape (a later
 * macrotask) computes afresh — never a stale figure.
 */
export function perScrape<T>(compute: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (pending === undefined) {
      pending = compute();
      setImmediate(() => {
        pending = undefined;
      });
    }
    return pending;
  };
}
