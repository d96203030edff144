/**
 * Day-2 operations on a deployed cluster: start / stop / restart selected nodes in a safe order,
 * read a node's log, roll hosts back to their previous release, destroy the cluster.
 */
import path from 'node:path';
import { removeEtcd } from './etcd.js';
import { RmqError } from '../errors.js';
import { envFilePath } from '../render/index.js';
import type { ClusterModel, ClusterNode, NodeId } from '../topology/index.js';
import { rollbackRelease } from './bundle.js';
import { DEFAULT_GATE_TIMEOUT_MS, type GateSpec, type NodeAccess } from '../ops/health/index.js';
import { DEFAULT_SETTLE_MS, DeployHealth, settlesBeforeNext } from './health-gate.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { pendingRestartPath, previousLink } from './host-paths.js';
import { rollingOrder } from './plan/index.js';
import type { ServiceStatus } from './supervisors/supervisor.js';
import type { ClusterTargets } from './targets/open.js';

export type NodeAction = 'start' | 'stop' | 'restart';

export interface OperationEvent {
  host: string;
  node: NodeId;
  action: NodeAction | 'healthy' | 'failed';
  detail?: string;
}

export interface OperationOptions {
  /** How the health gates reach the nodes (ACL signing, TLS). */
  access?: NodeAccess;
  /** Per gate (default 60 s). */
  healthTimeoutMs?: number;
  /** How the operator named the topology (for the commands a health problem suggests). */
  topology?: string;
  /** restart: after a group's master is back healthy, wait this long before the next group (clients' route refresh; default 30 s). */
  settleMs?: number;
  /** failover: auto — group → the node etcd names master now, for the health gates. */
  masters?: Readonly<Record<string, string>>;
  onEvent?: (e: OperationEvent) => void;
}

/**
 * The order an action runs in: start NameServers → masters → slaves; stop the reverse (slaves
 * first, NameServers last); restart rolling (NameServers one by one, then per group slaves before
 * the master).
 */
export function actionOrder(model: ClusterModel, nodes: readonly ClusterNode[], action: NodeAction): ClusterNode[] {
  const wanted = new Set(nodes.map((n) => n.id));
  const byPhase = [...model.nodes].sort((a, b) => a.phase - b.phase);
  const order = action === 'start' ? byPhase : action === 'stop' ? byPhase.reverse() : rollingOrder(model);
  return order.filter((n) => wanted.has(n.id));
}

async function supervised(model: ClusterModel, targets: ClusterTargets, node: ClusterNode) {
  const host = model.hosts.find((h) => h.name === node.host);
  if (!host) throw new RmqError(`node ${node.id} is on unknown host ${node.host}`);
  const target = await targets.get(host.name);
  return { host, target, supervisor: targets.supervisorFor(host, target) };
}

/**
 * Runs one action over the nodes, one at a time in actionOrder; start/restart wait on the health
 * judge, not only the port: a restarted broker until its whole group is healthy (the master
 * writable, SYNC slaves in sync) before the next node; a started master until its slaves are in
 * sync unless they start after it in this run. Stops at the first failure.
 */
export async function controlNodes(model: ClusterModel, targets: ClusterTargets, nodes: readonly ClusterNode[], action: NodeAction, opts: OperationOptions = {}): Promise<void> {
  const emit = opts.onEvent ?? (() => {});
  const health = action === 'stop' ? undefined : new DeployHealth(model, targets, { ...(opts.access ? { access: opts.access } : {}), ...(opts.topology !== undefined ? { topology: opts.topology } : {}), ...(opts.masters ? { masters: opts.masters } : {}) });
  const order = actionOrder(model, nodes, action);
  const gateOf = (node: ClusterNode, i: number): Omit<GateSpec, 'node'> => {
    if (action === 'restart') return { scope: 'group' };
    if (node.kind === 'namesrv') return { scope: 'node' };
    const slavesLater = node.role === 'master' && order.slice(i + 1).some((n) => n.kind === 'broker' && n.brokerName === node.brokerName);
    return slavesLater ? { scope: 'node', deferInSync: true } : { scope: 'group' };
  };
  try {
    for (const [i, node] of order.entries()) {
      const ctx = await supervised(model, targets, node);
      emit({ host: node.host, node: node.id, action });
      try {
        await ctx.supervisor[action](node);
        if (health) {
          const gate = await health.gate(node, gateOf(node, i), opts.healthTimeoutMs ?? DEFAULT_GATE_TIMEOUT_MS);
          // a restart of its own settles a restart a half-finished deploy left pending
          await ctx.target.remove(pendingRestartPath(ctx.host.layout, node.id));
          const settle = action === 'restart' && settlesBeforeNext(order, i) ? (opts.settleMs ?? DEFAULT_SETTLE_MS) : 0;
          emit({ host: node.host, node: node.id, action: 'healthy', detail: `${gate.summary} (after ${(gate.waitedMs / 1000).toFixed(1)} s)${settle > 0 ? `; waiting ${settle / 1000} s for clients to route to ${node.kind === 'broker' ? node.brokerName : node.id} again before the next group` : ''}` });
          if (settle > 0) await sleep(settle);
        }
      } catch (e) {
        emit({ host: node.host, node: node.id, action: 'failed', detail: (e as Error).message });
        throw e;
      }
    }
  } finally {
    health?.close();
  }
}

export interface NodeState {
  node: NodeId;
  host: string;
  role: ClusterNode['role'];
  status: ServiceStatus;
}

/** Supervisor status of the nodes (a host that cannot be reached reports its error per node). */
export async function nodeStates(model: ClusterModel, targets: ClusterTargets, nodes: readonly ClusterNode[]): Promise<NodeState[]> {
  return Promise.all(
    nodes.map(async (n) => {
      try {
        const { supervisor } = await supervised(model, targets, n);
        return { node: n.id, host: n.host, role: n.role, status: await supervisor.status(n) };
      } catch (e) {
        return { node: n.id, host: n.host, role: n.role, status: { active: false, state: `unknown: ${(e as Error).message}` } };
      }
    }),
  );
}

/** The last lines of a node's log, or the argv (on its host's target) that follows it. */
export async function nodeLog(model: ClusterModel, targets: ClusterTargets, node: ClusterNode, lines: number): Promise<string> {
  const { supervisor } = await supervised(model, targets, node);
  return supervisor.logs(node, lines);
}

/** Streams a node's log until the signal aborts (journalctl -f / tail -F on its host). */
export async function followNodeLog(model: ClusterModel, targets: ClusterTargets, node: ClusterNode, lines: number, write: (chunk: string) => void, signal: AbortSignal): Promise<void> {
  const { target, supervisor } = await supervised(model, targets, node);
  await target.stream(supervisor.followCommand(node, lines), write, signal);
}

/**
 * Switches each host back to its previous runtime release, then restarts the nodes running there
 * (rolling, each gated on health).
 */
export async function rollbackCluster(model: ClusterModel, targets: ClusterTargets, hosts: readonly string[], opts: OperationOptions = {}): Promise<{ host: string; from: string | undefined; to: string }[]> {
  const out: { host: string; from: string | undefined; to: string }[] = [];
  for (const name of hosts) {
    const host = model.hosts.find((h) => h.name === name);
    if (!host) throw new RmqError(`no host named ${name}`);
    const t = await targets.get(name);
    out.push({ host: name, ...(await rollbackRelease(t, host.layout)) });
  }
  const affected = model.nodes.filter((n) => hosts.includes(n.host));
  const running = (await nodeStates(model, targets, affected)).filter((s) => s.status.active).map((s) => s.node);
  await controlNodes(model, targets, affected.filter((n) => running.includes(n.id)), 'restart', opts);
  return out;
}

/**
 * Stops every node (slaves first) and removes what the deploy installed for this cluster: units,
 * configs, restart markers, pid files, the env file. Stores (and, on SSH hosts, logs) stay unless
 * purge. On SSH hosts the runtime releases stay (other clusters may use them); the local target's
 * state directory is the cluster's own, so its releases, links and Node link go too.
 */
export async function destroyCluster(model: ClusterModel, targets: ClusterTargets, opts: { purge?: boolean; onEvent?: (e: OperationEvent) => void } = {}): Promise<void> {
  const emit = opts.onEvent ?? (() => {});
  for (const node of actionOrder(model, model.nodes, 'stop')) {
    const { target, supervisor, host } = await supervised(model, targets, node);
    emit({ host: node.host, node: node.id, action: 'stop' });
    await supervisor.uninstall(node);
    await target.remove(node.configPath);
    await target.remove(pendingRestartPath(host.layout, node.id));
    await target.remove(node.pidPath);
    if (opts.purge) {
      await target.remove(node.storeDir, { recursive: true });
      await target.remove(node.logPath);
    }
  }
  // etcd (failover: auto) after the brokers: a master stopping hands its lease back through it
  await removeEtcd(model, targets, opts.purge === true);
  for (const host of model.hosts.filter((h) => h.nodeIds.length > 0)) {
    const t = await targets.get(host.name);
    const l = host.layout;
    await t.remove(envFilePath(host));
    if (host.transport === 'local') {
      await t.remove(l.releasesDir, { recursive: true });
      for (const link of [l.currentLink, previousLink(l), l.nodeBinary]) await t.remove(link);
    }
    // then the directories, deepest first, each only if empty: never delete files we did not put there
    if (opts.purge) for (const m of model.failover.etcd.filter((x) => x.host === host.name && host.transport === 'local')) await t.remove(path.posix.join(l.logDir, `${m.name}.log`));
    const dirs = [l.configDir, l.runDir, ...(opts.purge ? [l.logDir, l.storeRoot, ...model.failover.etcd.filter((m) => m.host === host.name && host.transport === 'local').map((m) => path.posix.dirname(m.dataDir))] : [])];
    if (host.transport === 'local') dirs.push(path.posix.dirname(l.nodeBinary), path.posix.dirname(l.currentLink));
    for (const dir of dirs) await removeEmptyUpTo(t, dir, l.root);
  }
}

/** Removes dir and then each parent that is left empty, stopping at (never removing) `root`. */
async function removeEmptyUpTo(t: Awaited<ReturnType<ClusterTargets['get']>>, dir: string, root: string): Promise<void> {
  const stop = path.posix.resolve(root);
  for (let d = path.posix.resolve(dir); d !== stop && d.startsWith(stop === '/' ? '/' : `${stop}/`); d = path.posix.dirname(d)) {
    // on SSH hosts only the cluster's own directory, never shared ones like /etc/rmqctl or /var/log
    if (stop === '/' && d !== path.posix.resolve(dir)) break;
    const entries = await t.readdir(d);
    if (entries === undefined) continue;
    if (entries.length > 0) break;
    await t.remove(d);
  }
}
