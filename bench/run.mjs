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
import { appendMBps, fsyncsPerSecond, measureRawLimits } from './raw-limits.mjs';

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

console.log('\n# store only: 1 KB bodies, 64 puts in flight (each run right after its own raw baseline)');
const { storeThroughput } = await load('store-throughput.ts');
const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'rmq-bench-raw-'));
const line = (r) =>
  `  ${r.name.padEnd(34)} ${fmt(r.msgPerSec).padStart(8)} msg/s  ${fmt(r.mbPerSec, 1).padStart(6)} MB/s  p50 ${fmt(r.p50ms, 2)} ms  p99 ${fmt(r.p99ms, 2)} ms  ${fmt(r.msgs / Math.max(1, r.writes), 1)} msgs/write  ${r.fsyncs ? fmt(r.msgs / r.fsyncs, 1) : '-'} msgs/fsync`;

const appendNow = await appendMBps(tmp, 2);
const a = await storeThroughput({ name: 'ASYNC_FLUSH', flush: 'ASYNC_FLUSH', seconds });
console.log(line(a));
console.log(`    ratio: ${fmt(a.mbPerSec, 1)} MB/s / sequential append ${fmt(appendNow)} MB/s = ${fmt(a.mbPerSec / appendNow, 2)}`);

for (const prealloc of [true, false]) {
  const kind = prealloc ? 'zeroed' : 'sparse';
  const rawNow = await fsyncsPerSecond(tmp, kind, 2);
  const s = await storeThroughput({ name: `SYNC_FLUSH, ${prealloc ? 'preallocated' : 'sparse'} segments`, flush: 'SYNC_FLUSH', seconds, preallocate: prealloc, segmentBytes: 64 << 20 });
  console.log(line(s));
  console.log(`    ratio: ${fmt(s.msgPerSec)} msg/s / raw 1 KiB write+fdatasync ${fmt(rawNow)}/s (${kind} file) = ${fmt(s.msgPerSec / rawNow, 2)}  (> 1: group commit shares fsyncs); fsyncs ${fmt(s.fsyncs / s.seconds)}/s = ${fmt(s.fsyncs / s.seconds / rawNow, 2)} of raw`);
}
await fsp.rm(tmp, { recursive: true, force: true });
console.log('\n  targets (end to end through the broker, measured later): ASYNC_FLUSH >= 50,000 msg/s, SYNC_FLUSH >= 20,000 msg/s with 64 in flight');
