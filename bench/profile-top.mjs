#!/usr/bin/env node
// Top frames of a V8 CPU profile (`node --cpu-prof`, or bench/compare --cpu-prof DIR):
//   node bench/profile-top.mjs FILE.cpuprofile [--limit N]
// Prints self time per function (where the CPU is) and total time per function (what it is
// spent under), as shares of the sampled time, idle excluded. A flame graph (Chrome DevTools,
// speedscope) shows the same profile as a picture.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const file = process.argv[2];
if (!file) {
  console.error('usage: node bench/profile-top.mjs FILE.cpuprofile [--limit N]');
  process.exit(2);
}
const li = process.argv.indexOf('--limit');
const limit = li > 0 ? Number(process.argv[li + 1]) : 25;
const p = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const ticks = new Map();
const deltas = p.timeDeltas ?? [];
p.samples.forEach((id, i) => ticks.set(id, (ticks.get(id) ?? 0) + (deltas[i] ?? 0)));
const name = (n) => {
  const f = n.callFrame;
  const where = f.url ? `${path.basename(f.url)}:${f.lineNumber + 1}` : '';
  return `${f.functionName || '(anonymous)'} ${where}`.trim();
};
const self = new Map();
const total = new Map();
let all = 0;
let idle = 0;
for (const [id, t] of ticks) {
  const n = byId.get(id);
  if (n.callFrame.functionName === '(idle)') {
    idle += t;
    continue;
  }
  all += t;
  self.set(name(n), (self.get(name(n)) ?? 0) + t);
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const k = name(byId.get(cur));
    if (seen.has(k)) continue;
    seen.add(k);
    total.set(k, (total.get(k) ?? 0) + t);
  }
}
const pct = (t) => `${((100 * t) / all).toFixed(1).padStart(5)} %`;
console.log(`${path.basename(file)}: ${(all / 1e6).toFixed(2)} s busy, ${(idle / 1e6).toFixed(2)} s idle`);
console.log('\nself time');
for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, limit)) console.log(`  ${pct(t)}  ${k}`);
console.log('\ntotal time (self + callees)');
for (const [k, t] of [...total].sort((a, b) => b[1] - a[1]).slice(0, limit)) console.log(`  ${pct(t)}  ${k}`);
