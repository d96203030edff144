/**
 * The deploy executor: pre-flight (every problem of every host at once, nothing changed), then a
 * plan of every host as it is now (or a saved plan, refused if the hosts drifted since), then the
 * plan applied:
 *  - prepare, per host (bounded parallelism): stop nodes the topology no longer has there, service
 *    user, Node, release, restart markers, directories, the files that differ, deletions, the
 *    `current` switch, units (daemon-reload / enable only when needed);
 *  - start what is not running, stage by stage (NameServers, masters, slaves), each stage gated on
 *    the health of its nodes;
 *  - restart what changed, rolling: NameServers one at a time, then one broker group at a time,
 *    its slaves before its master, each gated on health;
 *  - verify every other node is healthy too.
 * Nothing changed → nothing written, nothing restarted. A failing step stops the rollout there
 * with host, step, output and the node's last log lines; nodes whose files changed but that were
 * not restarted keep a marker, so the next run restarts them (it converges).
 */
import path from 'node:path';
import { InvalidInputError, RmqError } from '../errors.js';
import type { DesiredDir, DesiredFile, FileSet, RuntimeRelease } from '../render/index.js';
import type { ClusterModel, ClusterNode, HostModel, NodeId } from '../topology/index.js';
import { activateRelease, ensureDirs, ensureNode, ensureServiceUser, installRelease } from './bundle.js';
import { DeployError } from './errors.js';
import { DEFAULT_GATE_TIMEOUT_MS, type GateSpec, type NodeAccess } from '../ops/health/index.js';
import { DEFAULT_SETTLE_MS, DeployHealth, settlesBeforeNext } from './health-gate.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { pendingRestartPath } from './host-paths.js';
import { formerNode, observeHost } from './observe.js';
import { planCluster, planDrift, rollingOrder, type DriftProblem, type Plan, type PlanAction, type PlanSummary } from './plan/index.js';
import { assertPreflight, preflight, type PreflightOptions } from './preflight.js';
import type { ClusterTargets } from './targets/open.js';
import { mapSettled } from '../util/concurrency.js';

export { DeployError } from './errors.js';
export { rollingOrder } from './plan/index.js';

/** Broker configs on the hosts whose role (master ↔ slave) the plan would change: `node: SLAVE → SYNC_MASTER`. */
export function masterRoleChanges(plan: Plan): string[] {
  const out: string[] = [];
  for (const h of plan.hosts) {
    for (const e of h.entries) {
      if (e.role !== 'config' || e.change !== 'update' || e.diff === undefined) continue;
      const was = /^-brokerRole=(\w+)$/m.exec(e.diff)?.[1];
      const will = /^\+brokerRole=(\w+)$/m.exec(e.diff)?.[1];
      if (was !== undefined && will !== undefined && (was === 'SLAVE') !== (will === 'SLAVE')) out.push(`${e.nodeIds[0] ?? e.path} on ${h.host}: ${was} → ${will}`);
    }
  }
  return out;
}

/** The rendered FileSet of a host (render/renderHost, or a test's own). */
export type FileSetOf = (host: HostModel) => FileSet | Promise<FileSet>;

export type DeployStage = 'preflight' | 'plan' | 'prepare' | 'start' | 'restart' | 'verify' | 'done';

/** The steps of preparing a host, in order (not every host takes every step). */
export const PREPARE_STEPS = ['stop removed nodes', 'service user', 'node', 'release', 'mark restarts', 'directories', 'files', 'delete', 'activate release', 'units'] as const;
export type PrepareStep = (typeof PREPARE_STEPS)[number];

export type DeployEvent =
  | { kind: 'stage'; stage: DeployStage }
  | { kind: 'plan'; summary: PlanSummary; changed: boolean; actions: PlanAction[] }
  | { kind: 'step'; host: string; step: PrepareStep; status: 'begin' | 'done' | 'unchanged' | 'failed'; detail?: string }
  | { kind: 'host'; host: string; status: 'prepared' | 'failed'; detail?: string }
  | { kind: 'node'; host: string; node: NodeId; action: 'start' | 'restart' | 'check' | 'healthy' | 'failed'; detail?: string };

export interface DeployOptions {
  release: RuntimeRelease;
  files: FileSetOf;
  /** Hosts worked on at once (default 8). */
  parallel?: number;
  pushNode?: boolean;
  preflight?: Omit<PreflightOptions, 'pushNode' | 'parallel'>;
  /** Largest tolerated slave lag for the health gates. */
  maxSlaveLagBytes?: number;
  /** How the health gates reach the nodes (ACL signing, TLS). */
  access?: NodeAccess;
  /** Per gate (default 60 s). */
  healthTimeoutMs?: number;
  /** How the operator named the topology (for the commands a health problem suggests). */
  topology?: string;
  /** Rolling restart: after a group's master is back healthy, wait this long before the next group (clients' route refresh; default 30 s). */
  settleMs?: number;
  /** failover: auto — group → the node etcd names master now, for the health gates. */
  masters?: Readonly<Record<string, string>>;
  /** A saved plan (`rmqctl plan --out`): applied only if a plan made now is the same (else PlanDriftError). */
  plan?: Plan;
  onEvent?: (e: DeployEvent) => void;
}

export interface DeployResult {
  /** The plan that was applied. */
  plan: Plan;
  /** Per host: whether `current` moved, and which files were written. */
  hosts: { host: string; releaseChanged: boolean; filesWritten: string[] }[];
  /** What happened to each node, and its health summary. */
  nodes: { node: NodeId; host: string; action: 'start' | 'restart' | 'unchanged'; health?: string; /** How long its gate waited, ms. */ waitedMs?: number }[];
}

/** A saved plan no longer matches the hosts (or the topology): nothing was changed. */
export class PlanDriftError extends RmqError {
  override readonly name: string = 'PlanDriftError';
  constructor(
    readonly problems: DriftProblem[],
    source = 'the saved plan',
  ) {
    super(
      `refusing to apply ${source}: it no longer matches ${problems.some((p) => p.host) ? 'the hosts' : 'the topology'}; nothing was changed. Make a new plan (rmqctl plan --out) and review it:\n` +
        problems.map((p) => `  ${p.host ? `${p.host}: ` : ''}${p.path ? `${p.path}: ` : ''}${p.message}`).join('\n'),
    );
  }
}

/**
 * Deploys the model: pre-flight, plan, prepare every host, then start and restart nodes in order,
 * each gated on health. Throws PreflightError / PlanDriftError / DeployError.
 */
export async function deployCluster(model: ClusterModel, targets: ClusterTargets, opts: DeployOptions): Promise<DeployResult> {
  const emit = opts.onEvent ?? (() => {});
  const parallel = opts.parallel ?? 8;

  emit({ kind: 'stage', stage: 'preflight' });
  assertPreflight(await preflight(model, (h) => targets.get(h.name), { ...opts.preflight, pushNode: !!opts.pushNode, parallel }));

  emit({ kind: 'stage', stage: 'plan' });
  const sets = new Map<string, FileSet>();
  for (const host of model.hosts) sets.set(host.name, await opts.files(host));
  const plan = await planCluster(model, [...sets.values()], opts.release, (h) => observeHost(model, targets, h));
  if (opts.plan) {
    const drift = planDrift(opts.plan, plan);
    if (drift.length) throw new PlanDriftError(drift);
  }
  const moved = masterRoleChanges(plan);
  if (moved.length > 0) {
    throw new InvalidInputError(
      `this deploy would change which node is master (${moved.join('; ')}): restarting brokers with swapped roles can lose messages. ` +
        'A master moves with `rmqctl failover <topology> <group> --to <node>`; if it moved already (another machine ran it), record it here the same way, or use that machine’s state directory (--state-dir; its masters.yaml)',
    );
  }
  emit({ kind: 'plan', summary: plan.summary, changed: plan.changed, actions: plan.actions });

  const health = new DeployHealth(model, targets, {
    ...(opts.maxSlaveLagBytes !== undefined ? { maxSlaveLagBytes: opts.maxSlaveLagBytes } : {}),
    ...(opts.access ? { access: opts.access } : {}),
    ...(opts.topology !== undefined ? { topology: opts.topology } : {}),
    ...(opts.masters ? { masters: opts.masters } : {}),
  });
  try {
    const prepared = await prepareHosts(model, targets, plan, sets, opts, emit);
    const result: DeployResult = { plan, hosts: prepared, nodes: [] };
    await runNodes(model, targets, plan, health, { timeoutMs: opts.healthTimeoutMs ?? DEFAULT_GATE_TIMEOUT_MS, settleMs: opts.settleMs ?? DEFAULT_SETTLE_MS }, parallel, emit, result);
    emit({ kind: 'stage', stage: 'done' });
    return result;
  } finally {
    health.close();
  }
}

type Emit = (e: DeployEvent) => void;

async function prepareHosts(model: ClusterModel, targets: ClusterTargets, plan: Plan, sets: Map<string, FileSet>, opts: DeployOptions, emit: Emit): Promise<DeployResult['hosts']> {
  emit({ kind: 'stage', stage: 'prepare' });
  const touched = model.hosts.filter((h) => h.nodeIds.length > 0 || plan.actions.some((a) => a.host === h.name));
  const results = await mapSettled(touched, opts.parallel ?? 8, async (host) => {
    try {
      const r = await prepareHost(model, targets, host, plan, sets.get(host.name)!, opts, emit);
      emit({ kind: 'host', host: host.name, status: 'prepared' });
      return r;
    } catch (e) {
      emit({ kind: 'host', host: host.name, status: 'failed', detail: (e as Error).message });
      throw e;
    }
  });
  // a failure on one host stops before any process is touched anywhere
  const failed = results.find((r) => !r.ok);
  if (failed) throw failed.error;
  return results.map((r) => r.value!);
}

async function prepareHost(model: ClusterModel, targets: ClusterTargets, host: HostModel, plan: Plan, set: FileSet, opts: DeployOptions, emit: Emit): Promise<DeployResult['hosts'][number]> {
  const t = await targets.get(host.name);
  const supervisor = targets.supervisorFor(host, t);
  const hp = plan.hosts.find((h) => h.host === host.name)!;
  const actions = plan.actions.filter((a) => a.host === host.name);
  const step = async <T>(name: PrepareStep, fn: () => Promise<T>, unchanged?: (v: T) => boolean): Promise<T> => {
    emit({ kind: 'step', host: host.name, step: name, status: 'begin' });
    try {
      const v = await fn();
      emit({ kind: 'step', host: host.name, step: name, status: unchanged?.(v) ? 'unchanged' : 'done' });
      return v;
    } catch (e) {
      emit({ kind: 'step', host: host.name, step: name, status: 'failed', detail: (e as Error).message });
      throw e instanceof DeployError ? e : new DeployError(host.name, name, undefined, (e as Error).message, { cause: e });
    }
  };
  const changed = (p: string) => hp.entries.find((e) => e.path === p && (e.change === 'create' || e.change === 'update'));

  const removed = actions.filter((a): a is Extract<PlanAction, { kind: 'stop' }> => a.kind === 'stop');
  if (removed.length) {
    await step('stop removed nodes', async () => {
      for (const a of removed) await supervisor.uninstall(formerNode(model, host, a.node));
    });
  }

  let written: DesiredFile[] = [];
  let releaseChanged = false;
  if (host.nodeIds.length > 0) {
    if (host.serviceUser) await step('service user', () => ensureServiceUser(t, host.serviceUser!), (v) => v === 'present');
    await step('node', () => ensureNode(t, host.layout, { pushNode: !!opts.pushNode }));
    await step('release', () => installRelease(t, host.layout, opts.release), (v) => v === 'present');
    // before any file changes: a node whose restart is planned keeps a marker until it has been
    // restarted healthy, so a deploy that stops half-way restarts it next time
    const restarts = actions.filter((a): a is Extract<PlanAction, { kind: 'restart' }> => a.kind === 'restart');
    if (restarts.length) {
      await step('mark restarts', async () => {
        for (const a of restarts) {
          const marker = pendingRestartPath(host.layout, a.node);
          if (!(await t.lstat(marker))) await t.writeFileAtomic(marker, `restart pending: ${a.because.join(', ')}\n`, { mode: 0o600 });
        }
      });
    }
    const dirs = set.entries.filter((e): e is DesiredDir => e.kind === 'dir');
    await step('directories', () => ensureDirs(t, dirs.map((d) => ({ path: d.path, mode: d.mode, ...(d.owner ? { owner: d.owner } : {}), ...(d.group ? { group: d.group } : {}) }))));
    // the release files are the bundle's job (content-addressed, verified after upload)
    const files = set.entries.filter((e): e is DesiredFile => e.kind === 'file' && e.role !== 'release' && changed(e.path) !== undefined);
    written = await step(
      'files',
      async () => {
        for (const f of files) {
          await t.mkdirp(path.posix.dirname(f.path));
          await t.writeFileAtomic(f.path, f.content, { mode: f.mode, ...(f.owner ? { owner: f.owner } : {}), ...(f.group ? { group: f.group } : {}) });
        }
        return files;
      },
      (v) => v.length === 0,
    );
  }
  const deletes = hp.entries.filter((e) => e.change === 'delete');
  if (deletes.length) {
    await step('delete', async () => {
      for (const e of deletes) await t.remove(e.path);
    });
  }
  if (host.nodeIds.length > 0) {
    releaseChanged = (await step('activate release', () => activateRelease(t, host.layout, opts.release.id), (v) => !v.changed)).changed;
    const reload = actions.some((a) => a.kind === 'daemon-reload');
    const enable = actions.find((a): a is Extract<PlanAction, { kind: 'enable' }> => a.kind === 'enable');
    if (supervisor.kind === 'systemd' && (reload || enable)) {
      const nodes = model.nodes.filter((n) => enable?.nodes.includes(n.id));
      await step('units', () => supervisor.install(nodes));
    }
  }
  return { host: host.name, releaseChanged, filesWritten: written.map((f) => f.path) };
}

/**
 * Starts, restarts and verifies nodes, each step gated on the judge:
 *  - start: NameServers, then masters (whose SYNC in-sync check waits for their slaves when those
 *    start in this deploy), then slaves (their whole group healthy);
 *  - restart, rolling: each NameServer until every broker is registered on it again; each broker
 *    until its whole group is healthy — the master writable and, in a SYNC group, every slave in
 *    sync — before the next group is touched;
 *  - verify: every other node healthy.
 */
async function runNodes(model: ClusterModel, targets: ClusterTargets, plan: Plan, health: DeployHealth, timing: { timeoutMs: number; settleMs: number }, parallel: number, emit: Emit, result: DeployResult): Promise<void> {
  const healthTimeoutMs = timing.timeoutMs;
  const byId = new Map(model.nodes.map((n) => [n.id, n]));
  const supervisorOf = async (node: ClusterNode) => {
    const host = model.hosts.find((h) => h.name === node.host)!;
    const target = await targets.get(host.name);
    return { host, target, supervisor: targets.supervisorFor(host, target) };
  };
  const starts = plan.actions.filter((a): a is Extract<PlanAction, { kind: 'start' }> => a.kind === 'start');
  const startingSlaves = new Set(starts.filter((a) => a.role === 'slave').map((a) => a.node));
  const gateOf = (node: ClusterNode, action: 'start' | 'restart'): Omit<GateSpec, 'node'> => {
    if (action === 'restart') return { scope: 'group' };
    if (node.kind === 'namesrv') return { scope: 'node' };
    if (node.role === 'master') {
      const slavesLater = model.groups.find((g) => g.name === node.brokerName)?.slaveIds.some((id) => startingSlaves.has(id)) ?? false;
      return slavesLater ? { scope: 'node', deferInSync: true } : { scope: 'group' };
    }
    return { scope: 'group' };
  };
  const act = async (node: ClusterNode, action: 'start' | 'restart', settle = false) => {
    const { host, target, supervisor } = await supervisorOf(node);
    emit({ kind: 'node', host: node.host, node: node.id, action });
    let gate;
    try {
      await (action === 'start' ? supervisor.start(node) : supervisor.restart(node));
      gate = await health.gate(node, gateOf(node, action), healthTimeoutMs);
      await target.remove(pendingRestartPath(host.layout, node.id));
    } catch (e) {
      emit({ kind: 'node', host: node.host, node: node.id, action: 'failed', detail: (e as Error).message });
      throw e instanceof RmqError && (e as Error).message.startsWith(`${node.host}:`) ? e : new DeployError(node.host, action, node.id, (e as Error).message, { cause: e });
    }
    const detail = `${gate.summary} (after ${(gate.waitedMs / 1000).toFixed(1)} s)${settle && timing.settleMs > 0 ? `; waiting ${timing.settleMs / 1000} s for clients to route to ${node.kind === 'broker' ? node.brokerName : node.id} again before the next group` : ''}`;
    emit({ kind: 'node', host: node.host, node: node.id, action: 'healthy', detail });
    result.nodes.push({ node: node.id, host: node.host, action, health: gate.summary, waitedMs: gate.waitedMs });
    if (settle && timing.settleMs > 0) await sleep(timing.settleMs);
  };

  emit({ kind: 'stage', stage: 'start' });
  for (const phase of [0, 1, 2] as const) {
    const toStart = starts.map((a) => byId.get(a.node)!).filter((n) => n.phase === phase);
    const r = await mapSettled(toStart, parallel, (n) => act(n, 'start'));
    const bad = r.find((x) => !x.ok);
    if (bad) throw bad.error;
  }

  emit({ kind: 'stage', stage: 'restart' });
  const restarts = plan.actions.flatMap((a) => (a.kind === 'restart' ? [byId.get(a.node)!] : []));
  for (const [i, node] of restarts.entries()) await act(node, 'restart', settlesBeforeNext(restarts, i));

  // Untouched nodes must be healthy too: a deploy exits 0 only for a healthy cluster.
  emit({ kind: 'stage', stage: 'verify' });
  const acted = new Set(result.nodes.map((n) => n.node));
  const rest = rollingOrder(model).filter((n) => !acted.has(n.id));
  const r = await mapSettled(rest, parallel, async (node) => {
    emit({ kind: 'node', host: node.host, node: node.id, action: 'check' });
    try {
      const gate = await health.gate(node, { scope: 'node' }, healthTimeoutMs);
      emit({ kind: 'node', host: node.host, node: node.id, action: 'healthy', detail: gate.summary });
      return { node: node.id, host: node.host, action: 'unchanged' as const, health: gate.summary, waitedMs: gate.waitedMs };
    } catch (e) {
      emit({ kind: 'node', host: node.host, node: node.id, action: 'failed', detail: (e as Error).message });
      throw e;
    }
  });
  const bad = r.find((x) => !x.ok);
  if (bad) throw bad.error;
  // results in rolling order, acted-on nodes first as they happened
  result.nodes.push(...r.map((x) => x.value!));
}

/** Nodes selected by --host / --node (all when neither is given); unknown names are input errors. */
export function selectNodes(model: ClusterModel, sel: { hosts?: string[]; nodes?: string[] }): ClusterNode[] {
  const unknownHosts = (sel.hosts ?? []).filter((h) => !model.hosts.some((x) => x.name === h));
  const unknownNodes = (sel.nodes ?? []).filter((n) => !model.nodes.some((x) => x.id === n));
  if (unknownHosts.length || unknownNodes.length) {
    const problems = [
      ...unknownHosts.map((h) => `no host named ${h} (hosts: ${model.hosts.map((x) => x.name).join(', ')})`),
      ...unknownNodes.map((n) => `no node named ${n} (nodes: ${model.nodes.map((x) => x.id).join(', ')})`),
    ];
    throw new InvalidInputError(problems.join('; '), problems);
  }
  return model.nodes.filter((n) => (!sel.hosts?.length || sel.hosts.includes(n.host)) && (!sel.nodes?.length || sel.nodes.includes(n.id)));
}
