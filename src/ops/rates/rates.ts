/**
 * Message rates from the brokers' Prometheus endpoints, for `rmqctl status --watch` (and a
 * console later): each sample scrapes every broker's `rocketmq_messages_in_total` and
 * `rocketmq_messages_out_total` counters; rates are the differences between two samples over the
 * time between them — per broker group in and out, per consumer group out, per topic in.
 *
 * Where a broker's metrics are: the topology's metricsPort of each node, or else what the broker
 * says in its runtime info (`metricsPort`, 0 = off), at the host of its remoting address.
 * A counter that went down (a broker restarted) counts from zero again, as Prometheus's rate().
 */
import { AdminClient } from '../../client/admin.js';
import { BrokerApi } from '../../client/broker-api.js';
import { RemotingClient, type RemotingClientOptions } from '../../remoting/client.js';
import { scrapeMetrics, type Scraped } from './metrics-scrape.js';

/** A broker's metrics endpoint. */
export interface MetricsTarget {
  /** `<brokerName>-<brokerId>`. */
  node: string;
  brokerName: string;
  brokerId: number;
  /** host:metricsPort. */
  addr: string;
}

export interface GroupRate {
  /** Broker group (brokerName). */
  brokerName: string;
  inPerSec: number;
  outPerSec: number;
}

export interface ConsumerGroupRate {
  group: string;
  outPerSec: number;
  topics: string[];
}

export interface TopicRate {
  topic: string;
  inPerSec: number;
}

export interface RateReport {
  /** Seconds between the two samples the rates come from. */
  intervalSeconds: number;
  brokerGroups: GroupRate[];
  consumerGroups: ConsumerGroupRate[];
  topics: TopicRate[];
  /** Brokers whose metrics could not be read (or have none), with why. */
  unavailable: { node: string; reason: string }[];
}

const IN = 'rocketmq_messages_in_total';
const OUT = 'rocketmq_messages_out_total';

interface Totals {
  at: number;
  /** `node\0topic` → messages in. */
  in: Map<string, number>;
  /** `node\0group\0topic` → messages out. */
  out: Map<string, number>;
}

/** Counter increase between two readings; a lower reading means the counter restarted from 0. */
const increase = (before: number | undefined, now: number) => (before === undefined ? now : now >= before ? now - before : now);

/** Metrics endpoints of every broker the NameServers know, from each broker's runtime info. */
export async function discoverTargets(admin: AdminClient, brokers: BrokerApi): Promise<{ targets: MetricsTarget[]; unavailable: { node: string; reason: string }[] }> {
  const info = await admin.clusterInfo();
  const targets: MetricsTarget[] = [];
  const unavailable: { node: string; reason: string }[] = [];
  await Promise.all(
    Object.values(info.brokerAddrTable).flatMap((b) =>
      Object.entries(b.brokerAddrs).map(async ([id, addr]) => {
        const node = `${b.brokerName}-${id}`;
        try {
          const port = Number((await brokers.runtimeInfo(addr)).metricsPort ?? 0);
          if (port > 0) targets.push({ node, brokerName: b.brokerName, brokerId: Number(id), addr: `${addr.slice(0, addr.lastIndexOf(':'))}:${port}` });
          else unavailable.push({ node, reason: 'metrics are off (metricsPort 0)' });
        } catch (e) {
          unavailable.push({ node, reason: (e as Error).message });
        }
      }),
    ),
  );
  targets.sort((a, b) => (a.node < b.node ? -1 : 1));
  return { targets, unavailable };
}

export class RateMeter {
  private last: Totals | undefined;

  constructor(private readonly opts: { timeoutMillis?: number; now?: () => number } = {}) {}

  /** Scrapes the targets; the rates since the previous sample (undefined on the first). */
  async sample(targets: readonly MetricsTarget[], unavailable: { node: string; reason: string }[] = []): Promise<RateReport | undefined> {
    const now = (this.opts.now ?? Date.now)();
    const totals: Totals = { at: now, in: new Map(), out: new Map() };
    const down = [...unavailable];
    const scraped = await Promise.all(
      targets.map(async (t) => {
        try {
          return { t, m: await scrapeMetrics(t.addr, [IN, OUT], this.opts.timeoutMillis ?? 3_000) };
        } catch (e) {
          down.push({ node: t.node, reason: (e as Error).message });
          return undefined;
        }
      }),
    );
    const groupOf = new Map<string, string>();
    for (const s of scraped) {
      if (s === undefined) continue;
      groupOf.set(s.t.node, s.t.brokerName);
      add(totals.in, s.m, IN, (l) => `${s.t.node}\u0000${l.topic ?? ''}`);
      add(totals.out, s.m, OUT, (l) => `${s.t.node}\u0000${l.consumer_group ?? ''}\u0000${l.topic ?? ''}`);
    }
    const prev = this.last;
    this.last = totals;
    if (prev === undefined || now <= prev.at) return undefined;
    const dt = (now - prev.at) / 1000;
    const groups = new Map<string, GroupRate>();
    const consumers = new Map<string, { out: number; topics: Set<string> }>();
    const topics = new Map<string, number>();
    const group = (node: string) => {
      const name = groupOf.get(node) ?? node;
      let g = groups.get(name);
      if (g === undefined) groups.set(name, (g = { brokerName: name, inPerSec: 0, outPerSec: 0 }));
      return g;
    };
    for (const [k, v] of totals.in) {
      const [node = '', topic = ''] = k.split('\u0000');
      const r = increase(prev.in.get(k), v) / dt;
      group(node).inPerSec += r;
      topics.set(topic, (topics.get(topic) ?? 0) + r);
    }
    for (const [k, v] of totals.out) {
      const [node = '', cg = '', topic = ''] = k.split('\u0000');
      const r = increase(prev.out.get(k), v) / dt;
      group(node).outPerSec += r;
      const c = consumers.get(cg) ?? { out: 0, topics: new Set<string>() };
      c.out += r;
      c.topics.add(topic);
      consumers.set(cg, c);
    }
    return {
      intervalSeconds: dt,
      brokerGroups: [...groups.values()].sort((a, b) => (a.brokerName < b.brokerName ? -1 : 1)),
      consumerGroups: [...consumers].map(([g, c]) => ({ group: g, outPerSec: c.out, topics: [...c.topics].sort() })).sort((a, b) => (a.group < b.group ? -1 : 1)),
      topics: [...topics].map(([topic, inPerSec]) => ({ topic, inPerSec })).sort((a, b) => (a.topic < b.topic ? -1 : 1)),
      unavailable: down.sort((a, b) => (a.node < b.node ? -1 : 1)),
    };
  }
}

function add(into: Map<string, number>, m: Scraped, family: string, key: (labels: Record<string, string>) => string): void {
  for (const s of m.get(family) ?? []) {
    const k = key(s.labels);
    into.set(k, (into.get(k) ?? 0) + s.value);
  }
}

/** The brokers of a topology that have a metrics port, at the address the topology gives them. */
export function targetsFromModel(model: { nodes: readonly ({ kind: 'namesrv' } | { kind: 'broker'; id: string; brokerName: string; brokerId: number; address: string; metricsPort: number | null })[] }): MetricsTarget[] {
  const out: MetricsTarget[] = [];
  for (const n of model.nodes) if (n.kind === 'broker' && n.metricsPort !== null) out.push({ node: n.id, brokerName: n.brokerName, brokerId: n.brokerId, addr: `${n.address}:${n.metricsPort}` });
  return out;
}

/**
 * What `status --watch` samples each refresh: the topology's brokers when it has metrics ports,
 * else the brokers the NameServers know, each asked where its metrics are.
 */
export class RateSource {
  private readonly meter: RateMeter;
  private readonly targets: readonly MetricsTarget[] | undefined;
  private readonly remoting: RemotingClient | undefined;
  private readonly admin: AdminClient | undefined;
  private readonly brokers: BrokerApi | undefined;

  constructor(opts: { targets?: readonly MetricsTarget[]; namesrvAddrs: string[]; access: RemotingClientOptions; timeoutMillis: number }) {
    this.meter = new RateMeter({ timeoutMillis: opts.timeoutMillis });
    if (opts.targets !== undefined && opts.targets.length > 0) {
      this.targets = opts.targets;
      return;
    }
    this.remoting = new RemotingClient(opts.access);
    this.admin = new AdminClient({ namesrvAddrs: opts.namesrvAddrs, remoting: this.remoting, timeoutMillis: opts.timeoutMillis });
    this.brokers = new BrokerApi(this.remoting, opts.timeoutMillis);
  }

  /** The rates since the previous call (undefined the first time). */
  async sample(): Promise<RateReport | undefined> {
    if (this.targets !== undefined) return this.meter.sample(this.targets);
    const found = await discoverTargets(this.admin as AdminClient, this.brokers as BrokerApi);
    return this.meter.sample(found.targets, found.unavailable);
  }

  close(): void {
    this.remoting?.shutdown();
  }
}
