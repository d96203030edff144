/**
 * bench/compare: rmqd against NATS JetStream, Redis Streams and RabbitMQ on this machine, in one
 * run, with the same workload for every system (bench/peers/workload.ts). Installs nothing: each
 * peer found is started privately (loopback, random free ports, temp directories) once per cell
 * and stopped after it; a missing peer gets a line saying why. The launcher `bench/compare`
 * builds the runtime and this file, then calls main().
 */
import { writeFileSync } from 'node:fs';
import fsp from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { numberOption, parseCli, usageFailure, UsageError } from './cli.js';
import { stopAll } from './processes.js';
import { allSystems, pickByKey, pickSystems } from './systems.js';
import { formatTable, medianCell, ratios, rowSpecs, type Cell, type RowSpec } from './report.js';
import type { Durability, Endpoint, System } from './system.js';
import { backlogRun, latencyRun, produceRun, type Measured } from './workload.js';

export type RawLimits = (o: { seconds: number; log: (l: string) => void }) => Promise<Record<string, number>>;

const USAGE = `usage: bench/compare [options]
  --systems LIST        rmqd,rmqd-binary,rmqd-sync-pair,rmqd-sync-pair-binary,nats,redis,rabbitmq (default: all;
                        -binary: our clients use binary ROCKETMQ headers, the A/B against JSON in the same run;
                        rmqd-binary-batch, rmqd-sync-pair-binary-batch: binary headers and the producer's autoBatch)
  --rows LIST           1,2,3,4 or produce-async,produce-sync,latency,backlog (default: all)
  --messages N          publishes per produce row (default 200000)
  --backlog N           messages in the consume backlog (default 1000000)
  --rate N              msg/s of the latency row (default 5000)
  --latency-seconds N   measured seconds of the latency row (default 20)
  --warmup-seconds N    publishes before every measured run, not counted (default 2; produce and latency rows)
  --rounds N            run every row N times, system order alternating, report each system's median (default 1)
  --window N            publishes in flight; the consumers' prefetch (default 64)
  --size N              body bytes (default 1024)
  --wait-load L         first wait (up to --wait-max seconds, default 1800) until the 1-minute load average is below L
  --cpu-prof DIR        CPU profiles of our broker and of the client side, per cell
  --no-raw-limits       skip the machine's raw limits
  --json                the whole result as JSON on standard output (progress and the table go to standard error)`;

export async function main(argv: string[], deps: { rmqd: string; rawLimits: RawLimits }): Promise<number> {
  const a = parseCli(argv, USAGE, {
    systems: { type: 'string' },
    rows: { type: 'string' },
    messages: { type: 'string', default: '200000' },
    backlog: { type: 'string', default: '1000000' },
    rate: { type: 'string', default: '5000' },
    'latency-seconds': { type: 'string', default: '20' },
    'warmup-seconds': { type: 'string', default: '2' },
    window: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '1' },
    size: { type: 'string', default: '1024' },
    'wait-load': { type: 'string' },
    'wait-max': { type: 'string', default: '1800' },
    'cpu-prof': { type: 'string' },
    'no-raw-limits': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  });
  if (typeof a === 'number') return a;
  let o: Opts & { waitLoad: number | undefined; waitMax: number };
  try {
    o = {
      messages: numberOption('messages', a.messages, 1),
      backlog: numberOption('backlog', a.backlog, 1),
      rate: numberOption('rate', a.rate, 1),
      latencySeconds: numberOption('latency-seconds', a['latency-seconds'], 1),
      warmupSeconds: numberOption('warmup-seconds', a['warmup-seconds'], 0),
      window: numberOption('window', a.window, 1),
      rounds: numberOption('rounds', a.rounds, 1),
      size: numberOption('size', a.size, 16),
      waitLoad: a['wait-load'] === undefined ? undefined : Number(a['wait-load']),
      waitMax: numberOption('wait-max', a['wait-max'], 0),
    };
    if (o.waitLoad !== undefined && !(o.waitLoad > 0)) throw new UsageError(`--wait-load must be a positive number, got ${JSON.stringify(a['wait-load'])}`);
  } catch (e) {
    return usageFailure(e, USAGE);
  }
  const log = (l: string) => process.stderr.write(`${l}\n`);
  // with --json the JSON alone goes to standard output; the table still goes to standard error
  const out = (l: string) => (a.json ? process.stderr : process.stdout).write(`${l}\n`);

  const allRows = rowSpecs({ rate: o.rate, backlog: o.backlog, size: o.size, window: o.window });
  let systems: System[];
  let rows: RowSpec[];
  try {
    systems = pickSystems(a.systems, allSystems(deps.rmqd));
    rows = pickByKey(a.rows, allRows, (r) => [r.id, String(r.n)], 'row');
  } catch (e) {
    return usageFailure(e, USAGE);
  }
  const cpuProfDir = a['cpu-prof'] === undefined ? undefined : path.resolve(a['cpu-prof']);
  if (cpuProfDir) await fsp.mkdir(cpuProfDir, { recursive: true });

  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = sig;
    log(`\n${sig}: stopping every server this run started…`);
    void stopAll().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    if (o.waitLoad !== undefined) await waitForLoad(o.waitLoad, o.waitMax, log);
    const startedAt = new Date();
    const loadAtStart = os.loadavg();
    const machine = { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? '?', memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, kernel: os.release() };
    out(`# bench/compare  ${startedAt.toISOString()}`);
    out(`machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, Linux ${machine.kernel}, node ${machine.node}; load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}`);
    out(`workload: ${o.size}-byte bodies, ${o.window} publishes in flight; produce rows ${o.messages.toLocaleString('en-US')} messages; latency row ${o.rate.toLocaleString('en-US')} msg/s for ${o.latencySeconds} s; backlog ${o.backlog.toLocaleString('en-US')}${o.rounds > 1 ? `; every row the median of ${o.rounds} rounds` : ''}`);

    const available = new Map<string, string | undefined>();
    const versions: Record<string, string> = {};
    for (const s of systems) {
      let why: string | undefined;
      try {
        why = await s.probe();
      } catch (e) {
        why = `probe failed: ${(e as Error).message}`;
      }
      available.set(s.id, why);
      if (why === undefined) versions[s.id] = await s.version();
      out(`  ${s.label.padEnd(40)} ${why === undefined ? versions[s.id] : `unavailable: ${why}`}`);
    }

    const cells: Cell[] = [];
    for (const row of rows) {
      log(`\n(${row.n}) ${row.title}`);
      // the backlog row too: one backlog read swung 0.91x-1.06x of Redis between runs
      const rounds = o.rounds;
      const bySystem = new Map<string, Cell[]>(systems.map((s) => [s.id, []]));
      for (let r = 0; r < rounds; r++) {
        if (rounds > 1) log(`  round ${r + 1} of ${rounds}`);
        // alternate the order so no system always runs first (or last) in a load drift
        for (const s of r % 2 === 0 ? systems : [...systems].reverse()) {
          // a system that cannot run this row at all is reported once, not once per round
          if (r > 0 && (available.get(s.id) !== undefined || (row.kind === 'produce' && s.unsupported(row.durability) !== undefined))) continue;
          const cell = await runCell(row, s, available.get(s.id), o, r === 0 ? cpuProfDir : undefined, log);
          bySystem.get(s.id)!.push(cell);
          const m = cell.result;
          log(cell.status === 'ok' ? `  ${s.label}: ${Math.round(m!.msgPerSec).toLocaleString('en-US')} msg/s${m!.p99ms !== undefined ? `, p99 ${m!.p99ms.toFixed(2)} ms` : ''}; server ${m!.serverCpu.toFixed(2)} cores (sys ${m!.serverSysCpu.toFixed(2)}), client ${m!.clientCpu.toFixed(2)}` : `  ${s.label}: ${cell.status}: ${cell.reason}`);
        }
      }
      for (const s of systems) cells.push(medianCell(row.kind, bySystem.get(s.id)!));
    }
    const rs = ratios(rows, cells);
    out(formatTable(rows, cells, rs));

    let raw: Record<string, number> | undefined;
    if (!a['no-raw-limits']) {
      out('\nraw limits of this machine (bench/raw-limits.mjs, measured now):');
      raw = await deps.rawLimits({ seconds: 2, log: (l) => out(`  ${l}`) });
    }
    const loadAtEnd = os.loadavg();
    out(`\nload average at the end: ${loadAtEnd.map((l) => l.toFixed(2)).join(' ')}; took ${Math.round((Date.now() - startedAt.getTime()) / 1000)} s`);
    if (a.json) {
      const json = { date: startedAt.toISOString(), command: `bench/compare ${argv.join(' ')}`.trim(), machine, loadAverage: { start: loadAtStart, end: loadAtEnd }, workload: o, versions, rows, cells, ratios: rs, rawLimits: raw };
      process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    }
    return cells.some((c) => c.status === 'failed') ? 1 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopAll();
  }
}

async function waitForLoad(max: number, maxSeconds: number, log: (l: string) => void): Promise<void> {
  const end = Date.now() + maxSeconds * 1000;
  let lastLog = 0;
  while (os.loadavg()[0]! >= max) {
    if (Date.now() > end) {
      log(`load average still ${os.loadavg()[0]!.toFixed(2)} after ${maxSeconds} s (wanted < ${max}); running anyway`);
      return;
    }
    if (Date.now() - lastLog > 30_000) {
      log(`waiting for the 1-minute load average (${os.loadavg()[0]!.toFixed(2)}) to drop below ${max}…`);
      lastLog = Date.now();
    }
    await new Promise((r) => setTimeout(r, 5_000));
  }
}

interface Opts {
  messages: number;
  rounds: number;
  backlog: number;
  rate: number;
  latencySeconds: number;
  warmupSeconds: number;
  window: number;
  size: number;
}

async function runCell(row: RowSpec, s: System, unavailable: string | undefined, o: Opts, cpuProfDir: string | undefined, log: (l: string) => void): Promise<Cell> {
  const base = { row: row.id, system: s.id, label: s.label, ours: s.ours };
  if (unavailable !== undefined) return { ...base, status: 'unavailable', reason: unavailable };
  let durability: Durability = row.durability;
  const why = s.unsupported(durability);
  if (why !== undefined) {
    // a consume row is about reading: a system with only the fsync level still takes part, marked
    const other: Durability = durability === 'fsync' ? 'page-cache' : 'fsync';
    if (row.kind === 'produce' || s.unsupported(other) !== undefined) return { ...base, status: 'unavailable', reason: why };
    durability = other;
  }
  const label = `${row.id}-${s.id}`;
  let ep: Endpoint | undefined;
  let session: Session | undefined;
  const progress = (what: string) => (done: number, total: number) => log(`    ${s.label}: ${what} ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}`);
  try {
    log(`  ${s.label}: starting${durability !== row.durability ? ` (${durability}: its only durable level)` : ''}…`);
    const startOpts = { durability, window: o.window, cpuProfDir: s.ours ? cpuProfDir : undefined, label, log: (l: string) => log(`    ${l}`) };
    try {
      ep = await s.start(startOpts);
    } catch (e) {
      // a free port picked for a server can be taken by another process before the server binds it (a shared machine): try once more
      if (!/EADDRINUSE/.test((e as Error).message)) throw e;
      log(`    ${s.label}: a port was taken meanwhile (EADDRINUSE); starting again on new ports`);
      ep = await s.start(startOpts);
    }
    if (s.ours && cpuProfDir) {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    let result: Measured;
    let fill: Measured | undefined;
    if (row.kind === 'produce') {
      // Not counted: publishes for warmupSeconds, the same time for every system. A fresh rmqd broker
      // runs its first ~200k messages 10-30 % slower per message (JIT tiers, heap sizing) and a
      // C server does not: without it row 1 measured a cold start, not the broker as it runs.
      if (o.warmupSeconds > 0) await produceRun(ep, { count: Infinity, seconds: o.warmupSeconds, window: o.window, size: o.size });
      result = await produceRun(ep, { count: o.messages, window: o.window, size: o.size, onProgress: progress('acknowledged') });
    } else if (row.kind === 'latency') {
      result = await latencyRun(ep, { rate: o.rate, seconds: o.latencySeconds, warmupSeconds: o.warmupSeconds, window: o.window, size: o.size, onProgress: progress('received') });
    } else {
      result = await backlogRun(ep, {
        count: o.backlog,
        fillWindow: Math.max(o.window, 256),
        size: o.size,
        onProgress: progress('done'),
        onFilled: (m) => {
          fill = m;
          log(`    ${s.label}: backlog written (${Math.round(m.msgPerSec).toLocaleString('en-US')} msg/s); reading it`);
        },
      });
    }
    return { ...base, status: 'ok', durability, settings: ep.settings, result, fill };
  } catch (e) {
    return { ...base, status: 'failed', durability, reason: (e as Error).message, settings: ep?.settings };
  } finally {
    if (session) {
      try {
        const { profile } = await session.post('Profiler.stop');
        writeFileSync(path.join(cpuProfDir!, `client-${label}.cpuprofile`), JSON.stringify(profile));
      } finally {
        session.disconnect();
      }
    }
    await ep?.close().catch((e: Error) => log(`    ${s.label}: stopping failed: ${e.message}`));
  }
}
