/**
 * The plan: rendered FileSets (desired) against what each host has now (observed) → per host,
 * every entry as create / update (with why, and a unified diff for text) / unchanged / delete;
 * then the ordered actions a deploy takes — stop removed nodes, write, delete, daemon-reload,
 * enable units, start what is not running (NameServers → masters → slaves), then restart what
 * changed, rolling (NameServers one by one, then per broker group its slaves before its master).
 * The deploy executor applies exactly this (deploy.ts computes it, or reads a saved one and
 * refuses when the hosts drifted since: see drift.ts).
 *
 * The JSON form of `Plan` is `rmqctl plan --json`'s documented, stable output (version 1).
 */
import { maskSecretText } from '../../render/mask.js';
import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { formatMode, sha256, type DesiredEntry, type EntryRole, type FileSet } from '../../render/fileset.js';
import type { RuntimeRelease } from '../../render/release.js';
import { unitName } from '../../topology/layout.js';
import type { ClusterModel, ClusterNode, HostModel, NodeId, NodeRole } from '../../topology/model.js';
import { pendingRestartPath, previousLink } from '../host-paths.js';
import type { ObservedHost } from './observed.js';

export type EntryChangeKind = 'create' | 'update' | 'unchanged' | 'delete';

/** What a path holds on the host now (absent from an entry: nothing there). */
export interface ObservedEntry {
  kind: 'file' | 'symlink' | 'dir' | 'other';
  mode?: string;
  size?: number;
  /** Files whose size matches the planned one (otherwise the content differs anyway). */
  sha256?: string;
  target?: string;
}

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
  /** What is there now (when something is): what `deploy --plan` checks for drift. */
  current?: ObservedEntry;
}

/** What the supervisor says about a node. */
export interface ServiceObservation {
  active: boolean;
  /** e.g. `active/running`, `failed/failed`, `stopped`, `not-installed`. */
  state: string;
  /** systemd: the unit is enabled (starts at boot). */
  enabled?: boolean;
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
  /** Per node of this host, what its supervisor said (absent when the host was not asked: --offline). */
  services?: Record<NodeId, ServiceObservation>;
  /** Nodes left with a pending restart by an earlier deploy that stopped half-way. */
  pendingRestarts?: NodeId[];
}

export type PlanAction =
  | { kind: 'stop'; host: string; node: NodeId; reason: string }
  | { kind: 'write'; host: string; paths: string[] }
  | { kind: 'delete'; host: string; paths: string[] }
  | { kind: 'daemon-reload'; host: string }
  | { kind: 'enable'; host: string; nodes: NodeId[] }
  | { kind: 'start'; host: string; node: NodeId; role: NodeRole; reason: 'new' | 'not running' }
  | { kind: 'restart'; host: string; node: NodeId; role: NodeRole; because: string[] };

export interface PlanSummary {
  create: number;
  update: number;
  delete: number;
  unchanged: number;
  start: number;
  restart: number;
  stop: number;
  enable: number;
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
  /** The supervisor's view of the host's nodes; absent (offline): a node is taken as running iff its config exists. */
  services?: Record<NodeId, ServiceObservation>;
}

const TEXT_DIFF_LIMIT = 256 * 1024;

async function compareEntry(e: DesiredEntry, view: ObservedHost): Promise<EntryChange> {
  const st = await view.lstat(e.path);
  const current: ObservedEntry | undefined = st
    ? { kind: st.type === 'file' || st.type === 'dir' || st.type === 'symlink' ? st.type : 'other', mode: formatMode(st.mode & 0o7777), ...(st.type === 'file' ? { size: st.size } : {}) }
    : undefined;
  const base = { path: e.path, kind: e.kind, role: e.role, nodeIds: e.nodeIds, ...(current ? { current } : {}) };
  const typeName = (t: string) => (t === 'dir' ? 'a directory' : t === 'symlink' ? 'a symlink' : t === 'file' ? 'a file' : 'something else');
  if (e.kind === 'symlink') {
    const out = { ...base, target: e.target };
    if (!st) return { ...out, change: 'create', reasons: [] };
    if (st.type !== 'symlink') return { ...out, change: 'update', reasons: [`is ${typeName(st.type)} now`] };
    const cur = await view.readlink(e.path);
    if (cur !== undefined && current) current.target = cur;
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
  const shown = (text: string) => (e.secret ? maskSecretText(e.role, text) : text);
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
  const bytes = st.size === e.content.length ? await view.readFile(e.path) : undefined;
  const sum = bytes ? sha256(bytes) : undefined;
  if (sum && current) current.sha256 = sum;
  if (sum !== e.sha256) {
    reasons.push('content');
    if (e.text) diff = textDiff((bytes ?? (await view.readFile(e.path)) ?? Buffer.alloc(0)).toString('utf8'));
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
  const { path: p, kind, role, change, reasons, nodeIds, mode, owner, group, sha256: sum, target, diff, current } = e;
  return { path: p, kind, role, change, reasons, nodeIds, mode, owner, group, sha256: sum, target, diff, current };
}

/** Node ids a host has now, read from the config files in the cluster's config directory. */
async function observedNodeIds(host: HostModel, view: ObservedHost): Promise<NodeId[]> {
  const names = (await view.readdir(host.layout.configDir)) ?? [];
  return names.filter((n) => n.endsWith('.properties')).map((n) => n.slice(0, -'.properties'.length));
}

async function observedOf(view: ObservedHost, p: string): Promise<ObservedEntry | undefined> {
  const st = await view.lstat(p);
  if (!st) return undefined;
  const kind = st.type === 'file' || st.type === 'dir' || st.type === 'symlink' ? st.type : 'other';
  return { kind, mode: formatMode(st.mode & 0o7777), ...(st.type === 'file' ? { size: st.size } : {}), ...(st.type === 'symlink' ? { target: (await view.readlink(p)) ?? '' } : {}) };
}

/**
 * `previous` is not rendered: it follows from what `current` points at now. When `current`
 * moves, the release it leaves becomes `previous` (what `rmqctl rollback` returns to).
 */
async function previousEntry(host: HostModel, entries: readonly EntryChange[], view: ObservedHost): Promise<EntryChange | undefined> {
  const current = entries.find((e) => e.path === host.layout.currentLink);
  const leaving = current?.change === 'update' ? current.current?.target : undefined;
  if (!leaving) return undefined;
  const p = previousLink(host.layout);
  const now = await observedOf(view, p);
  const base = { path: p, kind: 'symlink' as const, role: 'release-link' as const, nodeIds: [], target: leaving, ...(now ? { current: now } : {}) };
  if (!now) return { ...base, change: 'create', reasons: [] };
  return now.target === leaving ? { ...base, change: 'unchanged', reasons: [] } : { ...base, change: 'update', reasons: [`target ${now.target ?? '?'} → ${leaving}`] };
}

async function planHost(model: ClusterModel, host: HostModel, set: FileSet, obs: HostObservation): Promise<{ plan: HostPlan; removed: NodeId[] }> {
  const entries: EntryChange[] = [];
  for (const e of set.entries) entries.push(await compareEntry(e, obs.view));
  const previous = await previousEntry(host, entries, obs.view);
  if (previous) entries.push(previous);

  // Nodes this host runs now but the topology no longer puts here: their config and unit go,
  // their store stays (data is never deleted by a plan).
  const wanted = new Set(host.nodeIds);
  const removed = (await observedNodeIds(host, obs.view)).filter((id) => !wanted.has(id)).sort();
  const keptStores: string[] = [];
  for (const id of removed) {
    const files = [path.posix.join(host.layout.configDir, `${id}.properties`), path.posix.join(host.layout.unitDir, unitName(model.cluster, id)), pendingRestartPath(host.layout, id)];
    for (const p of files) {
      const current = await observedOf(obs.view, p);
      if (!current) continue;
      const role = p.endsWith('.service') ? 'unit' : 'config';
      entries.push({ path: p, kind: current.kind === 'symlink' ? 'symlink' : 'file', role, change: 'delete', nodeIds: [id], reasons: [`node ${id} is no longer on this host`], current });
    }
    const store = path.posix.join(host.layout.storeRoot, id);
    if (await obs.view.lstat(store)) keptStores.push(store);
  }
  // The env file goes only when no node of the cluster is left on the host.
  if (host.nodeIds.length === 0 && removed.length > 0) {
    const env = path.posix.join(host.layout.configDir, 'rmqd.env');
    const current = await observedOf(obs.view, env);
    if (current) entries.push({ path: env, kind: 'file', role: 'env', change: 'delete', nodeIds: [], reasons: ['no node of the cluster is left on this host'], current });
  }
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const pendingRestarts: NodeId[] = [];
  for (const id of host.nodeIds) if (await obs.view.lstat(pendingRestartPath(host.layout, id))) pendingRestarts.push(id);
  const plan: HostPlan = {
    host: host.name,
    transport: host.transport,
    supervisor: host.supervisor,
    root: host.layout.root,
    observed: obs.observed,
    entries: entries.map(ordered),
    keptStores,
    ...(obs.services ? { services: obs.services } : {}),
    ...(pendingRestarts.length ? { pendingRestarts } : {}),
  };
  return { plan, removed };
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
  const byHost = new Map(hostPlans.map((hp) => [hp.host, hp]));

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
  // systemd units to enable: new ones, and (when the host was asked) those not enabled now
  for (const host of model.hosts) {
    const hp = byHost.get(host.name);
    if (!hp || hp.supervisor !== 'systemd') continue;
    const nodes = host.nodeIds.filter((id) => {
      const unit = hp.entries.find((e) => e.role === 'unit' && e.nodeIds.includes(id));
      return unit?.change === 'create' || (hp.services !== undefined && hp.services[id]?.enabled !== true);
    });
    if (nodes.length > 0) actions.push({ kind: 'enable', host: host.name, nodes });
  }

  // What each node needs: not running → start (by phase); running and changed → restart (rolling).
  const running = (node: ClusterNode, hp: HostPlan): boolean => {
    if (hp.services) return hp.services[node.id]?.active === true;
    return hp.entries.find((e) => e.path === node.configPath)?.change !== 'create';
  };
  const restartBecause = new Map<NodeId, string[]>();
  const starts: PlanAction[] = [];
  for (const phase of [0, 1, 2] as const) {
    for (const node of model.nodes.filter((n) => n.phase === phase)) {
      const hp = byHost.get(node.host);
      if (!hp) continue;
      const changed = hp.entries.filter((e) => e.nodeIds.includes(node.id) && affectsProcess(e));
      const because = [...new Set(changed.map((e) => e.role as string))].sort();
      if (hp.pendingRestarts?.includes(node.id)) because.push('pending');
      if (!running(node, hp)) {
        const isNew = hp.entries.find((e) => e.path === node.configPath)?.change === 'create';
        starts.push({ kind: 'start', host: node.host, node: node.id, role: node.role, reason: isNew ? 'new' : 'not running' });
      } else if (because.length > 0) restartBecause.set(node.id, because);
    }
  }
  actions.push(...starts);
  for (const node of rollingOrder(model)) {
    const because = restartBecause.get(node.id);
    if (because) actions.push({ kind: 'restart', host: node.host, node: node.id, role: node.role, because });
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
    enable: actions.reduce((n, a) => n + (a.kind === 'enable' ? a.nodes.length : 0), 0),
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
