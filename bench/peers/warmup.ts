/**
 * bench/warmup: how long a fresh server takes to reach its pace. For each system, several fresh
 * servers, and on each the same produce run (bench/compare's row 1 or 2 workload) several times in
 * a row; prints every pass — msg/s and the server's CPU per message — and the median of the first
 * passes against the median of the later ones. A server that compiles its hot paths as it runs (V8)
 * shows a slow first pass; one that does not (Redis, in C) does not. The launcher `bench/warmup`
 * builds the runtime and this file.
 */
import { numberOption, parseCli, usageFailure } from './cli.js';
import { stopAll } from './processes.js';
import { allSystems, pickSystems } from './systems.js';
import type { Durability } from './system.js';
import { produceRun, type Measured } from './workload.js';

const USAGE = `usage: bench/warmup [options]
  --systems LIST     ids as in bench/compare (default: rmqd-binary,redis)
  --servers N        fresh servers per system (default 4)
  --passes N         measured produce runs on each server, one after the other (default 4)
  --messages N       publishes per pass (default 200000, bench/compare's produce rows)
  --warm N           publishes before the first pass, not counted (default 0)
  --fsync            acknowledged after fsync (row 2) instead of in the page cache (row 1)
  --window N         publishes in flight (default 64)
  --size N           body bytes (default 1024)
  --json             every pass as JSON on standard output`;

interface Pass {
  system: string;
  server: number;
  pass: number;
  msgPerSec: number;
  /** The server's CPU per message, µs: all of it, and its kernel part. */
  serverUs: number;
  serverSysUs: number;
  clientUs: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor((s.length - 1) / 2)]!;
};
const perMsgUs = (cores: number, m: Measured) => (cores / m.msgPerSec) * 1e6;

export async function main(argv: string[], deps: { rmqd: string }): Promise<number> {
  const a = parseCli(argv, USAGE, {
    systems: { type: 'string', default: 'rmqd-binary,redis' },
    servers: { type: 'string', default: '4' },
    passes: { type: 'string', default: '4' },
    messages: { type: 'string', default: '200000' },
    warm: { type: 'string', default: '0' },
    fsync: { type: 'boolean', default: false },
    window: { type: 'string', default: '64' },
    size: { type: 'string', default: '1024' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  });
  if (typeof a === 'number') return a;
  let o;
  let systems;
  try {
    o = { servers: numberOption('servers', a.servers, 1), passes: numberOption('passes', a.passes, 2), messages: numberOption('messages', a.messages, 1), warm: numberOption('warm', a.warm, 0), window: numberOption('window', a.window, 1), size: numberOption('size', a.size, 16) };
    systems = pickSystems(a.systems, allSystems(deps.rmqd));
  } catch (e) {
    return usageFailure(e, USAGE);
  }
  const durability: Durability = a.fsync ? 'fsync' : 'page-cache';
  const out = (l: string) => (a.json ? process.stderr : process.stdout).write(`${l}\n`);
  const log = (l: string) => process.stderr.write(`${l}\n`);
  const passes: Pass[] = [];
  try {
    out(`# bench/warmup: ${o.servers} fresh servers per system, ${o.passes} passes of ${o.messages.toLocaleString('en-US')} publishes each (${durability}, ${o.window} in flight, ${o.size}-byte bodies)${o.warm ? `, ${o.warm.toLocaleString('en-US')} not counted first` : ''}`);
    out('# each pass: msg/s, server CPU µs per message (of it kernel)');
    for (const s of systems) {
      const why = (await s.probe()) ?? s.unsupported(durability);
      if (why !== undefined) {
        out(`${s.label}: unavailable: ${why}`);
        continue;
      }
      for (let server = 0; server < o.servers; server++) {
        const ep = await s.start({ durability, window: o.window, label: 'warmup', log: (l) => log(`    ${l}`) });
        const cells: string[] = [];
        try {
          if (o.warm > 0) await produceRun(ep, { count: o.warm, window: o.window, size: o.size });
          for (let pass = 0; pass < o.passes; pass++) {
            const m = await produceRun(ep, { count: o.messages, window: o.window, size: o.size });
            const p: Pass = { system: s.id, server, pass, msgPerSec: m.msgPerSec, serverUs: perMsgUs(m.serverCpu, m), serverSysUs: perMsgUs(m.serverSysCpu, m), clientUs: perMsgUs(m.clientCpu, m) };
            passes.push(p);
            cells.push(`${Math.round(p.msgPerSec).toLocaleString('en-US').padStart(8)} ${p.serverUs.toFixed(1).padStart(5)} (${p.serverSysUs.toFixed(1)})`);
          }
        } finally {
          await ep.close();
        }
        out(`${s.label.padEnd(40)} server ${server + 1}: ${cells.join('  ')}`);
      }
      const mine = passes.filter((p) => p.system === s.id);
      const first = mine.filter((p) => p.pass === 0);
      const later = mine.filter((p) => p.pass > 0);
      const mf = median(first.map((p) => p.msgPerSec));
      const ml = median(later.map((p) => p.msgPerSec));
      out(`${s.label.padEnd(40)} first passes: median ${Math.round(mf).toLocaleString('en-US')} msg/s at ${median(first.map((p) => p.serverUs)).toFixed(1)} µs; later passes: ${Math.round(ml).toLocaleString('en-US')} msg/s at ${median(later.map((p) => p.serverUs)).toFixed(1)} µs; first / later ${(mf / ml).toFixed(2)}x`);
    }
    if (a.json) process.stdout.write(`${JSON.stringify({ options: { ...o, durability }, passes }, null, 1)}\n`);
    return 0;
  } finally {
    await stopAll();
  }
}
