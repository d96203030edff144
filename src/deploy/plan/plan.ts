/**
 * The plan: rendered FileSets (desired) against what each host has now (observed) → per host,
 * every entry as create / update (with why, and a unified diff for text) / unchanged / delete;
 * then the ordered actions a deploy takes — stop removed nodes, write, delete, daemon-reload,
 * then NameServers → masters → slaves, starting new nodes and restarting only changed ones.
 *
 * The JSON form of `Plan` is `rmqctl plan --json`'s documented, stable output (version 1).
 */
import { maskAclText } from '../../acl/acl-file-text.js';
import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { formatMode, sha256, type DesiredEntry, type EntryRole, type FileSet } from '../../render/fileset.js';
import type { RuntimeRelease } from '../../render/release.js';
import { unitName } from '../../topology/layout.js';
import type { ClusterModel, HostModel, NodeId, NodeRole } from '../../topology/model.js';
import type { ObservedHost } from './observed.js';

export type EntryChangeKind = 'create' | 'update' | 'unchanged' | 'delete';

export interface EntryChange {
  path: string;
  kind: 'file' | 'symlink' | 'dir';
  role: EntryRole;
  change: EntryChangeKind;
  /** Nodes restarted when this entry changes. */
  nodeIds: NodeId[];
  /** For updates and deletes: what differs / why it goes (e.g. `content`, `mode 0644 → 0640`). */
  reasons: string[];
  /** Planned mode (files, dirs), e.g. `0640`. */
  mode?: string;
  owner?: string | null;
  group?: string | null;
  /** Planned sha256 (files). */
  sha256?: string;
  /** Planned target (symlinks). */
  target?: string;
  /** Unified diff current → planned, for text files that change (creates diff against empty). */
  diff?: string;
}

export interface HostPlan {
  host: string;
  transport: 'ssh' | 'local';
  supervisor: 'systemd' | 'process';
  /** Layout root: `/`, or the state directory for the local host. */
  root: string;
  /** How the current state was read: `empty` (offline / nothing known), `local` or `ssh`. */
  observed: 'empty' | 'local' | 'ssh';
  entries: EntryChange[];
  /** Store directories of removed nodes: never deleted by a plan (they hold data). */
  keptStores: string[];
}

export type PlanAction =
  | { kind: 'stop'; host: string; node: NodeId; reason: string }
  | { kind: 'write'; host: string; paths: string[] }
  | { kind: 'delete'; host: string; paths: string[] }
  | { kind: 'daemon-reload'; host: string }
  | { kind: 'start'; host: string; node: NodeId; role: NodeRole }
  | { kind: 'restart'; host: string; node: NodeId; role: NodeRole; because: string[] };

export interface PlanSummary {
  create: number;
  update: number;
  delete: number;
  unchanged: number;
  start: number;
  restart: number;
  stop: number;
}

export interface Plan {
  /** Bumped only when the JSON shape changes incompatibly. */
  version: 1;
  cluster: string;
  mode: string;
  release: { id: string; sha256: string };
  hosts: HostPlan[];
  /** In the order a deploy performs them. */
  actions: PlanAction[];
  summary: PlanSummary;
  /** Anything to do at all (terraform's "changes present"). */
  changed: boolean;
}

export interface HostObservation {
  observed: HostPlan['observed'];
  view: ObservedHost;
}

const TEXT_DIFF_LIMIT = 256 * 1024;

async function compareEntry(e: DesiredEntry, view: ObservedHost): Promise<EntryChange> {
  const base = { path: e.path, kind: e.kind, role: e.role, nodeIds: e.nodeIds };
  const st = await view.lstat(e.path);
  const typeName = (t: string) => (t === 'dir' ? 'a directory' : t === 'symlink' ? 'a symlink' : t === 'file' ? 'a file' : 'something else');
  if (e.kind === 'symlink') {
    const out = { ...base, target: e.target };
    if (!st) return { ...out, change: 'create', reasons: [] };
    if (st.type !== 'symlink') return { ...out, change: 'update', reasons: [`is ${typeName(st.type)} now`] };
    const cur = await view.readlink(e.path);
    return cur === e.target ? { ...out, change: 'unchanged', reasons: [] } : { ...out, change: 'update', reasons: [`target ${cur ?? '?'} → ${e.target}`] };
  }
  const attrs = { mode: formatMode(e.mode), owner: e.owner, group: e.group };
  if (e.kind === 'dir') {
    const out = { ...base, ...attrs };
    if (!st) return { ...out, change: 'create', reasons: [] };
    if (st.type !== 'dir') return { ...out, change: 'update', reasons: [`is ${typeName(st.type)} now`] };
    return (st.mode & 0o777) === e.mode ? { ...out, change: 'unchanged', reasons: [] } : { ...out, change: 'update', reasons: [`mode ${formatMode(st.mode & 0o777)} → ${formatMode(e.mode)}`] };
  }
  // a file with secrets shows its masked form: which secret changed, never what it is
  const shown = (text: string) => (e.secret ? maskAclText(text) : text);
  const out = { ...base, ...attrs, sha256: e.secret ? sha256(shown(e.content.toString('utf8'))) : e.sha256 };
  const textDiff = (before: string) =>
    e.text && e.content.length <= TEXT_DIFF_LIMIT && before.length <= TEXT_DIFF_LIMIT
      ? createTwoFilesPatch(e.path, e.path, shown(before), shown(e.content.toString('utf8')), 'current', 'planned', { context: 3 })
          // a plain unified diff: drop the "Index:" / "====" preamble
          .replace(/^Index: .*\n=+\n/, '')
      : undefined;
  if (!st) return { ...out, change: 'create', reasons: [], diff: textDiff('') };
  if (st.type !== 'file') return { ...out, change: 'update', reasons: [`is ${typeName(st.type)} now`] };
  const reasons: string[] = [];
  let diff: string | undefined;
  // Same size is required for same content: skip reading a big file (the release) when sizes differ.
  const current = st.size === e.content.length ? await view.readFile(e.path) : undefined;
  if (!current || sha256(current) !== e.sha256) {
    reasons.push('content');
    if (e.text) diff = textDiff((current ?? (await view.readFile(e.path)) ?? Buffer.alloc(0)).toString('utf8'));
  }
  if ((st.mode & 0o777) !== e.mode) reasons.push(`mode ${formatMode(st.mode & 0o777)} → ${formatMode(e.mode)}`);
  return reasons.length === 0 ? { ...out, change: 'unchanged', reasons } : { ...out, change: 'update', reasons, diff };
}

/** A created entry, or one whose content or target changed; a mode fix alone needs no restart. */
function affectsProcess(e: EntryChange): boolean {
  return e.change === 'create' || (e.change === 'update' && e.reasons.some((r) => !r.startsWith('mode ')));
}

/** The same change with its keys in the documented order (stable JSON). */
function ordered(e: EntryChange): EntryChange {
  const { path: p, kind, role, change, reasons, nodeIds, mode, owner, group, sha256: sum, target, diff } = e;
  return { path: p, kind, role, change, reasons, nodeIds, mode, owner, group, sha256: sum, target, diff };
}

/** Node ids a host has now, read from the config files in the cluster's config directory. */
async function observedNodeIds(host: HostModel, view: ObservedHost): Promise<NodeId[]> {
  const names = (await view.readdir(host.layout.configDir)) ?? [];
  return names.filter((n) => n.endsWith('.properties')).map((n) => n.slice(0, -'.properties'.length));
}

async function planHost(model: ClusterModel, host: HostModel, set: FileSet, obs: HostObservation): Promise<{ plan: HostPlan; removed: NodeId[] }> {
  const entries: EntryChange[] = [];
  for (const e of set.entries) entries.push(await compareEntry(e, obs.view));

  // Nodes this host runs now but the topology no longer puts here: their config and unit go,
  // their store stays (data is never deleted by a plan).
  const wanted = new Set(host.nodeIds);
  const removed = (await observedNodeIds(host, obs.view)).filter((id) => !wanted.has(id)).sort();
  const keptStores: string[] = [];
  for (const id of removed) {
    const files = [path.posix.join(host.layout.configDir, `${id}.properties`), path.posix.join(host.layout.unitDir, unitName(model.cluster, id))];
    for (const p of files) {
      const st = await obs.view.lstat(p);
      if (!st) continue;
      entries.push({ path: p, kind: st.type === 'symlink' ? 'symlink' : 'file', role: p.endsWith('.service') ? 'unit' : 'config', change: 'delete', nodeIds: [id], reasons: [`node ${id} is no longer on this host`] });
    }
    const store = path.posix.join(host.layout.storeRoot, id);
    if (await obs.view.lstat(store)) keptStores.push(store);
  }
  // The env file goes only when no node of the cluster is left on the host.
  if (host.nodeIds.length === 0 && removed.length > 0) {
    const env = path.posix.join(host.layout.configDir, 'rmqd.env');
    if (await obs.view.lstat(env)) entries.push({ path: env, kind: 'file', role: 'env', change: 'delete', nodeIds: [], reasons: ['no node of the cluster is left on this host'] });
  }
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    plan: { host: host.name, transport: host.transport, supervisor: host.supervisor, root: host.layout.root, observed: obs.observed, entries: entries.map(ordered), keptStores },
    removed,
  };
}

/**
 * Plans a cluster. `observe` gives each host's current state (EMPTY_HOST for offline planning).
 * Deterministic for a given desired and observed state.
 */
export async function planCluster(
  model: ClusterModel,
  sets: readonly FileSet[],
  release: RuntimeRelease,
  observe: (host: HostModel) => Promise<HostObservation>,
): Promise<Plan> {
  const hostPlans: HostPlan[] = [];
  const removedByHost = new Map<string, NodeId[]>();
  for (const host of model.hosts) {
    const set = sets.find((s) => s.host === host.name);
    if (!set) throw new Error(`no FileSet rendered for host ${host.name}`);
    const { plan, removed } = await planHost(model, host, set, await observe(host));
    hostPlans.push(plan);
    removedByHost.set(host.name, removed);
  }

  const actions: PlanAction[] = [];
  for (const hp of hostPlans) for (const node of removedByHost.get(hp.host) ?? []) actions.push({ kind: 'stop', host: hp.host, node, reason: 'no longer in the topology on this host' });
  for (const hp of hostPlans) {
    const writes = hp.entries.filter((e) => e.change === 'create' || e.change === 'update').map((e) => e.path);
    if (writes.length > 0) actions.push({ kind: 'write', host: hp.host, paths: writes });
  }
  for (const hp of hostPlans) {
    const deletes = hp.entries.filter((e) => e.change === 'delete').map((e) => e.path);
    if (deletes.length > 0) actions.push({ kind: 'delete', host: hp.host, paths: deletes });
  }
  for (const hp of hostPlans) {
    if (hp.supervisor === 'systemd' && hp.entries.some((e) => e.role === 'unit' && e.change !== 'unchanged')) actions.push({ kind: 'daemon-reload', host: hp.host });
  }
  // Start new nodes and restart changed ones, phase by phase: NameServers, masters, slaves.
  const byHost = new Map(hostPlans.map((hp) => [hp.host, hp]));
  for (const phase of [0, 1, 2] as const) {
    for (const node of model.nodes.filter((n) => n.phase === phase)) {
      const hp = byHost.get(node.host);
      if (!hp) continue;
      const config = hp.entries.find((e) => e.path === node.configPath);
      const changed = hp.entries.filter((e) => e.nodeIds.includes(node.id) && affectsProcess(e));
      if (config?.change === 'create') actions.push({ kind: 'start', host: node.host, node: node.id, role: node.role });
      else if (changed.length > 0) actions.push({ kind: 'restart', host: node.host, node: node.id, role: node.role, because: [...new Set(changed.map((e) => e.role))].sort() });
    }
  }

  const count = (c: EntryChangeKind) => hostPlans.reduce((n, hp) => n + hp.entries.filter((e) => e.change === c).length, 0);
  const summary: PlanSummary = {
    create: count('create'),
    update: count('update'),
    delete: count('delete'),
    unchanged: count('unchanged'),
    start: actions.filter((a) => a.kind === 'start').length,
    restart: actions.filter((a) => a.kind === 'restart').length,
    stop: actions.filter((a) => a.kind === 'stop').length,
  };
  return {
    version: 1,
    cluster: model.cluster,
    mode: model.mode.label,
    release: { id: release.id, sha256: release.sha256 },
    hosts: hostPlans,
    actions,
    summary,
    changed: actions.length > 0,
  };
}
