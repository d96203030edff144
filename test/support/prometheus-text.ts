/**
 * Reading a node's /metrics as Prometheus would: fetched over HTTP, parsed with the
 * parse-prometheus-text-format package (not our own code), with helpers to sum the samples of a
 * metric family whose labels match. That parser folds labelled histograms into one sample, so
 * histogram figures are read back through a real Prometheus instead (test/commands/metrics.test.ts).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface Sample {
  labels?: Record<string, string>;
  value?: string;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}
export interface MetricFamily {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: Sample[];
}

const parsePrometheusTextFormat = require('parse-prometheus-text-format') as (text: string) => MetricFamily[];

export type LabelMatch = Record<string, string | RegExp>;

export class Scrape {
  readonly families: ReadonlyMap<string, MetricFamily>;

  constructor(readonly text: string) {
    this.families = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
  }

  private samples(name: string, match: LabelMatch): Sample[] {
    const f = this.families.get(name);
    if (f === undefined) return [];
    return f.metrics.filter((s) => Object.entries(match).every(([k, want]) => (typeof want === 'string' ? s.labels?.[k] === want : want.test(s.labels?.[k] ?? ''))));
  }

  /** Σ values of the family's samples whose labels match (0 when none). */
  sum(name: string, match: LabelMatch = {}): number {
    return this.samples(name, match).reduce((n, s) => n + Number(s.value ?? 0), 0);
  }

  has(name: string, match: LabelMatch = {}): boolean {
    return this.samples(name, match).length > 0;
  }

  type(name: string): string | undefined {
    return this.families.get(name)?.type;
  }
}

export async function scrape(addr: string): Promise<Scrape> {
  const res = await fetch(`http://${addr}/metrics`);
  if (!res.ok) throw new Error(`GET http://${addr}/metrics: ${res.status}`);
  const type = res.headers.get('content-type') ?? '';
  if (!type.startsWith('text/plain; version=0.0.4')) throw new Error(`GET http://${addr}/metrics: content-type ${type}`);
  return new Scrape(await res.text());
}
