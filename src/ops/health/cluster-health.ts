/** The judge over a live cluster: gather facts (facts.ts), judge them (judge.ts), wait on a gate (gate.ts). */
import { FactsCollector, type FactsOptions, type FactsScope } from './facts.js';
import { waitForGate, type GateResult, type GateSpec } from './gate.js';
import { judge, type JudgeOptions } from './judge.js';
import type { Expectation, HealthReport } from './report.js';

export class ClusterHealth {
  private readonly facts: FactsCollector;

  constructor(
    readonly expectation: Expectation,
    private readonly opts: FactsOptions & JudgeOptions = {},
  ) {
    this.facts = new FactsCollector(expectation, opts);
  }

  /** The whole cluster (or a part of it) judged now. */
  async report(scope?: FactsScope): Promise<HealthReport> {
    return judge(await this.facts.collect(scope), this.expectation, this.opts);
  }

  /** Waits until the gate passes; throws HealthFailure when it cannot or does not in time. */
  wait(g: GateSpec, timeoutMs?: number): Promise<GateResult> {
    return waitForGate(() => this.report(this.scopeOf(g)), g, timeoutMs);
  }

  /** What a gate needs to look at: a broker's group, or (a NameServer) every broker's registration. */
  private scopeOf(g: GateSpec): FactsScope {
    const broker = this.expectation.brokers.find((b) => b.id === g.node);
    if (broker === undefined) return { processNodes: new Set([g.node]) };
    const group = this.expectation.brokers.filter((b) => b.brokerName === broker.brokerName);
    return { brokerNames: new Set([broker.brokerName]), processNodes: new Set(g.scope === 'group' ? group.map((b) => b.id) : [g.node]) };
  }

  close(): void {
    this.facts.close();
  }
}
