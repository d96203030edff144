#!/usr/bin/env node
// Benchmarks (not tests): `npm run bench` or `node bench/run.mjs [--seconds N]`.
// 1. the raw limits of this machine (bench/raw-limits.mjs),
// 2. the store alone: 1 KB puts, 64 in flight, ASYNC_FLUSH and SYNC_FLUSH,
// each printed as a ratio of the matching raw limit measured in the same run (absolute figures drift
// with the machine's load; ratios are what to compare between runs).
import { build } from 'esbuild';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { measureRawLimits } from './raw-limits.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const argSeconds = process.argv.indexOf('--seconds');
const seconds = argSeconds > 0 ? Number(process.argv[argSeconds + 1]) : 5;

async function load(entry) {
  const out = path.join(await fsp.mkdtemp(path.join(os.tmpdir(), 'rmq-bench-')), 'bundle.mjs');
  await build({ entryPoints: [path.join(here, entry)], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: out, logLevel: 'warning' });
  return import(pathToFileURL(out).href);
}

const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
console.log(`# raw limits (${os.cpus().length} cores, node ${process.version})`);
const raw = await measureRawLimits({ seconds: Math.min(seconds, 3), log: (l) => console.log(`  ${l}`) });

console.log('\n# store only: 1 KB bodies, 64 puts in flight');
const { storeThroughput } = await load('store-throughput.ts');
const runs = [
  await storeThroughput({ name: 'ASYNC_FLUSH', flush: 'ASYNC_FLUSH', seconds }),
  await storeThroughput({ name: 'SYNC_FLUSH, preallocated segments', flush: 'SYNC_FLUSH', seconds, preallocate: true, segmentBytes: 64 << 20 }),
  await storeThroughput({ name: 'SYNC_FLUSH, no preallocation', flush: 'SYNC_FLUSH', seconds, preallocate: false, segmentBytes: 64 << 20 }),
];
for (const r of runs) {
  console.log(`  ${r.name.padEnd(34)} ${fmt(r.msgPerSec).padStart(8)} msg/s  ${fmt(r.mbPerSec, 1).padStart(6)} MB/s  p50 ${fmt(r.p50ms, 2)} ms  p99 ${fmt(r.p99ms, 2)} ms  ${fmt(r.msgs / Math.max(1, r.writes), 1)} msgs/write  ${r.fsyncs ? fmt(r.msgs / r.fsyncs, 1) : '-'} msgs/fsync`);
}
const [a, s] = runs;
console.log('\n# ratios to the raw limits');
console.log(`  ASYNC_FLUSH MB/s  / sequential append MB/s         = ${fmt(a.mbPerSec / raw.appendMBps, 2)}`);
console.log(`  SYNC_FLUSH fsyncs/s / raw 1 KiB fdatasync/s (zeroed) = ${fmt(s.fsyncs / s.seconds / raw.fsync_zeroed, 2)}`);
console.log(`  SYNC_FLUSH msg/s  / raw 1 KiB fdatasync/s (zeroed)  = ${fmt(s.msgPerSec / raw.fsync_zeroed, 2)}  (group commit: > 1 means fsyncs are shared)`);
console.log(`  targets (end to end, later): ASYNC ≥ 50,000 msg/s, SYNC ≥ 20,000 msg/s — store alone: ${fmt(a.msgPerSec)} / ${fmt(s.msgPerSec)}`);
