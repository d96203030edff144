#!/usr/bin/env node
// `npm run chaos -- --minutes 30 --seed 7 [--mode 2m-2s-sync|...|all] [--faults kill9,pause|each] [--crash-loop --rounds 500]`
// Builds dist/ (the lab runs dist/rmqd.js), bundles test/chaos/main.ts with esbuild and runs it.
// Needs root (network namespaces, loop devices, nftables). See docs/guide/chaos.md.
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
execFileSync(process.execPath, [path.join(here, '../../bin/build.mjs')], { stdio: 'inherit' });
// two levels below the repository root (test/support finds the repo as ../.. of its module), inside
// node_modules so that the bundle resolves the dev dependencies (yaml, ali-ons, vitest)
const out = path.join(here, '../../node_modules/.rmq-chaos/main.mjs');
await build({ entryPoints: [path.join(here, 'main.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: out, packages: 'external', logLevel: 'warning' });
await import(pathToFileURL(out).href);
