import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployCluster, DeployError, type DeployEvent } from '../../src/deploy/executor.js';
import { controlNodes, destroyCluster, nodeStates, rollbackCluster } from '../../src/deploy/operations.js';
import { PreflightError } from '../../src/deploy/preflight.js';
import { ClusterTargets } from '../../src/deploy/targets/open.js';
import type { ClusterModel } from '../../src/topology/index.js';
import { labModel, renderedWith } from '../support/lab-topology.js';
import { freeBrokerPort, freePort } from '../support/ports.js';
import { runtimeRelease } from '../support/runtime.js';

// The executor on the local target (process supervisor, state under a temp dir) with the real
// runtime: real NameServer and broker processes, health checked over the protocol.
let stateDir: string;
let model: ClusterModel;
let targets: ClusterTargets;
let extra: Record<string, string> = {};

async function startIds(): Promise<Record<string, string | undefined>> {
  const states = await nodeStates(model, targets, model.nodes);
  return Object.fromEntries(states.map((s) => [s.node, s.status.startId]));
}

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(os.tmpdir(), 'rmqctl-exec-'));
  const [n1, n2] = [await freePort(), await freePort()];
  const [a0, a1, b0, b1] = [await freeBrokerPort(), await freeBrokerPort(), await freeBrokerPort(), await freeBrokerPort()];
  model = labModel(
    `cluster: ex
mode: 2m-2s-sync
hosts:
  - {name: local, transport: local}
nameservers:
  - {host: local, port: ${n1}}
  - {host: local, port: ${n2}}
brokers:
  - name: broker-a
    master: {host: local, port: ${a0}}
    slaves: [{host: local, port: ${a1}}]
  - name: broker-b
    master: {host: local, port: ${b0}}
    slaves: [{host: local, port: ${b1}}]
`,
    stateDir,
  );
  targets = new ClusterTargets(model, { stopTimeoutMs: 5_000 });
});

afterAll(async () => {
  await destroyCluster(model, targets, { purge: true }).catch(() => {});
  await targets?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('deploy executor on the local target', () => {
  it('first deploy: NameServers, then masters, then slaves, each healthy before the next stage', async () => {
    const events: DeployEvent[] = [];
    const r = await deployCluster(model, targets, { release: runtimeRelease('v1'), files: renderedWith(() => model, runtimeRelease('v1'), () => extra), onEvent: (e) => events.push(e), preflight: { minFreeBytes: 1 }, settleMs: 0 });
    expect(r.nodes.map((n) => n.action)).toEqual(Array(6).fill('start'));
    const healthy = events.filter((e) => e.kind === 'node' && e.action === 'healthy').map((e) => (e as { node: string }).node);
    const stage = (id: string) => model.nodes.find((n) => n.id === id)!.phase;
    expect(healthy.map(stage)).toEqual([...healthy.map(stage)].sort());
    expect(new Set(healthy)).toEqual(new Set(model.nodes.map((n) => n.id)));
    // every node answers on its port, from here
    for (const n of model.nodes) {
      await new Promise<void>((res, rej) => net.connect(n.ports.find((p) => p.purpose === 'listen')!.port, n.address).once('connect', function (this: net.Socket) { this.destroy(); res(); }).once('error', rej));
    }
    expect(readFileSync(path.join(model.hosts[0]!.layout.currentLink, 'rmqd.js'), 'utf8')).toContain('// release v1');
    // health is the protocol's: a slave is registered on both NameServers at its advertised address
    const slave = events.find((e) => e.kind === 'node' && e.node === 'broker-a-1' && e.action === 'healthy') as { detail: string };
    expect(slave.detail).toMatch(/^registered as 127\.0\.0\.1:\d+ on 2\/2 NameServers, gRPC at 127\.0\.0\.1:\d+, replicating, 0 bytes behind, in sync, group broker-a healthy \(after [\d.]+ s\)$/);
  });

  it('a redeploy without changes writes nothing and restarts nothing', async () => {
    const before = await startIds();
    const r = await deployCluster(model, targets, { release: runtimeRelease('v1'), files: renderedWith(() => model, runtimeRelease('v1'), () => extra), preflight: { minFreeBytes: 1 }, settleMs: 0 });
    expect(r.hosts).toEqual([{ host: 'local', releaseChanged: false, filesWritten: [] }]);
    expect(r.plan.changed).toBe(false);
    expect(r.nodes.every((n) => n.action === 'unchanged' && n.health)).toBe(true);
    expect(await startIds()).toEqual(before);
  });

  it('a changed broker config restarts only that group, slave before master', async () => {
    const before = await startIds();
    extra = { 'broker-a-0': 'tag=a\n', 'broker-a-1': 'tag=a\n' };
    const events: DeployEvent[] = [];
    const r = await deployCluster(model, targets, { release: runtimeRelease('v1'), files: renderedWith(() => model, runtimeRelease('v1'), () => extra), onEvent: (e) => events.push(e), preflight: { minFreeBytes: 1 }, settleMs: 0 });
    const restarted = r.nodes.filter((n) => n.action === 'restart').map((n) => n.node);
    expect(restarted).toEqual(['broker-a-1', 'broker-a-0']);
    const after = await startIds();
    for (const n of model.nodes) {
      if (restarted.includes(n.id)) expect(after[n.id]).not.toBe(before[n.id]);
      else expect(after[n.id]).toBe(before[n.id]);
    }
  });

  it('a new release restarts everything rolling; rollback switches back and restarts again', async () => {
    const r = await deployCluster(model, targets, { release: runtimeRelease('v2'), files: renderedWith(() => model, runtimeRelease('v2'), () => extra), preflight: { minFreeBytes: 1 }, settleMs: 0 });
    expect(r.hosts[0]!.releaseChanged).toBe(true);
    expect(r.nodes.map((n) => n.node)).toEqual(['namesrv-1', 'namesrv-2', 'broker-a-1', 'broker-a-0', 'broker-b-1', 'broker-b-0']);
    const current = () => readFileSync(path.join(model.hosts[0]!.layout.currentLink, 'rmqd.js'), 'utf8');
    expect(current()).toContain('// release v2');
    const before = await startIds();
    const rolled = await rollbackCluster(model, targets, ['local'], { settleMs: 0 });
    expect(rolled).toEqual([{ host: 'local', from: runtimeRelease('v2').id, to: runtimeRelease('v1').id }]);
    expect(current()).toContain('// release v1');
    const after = await startIds();
    for (const n of model.nodes) expect(after[n.id]).not.toBe(before[n.id]);
  });

  it('stop and start selected nodes', async () => {
    const slaves = model.nodes.filter((n) => n.role === 'slave');
    await controlNodes(model, targets, slaves, 'stop');
    const states = await nodeStates(model, targets, model.nodes);
    expect(states.filter((s) => !s.status.active).map((s) => s.node).sort()).toEqual(['broker-a-1', 'broker-b-1']);
    await controlNodes(model, targets, slaves, 'start');
    expect((await nodeStates(model, targets, model.nodes)).every((s) => s.status.active)).toBe(true);
  });

  it('a node that fails its health check stops the rollout there, names host, node and its log; a rerun after the fix converges', async () => {
    await controlNodes(model, targets, model.nodes, 'stop');
    extra = { 'broker-b-0': 'flushDiskType=SOMETIMES\n' };
    const events: DeployEvent[] = [];
    const err = await deployCluster(model, targets, { release: runtimeRelease('v1'), files: renderedWith(() => model, runtimeRelease('v1'), () => extra), onEvent: (e) => events.push(e), healthTimeoutMs: 15_000, preflight: { minFreeBytes: 1 }, settleMs: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeployError);
    const msg = (err as Error).message;
    // the process exits at once (a bad value refuses the start): no waiting for the timeout
    expect(msg).toMatch(/^local: broker-b-0 not healthy: process: is not running: the process exited \(stale\) — run `rmqctl start <topology> --node broker-b-0`; its log: `rmqctl logs <topology> broker-b-0`\nlast log lines of broker-b-0:\n/);
    expect(msg).toMatch(/broker-b-0\.properties:\d+ +flushDiskType: /);
    // slaves are the stage after the masters: none was started
    const started = events.filter((e) => e.kind === 'node' && e.action === 'start').map((e) => (e as { node: string }).node);
    expect(started.filter((n) => /^broker-.-1$/.test(n))).toEqual([]);
    expect(started).toContain('broker-b-0');
    extra = {};
    const r = await deployCluster(model, targets, { release: runtimeRelease('v1'), files: renderedWith(() => model, runtimeRelease('v1'), () => extra), preflight: { minFreeBytes: 1 }, settleMs: 0 });
    expect((await nodeStates(model, targets, model.nodes)).every((s) => s.status.active)).toBe(true);
    expect(r.nodes.filter((n) => n.action === 'start').map((n) => n.node).sort()).toEqual(['broker-a-1', 'broker-b-0', 'broker-b-1']);
  });

  it('a rolling restart that fails stops there: later groups keep running untouched, and the next run restarts every node still pending', async () => {
    const before = await startIds();
    // every broker changes; broker-a-1 (the first in rolling order) cannot start with its new config
    extra = { 'broker-a-0': 'tag=x\n', 'broker-a-1': 'tag=x\nflushDiskType=SOMETIMES\n', 'broker-b-0': 'tag=x\n', 'broker-b-1': 'tag=x\n' };
    const deploy = () => deployCluster(model, targets, { release: runtimeRelease('v1'), files: renderedWith(() => model, runtimeRelease('v1'), () => extra), preflight: { minFreeBytes: 1 }, settleMs: 0 });
    const err = await deploy().catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^local: broker-a-1 not healthy: process: is not running: the process exited/);
    const after = await startIds();
    for (const id of ['namesrv-1', 'namesrv-2', 'broker-a-0', 'broker-b-0', 'broker-b-1']) expect(after[id], id).toBe(before[id]);
    const layout = model.hosts[0]!.layout;
    const pending = readdirSync(layout.configDir).filter((f) => f.endsWith('.restart-pending')).sort();
    expect(pending).toEqual(['broker-a-0.restart-pending', 'broker-a-1.restart-pending', 'broker-b-0.restart-pending', 'broker-b-1.restart-pending']);

    // fixed: the files of a-0, b-0, b-1 are already in place, yet they restart (their marker says so)
    extra = { 'broker-a-0': 'tag=x\n', 'broker-a-1': 'tag=x\n', 'broker-b-0': 'tag=x\n', 'broker-b-1': 'tag=x\n' };
    const r = await deploy();
    // broker-a-1 crashed: it is started; the others are restarted, rolling
    expect(r.plan.actions.filter((a) => a.kind === 'start')).toEqual([{ kind: 'start', host: 'local', node: 'broker-a-1', role: 'slave', reason: 'not running' }]);
    expect(r.plan.actions.filter((a) => a.kind === 'restart').map((a) => `${'node' in a ? a.node : ''}:${'because' in a ? a.because.join('+') : ''}`)).toEqual([
      'broker-a-0:pending',
      'broker-b-1:pending',
      'broker-b-0:pending',
    ]);
    expect(readdirSync(layout.configDir).filter((f) => f.endsWith('.restart-pending'))).toEqual([]);
    const final = await startIds();
    for (const id of ['broker-a-0', 'broker-b-0', 'broker-b-1']) expect(final[id], id).not.toBe(before[id]);
  });

  it('pre-flight stops a deploy whose port is taken by a stranger, before anything changes', async () => {
    const victim = model.nodes.find((n) => n.id === 'broker-b-1')!;
    await controlNodes(model, targets, [victim], 'stop');
    const squatter = net.createServer().listen(victim.ports.find((p) => p.purpose === 'listen')!.port);
    await new Promise((r) => squatter.once('listening', r));
    try {
      const err = await deployCluster(model, targets, { release: runtimeRelease('v3'), files: renderedWith(() => model, runtimeRelease('v3'), () => extra), preflight: { minFreeBytes: 1 }, settleMs: 0 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PreflightError);
      expect((err as Error).message).toMatch(/local: port: port \d+ \(broker-b-1 listen\) is in use/);
      expect(readFileSync(path.join(model.hosts[0]!.layout.currentLink, 'rmqd.js'), 'utf8')).toContain('// release v1');
    } finally {
      squatter.close();
    }
  });
});
