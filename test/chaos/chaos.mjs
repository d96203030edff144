#!/usr/bin/env node
// `npm run chaos -- --minutes 30 --seed 7 [--mode 2m-2s-sync|...|all] [--faults kill9,pause|each] [--crash-loop --rounds 500]`
// Builds dist/, then runs test/chaos/main.ts (bundled with esbuild) from a snapshot of what it
// needs (bin/rmqd, dist/, package.json, topologies/, templates/; node_modules linked), so that a
// rebuild of the working tree during a long run does not change the code under test mid-run.
// RMQ_CHAOS_DIST=DIR runs another build's dist/ instead (e.g. an older commit's, to see whether
// a run catches a bug that commit had). Needs root (network namespaces, loop devices, nftables).
// See docs/guide/chaos.md.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = process.env.RMQ_CHAOS_DIST;
if (!dist) execFileSync(process.execPath, [path.join(repo, 'bin/build.mjs')], { stdio: 'inherit' });
const snapshot = `/tmp/rmq-chaos-snapshot-${process.pid}`;
rmSync(snapshot, { recursive: true, force: true });
for (const p of ['bin', 'dist', 'package.json', 'topologies', 'templates']) cpSync(p === 'dist' && dist ? path.resolve(dist) : path.join(repo, p), path.join(snapshot, p), { recursive: true });
symlinkSync(path.join(repo, 'node_modules'), path.join(snapshot, 'node_modules'));
process.once('exit', () => rmSync(snapshot, { recursive: true, force: true }));
// two levels below the snapshot's root: test/support finds "the repository" as ../.. of its module
const out = path.join(snapshot, 'chaos', 'run', 'main.mjs');
mkdirSync(path.dirname(out), { recursive: true });
await build({ entryPoints: [path.join(repo, 'test/chaos/main.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: out, packages: 'external', logLevel: 'warning' });
await import(pathToFileURL(out).href);
