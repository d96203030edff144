/**
 * Requests waiting for their responses, the connection's pattern: N in flight, each new request
 * inserted and the oldest answered (taken) — IntKeyTable against a Map, interleaved, in one process.
 * Per structure: time per insert + take, mark-compacts and GC time (a Map churned like this links each
 * rebuilt table to the next, so one promoted table keeps every later one, and what its entries
 * reach, alive: old space fills; see src/util/int-key-table.ts).
 */
import { IntKeyTable } from '../src/util/int-key-table.js';
import { GcMeter } from './gc-meter.js';

export interface PendingTableResult {
  kind: 'Map' | 'IntKeyTable';
  inFlight: number;
  nsPerOp: number;
  /** Mark-compacts during the run: the churned Map promotes what its tables reach, so old space fills. */
  markCompacts: number;
  /** All GC pause time during the run, ms. */
  gcMs: number;
}

interface Waiting {
  opaque: number;
  resolve: () => void;
  payload: number[];
}

async function runOnce(kind: PendingTableResult['kind'], inFlight: number, ops: number): Promise<PendingTableResult> {
  const map = new Map<number, Waiting>();
  const table = new IntKeyTable<Waiting>();
  const order: number[] = [];
  let head = 0;
  const gc = new GcMeter();
  let opaque = 1;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) {
    const w: Waiting = { opaque, resolve: () => {}, payload: [i, i + 1, i + 2] };
    if (kind === 'Map') map.set(opaque, w);
    else table.set(opaque, w);
    order.push(opaque);
    opaque = (opaque + 1) & 0x7fffffff;
    if (order.length - head > inFlight) {
      const k = order[head++]!;
      const got = kind === 'Map' ? map.get(k) : table.take(k);
      if (kind === 'Map') map.delete(k);
      if (got === undefined) throw new Error('lost a waiting request');
      if (head > 4096) {
        order.splice(0, head);
        head = 0;
      }
    }
  }
  const ns = Number(process.hrtime.bigint() - t0);
  // GC entries are delivered asynchronously
  await new Promise((r) => setTimeout(r, 20));
  const c = gc.stop();
  return { kind, inFlight, nsPerOp: ns / ops, markCompacts: c.major, gcMs: c.allMs };
}

/** Map and IntKeyTable runs per in-flight count, alternating which goes first; the caller prints ratios. */
export async function pendingTable(o: { inFlight: number[]; ops: number; rounds: number }): Promise<PendingTableResult[][]> {
  const out: PendingTableResult[][] = [];
  for (const n of o.inFlight) {
    const rows: PendingTableResult[] = [];
    for (let r = 0; r < o.rounds; r++) for (const kind of r % 2 === 0 ? (['Map', 'IntKeyTable'] as const) : (['IntKeyTable', 'Map'] as const)) rows.push(await runOnce(kind, n, o.ops));
    out.push(rows);
  }
  return out;
}
