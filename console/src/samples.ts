/** The sampler's history (server side, ops/console/sampler.ts), fetched incrementally for the charts. */
import { useEffect, useState } from 'preact/hooks';
import type { SamplesResponse } from '../../src/ops/console/api-types.js';
import type { Sample } from '../../src/ops/console/sampler.js';
import { api } from './api.js';
import type { ChartSeries } from './components/chart.js';

const KEEP = 300;

export function useSamples(): Sample[] {
  const [samples, setSamples] = useState<Sample[]>([]);
  useEffect(() => {
    let live = true;
    let since = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let every = 2_000;
    const load = async () => {
      try {
        const r = await api.get<SamplesResponse>(`/api/samples?since=${since}`);
        every = r.intervalMillis;
        if (live && r.samples.length > 0) {
          since = (r.samples[r.samples.length - 1] as Sample).at;
          setSamples((old) => [...old, ...r.samples].slice(-KEEP));
        }
      } catch {
        // the next poll tries again; pages show their own errors
      } finally {
        if (live) timer = setTimeout(load, every);
      }
    };
    void load();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, []);
  return samples;
}

/** One series per name found in any sample; a sample without the name is a gap. */
export function seriesOf(samples: Sample[], pick: (s: Sample) => Iterable<[string, number | null]> | null): ChartSeries[] {
  const names = new Set<string>();
  const rows = samples.map((s) => {
    const m = new Map(pick(s) ?? []);
    for (const k of m.keys()) names.add(k);
    return m;
  });
  return [...names].sort().map((label) => ({ label, values: rows.map((m) => m.get(label) ?? null) }));
}
