/**
 * Plans against a real local state directory: empty → everything created and started; after the
 * files are in place → no changes; a changed override → that group's configs updated with a diff
 * and only its nodes restarted, master before slave; removed nodes → stopped, config deleted,
 * store kept; a new runtime → every node restarted.
 */
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EMPTY_HOST, formatPlan, LOCAL_FS, planCluster, type Plan } from '../../../src/deploy/plan/index.js';
import { releaseOf, renderCluster, type RuntimeRelease } from '../../../src/render/index.js';
import { buildClusterModel, parseTopology, type ClusterModel } from '../../../src/topology/index.js';
import { applyFileSet } from '../../support/apply-fileset.js';
import { STUB_RELEASE } from '../../support/topologies.js';
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
    expect(p.summary).toEqual({ create: 16, update: 0, delete: 0, unchanged: 0, start: 5, restart: 0, stop: 0 });
  });

  it('after the files are in place: no changes', async () => {
    const m = model(topology(), tmpDir());
    deployFiles(m);
    const p = await plan(m);
    expect(p.changed).toBe(false);
    expect(p.actions).toEqual([]);
    expect(p.summary.unchanged).toBe(16);
    expect(formatPlan(p)).toMatch(/No changes\. The hosts match the topology \(16 entries unchanged\)\.$/);
  });

  it('a changed group override updates that group only, with a diff, and restarts master then slave', async () => {
    const state = tmpDir();
    deployFiles(model(topology(), state));
    const p = await plan(model(topology({ groupBOverrides: '{maxMessageSize: 8388608}' }), state));
    const updated = p.hosts[0]?.entries.filter((e) => e.change === 'update');
    expect(updated?.map((e) => [e.path.slice(state.length), e.reasons])).toEqual([
      ['/etc/rmqctl/shop/broker-b-0.properties', ['content']],
      ['/etc/rmqctl/shop/broker-b-1.properties', ['content']],
    ]);
    expect(updated?.[0]?.diff).toContain('+# from brokers[1].overrides\n+maxMessageSize=8388608\n');
    expect(actionList(p)).toEqual(['write', 'restart broker-b-0', 'restart broker-b-1']);
    expect(p.actions[1]).toMatchObject({ kind: 'restart', because: ['config'] });
    const text = formatPlan(p);
    expect(text).toMatch(/~ update +file +\S+broker-b-0\.properties +0640 +\(content\)\n {6}--- \S+broker-b-0\.properties\tcurrent\n {6}\+\+\+ \S+broker-b-0\.properties\tplanned\n {6}@@/);
    expect(text).toMatch(/Plan: 0 to create, 2 to update, 0 to delete, 14 unchanged; 0 to start, 2 to restart, 0 to stop\./);
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
    expect(actionList(p)).toEqual(['stop broker-a-1', 'stop broker-b-1', 'delete']);
    expect(p.hosts[0]?.entries.filter((e) => e.change === 'delete').map((e) => e.path.slice(state.length))).toEqual([
      '/etc/rmqctl/shop/broker-a-1.properties',
      '/etc/rmqctl/shop/broker-b-1.properties',
    ]);
    expect(p.hosts[0]?.keptStores.map((s) => s.slice(state.length))).toEqual(['/var/lib/rmqctl/shop/broker-a-1', '/var/lib/rmqctl/shop/broker-b-1']);
    expect(p.summary.stop).toBe(2);
  });

  it('a new runtime release restarts every node, in order', async () => {
    const state = tmpDir();
    const m = model(topology(), state);
    deployFiles(m);
    const p = await plan(m, releaseOf(Buffer.from('// another build\n')));
    expect(actionList(p)).toEqual(['write', 'restart namesrv-1', 'restart broker-a-0', 'restart broker-b-0', 'restart broker-a-1', 'restart broker-b-1']);
    expect(p.actions[1]).toMatchObject({ because: ['release', 'release-link'] });
    const link = p.hosts[0]?.entries.find((e) => e.role === 'release-link');
    expect(link?.change).toBe('update');
    expect(link?.reasons[0]).toMatch(/^target .*\/opt\/rmqctl\/releases\/[0-9a-f]{12} → .*\/opt\/rmqctl\/releases\/[0-9a-f]{12}$/);
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
    expect(p.summary.create).toBe(16);
  });
});
