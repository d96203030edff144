/**
 * What the console's live charts show, sampled every `intervalMillis` while the console runs and
 * kept for `keep` samples (10 minutes at 2 s):
 * - message rates in/out per broker group, in per topic, out per consumer group — from the brokers'
 *   metrics (ops/rates, as `status --watch`); a broker group whose metrics cannot be read (metrics
 *   off) falls back to its master's runtime info (putTps / getTransferedTps, RocketMQ's "10 s" rate);
 * - every consumer group's total lag and consume rate (ops/group-admin `listGroups`);
 * - per-queue lag of the groups someone looked at in the last minute (`describeGroup`).
 */
import type { AdminClient } from '../../client/admin.js';
import type { BrokerApi } from '../../client/broker-api.js';
import { masterAddr } from '../../protocol/route.js';
import { describeGroup, listGroups, type GroupAdminDeps, type GroupSummary } from '../group-admin.js';
import type { RateReport, RateSource } from '../rates/rates.js';

export interface BrokerGroupRate {
  brokerName: string;
  inPerSec: number;
  outPerSec: number;
  /** Where the figures come from. */
  source: 'metrics' | 'runtime-info';
}

export interface Sample {
  at: number;
  /** null: no rates this time (the first metrics sample, or nothing answered). */
  brokerGroups: BrokerGroupRate[] | null;
  topics: { topic: string; inPerSec: number }[] | null;
  consumerGroups: { group: string; outPerSec: number }[] | null;
  /** Lag and consume rate per group (listGroups). */
  groups: GroupSummary[] | null;
  /** Per watched group: `topic brokerName queueId` → lag. */
  queueLag: Record<string, Record<string, number | null>>;
  /** Broker nodes whose metrics could not be read, with why. */
  unavailable: { node: string; reason: string }[];
  errors: string[];
}

export interface SamplerDeps extends GroupAdminDeps {
  admin: AdminClient;
  brokers: BrokerApi;
  rates: Pick<RateSource, 'sample'>;
}

const WATCH_MILLIS = 60_000;

/** RocketMQ's "10 s 60 s 600 s" rate triple: the 10 s figure. */
const firstRate = (v: string | undefined): number => Number((v ?? '0').trim().split(/\s+/)[0] ?? 0) || 0;

export const queueKey = (q: { topic: string; brokerName: string; queueId: number }): string => `${q.topic} ${q.brokerName} ${q.queueId}`;

export class ConsoleSampler {
  readonly samples: Sample[] = [];
  private readonly watched = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly d: SamplerDeps,
    readonly intervalMillis: number,
    private readonly keep = 300,
  ) {}

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.sampleOnce()
        .then(
          () => {},
          () => {},
        )
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.intervalMillis);
        });
    };
    tick();
  }

  /** Per-queue lag of `group` is sampled for the next minute. */
  watch(group: string): void {
    this.watched.set(group, Date.now());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  async sampleOnce(): Promise<Sample> {
    const at = Date.now();
    const errors: string[] = [];
    const now = Date.now();
    for (const [g, t] of this.watched) if (now - t > WATCH_MILLIS) this.watched.delete(g);
    const [rates, groups, queueLag] = await Promise.all([
      this.rates(errors),
      listGroups(this.d).then(
        (r) => r.groups,
        (e: Error) => {
          errors.push(`consumer groups: ${e.message}`);
          return null;
        },
      ),
      this.queueLag(errors),
    ]);
    const s: Sample = { at, ...rates, groups, queueLag, errors };
    this.samples.push(s);
    if (this.samples.length > this.keep) this.samples.splice(0, this.samples.length - this.keep);
    return s;
  }

  private async queueLag(errors: string[]): Promise<Record<string, Record<string, number | null>>> {
    const out: Record<string, Record<string, number | null>> = {};
    await Promise.all(
      [...this.watched.keys()].map(async (g) => {
        try {
          const p = await describeGroup(this.d, g, { clientTimeoutMillis: 1_000 });
          out[g] = Object.fromEntries(p.queues.map((q) => [queueKey(q), q.lag]));
        } catch (e) {
          errors.push(`group ${g}: ${(e as Error).message}`);
        }
      }),
    );
    return out;
  }

  private async rates(errors: string[]): Promise<Pick<Sample, 'brokerGroups' | 'topics' | 'consumerGroups' | 'unavailable'>> {
    let report: RateReport | undefined;
    try {
      report = await this.d.rates.sample();
    } catch (e) {
      errors.push(`metrics: ${(e as Error).message}`);
    }
    const unavailable = report?.unavailable ?? [];
    const groups: BrokerGroupRate[] = (report?.brokerGroups ?? []).map((g) => ({ ...g, source: 'metrics' }));
    // broker groups without metrics: their master's runtime info
    try {
      const info = await this.d.admin.clusterInfo();
      const withMetrics = new Set(groups.map((g) => g.brokerName));
      await Promise.all(
        Object.values(info.brokerAddrTable).map(async (b) => {
          if (withMetrics.has(b.brokerName)) return;
          const metricsDown = unavailable.some((u) => u.node.startsWith(`${b.brokerName}-`));
          if (report !== undefined && !metricsDown) return;
          const addr = masterAddr(b);
          if (addr === undefined) return;
          try {
            const rt = await this.d.brokers.runtimeInfo(addr);
            if (report === undefined && Number(rt.metricsPort ?? 0) > 0) return; // the first metrics sample is on its way
            groups.push({ brokerName: b.brokerName, inPerSec: firstRate(rt.putTps), outPerSec: firstRate(rt.getTransferedTps), source: 'runtime-info' });
          } catch (e) {
            errors.push(`${b.brokerName}: ${(e as Error).message}`);
          }
        }),
      );
    } catch (e) {
      errors.push(`cluster info: ${(e as Error).message}`);
    }
    groups.sort((a, b) => a.brokerName.localeCompare(b.brokerName));
    return {
      brokerGroups: report === undefined && groups.length === 0 ? null : groups,
      topics: report === undefined ? null : report.topics,
      consumerGroups: report === undefined ? null : report.consumerGroups.map((c) => ({ group: c.group, outPerSec: c.outPerSec })),
      unavailable,
    };
  }
}
