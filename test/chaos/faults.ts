/**
 * Faults and the seeded schedule that picks them.
 *
 * A schedule is a pure function of (seed, mode, fault kinds): the same seed gives the same
 * sequence of faults, targets, parameters and durations (replayable), whatever the timing of a
 * run. Each fault has an inject and a heal; the runner (run.ts) records both in the history.
 *
 * Not available on this kernel, and what stands in (see docs/guide/chaos.md): `tc netem` (the
 * kernel is built without CONFIG_NET_SCH_NETEM) — packet loss is nftables' `numgen random`, delay
 * is a slow link (tc tbf rate limit: queueing delay plus tail drops), not fixed latency.
 */
import type { ChaosLab, LabNode } from './lab.js';
import { CLIENT_ADDRESS } from './lab.js';

export const FAULT_KINDS = [
  'kill9',
  'kill9-during-recovery',
  'pause',
  'partition-master-slave',
  'partition-broker-namesrv',
  'partition-clients-broker',
  'packet-loss',
  'slow-link',
  'disk-full',
  'slow-disk',
  'clock-step',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  n: number;
  kind: FaultKind;
  /** Node id(s) it acts on. */
  target: string;
  /** How long it lasts before the heal (ms). */
  durationMs: number;
  /** Parameters, e.g. { direction: 'one-way' } or { lossPercent: 20 }. */
  params: Record<string, string | number>;
}

/** mulberry32: a small seeded PRNG (deterministic across runs and machines). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Topology {
  masters: string[];
  slaves: { id: string; master: string }[];
  namesrvs: string[];
  clockNodes: string[];
}

/** Which fault kinds make sense in a topology (no master/slave partition without slaves...). */
export function applicable(kind: FaultKind, t: Topology): boolean {
  if (kind === 'partition-master-slave') return t.slaves.length > 0;
  if (kind === 'partition-broker-namesrv') return t.namesrvs.length > 0;
  if (kind === 'clock-step') return t.clockNodes.length > 0;
  return true;
}

/** The schedule: an endless, seeded sequence of faults over `kinds`. */
export function* schedule(seed: number, t: Topology, kinds: readonly FaultKind[], opts: { minMs?: number; maxMs?: number } = {}): Generator<Fault> {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const usable = kinds.filter((k) => applicable(k, t));
  if (usable.length === 0) throw new Error(`none of the fault kinds ${kinds.join(', ')} applies to this topology`);
  const [lo, hi] = [opts.minMs ?? 3_000, opts.maxMs ?? 12_000];
  const brokers = [...t.masters, ...t.slaves.map((s) => s.id)];
  for (let n = 1; ; n++) {
    const kind = pick(usable);
    const durationMs = Math.round(lo + rnd() * (hi - lo));
    const direction = rnd() < 0.5 ? 'two-way' : 'one-way';
    let target: string;
    const params: Record<string, string | number> = {};
    switch (kind) {
      case 'kill9':
      case 'pause':
        target = pick(rnd() < 0.75 ? brokers : [...t.namesrvs, ...brokers]);
        break;
      case 'kill9-during-recovery':
        target = pick(brokers);
        params.kills = 1 + Math.floor(rnd() * 3);
        params.seed = Math.floor(rnd() * 1e9);
        break;
      case 'partition-master-slave': {
        const s = pick(t.slaves);
        target = `${s.master}|${s.id}`;
        params.direction = direction;
        params.from = rnd() < 0.5 ? 'master' : 'slave';
        break;
      }
      case 'partition-broker-namesrv':
        target = pick(brokers);
        params.direction = direction;
        break;
      case 'partition-clients-broker':
        target = pick(brokers);
        params.direction = direction;
        params.from = rnd() < 0.5 ? 'clients' : 'broker';
        break;
      case 'packet-loss':
        target = pick(brokers);
        params.lossPercent = pick([5, 10, 20, 40]);
        break;
      case 'slow-link':
        target = pick(brokers);
        params.kbit = pick([128, 512, 2048]);
        break;
      case 'disk-full':
        target = pick(brokers);
        break;
      case 'slow-disk':
        target = pick(brokers);
        params.bytesPerSecond = pick([64 * 1024, 256 * 1024, 1024 * 1024]);
        break;
      case 'clock-step':
        target = pick(t.clockNodes);
        params.offsetSeconds = pick([-3600, -300, -30, 30, 300, 3600]);
        break;
    }
    yield { n, kind, target, durationMs, params };
  }
}

// ---------------------------------------------------------------------------------------------
// nftables / tc inside a host's namespace

const TABLE = 'chaos';

function nft(lab: ChaosLab, node: LabNode, script: string): void {
  lab.inHost(node.o.hostIndex, 'nft', ['-f', '-'], { input: script });
}

function ensureTable(lab: ChaosLab, node: LabNode): void {
  nft(lab, node, [`table inet ${TABLE} {`, '  chain input { type filter hook input priority 0; policy accept; }', '  chain output { type filter hook output priority 0; policy accept; }', '}', ''].join('\n'));
}

function dropRules(lab: ChaosLab, node: LabNode, rules: { chain: 'input' | 'output'; match: string }[]): void {
  ensureTable(lab, node);
  nft(lab, node, rules.map((r) => `add rule inet ${TABLE} ${r.chain} ${r.match} drop`).join('\n') + '\n');
}

function clearNet(lab: ChaosLab, node: LabNode): void {
  lab.inHost(node.o.hostIndex, 'nft', ['delete', 'table', 'inet', TABLE], { allowFail: true });
  lab.inHost(node.o.hostIndex, 'tc', ['qdisc', 'del', 'dev', 'eth0', 'root'], { allowFail: true });
}

/** Drop traffic between `node` and the addresses: two-way, or only what goes out of / comes into node. */
function cut(lab: ChaosLab, node: LabNode, addrs: string[], direction: 'two-way' | 'out' | 'in'): void {
  const set = `{ ${addrs.join(', ')} }`;
  const rules: { chain: 'input' | 'output'; match: string }[] = [];
  if (direction !== 'in') rules.push({ chain: 'output', match: `ip daddr ${set}` });
  if (direction !== 'out') rules.push({ chain: 'input', match: `ip saddr ${set}` });
  dropRules(lab, node, rules);
}

const hostOf = (n: LabNode) => n.o.address;

// ---------------------------------------------------------------------------------------------

export interface Injected {
  /** What the heal must undo. */
  heal(): Promise<string | undefined>;
  detail: string;
}

/** Starts a node that was killed, waiting until it answers (and is registered). */
async function restart(lab: ChaosLab, node: LabNode): Promise<void> {
  if (!node.running) await node.start(120_000);
}

export async function inject(lab: ChaosLab, f: Fault): Promise<Injected> {
  switch (f.kind) {
    case 'kill9': {
      const node = lab.node(f.target);
      await node.kill9();
      return { detail: `kill -9 ${node.id}`, heal: async () => (await restart(lab, node), undefined) };
    }
    case 'kill9-during-recovery': {
      // kill -9, then restart and kill again while it replays its store (a random point in the
      // first 1.5 s after spawn; whether it had finished recovery is read from its log)
      const node = lab.node(f.target);
      await node.kill9();
      const r = prngFor(Number(f.params.seed));
      const notes: string[] = [];
      for (let k = 0; k < Number(f.params.kills); k++) {
        node.spawn();
        const delay = Math.floor(r() * 1500);
        await new Promise((res) => setTimeout(res, delay));
        const listening = node.lines.some((l) => l.includes('broker listening'));
        await node.kill9();
        notes.push(`${delay} ms${listening ? ' (after recovery)' : ' (during recovery)'}`);
      }
      return { detail: `kill -9 ${node.id}, then killed again ${notes.join(', ')} after restarts`, heal: async () => (await restart(lab, node), undefined) };
    }
    case 'pause': {
      const node = lab.node(f.target);
      node.signal('SIGSTOP');
      return { detail: `SIGSTOP ${node.id}`, heal: async () => (node.signal('SIGCONT'), undefined) };
    }
    case 'partition-master-slave': {
      const [mid, sid] = f.target.split('|') as [string, string];
      const [m, s] = [lab.node(mid), lab.node(sid)];
      const oneWay = f.params.direction === 'one-way';
      // one-way: packets from `from` to the other are dropped (cut in from's namespace, outgoing)
      const [a, b] = f.params.from === 'master' ? [m, s] : [s, m];
      cut(lab, a, [hostOf(b)], oneWay ? 'out' : 'two-way');
      return { detail: oneWay ? `${a.id} -> ${b.id} dropped` : `${m.id} <-> ${s.id} cut`, heal: async () => (clearNet(lab, a), undefined) };
    }
    case 'partition-broker-namesrv': {
      const node = lab.node(f.target);
      const oneWay = f.params.direction === 'one-way';
      cut(lab, node, lab.namesrvs.map(hostOf), oneWay ? 'out' : 'two-way');
      return { detail: oneWay ? `${node.id} -> NameServers dropped` : `${node.id} <-> NameServers cut`, heal: async () => (clearNet(lab, node), undefined) };
    }
    case 'partition-clients-broker': {
      const node = lab.node(f.target);
      const oneWay = f.params.direction === 'one-way';
      const dir = !oneWay ? 'two-way' : f.params.from === 'clients' ? 'in' : 'out';
      cut(lab, node, [CLIENT_ADDRESS], dir);
      const what = !oneWay ? `clients <-> ${node.id} cut` : f.params.from === 'clients' ? `clients -> ${node.id} dropped` : `${node.id} -> clients dropped`;
      return { detail: what, heal: async () => (clearNet(lab, node), undefined) };
    }
    case 'packet-loss': {
      const node = lab.node(f.target);
      const p = Number(f.params.lossPercent);
      dropRules(lab, node, [
        { chain: 'input', match: `ip saddr 10.77.0.0/24 numgen random mod 100 < ${p}` },
        { chain: 'output', match: `ip daddr 10.77.0.0/24 numgen random mod 100 < ${p}` },
      ]);
      return { detail: `${p}% of ${node.id}'s packets dropped both ways`, heal: async () => (clearNet(lab, node), undefined) };
    }
    case 'slow-link': {
      const node = lab.node(f.target);
      const kbit = Number(f.params.kbit);
      lab.inHost(node.o.hostIndex, 'tc', ['qdisc', 'add', 'dev', 'eth0', 'root', 'tbf', 'rate', `${kbit}kbit`, 'burst', '16kb', 'latency', '400ms']);
      return { detail: `${node.id}'s outgoing link limited to ${kbit} kbit/s (tbf, ≤ 400 ms queueing)`, heal: async () => (clearNet(lab, node), undefined) };
    }
    case 'disk-full': {
      const node = lab.node(f.target);
      node.fillDisk(true);
      return { detail: `${node.id}'s store filesystem filled to the last byte`, heal: async () => (node.fillDisk(false), undefined) };
    }
    case 'slow-disk': {
      const node = lab.node(f.target);
      const bps = Number(f.params.bytesPerSecond);
      node.throttleWrites(bps);
      return { detail: `${node.id}'s store device writes limited to ${Math.round(bps / 1024)} KiB/s (blkio cgroup)`, heal: async () => (node.throttleWrites(0), undefined) };
    }
    case 'clock-step': {
      const node = lab.node(f.target);
      const s = Number(f.params.offsetSeconds);
      node.setClock(`${s >= 0 ? '+' : ''}${s}`);
      return { detail: `${node.id}'s wall clock stepped ${s >= 0 ? '+' : ''}${s} s (libfaketime)`, heal: async () => (node.setClock('+0'), 'stepped back') };
    }
  }
}

function prngFor(seed: number): () => number {
  return prng(seed);
}
