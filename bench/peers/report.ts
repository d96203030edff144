/**
 * The rows of bench/compare, the result of each (row, system) cell, our ratio to the best peer per
 * row, and the text table. Sans-IO: data in, strings out.
 */
import type { Durability } from './system.js';
import type { Measured } from './workload.js';

export type RowKind = 'produce' | 'latency' | 'backlog';

export interface RowSpec {
  id: string;
  n: number;
  kind: RowKind;
  durability: Durability;
  title: string;
}

export interface Cell {
  row: string;
  system: string;
  label: string;
  ours: boolean;
  status: 'ok' | 'unavailable' | 'failed';
  reason?: string;
  /** Durability the system ran with (a consume row may fall back to a system's only level). */
  durability?: Durability;
  settings?: string;
  result?: Measured;
  /** Backlog row: how the backlog was written (not the row's figure). */
  fill?: Measured;
  /** With --rounds N: every round's result, in the order run (`result` is their median). */
  rounds?: Measured[];
}

/**
 * The median of a system's rounds of one row (rows run N times, system order alternating, to
 * spread the drift of a shared machine's load over every system): by msg/s for throughput rows,
 * by p99 for the fixed-rate latency row. A failed round counts only when no round succeeded.
 */
export function medianCell(kind: RowKind, rounds: Cell[]): Cell {
  const ok = rounds.filter((c) => c.status === 'ok');
  if (ok.length === 0) return rounds[rounds.length - 1]!;
  const score = (c: Cell) => (kind === 'latency' ? -(c.result!.p99ms ?? Infinity) : c.result!.msgPerSec);
  const sorted = [...ok].sort((a, b) => score(b) - score(a));
  // the middle one; of an even count, the worse middle one (never flatter a system)
  const median = sorted[Math.floor(sorted.length / 2)]!;
  if (rounds.length === 1) return median;
  const all = ok.map((c) => c.result!);
  const spread =
    kind === 'latency'
      ? `p99 ${all.map((m) => msCol(m.p99ms)).join(' / ')} ms`
      : `msg/s ${all.map((m) => num(m.msgPerSec)).join(' / ')}`;
  // the rounds' server kernel time beside their results: a round that paid this VM's fresh memory shows here
  const sys = `server sys cores ${all.map((m) => num(m.serverSysCpu, 2)).join(' / ')}`;
  const failed = rounds.length - ok.length;
  const note = `median of ${ok.length} rounds (${spread}; ${sys})${failed ? `; ${failed} round(s) failed: ${rounds.find((c) => c.status !== 'ok')?.reason}` : ''}`;
  return { ...median, result: { ...median.result!, notes: [...median.result!.notes, note] }, rounds: all };
}

export interface Ratio {
  row: string;
  system: string;
  /** Ours / best peer's msg/s (≥ 1: we are at least as fast); not for the fixed-rate latency row. */
  throughput?: { ratio: number; best: string };
  /** Ours / best peer's p99 (≤ 1: we are no worse). */
  p99?: { ratio: number; best: string };
  /** Latency row: ours / best peer's p999. */
  p999?: { ratio: number; best: string };
}

export function rowSpecs(o: { rate: number; backlog: number; size: number; window: number }): RowSpec[] {
  const kb = o.size === 1024 ? '1 KB' : `${o.size} B`;
  return [
    { id: 'produce-async', n: 1, kind: 'produce', durability: 'page-cache', title: `${kb} produce, ${o.window} in flight, acknowledged in the page cache (async flush)` },
    { id: 'produce-sync', n: 2, kind: 'produce', durability: 'fsync', title: `${kb} produce, ${o.window} in flight, acknowledged after fsync` },
    { id: 'latency', n: 3, kind: 'latency', durability: 'page-cache', title: `produce + consume end to end at ${o.rate.toLocaleString('en-US')} msg/s (latency from scheduled send to arrival)` },
    { id: 'backlog', n: 4, kind: 'backlog', durability: 'page-cache', title: `consume a backlog of ${o.backlog.toLocaleString('en-US')} ${kb} messages` },
  ];
}

function best(cells: Cell[], value: (m: Measured) => number | undefined, better: (a: number, b: number) => boolean): { value: number; system: string } | undefined {
  let b: { value: number; system: string } | undefined;
  for (const c of cells) {
    const v = c.result === undefined ? undefined : value(c.result);
    if (v === undefined || !Number.isFinite(v) || v <= 0) continue;
    if (b === undefined || better(v, b.value)) b = { value: v, system: c.label };
  }
  return b;
}

export function ratios(rows: RowSpec[], cells: Cell[]): Ratio[] {
  const out: Ratio[] = [];
  for (const row of rows) {
    const here = cells.filter((c) => c.row === row.id && c.status === 'ok');
    const peers = here.filter((c) => !c.ours);
    const fastest = best(peers, (m) => m.msgPerSec, (a, b) => a > b);
    const lowP99 = best(peers, (m) => m.p99ms, (a, b) => a < b);
    const lowP999 = best(peers, (m) => m.p999ms, (a, b) => a < b);
    for (const c of here.filter((x) => x.ours)) {
      const m = c.result!;
      const r: Ratio = { row: row.id, system: c.label };
      if (row.kind !== 'latency' && fastest) r.throughput = { ratio: m.msgPerSec / fastest.value, best: fastest.system };
      if (m.p99ms !== undefined && lowP99) r.p99 = { ratio: m.p99ms / lowP99.value, best: lowP99.system };
      if (row.kind === 'latency' && m.p999ms !== undefined && lowP999) r.p999 = { ratio: m.p999ms / lowP999.value, best: lowP999.system };
      out.push(r);
    }
  }
  return out;
}

const num = (n: number | undefined, d = 0) => (n === undefined ? '-' : n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
const msCol = (n: number | undefined) => (n === undefined ? '-' : n < 10 ? num(n, 2) : n < 100 ? num(n, 1) : num(n, 0));

export function formatTable(rows: RowSpec[], cells: Cell[], rs: Ratio[]): string {
  const lines: string[] = [];
  const head = ['system', 'msg/s', 'MB/s', 'p50 ms', 'p99 ms', 'p999 ms', 'CPU server', 'of it sys', 'CPU client'];
  const widths = [40, 9, 7, 7, 7, 8, 10, 9, 10];
  const fmt = (cols: string[]) => cols.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' ');
  for (const row of rows) {
    lines.push('', `(${row.n}) ${row.title}`, `  ${fmt(head)}`);
    for (const c of cells.filter((x) => x.row === row.id)) {
      const name = c.durability !== undefined && c.durability !== row.durability ? `${c.label} [${c.durability}]` : c.label;
      if (c.status !== 'ok') {
        lines.push(`  ${name.padEnd(widths[0]!)} ${c.status}: ${c.reason}`);
        continue;
      }
      const m = c.result!;
      lines.push(`  ${fmt([name, num(m.msgPerSec), num(m.mbPerSec, 1), msCol(m.p50ms), msCol(m.p99ms), msCol(m.p999ms), num(m.serverCpu, 2), num(m.serverSysCpu, 2), num(m.clientCpu, 2)])}`);
      for (const n of m.notes) lines.push(`      note: ${n}`);
    }
    for (const r of rs.filter((x) => x.row === row.id)) {
      const parts: string[] = [];
      if (r.throughput) parts.push(`msg/s ${num(r.throughput.ratio, 2)}x of ${r.throughput.best}`);
      if (r.p99) parts.push(`p99 ${num(r.p99.ratio, 2)}x of ${r.p99.best}'s`);
      if (r.p999) parts.push(`p999 ${num(r.p999.ratio, 2)}x of ${r.p999.best}'s`);
      lines.push(`  => ${r.system} vs best peer: ${parts.length ? parts.join(', ') : 'no peer result to compare with'}`);
    }
    for (const [suffix, what] of [['-binary', 'binary / JSON headers'], ['-batch', 'autoBatch / single sends']] as const) {
      for (const ab of twinRatios(cells.filter((x) => x.row === row.id), suffix)) {
        lines.push(`  => ${what}, ${ab.label}: msg/s ${num(ab.throughput, 2)}x, server CPU per message ${num(ab.serverCpuPerMsg, 2)}x, client CPU per message ${num(ab.clientCpuPerMsg, 2)}x${ab.p99 === undefined ? '' : `, p99 ${num(ab.p99, 2)}x`}`);
      }
    }
  }
  return lines.join('\n');
}

/** Each `X<suffix>` cell against its twin `X` of the same row (an A/B in the same run: header forms, autoBatch). */
export function twinRatios(cells: Cell[], suffix: string): { label: string; throughput: number; serverCpuPerMsg: number; clientCpuPerMsg: number; p99?: number }[] {
  const out = [];
  for (const b of cells) {
    if (!b.system.endsWith(suffix) || b.status !== 'ok') continue;
    const j = cells.find((c) => c.system === b.system.slice(0, -suffix.length) && c.status === 'ok');
    if (j === undefined) continue;
    const mb = b.result!;
    const mj = j.result!;
    const r = { label: j.label, throughput: mb.msgPerSec / mj.msgPerSec, serverCpuPerMsg: mb.serverCpu / mb.msgPerSec / (mj.serverCpu / mj.msgPerSec), clientCpuPerMsg: mb.clientCpu / mb.msgPerSec / (mj.clientCpu / mj.msgPerSec) };
    out.push(mb.p99ms !== undefined && mj.p99ms !== undefined ? { ...r, p99: mb.p99ms / mj.p99ms } : r);
  }
  return out;
}
