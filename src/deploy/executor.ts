/**
 * The deploy executor: pre-flight, then per host (bounded parallelism) the runtime release, Node,
 * service user, directories and files, then the processes in order — NameServers, masters,
 * slaves — each gated on health before the next stage. Nodes already running whose files or
 * release changed are restarted rolling: NameServers one at a time, then one broker group at a
 * time, slaves before their master. Nothing changed → nothing written, nothing restarted.
 * A failing step stops the rollout there with host, step, output and the node's last log lines.
 */
import net from 'node:net';
import path from 'node:path';
import { InvalidInputError, RmqError } from '../errors.js';
import type { ClusterModel, ClusterNode, HostModel, NodeId } from '../topology/index.js';
import type { DesiredDir, DesiredFile, FileSet, RuntimeRelease } from '../render/index.js';
import { activateRelease, ensureDirs, ensureNode, ensureServiceUser, installRelease } from './bundle.js';
import { assertPreflight, preflight, type PreflightOptions } from './preflight.js';
import type { Supervisor } from './supervisors/supervisor.js';
import type { ClusterTargets } from './targets/open.js';
import type { Target } from './targets/target.js';
import { mapSettled } from './transport/parallel.js';

/** The rendered FileSet of a host (render/renderHost, or a test's own). */
export type FileSetOf = (host: HostModel) => FileSet | Promise<FileSet>;

export type DeployEvent =
  | { kind: 'stage'; stage: 'preflight' | 'prepare' | 'start' | 'restart' | 'done' }
  | { kind: 'step'; host: string; step: string; status: 'begin' | 'done' | 'unchanged' | 'failed'; detail?: string }
  | { kind: 'node'; host: string; node: NodeId; action: 'start' | 'restart' | 'unchanged' | 'healthy' | 'failed'; detail?: string };

/** Is the node serving? Throws (with a reason) when not yet; the executor retries until its deadline. */
export type HealthCheck = (node: ClusterNode, ctx: { target: Target; supervisor: Supervisor }) => Promise<void>;

export interface DeployOptions {
  release: RuntimeRelease;
  files: FileSetOf;
  /** Hosts worked on at once (default 8). */
  parallel?: number;
  pushNode?: boolean;
  preflight?: Omit<PreflightOptions, 'pushNode' | 'parallel'>;
  health?: HealthCheck;
  /** Per node (default 60 s). */
  healthTimeoutMs?: number;
  onEvent?: (e: DeployEvent) => void;
}

export interface DeployResult {
  /** Per host: whether `current` moved, and which files were written. */
  hosts: { host: string; releaseChanged: boolean; filesWritten: string[] }[];
  /** What happened to each node. */
  nodes: { node: NodeId; host: string; action: 'start' | 'restart' | 'unchanged' }[];
}

/** A failed step: which host, which node, what step, and what it printed. */
export class DeployError extends RmqError {
  override readonly name: string = 'DeployError';
  constructor(
    readonly host: string,
    readonly step: string,
    readonly node: NodeId | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message.startsWith(`${host}:`) ? message : `${host}: ${step}${node ? ` ${node}` : ''} failed: ${message}`, options);
  }
}

/** The default health check: the supervisor says active, and the listen port accepts from here. */
export const portHealth: HealthCheck = async (node, { supervisor }) => {
  const st = await supervisor.status(node);
  if (!st.active) throw new Error(`not running (${st.state})`);
  const port = node.ports.find((p) => p.purpose === 'listen')?.port;
  if (port === undefined) return;
  await new Promise<void>((resolve, reject) => {
    const s = net.connect({ host: node.address, port, timeout: 2_000 });
    s.once('connect', () => {
      s.destroy();
      resolve();
    });
    s.once('timeout', () => {
      s.destroy();
      reject(new Error(`${node.address}:${port} does not answer from this machine`));
    });
    s.once('error', (e: NodeJS.ErrnoException) => reject(new Error(`${node.address}:${port} ${e.code === 'ECONNREFUSED' ? 'refuses connections' : (e.code ?? e.message)}`)));
  });
};

async function waitHealthy(node: ClusterNode, ctx: { target: Target; supervisor: Supervisor }, check: HealthCheck, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      await check(node, ctx);
      return;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) {
      const tail = await ctx.supervisor.logs(node, 20).catch(() => '');
      throw new DeployError(node.host, 'health', node.id, `${node.host}: ${node.id} not healthy after ${Math.round(timeoutMs / 1000)} s: ${(last as Error)?.message ?? last}${tail.trim() ? `\nlast log lines of ${node.id}:\n${tail.trimEnd()}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Deploys the model: every host prepared (release, node, user, dirs, files), then nodes started
 * or restarted in order, each gated on health. Throws PreflightError / DeployError.
 */
export async function deployCluster(model: ClusterModel, targets: ClusterTargets, opts: DeployOptions): Promise<DeployResult> {
  const emit = opts.onEvent ?? (() => {});
  const parallel = opts.parallel ?? 8;
  const hosts = model.hosts.filter((h) => h.nodeIds.length > 0);

  emit({ kind: 'stage', stage: 'preflight' });
  assertPreflight(await preflight(model, (h) => targets.get(h.name), { ...opts.preflight, pushNode: !!opts.pushNode, parallel }));

  // --- prepare every host; a failure on one stops before any process is touched
  emit({ kind: 'stage', stage: 'prepare' });
  const changedNodes = new Set<NodeId>();
  const prepared = await mapSettled(hosts, parallel, async (host) => {
    const t = await targets.get(host.name);
    const step = async <T>(name: string, fn: () => Promise<T>, unchanged?: (v: T) => boolean): Promise<T> => {
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
    const nodes = model.nodes.filter((n) => n.host === host.name);
    if (host.serviceUser) await step('service user', () => ensureServiceUser(t, host.serviceUser!), (v) => v === 'present');
    await step('node', () => ensureNode(t, host.layout, { pushNode: !!opts.pushNode }));
    await step('release', () => installRelease(t, host.layout, opts.release), (v) => v === 'present');
    // the release file and the current link are the bundle's job (content-addressed, verified,
    // switched last); directories and files come from the FileSet as rendered
    const set = await opts.files(host);
    const dirs = set.entries.filter((e): e is DesiredDir => e.kind === 'dir');
    const files = set.entries.filter((e): e is DesiredFile => e.kind === 'file' && e.role !== 'release');
    await step('directories', () => ensureDirs(t, dirs.map((d) => ({ path: d.path, mode: d.mode, ...(d.owner ? { owner: d.owner } : {}), ...(d.group ? { group: d.group } : {}) }))));
    const written = await step(
      'files',
      async () => {
        const out: DesiredFile[] = [];
        for (const f of files) {
          const st = await t.stat(f.path);
          if (st && st.mode === f.mode && (await t.readFile(f.path))?.equals(f.content)) continue;
          await t.mkdirp(path.posix.dirname(f.path));
          await t.writeFileAtomic(f.path, f.content, { mode: f.mode, ...(f.owner ? { owner: f.owner } : {}), ...(f.group ? { group: f.group } : {}) });
          out.push(f);
        }
        return out;
      },
      (v) => v.length === 0,
    );
    const activated = await step('activate release', () => activateRelease(t, host.layout, opts.release.id), (v) => !v.changed);
    const supervisor = targets.supervisorFor(host, t);
    await step('install units', () => supervisor.install(nodes));
    return { host: host.name, releaseChanged: activated.changed, filesWritten: written.map((f) => f.path), written, nodes };
  });
  const failed = prepared.find((p) => !p.ok);
  if (failed) throw failed.error;
  const result: DeployResult = { hosts: [], nodes: [] };
  for (const p of prepared) {
    const v = p.value!;
    result.hosts.push({ host: v.host, releaseChanged: v.releaseChanged, filesWritten: v.filesWritten });
    for (const f of v.written) for (const n of f.nodeIds) changedNodes.add(n);
    if (v.releaseChanged) for (const n of v.nodes) changedNodes.add(n.id);
  }

  // --- processes: start what is not running (by phase), then rolling restarts of what changed
  const ctxOf = async (node: ClusterNode) => {
    const host = model.hosts.find((h) => h.name === node.host)!;
    const target = await targets.get(host.name);
    return { target, supervisor: targets.supervisorFor(host, target) };
  };
  const check = opts.health ?? portHealth;
  const healthTimeout = opts.healthTimeoutMs ?? 60_000;
  const act = async (node: ClusterNode, action: 'start' | 'restart') => {
    const ctx = await ctxOf(node);
    emit({ kind: 'node', host: node.host, node: node.id, action });
    try {
      await (action === 'start' ? ctx.supervisor.start(node) : ctx.supervisor.restart(node));
      await waitHealthy(node, ctx, check, healthTimeout);
    } catch (e) {
      emit({ kind: 'node', host: node.host, node: node.id, action: 'failed', detail: (e as Error).message });
      throw e instanceof RmqError && (e as Error).message.startsWith(`${node.host}:`) ? e : new DeployError(node.host, action, node.id, (e as Error).message, { cause: e });
    }
    emit({ kind: 'node', host: node.host, node: node.id, action: 'healthy' });
    result.nodes.push({ node: node.id, host: node.host, action });
  };

  const running = new Map<NodeId, boolean>();
  for (const n of model.nodes) running.set(n.id, (await (await ctxOf(n)).supervisor.status(n)).active);

  emit({ kind: 'stage', stage: 'start' });
  for (const phase of [0, 1, 2] as const) {
    const toStart = model.nodes.filter((n) => n.phase === phase && !running.get(n.id));
    const r = await mapSettled(toStart, parallel, (n) => act(n, 'start'));
    const bad = r.find((x) => !x.ok);
    if (bad) throw bad.error;
  }

  emit({ kind: 'stage', stage: 'restart' });
  for (const n of rollingOrder(model)) {
    if (!running.get(n.id)) continue; // just started with the new files
    if (changedNodes.has(n.id)) await act(n, 'restart');
    else {
      emit({ kind: 'node', host: n.host, node: n.id, action: 'unchanged' });
      result.nodes.push({ node: n.id, host: n.host, action: 'unchanged' });
    }
  }
  emit({ kind: 'stage', stage: 'done' });
  return result;
}

/** Restart order: NameServers one by one, then each broker group — its slaves, then its master. */
export function rollingOrder(model: ClusterModel): ClusterNode[] {
  const byId = new Map(model.nodes.map((n) => [n.id, n]));
  const out: ClusterNode[] = model.nodes.filter((n) => n.kind === 'namesrv');
  for (const g of model.groups) {
    for (const id of [...g.slaveIds, g.masterId]) {
      const n = byId.get(id);
      if (n) out.push(n);
    }
  }
  return out;
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
