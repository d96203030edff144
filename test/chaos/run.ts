/**
 * One chaos run: the lab for a mode, the workload, the seeded faults one after another (inject,
 * hold, heal, wait for the cluster and the workload to recover), then the producers stop, the
 * consumers drain, the lab goes down, and the checker reads the history.
 *
 *   const r = await runChaos({ mode: '2m-2s-sync', seed: 7, minutes: 3 });
 *   r.problems  // [] when every promise held; r.verdict has the numbers
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AdminClient } from '../../src/client/admin.js';
import { BrokerApi } from '../../src/client/broker-api.js';
import { waitFor } from '../support/wait.js';
import { check, problems, type Verdict } from './checker.js';
import { FAULT_KINDS, inject, prng, schedule, type Fault, type FaultKind, type Topology } from './faults.js';
import { HistoryWriter, readHistory, type HistoryEvent } from './history.js';
import { ChaosLab, MODE_PROMISE, type ChaosMode, type LabNode } from './lab.js';
import { Workload, type GroupSpec, type LaneSpec } from './workload.js';

export const TOPIC = 'ChaosTopic';

export interface RunOptions {
  mode: ChaosMode;
  seed: number;
  /** Stop injecting new faults after this long (default 2). */
  minutes?: number;
  /** ...or after this many faults. */
  maxFaults?: number;
  /** Fault kinds to draw from (default: all that apply to the mode). */
  faults?: readonly FaultKind[];
  /** Fault durations (ms). */
  faultMs?: [number, number];
  lanes?: LaneSpec[];
  groups?: GroupSpec[];
  laneRate?: number;
  /** Where the history, logs and verdict go (kept). */
  out: string;
  log?: (line: string) => void;
}

export interface RunResult {
  verdict: Verdict;
  problems: string[];
  faults: Fault[];
  historyFile: string;
  seconds: number;
}

export const DEFAULT_LANES: LaneSpec[] = [
  { client: 'ours', count: 3 },
  { client: 'ali-ons', count: 1 },
];
export const DEFAULT_GROUPS: GroupSpec[] = [
  { group: 'CG_CHAOS_OURS', client: 'ours', members: 2, orderly: false },
  { group: 'CG_CHAOS_ORDERLY', client: 'ours', members: 2, orderly: true },
  { group: 'CG_CHAOS_ALI', client: 'ali-ons', members: 1, orderly: false },
];

/** The v5 gRPC client's lane and group (RMQ_CHAOS_V5=1). */
export const V5_LANES: LaneSpec[] = [{ client: 'v5', count: 1 }];
export const V5_GROUPS: GroupSpec[] = [{ group: 'CG_CHAOS_V5', client: 'v5', members: 1, orderly: false }];

export async function runChaos(o: RunOptions): Promise<RunResult> {
  const log = o.log ?? (() => {});
  const t0 = Date.now();
  mkdirSync(o.out, { recursive: true });
  const historyFile = path.join(o.out, 'history.jsonl');
  const history = new HistoryWriter(historyFile);
  log(`chaos: mode ${o.mode}, seed ${o.seed}, lab coming up`);
  const lab = await ChaosLab.up({ mode: o.mode, root: path.join(o.out, 'lab') });
  log(`chaos: lab up in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${lab.nodes.map((n) => `${n.id}@${n.addr}`).join(' ')}`);
  const done: Fault[] = [];
  let workload: Workload | undefined;
  try {
    const api = new BrokerApi(lab.client, 5_000);
    for (const m of lab.masters) await api.createTopic(m.addr, { topicName: TOPIC, readQueueNums: 4, writeQueueNums: 4, perm: 6 });
    for (const ns of lab.namesrvAddrs) {
      const admin = new AdminClient({ namesrvAddrs: [ns], remoting: lab.client });
      await waitFor(async () => ((await admin.topicRoute(TOPIC))?.queueDatas.length ?? 0) >= lab.masters.length, { timeout: 60_000, what: `${ns} to route ${TOPIC}` });
    }
    const storeToBroker = new Map(lab.masters.map((m) => [m.addr, m.o.brokerName!]));
    workload = new Workload(
      {
        topic: TOPIC,
        access: { namesrvAddrs: lab.namesrvAddrs, grpcEndpoints: lab.masters.map((m) => `${m.o.address}:${m.o.properties.grpcServerPort}`) },
        lanes: o.lanes ?? (process.env.RMQ_CHAOS_V5 === '1' ? [...DEFAULT_LANES, ...V5_LANES] : DEFAULT_LANES),
        groups: o.groups ?? (process.env.RMQ_CHAOS_V5 === '1' ? [...DEFAULT_GROUPS, ...V5_GROUPS] : DEFAULT_GROUPS),
        laneRate: o.laneRate ?? 10,
        random: prng(o.seed ^ 0x5eed),
        brokerOfStore: (s) => storeToBroker.get(s) ?? s,
      },
      history,
    );
    const w = workload;
    const brokerGroups = lab.masters.map((m) => m.o.brokerName!);
    history.write({ e: 'phase', t: Date.now(), phase: 'start', note: `mode ${o.mode} seed ${o.seed}` });
    await w.startConsumers();
    await w.startProducers();
    const since = Date.now();
    await waitFor(() => recovered(w, since, brokerGroups), { timeout: 90_000, interval: 200, what: 'every lane acknowledged and every group delivering' });
    log(`chaos: workload running (${w.lanes.length} lanes, groups ${w.groups.join(', ')})`);

    const topo: Topology = {
      masters: lab.masters.map((n) => n.id),
      slaves: lab.slaves.map((n) => ({ id: n.id, master: `${n.o.brokerName}-0` })),
      namesrvs: lab.namesrvs.map((n) => n.id),
      clockNodes: lab.nodes.filter((n) => n.o.clock).map((n) => n.id),
    };
    const kinds = o.faults ?? FAULT_KINDS;
    const faults = schedule(o.seed, topo, kinds, { minMs: o.faultMs?.[0], maxMs: o.faultMs?.[1] });
    const gaps = prng(o.seed + 1);
    const deadline = Date.now() + (o.minutes ?? 2) * 60_000;
    while (Date.now() < deadline && done.length < (o.maxFaults ?? Infinity)) {
      const f = faults.next().value as Fault;
      const injectedAt = Date.now();
      history.write({ e: 'fault', t: injectedAt, n: f.n, kind: f.kind, target: f.target, detail: JSON.stringify(f.params) });
      const injected = await inject(lab, f);
      log(`chaos: #${f.n} ${f.kind}: ${injected.detail} for ${f.durationMs} ms`);
      await new Promise((r) => setTimeout(r, Math.max(0, f.durationMs - (Date.now() - injectedAt))));
      const note = await injected.heal();
      const healedAt = Date.now();
      history.write({ e: 'heal', t: healedAt, n: f.n, kind: f.kind, target: f.target, ...(note ? { note } : {}) });
      done.push(f);
      try {
        await lab.waitRegistered(120_000);
        await waitFor(() => recovered(w, healedAt, brokerGroups), { timeout: 120_000, interval: 200, what: `recovery after #${f.n} ${f.kind}` });
        log(`chaos: #${f.n} healed, recovered in ${Date.now() - healedAt} ms (acked ${w.progress.acked.size}, failed ${w.progress.failed})`);
      } catch (e) {
        log(`chaos: #${f.n} NOT recovered: ${(e as Error).message}`);
      }
      // a quiet moment between faults, seeded too
      await new Promise((r) => setTimeout(r, 500 + Math.floor(gaps() * 2_000)));
    }
    history.write({ e: 'phase', t: Date.now(), phase: 'faults-done', note: `${done.length} faults` });
    await w.stopProducers();
    history.write({ e: 'phase', t: Date.now(), phase: 'producers-stopped' });
    log(`chaos: producers stopped (sent ${w.progress.sent}, SEND_OK ${w.progress.acked.size}, failed ${w.progress.failed}); draining`);
    // drain: until every group has every acknowledged message, or nothing new for 60 s
    let last = -1;
    let lastChange = Date.now();
    await waitFor(
      () => {
        const missing = w.groups.reduce((n, g) => n + w.missing(g), 0);
        if (missing === 0) return true;
        if (missing !== last) [last, lastChange] = [missing, Date.now()];
        return Date.now() - lastChange > 60_000 ? 'stalled' : false;
      },
      { timeout: 300_000, interval: 500, what: 'consumers to drain' },
    ).catch(() => 'timeout');
    history.write({ e: 'phase', t: Date.now(), phase: 'drained', note: w.groups.map((g) => `${g} missing ${w.missing(g)}`).join(', ') });
    for (const ev of await compareReplicas(lab, api)) {
      history.write(ev);
      log(`chaos: ${ev.slave} vs ${ev.master}: ends ${ev.slaveEnd}/${ev.masterEnd}, ${ev.compared} bytes compared, ${ev.firstDifference === null ? 'identical' : `first difference at ${ev.firstDifference}`}`);
    }
  } finally {
    await workload?.stopProducers().catch(() => {});
    await workload?.stopConsumers().catch(() => {});
    history.write({ e: 'phase', t: Date.now(), phase: 'end' });
    await history.close();
    await lab.down({ keepLogs: true });
  }
  const verdict = check(readHistory(historyFile));
  const found = problems(verdict, { noLossAsserted: MODE_PROMISE[o.mode].noLossAsserted });
  writeFileSync(path.join(o.out, 'verdict.json'), `${JSON.stringify({ mode: o.mode, seed: o.seed, faults: done, problems: found, verdict }, null, 2)}\n`);
  return { verdict, problems: found, faults: done, historyFile, seconds: (Date.now() - t0) / 1000 };
}

/**
 * Each slave against its master once the slave has caught up (or 60 s passed): the bytes of the
 * commit-log files both hold, compared here, from the filesystems.
 */
async function compareReplicas(lab: ChaosLab, api: BrokerApi): Promise<Extract<HistoryEvent, { e: 'replica' }>[]> {
  const out: Extract<HistoryEvent, { e: 'replica' }>[] = [];
  const end = async (addr: string) => Number((await api.runtimeInfo(addr)).commitLogMaxOffset);
  for (const s of lab.slaves) {
    const m = lab.node(`${s.o.brokerName}-0`);
    let ends: [number, number] = [0, 0];
    await waitFor(async () => {
      ends = [await end(m.addr), await end(s.addr)];
      return ends[0] === ends[1];
    }, { timeout: 60_000, interval: 500, what: `${s.id} to catch up with ${m.id}` }).catch(() => {});
    const [masterEnd, slaveEnd] = ends;
    const from = Math.max(m.commitLogStart(), s.commitLogStart());
    const to = Math.min(masterEnd, slaveEnd);
    // bytes a broker appended in memory reach its file a moment later (commitLogUnwrittenBytes):
    // wait for both files to hold them, and count a difference only if it is still there 2 s on
    const unwritten = async (addr: string) => Number((await api.runtimeInfo(addr)).commitLogUnwrittenBytes ?? 0);
    await waitFor(async () => (await unwritten(m.addr)) === 0 && (await unwritten(s.addr)) === 0, { timeout: 30_000, interval: 200, what: 'commit-log bytes written to the files' }).catch(() => {});
    let firstDifference = firstDifferenceIn(m, s, from, to);
    if (firstDifference !== null) {
      await new Promise((r) => setTimeout(r, 2_000));
      firstDifference = firstDifferenceIn(m, s, from, to);
    }
    out.push({ e: 'replica', t: Date.now(), group: s.o.brokerName!, master: m.id, slave: s.id, masterEnd, slaveEnd, compared: Math.max(0, to - from), firstDifference });
  }
  return out;
}

function firstDifferenceIn(m: LabNode, s: LabNode, from: number, to: number): number | null {
  for (let at = from; at < to; at += 1 << 20) {
    const hi = Math.min(to, at + (1 << 20));
    const [a, b] = [m.commitLogBytes(at, hi), s.commitLogBytes(at, hi)];
    if (!a.equals(b)) for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return at + i;
  }
  return null;
}

/** Every lane got an answer after `since`, every broker group answered SEND_OK, and every group received a message. */
function recovered(w: Workload, since: number, brokerGroups: readonly string[]): boolean {
  for (const lane of w.lanes) if ((w.progress.lastAckAt.get(lane) ?? 0) < since) return false;
  for (const b of brokerGroups) if ((w.progress.lastOkAtBroker.get(b) ?? 0) < since) return false;
  for (const g of w.groups) if ((w.progress.lastDeliveryAt.get(g) ?? 0) < since) return false;
  return true;
}
