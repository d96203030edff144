/**
 * The fault × mode table of docs/guide/chaos.md, from the summary.jsonl lines `npm run chaos`
 * writes: per cell, acknowledged messages lost / duplicate deliveries / slowest recovery, over
 * every run of that fault kind in that mode.
 */
import { readFileSync } from 'node:fs';
import type { FaultRecovery } from './checker.js';
import { FAULT_KINDS } from './faults.js';
import { MODES, MODE_PROMISE } from './lab.js';

interface SummaryLine {
  mode: string;
  seed: number;
  kinds?: string[];
  error?: string;
  lost: number;
  lostNotDurable: number;
  phantom: number;
  duplicates: number;
  acknowledged: number;
  storedNotDurable: number;
  faults: FaultRecovery[];
  problems: string[];
}

export function faultTable(file: string): string {
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as SummaryLine);
  const head = `| fault | ${MODES.map((m) => `${m}${MODE_PROMISE[m].noLossAsserted ? ' (0 lost asserted)' : ''}`).join(' | ')} |`;
  const rows = [head, `| --- | ${MODES.map(() => '---').join(' | ')} |`];
  for (const kind of FAULT_KINDS) {
    const cells = MODES.map((mode) => {
      const runs = lines.filter((l) => l.mode === mode && l.kinds?.length === 1 && l.kinds[0] === kind);
      if (runs.length === 0) return 'n/a';
      if (runs.some((r) => r.error)) return 'run failed';
      const faults = runs.flatMap((r) => r.faults);
      const rec = faults.map((f) => f.recoveryMs);
      const worst = rec.some((r) => r === null) ? 'never' : `${(Math.max(...(rec as number[])) / 1000).toFixed(1)} s`;
      const lost = runs.reduce((n, r) => n + r.lost, 0);
      const dup = runs.reduce((n, r) => n + r.duplicates, 0);
      const seeds = [...new Set(runs.map((r) => r.seed))];
      const bad = runs.some((r) => r.problems.length) ? ' ⚠' : '';
      return `${lost} / ${dup} / ${worst} (${faults.length}×, seed ${seeds.join(',')})${bad}`;
    });
    rows.push(`| ${kind} | ${cells.join(' | ')} |`);
  }
  return rows.join('\n');
}
