/**
 * bench/soak: one rmqd broker under a steady load for N minutes — produce + consume at a fixed
 * fraction (default 50 %) of the row-1 throughput of bench/compare, measured first in the same
 * run on a broker of its own — printing every minute the end-to-end latency percentiles of that
 * minute, the broker's resident memory (RSS, from /proc) and the CPU both sides used. At the end:
 * the least-squares slope of RSS and of p99 over the minutes (after the first, the warm-up), so
 * "no upward trend" is a number. The launcher `bench/soak` builds the runtime and this file.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { numberOption, parseCli, usageFailure } from './cli.js';
import { stopAll } from './processes.js';
import { RmqdSystem } from './rmqd.js';
import { latencyRun, produceRun, type IntervalStats } from './workload.js';

const USAGE = `usage: bench/soak [options]
  --minutes N        measured minutes (default 5; 30 for the issue's soak)
  --fraction F       of the row-1 throughput measured first (default 0.5)
  --rate N           msg/s instead of measuring row 1 first
  --messages N       publishes of the row-1 measurement (default 100000)
  --window N         publishes in flight while measuring row 1 (default 64, as bench/compare)
  --soak-window N    publishes in flight during the soak (default 256): an open-loop sender at R msg/s
                     with W in flight stalls once acks take longer than W/R (64 at 27k msg/s = 2.4 ms),
                     and then never catches up — that measures the window, not the broker
  --size N           body bytes (default 1024)
  --interval-seconds N   one line every N seconds (default 60)
  --binary           our clients use binary ROCKETMQ headers
  --json             the result as JSON on standard output`;

/** Resident set size of a process in MiB (VmRSS of /proc/PID/status); NaN once it is gone. */
function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Least-squares slope of ys over xs. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export async function main(argv: string[], deps: { rmqd: string }): Promise<number> {
  const a = parseCli(argv, USAGE, {
    minutes: { type: 'string', default: '5' },
    fraction: { type: 'string', default: '0.5' },
    rate: { type: 'string' },
    messages: { type: 'string', default: '100000' },
    window: { type: 'string', default: '64' },
    'soak-window': { type: 'string', default: '256' },
    size: { type: 'string', default: '1024' },
    'interval-seconds': { type: 'string', default: '60' },
    binary: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  });
  if (typeof a === 'number') return a;
  let o;
  try {
    o = {
      minutes: numberOption('minutes', a.minutes, 0.1, false),
      fraction: numberOption('fraction', a.fraction, 0.01, false),
      rate: a.rate === undefined ? undefined : numberOption('rate', a.rate, 1),
      messages: numberOption('messages', a.messages, 1000),
      window: numberOption('window', a.window, 1),
      soakWindow: numberOption('soak-window', a['soak-window'], 1),
      size: numberOption('size', a.size, 16),
      intervalSeconds: numberOption('interval-seconds', a['interval-seconds'], 1),
    };
  } catch (e) {
    return usageFailure(e, USAGE);
  }
  const out = (l: string) => (a.json ? process.stderr : process.stdout).write(`${l}\n`);
  const log = (l: string) => process.stderr.write(`${l}\n`);
  const onSignal = () => void stopAll().finally(() => process.exit(130));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const system = new RmqdSystem(deps.rmqd, false, a.binary);
  try {
    const startedAt = new Date();
    out(`# bench/soak  ${startedAt.toISOString()}  ${system.label}, ASYNC_FLUSH, ${o.size}-byte bodies, ${o.window} in flight for row 1, ${o.soakWindow} during the soak`);
    out(`machine: ${os.cpus().length} cores, node ${process.version}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    let row1: number | undefined;
    let rate = o.rate;
    if (rate === undefined) {
      const ep = await system.start({ durability: 'page-cache', window: o.window, label: 'soak-row1', log });
      try {
        await produceRun(ep, { count: Math.ceil(o.messages / 10), window: o.window, size: o.size });
        row1 = (await produceRun(ep, { count: o.messages, window: o.window, size: o.size })).msgPerSec;
      } finally {
        await ep.close();
      }
      rate = Math.max(1, Math.round(row1 * o.fraction));
      out(`row 1 (produce, page cache) now: ${Math.round(row1).toLocaleString('en-US')} msg/s -> soak at ${o.fraction} of it: ${rate.toLocaleString('en-US')} msg/s`);
    }
    const ep = await system.start({ durability: 'page-cache', window: o.soakWindow, label: 'soak', log });
    const pid = ep.serverPids?.[0];
    const idleRss = pid === undefined ? Number.NaN : rssMiB(pid);
    out(`broker RSS before the load: ${idleRss.toFixed(1)} MiB`);
    out(`${'interval'.padStart(8)} ${'received'.padStart(10)} ${'msg/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'p999 ms'.padStart(8)} ${'send p50'.padStart(8)} ${'send p99'.padStart(8)} ${'RSS MiB'.padStart(8)} ${'CPU broker'.padStart(10)} ${'of it sys'.padStart(9)} ${'CPU client'.padStart(10)}`);
    const rows: (IntervalStats & { rssMiB: number })[] = [];
    let result;
    try {
      result = await latencyRun(ep, {
        rate,
        seconds: Math.round(o.minutes * 60),
        warmupSeconds: 5,
        window: o.soakWindow,
        size: o.size,
        interval: {
          millis: o.intervalSeconds * 1000,
          report: (s) => {
            // "of it sys": the broker's kernel share, apart — on this VM it moves with free memory, not with our code
            const r = { ...s, rssMiB: pid === undefined ? Number.NaN : rssMiB(pid) };
            rows.push(r);
            out(`${String(r.n).padStart(8)} ${r.received.toLocaleString('en-US').padStart(10)} ${Math.round(r.received / o.intervalSeconds).toLocaleString('en-US').padStart(8)} ${r.p50ms.toFixed(2).padStart(7)} ${r.p99ms.toFixed(2).padStart(7)} ${r.p999ms.toFixed(2).padStart(8)} ${r.sendP50ms.toFixed(2).padStart(8)} ${r.sendP99ms.toFixed(2).padStart(8)} ${r.rssMiB.toFixed(1).padStart(8)} ${r.serverCpu.toFixed(2).padStart(10)} ${r.serverSysCpu.toFixed(2).padStart(9)} ${r.clientCpu.toFixed(2).padStart(10)}`);
          },
        },
      });
    } finally {
      await ep.close();
    }
    const steady = rows.slice(1);
    const xs = steady.map((r) => (r.n * o.intervalSeconds) / 60);
    const rssSlope = slope(xs, steady.map((r) => r.rssMiB));
    const p99Slope = slope(xs, steady.map((r) => r.p99ms));
    out(`whole run: ${Math.round(result.msgPerSec).toLocaleString('en-US')} msg/s, p50 ${result.p50ms?.toFixed(2)} ms, p99 ${result.p99ms?.toFixed(2)} ms, p999 ${result.p999ms?.toFixed(2)} ms; broker ${result.serverCpu.toFixed(2)} + client ${result.clientCpu.toFixed(2)} cores`);
    for (const n of result.notes) out(`  note: ${n}`);
    out(`trend over intervals 2..${rows.length} (least squares): RSS ${rssSlope >= 0 ? '+' : ''}${rssSlope.toFixed(2)} MiB per minute, p99 ${p99Slope >= 0 ? '+' : ''}${p99Slope.toFixed(3)} ms per minute`);
    out(`load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; took ${Math.round((Date.now() - startedAt.getTime()) / 1000)} s`);
    if (a.json) process.stdout.write(`${JSON.stringify({ date: startedAt.toISOString(), command: `bench/soak ${argv.join(' ')}`.trim(), row1, rate, idleRssMiB: idleRss, intervals: rows, result, trend: { rssMiBPerMinute: rssSlope, p99MsPerMinute: p99Slope } }, null, 2)}\n`);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopAll();
  }
}
