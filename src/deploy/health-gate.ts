/**
 * Deploy's side of the one health judge (ops/health): the supervisors' view of each node as the
 * judge's process facts, and the gates the executor and start/restart/rollback wait on. A gate that
 * fails becomes a NodeUnhealthyError carrying the node's last log lines.
 */
import { ClusterHealth, expectationFromModel, HealthFailure, type GateResult, type GateSpec, type NodeAccess, type ProcessProbe, type ProcessState } from '../ops/health/index.js';
import type { ClusterModel, ClusterNode } from '../topology/index.js';
import { NodeUnhealthyError } from './errors.js';
import type { ServiceStatus } from './supervisors/supervisor.js';
import type { ClusterTargets } from './targets/open.js';

/** A supervisor's status in the judge's words. */
export function processState(st: ServiceStatus): ProcessState {
  const exited = /^failed\//.test(st.state) || /\/auto-restart$/.test(st.state) || st.state === 'stale';
  return { running: st.active, state: st.state, exited, ...(st.pid !== undefined ? { pid: st.pid } : {}), ...(st.startedAt ? { startedAt: st.startedAt.getTime() } : {}) };
}

/** Asks each node's supervisor, on its host's target. */
export function processProbe(model: ClusterModel, targets: ClusterTargets): ProcessProbe {
  return async (id) => {
    const node = model.nodes.find((n) => n.id === id);
    const host = node && model.hosts.find((h) => h.name === node.host);
    if (!node || !host) throw new Error(`no node ${id} in the topology`);
    const target = await targets.get(host.name);
    return processState(await targets.supervisorFor(host, target).status(node));
  };
}

export interface DeployHealthOptions {
  access?: NodeAccess;
  maxSlaveLagBytes?: number;
  /** How the operator named the topology, for the commands problems suggest. */
  topology?: string;
  /** failover: auto — group → the node etcd names master (the files only say who was master first). */
  masters?: Readonly<Record<string, string>>;
}

export class DeployHealth {
  readonly health: ClusterHealth;

  constructor(
    private readonly model: ClusterModel,
    private readonly targets: ClusterTargets,
    opts: DeployHealthOptions = {},
  ) {
    this.health = new ClusterHealth(expectationFromModel(model, opts.topology, opts.masters), {
      processes: processProbe(model, targets),
      ...(opts.access ? { access: opts.access } : {}),
      ...(opts.maxSlaveLagBytes !== undefined ? { maxSlaveLagBytes: opts.maxSlaveLagBytes } : {}),
    });
  }

  /** Waits for the gate of `node`; throws NodeUnhealthyError (with its last log lines) when it does not pass. */
  async gate(node: ClusterNode, spec: Omit<GateSpec, 'node'>, timeoutMs: number): Promise<GateResult> {
    try {
      return await this.health.wait({ node: node.id, ...spec }, timeoutMs);
    } catch (e) {
      const host = this.model.hosts.find((h) => h.name === node.host);
      const tail = host ? await this.targets.get(host.name).then((t) => this.targets.supervisorFor(host, t).logs(node, 20)).catch(() => '') : '';
      const check = e instanceof HealthFailure ? e.check : 'check';
      throw new NodeUnhealthyError(node.host, node.id, check, (e as Error).message, tail, e instanceof HealthFailure ? e.waitedMs : undefined);
    }
  }

  close(): void {
    this.health.close();
  }
}

/**
 * Clients learn routes from the NameServers every 30 s (RocketMQ's pollNameServerInterval): a
 * producer that saw a group without its master while it restarted keeps sending elsewhere until
 * its next refresh. So after a group's master is back, a rolling step waits this long before it
 * touches the next group, or that group's pause could leave such a producer with no group at all.
 */
export const DEFAULT_SETTLE_MS = 30_000;

/** Whether the step after `order[i]` (a restart) must wait for clients: a master just came back and another group is next. */
export function settlesBeforeNext(order: readonly ClusterNode[], i: number): boolean {
  const node = order[i];
  if (node?.kind !== 'broker' || node.role !== 'master') return false;
  return order.slice(i + 1).some((n) => n.kind === 'broker' && n.brokerName !== node.brokerName);
}
