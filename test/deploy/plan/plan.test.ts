/**
 * Plans against a real local state directory: empty → everything created and started; after the
 * files are in place → no changes; a changed override → that group's configs updated with a diff
 * and only its nodes restarted, slave before master; removed nodes → stopped, config deleted,
 * store kept; a new runtime → every node restarted, rolling; the supervisor's view (not running,
 * not enabled) and pending restarts; a saved plan checked for drift.
 */
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EMPTY_HOST, formatPlan, LOCAL_FS, planCluster, planDrift, type HostObservation, type ObservedHost, type Plan, type ServiceObservation } from '../../../src/deploy/plan/index.js';
import { releaseOf, renderCluster, type DesiredEntry, type FileSet, type RuntimeRelease } from '../../../src/render/index.js';
import { buildClusterModel, parseTopology, type ClusterModel, type HostModel } from '../../../src/topology/index.js';
import { applyFileSet } from '../../support/apply-fileset.js';
import { loadPreset, sshVariant, STUB_RELEASE } from '../../support/topologies.js';
import { tmpDir } from '../../support/tmp.js';

const topology = (opts: { slaves?: number; groupBOverrides?: string } = {}) => `cluster: shop
mode: {masters: 2, slavesPerMaster: ${opts.slaves ?? 1}, replication: async}
hosts:
  - {name: local, transport: local}
nameservers:
  - {host: local, port: 9876}
brokers:
  - name: broker-a
    master: {host: local, port: 10911}
    slaves: ${opts.slaves === 0 ? '[]' : '[{host: local, port: 10921}]'}
  - name: broker-b
    master: {host: local, port: 10931}
    slaves: ${opts.slaves === 0 ? '[]' : '[{host: local, port: 10941}]'}
${opts.groupBOverrides ? `    overrides: ${opts.groupBOverrides}\n` : ''}`;

function model(text: string, stateDir: string): ClusterModel {
  return buildClusterModel(parseTopology(text, 'shop.yaml').topology, { stateDir });
}

async function plan(m: ClusterModel, release: RuntimeRelease = STUB_RELEASE, offline = false): Promise<Plan> {
  return planCluster(m, renderCluster(m, release), release, async () => (offline ? { observed: 'empty', view: EMPTY_HOST } : { observed: 'local', view: LOCAL_FS }));
}

function deployFiles(m: ClusterModel, release: RuntimeRelease = STUB_RELEASE): void {
  for (const set of renderCluster(m, release)) applyFileSet(set);
}

const actionList = (p: Plan) => p.actions.map((a) => ('node' in a ? `${a.kind} ${a.node}` : a.kind));

describe('plan against the local state directory', () => {
  it('an empty state dir: everything is created, nodes start NameServers → masters → slaves', async () => {
    const m = model(topology(), tmpDir());
    const p = await plan(m);
    expect(p.changed).toBe(true);
    expect(p.hosts[0]?.entries.every((e) => e.change === 'create')).toBe(true);
    expect(actionList(p)).toEqual(['write', 'start namesrv-1', 'start broker-a-0', 'start broker-b-0', 'start broker-a-1', 'start broker-b-1']);
    expect(p.summary).toEqual({ create: 17, update: 0, delete: 0, unchanged: 0, start: 5, restart: 0, stop: 0, enable: 0 });
  });

  it('after the files are in place: no changes', async () => {
    const m = model(topology(), tmpDir());
    deployFiles(m);
    const p = await plan(m);
    expect(p.changed).toBe(false);
    expect(p.actions).toEqual([]);
    expect(p.summary.unchanged).toBe(17);
    expect(formatPlan(p)).toMatch(/No changes\. The hosts match the topology \(17 entries unchanged\)\.$/);
  });

  it('a changed group override updates that group only, with a diff, and restarts slave then master', async () => {
    const state = tmpDir();
    deployFiles(model(topology(), state));
    const p = await plan(model(topology({ groupBOverrides: '{maxMessageSize: 8388608}' }), state));
    const updated = p.hosts[0]?.entries.filter((e) => e.change === 'update');
    expect(updated?.map((e) => [e.path.slice(state.length), e.reasons])).toEqual([
      ['/etc/rmqctl/shop/broker-b-0.properties', ['content']],
      ['/etc/rmqctl/shop/broker-b-1.properties', ['content']],
    ]);
    expect(updated?.[0]?.diff).toContain('+# from brokers[1].overrides\n+maxMessageSize=8388608\n');
    expect(actionList(p)).toEqual(['write', 'restart broker-b-1', 'restart broker-b-0']);
    expect(p.actions[1]).toMatchObject({ kind: 'restart', because: ['config'] });
    const text = formatPlan(p);
    expect(text).toMatch(/~ update +file +\S+broker-b-0\.properties +0640 +\(content\)\n {6}--- \S+broker-b-0\.properties\tcurrent\n {6}\+\+\+ \S+broker-b-0\.properties\tplanned\n {6}@@/);
    expect(text).toMatch(/Plan: 0 to add, 2 to change, 0 to destroy \(15 unchanged\); 0 to start, 2 to restart, 0 to stop\./);
  });

  it('a wrong file mode is fixed without a restart', async () => {
    const state = tmpDir();
    const m = model(topology(), state);
    deployFiles(m);
    chmodSync(`${state}/etc/rmqctl/shop/namesrv-1.properties`, 0o644);
    const p = await plan(m);
    expect(p.hosts[0]?.entries.filter((e) => e.change === 'update').map((e) => e.reasons)).toEqual([['mode 0644 → 0640']]);
    expect(actionList(p)).toEqual(['write']);
  });

  it('nodes no longer in the topology are stopped and their config deleted; their store is kept', async () => {
    const state = tmpDir();
    deployFiles(model(topology(), state));
    const p = await plan(model(topology({ slaves: 0 }), state));
    // the masters restart too: their HA port no longer admits the removed slaves (haAllowedAddresses)
    expect(actionList(p)).toEqual(['stop broker-a-1', 'stop broker-b-1', 'write', 'delete', 'restart broker-a-0', 'restart broker-b-0']);
    expect(p.hosts[0]?.entries.filter((e) => e.change === 'delete').map((e) => e.path.slice(state.length))).toEqual([
      '/etc/rmqctl/shop/broker-a-1.properties',
      '/etc/rmqctl/shop/broker-b-1.properties',
    ]);
    expect(p.hosts[0]?.keptStores.map((s) => s.slice(state.length))).toEqual(['/var/lib/rmqctl/shop/broker-a-1', '/var/lib/rmqctl/shop/broker-b-1']);
    expect(p.summary.stop).toBe(2);
  });

  it('a new runtime release restarts every node, rolling; the release it leaves becomes previous', async () => {
    const state = tmpDir();
    const m = model(topology(), state);
    deployFiles(m);
    const p = await plan(m, releaseOf(Buffer.from('// another build\n')));
    expect(actionList(p)).toEqual(['write', 'restart namesrv-1', 'restart broker-a-1', 'restart broker-a-0', 'restart broker-b-1', 'restart broker-b-0']);
    expect(p.actions[1]).toMatchObject({ because: ['release', 'release-link'] });
    const link = p.hosts[0]?.entries.find((e) => e.role === 'release-link');
    expect(link?.change).toBe('update');
    expect(link?.reasons[0]).toMatch(/^target .*\/opt\/rmqctl\/releases\/[0-9a-f]{12} → .*\/opt\/rmqctl\/releases\/[0-9a-f]{12}$/);
    const previous = p.hosts[0]?.entries.find((e) => e.path === `${state}/opt/rmqctl/previous`);
    expect(previous).toMatchObject({ change: 'create', kind: 'symlink', target: `${state}/opt/rmqctl/releases/${STUB_RELEASE.id}`, nodeIds: [] });
  });

  it('a hand-edited config is put back and its node restarted', async () => {
    const state = tmpDir();
    const m = model(topology(), state);
    deployFiles(m);
    writeFileSync(`${state}/etc/rmqctl/shop/broker-a-0.properties`, 'brokerName=edited-by-hand\n');
    rmSync(`${state}/var/lib/rmqctl/shop/namesrv-1`, { recursive: true });
    const p = await plan(m);
    expect(actionList(p)).toEqual(['write', 'restart broker-a-0']);
    expect(p.hosts[0]?.entries.find((e) => e.path.endsWith('namesrv-1'))?.change).toBe('create');
  });

  it('--offline ignores what is on disk', async () => {
    const state = tmpDir();
    const m = model(topology(), state);
    deployFiles(m);
    const p = await plan(m, STUB_RELEASE, true);
    expect(p.hosts[0]?.observed).toBe('empty');
    expect(p.summary.create).toBe(17);
  });
});

/** An SSH host's view made from FileSets (what a finished deploy leaves there), in memory. */
function memoryHost(sets: readonly FileSet[], host: string): ObservedHost {
  const entries = new Map<string, DesiredEntry>();
  for (const e of sets.find((s) => s.host === host)?.entries ?? []) entries.set(e.path, e);
  const st = (e: DesiredEntry) => ({ type: e.kind, mode: e.kind === 'symlink' ? 0o777 : e.mode, uid: 0, gid: 0, size: e.kind === 'file' ? e.content.length : 0, mtimeMs: 0 });
  return {
    readFile: async (p) => {
      const e = entries.get(p);
      return e?.kind === 'file' ? e.content : undefined;
    },
    lstat: async (p) => {
      const e = entries.get(p);
      return e ? st(e) : undefined;
    },
    readdir: async (p) => {
      const names = [...entries.keys()].filter((k) => path.posix.dirname(k) === p).map((k) => path.posix.basename(k));
      return names.length ? names.sort() : undefined;
    },
    readlink: async (p) => {
      const e = entries.get(p);
      return e?.kind === 'symlink' ? e.target : undefined;
    },
  };
}

const running = (m: ClusterModel, over: Record<string, ServiceObservation> = {}) =>
  Object.fromEntries(m.nodes.map((n) => [n.id, over[n.id] ?? { active: true, state: 'active/running', enabled: true }]));

describe('plan with the supervisor asked', () => {
  it('a node that is not running is started (in its stage); one running with unchanged files is left alone', async () => {
    const state = tmpDir();
    const m = model(topology(), state);
    deployFiles(m);
    const p = await planCluster(m, renderCluster(m, STUB_RELEASE), STUB_RELEASE, async () => ({ observed: 'local', view: LOCAL_FS, services: running(m, { 'broker-a-1': { active: false, state: 'stale' } }) }));
    expect(p.actions).toEqual([{ kind: 'start', host: 'local', node: 'broker-a-1', role: 'slave', reason: 'not running' }]);
    expect(formatPlan(p)).toContain('local: start broker-a-1 (slave; not running now)');
    expect(formatPlan(p)).toContain('nodes: namesrv-1 running, broker-a-0 running, broker-b-0 running, broker-a-1 stale, broker-b-1 running');
  });

  it('systemd hosts: new units and units not enabled are enabled; a pending restart is planned even with the files in place', async () => {
    const m = buildClusterModel(sshVariant(loadPreset('2m-2s-sync')), { stateDir: '/unused' });
    const sets = renderCluster(m, STUB_RELEASE);
    const offline = await planCluster(m, sets, STUB_RELEASE, async () => ({ observed: 'empty', view: EMPTY_HOST }));
    expect(offline.actions.filter((a) => a.kind === 'enable')).toEqual([
      { kind: 'enable', host: 'mq1', nodes: ['namesrv-1', 'broker-a-0', 'broker-b-1'] },
      { kind: 'enable', host: 'mq2', nodes: ['namesrv-2', 'broker-b-0', 'broker-a-1'] },
    ]);
    const marker = '/etc/rmqctl/2m-2s-sync/broker-b-0.restart-pending';
    const observe = async (h: HostModel): Promise<HostObservation> => {
      const view = memoryHost(sets, h.name);
      const withMarker: ObservedHost = { ...view, lstat: async (p) => (p === marker && h.name === 'mq2' ? { type: 'file', mode: 0o600, uid: 0, gid: 0, size: 1, mtimeMs: 0 } : view.lstat(p)) };
      return { observed: 'ssh', view: withMarker, services: running(m, { 'broker-a-0': { active: true, state: 'active/running', enabled: false } }) };
    };
    const p = await planCluster(m, sets, STUB_RELEASE, observe);
    expect(p.actions).toEqual([
      { kind: 'enable', host: 'mq1', nodes: ['broker-a-0'] },
      { kind: 'restart', host: 'mq2', node: 'broker-b-0', role: 'master', because: ['pending'] },
    ]);
    expect(p.hosts.find((h) => h.host === 'mq2')?.pendingRestarts).toEqual(['broker-b-0']);
    expect(formatPlan(p)).toMatch(/Plan: 0 to add, 0 to change, 0 to destroy \(\d+ unchanged\); 0 to start, 1 to restart, 0 to stop, 1 to enable\./);
  });
});

describe('a saved plan against the hosts now (deploy --plan)', () => {
  const setup = async () => {
    const state = tmpDir();
    const m = model(topology(), state);
    deployFiles(m);
    const changed = model(topology({ groupBOverrides: '{maxMessageSize: 8388608}' }), state);
    const make = (mm: ClusterModel, over: Record<string, ServiceObservation> = {}) =>
      planCluster(mm, renderCluster(mm, STUB_RELEASE), STUB_RELEASE, async () => ({ observed: 'local', view: LOCAL_FS, services: running(mm, over) }));
    // saved the way `plan --out` saves it
    const saved = JSON.parse(JSON.stringify(await make(changed))) as Plan;
    return { state, m, changed, make, saved };
  };

  it('nothing moved: no drift', async () => {
    const { changed, make, saved } = await setup();
    expect(planDrift(saved, await make(changed))).toEqual([]);
  });

  it('a file changed on the host since: refused, naming host and file', async () => {
    const { state, changed, make, saved } = await setup();
    writeFileSync(`${state}/etc/rmqctl/shop/broker-a-0.properties`, 'edited=1\n');
    const drift = planDrift(saved, await make(changed));
    expect(drift).toHaveLength(1);
    expect(drift[0]).toMatchObject({ host: 'local', path: `${state}/etc/rmqctl/shop/broker-a-0.properties` });
    expect(drift[0]?.message).toMatch(/^changed on the host since the plan: it was a file \(0640, \d+ bytes, sha256 [0-9a-f]{12}\), now a file \(0640, 9 bytes\)$/);
  });

  it('a node stopped since: the actions differ', async () => {
    const { changed, make, saved } = await setup();
    const drift = planDrift(saved, await make(changed, { 'namesrv-1': { active: false, state: 'stopped' } }));
    expect(drift).toEqual([{ host: 'local', message: '"start namesrv-1 (NameServer; not running now)" is needed now but not in the plan' }]);
  });

  it('the topology changed since: the files render differently', async () => {
    const { m, make, saved } = await setup();
    const drift = planDrift(saved, await make(m));
    expect(drift.map((d) => d.message)).toEqual([
      'renders differently now than when planned (the topology, templates or runtime changed)',
      'renders differently now than when planned (the topology, templates or runtime changed)',
    ]);
    expect(drift.map((d) => path.basename(d.path ?? ''))).toEqual(['broker-b-0.properties', 'broker-b-1.properties']);
  });
});
