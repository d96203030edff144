/**
 * Waiting on the judge: after a node is (re)started, deploy and start/restart/rollback wait until
 * the judge says what the step needs, bounded, and report how long it took.
 *
 * Scopes:
 *  - `node`: the node itself is healthy (optionally leaving the SYNC in-sync checks for later: a
 *    master started before its slaves cannot have them in sync yet);
 *  - `group`: the node's whole broker group is healthy — the master writable and, in a SYNC group,
 *    every slave counted in sync — before the rollout moves to the next group. For a NameServer:
 *    it answers and every broker is registered on it again.
 */
import { RmqError } from '../../errors.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { brokerNodes, type HealthCheckName, type HealthReport, type NodeProblem } from './report.js';

export interface GateSpec {
  /** The node acted on. */
  node: string;
  scope: 'node' | 'group';
  /** Leave out `in-sync` problems (a master whose slaves start later). */
  deferInSync?: boolean;
}

export interface GateResult {
  /** What passed, in one line. */
  summary: string;
  waitedMs: number;
}

/** The node is not healthy in time (or cannot become so): the check and why, and for how long it was given. */
export class HealthFailure extends RmqError {
  override readonly name: string = 'HealthFailure';
  constructor(
    readonly check: HealthCheckName | 'check',
    message: string,
    readonly fatal = false,
    /** How long it was waited for; undefined when waiting could not help. */
    readonly waitedMs?: number,
  ) {
    super(message);
  }
}

/** The problems standing between the report and what the gate needs; [] = pass. */
export function gateProblems(report: HealthReport, g: GateSpec): { node: string; problem: NodeProblem }[] {
  const out: { node: string; problem: NodeProblem }[] = [];
  const keep = (p: NodeProblem) => !(g.deferInSync && p.check === 'in-sync');
  const ns = report.nameservers.find((n) => n.id === g.node);
  const brokers = brokerNodes(report);
  if (ns !== undefined) {
    for (const p of ns.problems) if (keep(p)) out.push({ node: g.node, problem: p });
    if (g.scope === 'group') {
      // every broker that runs is registered on the NameServer again
      for (const b of brokers) for (const p of b.problems) if (p.check === 'registered') out.push({ node: b.id, problem: p });
    }
    return out;
  }
  const me = brokers.find((b) => b.id === g.node);
  if (me === undefined) return [{ node: g.node, problem: { check: 'registered', message: 'is not in the report' } }];
  const scope = g.scope === 'group' ? brokers.filter((b) => b.brokerName === me.brokerName) : [me];
  for (const b of scope) for (const p of b.problems) if (keep(p)) out.push({ node: b.id, problem: p });
  return out;
}

/** One line saying what a passing gate saw. */
export function gateSummary(report: HealthReport, g: GateSpec): string {
  const ns = report.nameservers.find((n) => n.id === g.node);
  const up = report.nameservers.filter((n) => n.reachable).length;
  if (ns !== undefined) return `answers at ${ns.addr}${g.scope === 'group' ? `, every broker registered on it` : ''}`;
  const brokers = brokerNodes(report);
  const me = brokers.find((b) => b.id === g.node);
  if (me === undefined) return 'healthy';
  const parts = [`registered as ${me.addr ?? '?'} on ${me.knownBy.length}/${up} NameServers`];
  if (me.grpc?.answers) parts.push(`gRPC at ${me.grpc.endpoint}`);
  if (me.role === 'master' && me.writable !== undefined) parts.push(me.writable ? 'writable' : 'NOT writable');
  const r = me.replication;
  if (me.role === 'slave' && r?.haState !== undefined) parts.push(`${r.haState}${r.lagBytes !== undefined ? `, ${r.lagBytes} bytes behind` : ''}${r.inSync !== undefined ? (r.inSync ? ', in sync' : ', not in sync') : ''}`);
  if (me.role === 'master' && r?.slavesConnected !== undefined && r.slavesConnected + (r.slavesInSync ?? 0) > 0) parts.push(`${r.slavesInSync ?? 0}/${r.slavesConnected} slaves in sync`);
  if (g.scope === 'group') parts.push(`group ${me.brokerName} healthy`);
  return parts.join(', ');
}

export const DEFAULT_GATE_TIMEOUT_MS = 60_000;
const RETRY_INTERVAL_MS = 250;

/**
 * Asks `report` until the gate passes (returns what it saw and how long it took), a fatal problem
 * shows, or `timeoutMs` passes (throws HealthFailure naming every problem left).
 */
export async function waitForGate(report: () => Promise<HealthReport>, g: GateSpec, timeoutMs = DEFAULT_GATE_TIMEOUT_MS): Promise<GateResult> {
  const started = Date.now();
  for (;;) {
    let left: { node: string; problem: NodeProblem }[];
    let r: HealthReport | undefined;
    try {
      r = await report();
      left = gateProblems(r, g);
    } catch (e) {
      left = [{ node: g.node, problem: { check: 'protocol', message: `cannot be judged: ${(e as Error).message}` } }];
    }
    if (left.length === 0 && r !== undefined) {
      const waitedMs = Date.now() - started;
      return { summary: gateSummary(r, g), waitedMs };
    }
    const fatal = left.find((x) => x.problem.fatal && x.node === g.node);
    const waited = Date.now() - started;
    if (fatal || waited >= timeoutMs) {
      const first = fatal ?? left[0]!;
      const text = (fatal ? [fatal] : left).map((x) => `${x.node === g.node ? '' : `${x.node} `}${x.problem.message}${x.problem.fix ? ` — ${x.problem.fix}` : ''}`).join('; ');
      throw new HealthFailure(first.problem.check, text, fatal !== undefined, fatal ? undefined : waited);
    }
    await sleep(RETRY_INTERVAL_MS);
  }
}
