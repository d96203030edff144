/**
 * `npm run chaos -- [--minutes N] [--seed S] [--mode M|all] [--faults k1,k2] [--max-faults N] [--out DIR]`
 * — long chaos runs on demand (never part of `npm test`; test/chaos/chaos.test.ts is CI's short
 * round). `--mode all` runs every mode in turn; `--faults each` runs every fault kind on its own
 * (one run per kind), for the fault × mode table of docs/guide/chaos.md (`--table summary.jsonl`
 * prints it). Prints one summary line
 * per run and writes history.jsonl + verdict.json (+ node logs) under --out. Exit 1 when a run
 * broke a promise the checker asserts.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FAULT_KINDS, applicable, type FaultKind } from './faults.js';
import { MODES, MODE_PROMISE, type ChaosMode } from './lab.js';
import { runChaos } from './run.js';
import { crashLoop } from './crash-loop.js';
import { faultTable } from './table.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    seed: { type: 'string', default: String(Date.now() % 100000) },
    mode: { type: 'string', default: '2m-2s-sync' },
    faults: { type: 'string' },
    'max-faults': { type: 'string' },
    out: { type: 'string', default: path.join('/tmp', 'rmq-chaos-runs') },
    'crash-loop': { type: 'boolean', default: false },
    rounds: { type: 'string', default: '500' },
    table: { type: 'string' },
  },
});

if (values.table) {
  console.log(faultTable(values.table));
  process.exit(0);
}

const seed = Number(values.seed);
const out = path.resolve(values.out!);
const log = (l: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${l}`);

if (values['crash-loop']) {
  const r = await crashLoop({ rounds: Number(values.rounds), seed, dir: path.join(out, `crash-loop-${seed}`), log });
  console.log(JSON.stringify(r));
  process.exit(r.problems.length ? 1 : 0);
}

const modes: ChaosMode[] = values.mode === 'all' ? [...MODES] : [values.mode as ChaosMode];
for (const m of modes) if (!MODES.includes(m)) throw new Error(`--mode ${m}: expected one of ${MODES.join(', ')} or all`);
const each = values.faults === 'each';
const kinds = (values.faults && !each ? values.faults.split(',') : [...FAULT_KINDS]) as FaultKind[];
for (const k of kinds) if (!FAULT_KINDS.includes(k)) throw new Error(`--faults ${k}: expected some of ${FAULT_KINDS.join(', ')} or each`);

mkdirSync(out, { recursive: true });
let failed = false;
const summary: string[] = [];
for (const mode of modes) {
  const runs: FaultKind[][] = each ? kinds.filter((k) => applicable(k, { masters: ['m'], slaves: MODE_PROMISE[mode].slaves ? [{ id: 's', master: 'm' }] : [], namesrvs: ['n'], clockNodes: ['c'] })).map((k) => [k]) : [kinds];
  for (const faults of runs) {
    const name = `${mode}-${each ? faults[0] : 'mixed'}-seed${seed}`;
    let r: Awaited<ReturnType<typeof runChaos>>;
    try {
      r = await runChaos({ mode, seed, minutes: Number(values.minutes), maxFaults: values['max-faults'] ? Number(values['max-faults']) : undefined, faults, out: path.join(out, name), log });
    } catch (e) {
      const line = `${name}: the run itself failed: ${(e as Error).stack ?? String(e)}`;
      summary.push(line);
      log(line);
      appendFileSync(path.join(out, 'summary.jsonl'), `${JSON.stringify({ name, mode, seed, faults, error: String(e) })}\n`);
      failed = true;
      continue;
    }
    const v = r.verdict;
    const recov = r.verdict.faults.map((f) => f.recoveryMs).filter((x): x is number => x !== null);
    const line = `${name}: ${r.faults.length} faults in ${r.seconds.toFixed(0)} s; sent ${v.sent}, SEND_OK ${v.acknowledged}, not durable ${v.storedNotDurable}, failed ${v.failed}; lost ${v.lost}, phantom ${v.phantom}, duplicates ${v.duplicates}; recovery max ${recov.length ? Math.max(...recov) : '-'} ms, unrecovered ${v.faults.length - recov.length}; problems ${r.problems.length}`;
    summary.push(line);
    log(line);
    for (const f of v.faults) log(`  #${f.n} ${f.kind} ${f.target} ${f.detail}: held ${f.faultMs} ms, recovered ${f.recoveryMs ?? 'never'} ms after the heal, longest send ${f.longestSendMs} ms, ${f.failedSends} sends failed`);
    for (const p of r.problems) log(`  PROBLEM ${p}`);
    if (r.problems.length) failed = true;
    appendFileSync(path.join(out, 'summary.jsonl'), `${JSON.stringify({ name, mode, seed, kinds: faults, seconds: r.seconds, problems: r.problems, sent: v.sent, acknowledged: v.acknowledged, storedNotDurable: v.storedNotDurable, failed: v.failed, lost: v.lost, lostNotDurable: Object.values(v.groups).reduce((n, g) => n + g.lostNotDurable.length, 0), phantom: v.phantom, duplicates: v.duplicates, faults: v.faults, replicas: v.replicas.map((x) => ({ slave: x.slave, identical: x.firstDifference === null, caughtUp: x.slaveEnd === x.masterEnd })) })}\n`);
  }
}
console.log(`\n${summary.join('\n')}`);
process.exit(failed ? 1 : 0);
