/**
 * Reading a node's Prometheus endpoint from the CLI: GET http://addr/metrics, parsed with the
 * parse-prometheus-text-format package into samples of the families asked for (counters and
 * gauges; that parser folds labelled histograms, which are not read here).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface ParsedFamily {
  name: string;
  type: string;
  metrics: { labels?: Record<string, string>; value?: string }[];
}
const parsePrometheusTextFormat = require('parse-prometheus-text-format') as (text: string) => ParsedFamily[];

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** Family name → its samples, for the families in `names`. */
export type Scraped = Map<string, Sample[]>;

export async function scrapeMetrics(addr: string, names: readonly string[], timeoutMillis: number): Promise<Scraped> {
  const res = await fetch(`http://${addr}/metrics`, { signal: AbortSignal.timeout(timeoutMillis) });
  if (!res.ok) throw new Error(`http://${addr}/metrics answered ${res.status}`);
  const wanted = new Set(names);
  const out: Scraped = new Map();
  for (const f of parsePrometheusTextFormat(await res.text())) {
    if (!wanted.has(f.name)) continue;
    out.set(
      f.name,
      f.metrics.map((m) => ({ labels: m.labels ?? {}, value: Number(m.value ?? 0) })),
    );
  }
  return out;
}
