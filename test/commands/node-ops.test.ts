import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployCluster } from '../../src/deploy/executor.js';
import { destroyCluster, nodeStates } from '../../src/deploy/operations.js';
import { ClusterTargets } from '../../src/deploy/targets/open.js';
import type { ClusterModel } from '../../src/topology/index.js';
import { rmqctl } from '../support/cli.js';
import { brokerNodes, type HealthReport } from '../../src/ops/health/index.js';
import { waitFor } from '../support/wait.js';
import { labModel, renderedWith } from '../support/lab-topology.js';
import { freeBrokerPort, freePort } from '../support/ports.js';
import { runtimeRelease } from '../support/runtime.js';

// The CLI's day-2 commands against a cluster deployed on the local target (the real runtime).
let dir: string;
let stateDir: string;
let topologyFile: string;
let model: ClusterModel;
let targets: ClusterTargets;

const cli = (args: string[]) => rmqctl([...args, '--state-dir', stateDir]);

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rmqctl-ops-'));
  stateDir = path.join(dir, 'state');
  topologyFile = path.join(dir, 'ops.yaml');
  const yaml = `cluster: ops
mode: single-master
hosts:
  - {name: local, transport: local}
nameservers:
  - {host: local, port: ${await freePort()}}
brokers:
  - name: broker-a
    master: {host: local, port: ${await freeBrokerPort()}}
`;
  writeFileSync(topologyFile, yaml);
  model = labModel(yaml, stateDir);
  targets = new ClusterTargets(model);
  await deployCluster(model, targets, { release: runtimeRelease('ops-1'), files: renderedWith(() => model, runtimeRelease('ops-1')), preflight: { minFreeBytes: 1 } });
  await deployCluster(model, targets, { release: runtimeRelease('ops-2'), files: renderedWith(() => model, runtimeRelease('ops-2')), preflight: { minFreeBytes: 1 } });
});

afterAll(async () => {
  await destroyCluster(model, targets, { purge: true }).catch(() => {});
  await targets?.close();
  rmSync(dir, { recursive: true, force: true });
});

const active = async () => Object.fromEntries((await nodeStates(model, targets, model.nodes)).map((s) => [s.node, s.status.active]));

describe('rmqctl start | stop | restart | logs | rollback | destroy', () => {
  it('stop --node stops just that node; start brings it back healthy', async () => {
    const stop = await cli(['stop', topologyFile, '--node', 'broker-a-0']);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toBe('local  broker-a-0  stop…\n');
    expect(await active()).toEqual({ 'namesrv-1': true, 'broker-a-0': false });
    const start = await cli(['start', topologyFile, '--json']);
    expect(start.code).toBe(0);
    expect(JSON.parse(start.stdout).events).toEqual([
      { host: 'local', node: 'namesrv-1', action: 'start' },
      { host: 'local', node: 'namesrv-1', action: 'healthy', detail: expect.stringMatching(/^answers at 127\.0\.0\.1:\d+ \(after [\d.]+ s\)$/) },
      { host: 'local', node: 'broker-a-0', action: 'start' },
      { host: 'local', node: 'broker-a-0', action: 'healthy', detail: expect.stringMatching(/^registered as 127\.0\.0\.1:\d+ on 1\/1 NameServers, gRPC at 127\.0\.0\.1:\d+, writable, group broker-a healthy \(after [\d.]+ s\)$/) },
    ]);
    expect(await active()).toEqual({ 'namesrv-1': true, 'broker-a-0': true });
  });

  it('finding 1 and 9, with the topology: status --json has every pid; a master kill -9’d is DOWN, its process named as exited, with what to run', async () => {
    const ok = await cli(['status', topologyFile, '--json']);
    expect(ok.code, ok.stdout).toBe(0);
    const report = JSON.parse(ok.stdout) as HealthReport;
    const states = await nodeStates(model, targets, model.nodes);
    const pidOf = (id: string) => states.find((s) => s.node === id)!.status.pid;
    expect(report.nameservers.map((n) => [n.id, n.pid])).toEqual([['namesrv-1', pidOf('namesrv-1')]]);
    expect(brokerNodes(report).map((n) => [n.id, n.state, n.pid])).toEqual([['broker-a-0', 'up', pidOf('broker-a-0')]]);
    expect(pidOf('broker-a-0')).toBeGreaterThan(0);

    process.kill(pidOf('broker-a-0')!, 'SIGKILL');
    await waitFor(async () => ((await nodeStates(model, targets, [model.nodes[1]!]))[0]!.status.active ? undefined : true), { what: 'the broker to die' });
    const bad = await cli(['status', topologyFile]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/broker-a-0\s+master\s+127\.0\.0\.1:\d+\s+DOWN\s+pid \d+\s+process stale/);
    expect(bad.stdout.replace(/\s+/g, ' ')).toContain(`broker-a-0 (master) is not running: the process exited (stale) — run \`rmqctl start ${topologyFile} --node broker-a-0\`; its log: \`rmqctl logs ${topologyFile} broker-a-0\``);
    expect((await cli(['start', topologyFile, '--node', 'broker-a-0'])).code).toBe(0);
    expect((await cli(['status', topologyFile])).code).toBe(0);
  });

  it('restart changes the start id of every node; logs shows the node log (and --json)', async () => {
    const before = await nodeStates(model, targets, model.nodes);
    expect((await cli(['restart', topologyFile])).code).toBe(0);
    const after = await nodeStates(model, targets, model.nodes);
    for (let i = 0; i < before.length; i++) expect(after[i]!.status.startId).not.toBe(before[i]!.status.startId);
    const logs = await cli(['logs', topologyFile, 'broker-a-0', '-n', '3']);
    expect(logs.code).toBe(0);
    expect(logs.stdout.trimEnd().split('\n')).toHaveLength(3);
    expect(logs.stdout).toMatch(/broker/);
    const json = JSON.parse((await cli(['logs', topologyFile, 'namesrv-1', '--json'])).stdout);
    expect(json).toMatchObject({ node: 'namesrv-1', host: 'local' });
    expect(json.log).toMatch(/listening/i);
  });

  it('unknown nodes and hosts are usage errors (exit 2) naming what exists', async () => {
    const r = await cli(['stop', topologyFile, '--node', 'broker-z-0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no node named broker-z-0 (nodes: namesrv-1, broker-a-0)');
    const l = await cli(['logs', topologyFile, 'nope']);
    expect(l.code).toBe(2);
  });

  it('rollback switches to the previous release and restarts', async () => {
    const r = await cli(['rollback', topologyFile, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).hosts).toEqual([{ host: 'local', from: runtimeRelease('ops-2').id, to: runtimeRelease('ops-1').id }]);
    expect(readFileSync(path.join(model.hosts[0]!.layout.currentLink, 'rmqd.js')).equals(runtimeRelease('ops-1').content)).toBe(true);
    expect(await active()).toEqual({ 'namesrv-1': true, 'broker-a-0': true });
  });

  it('destroy refuses without --yes when not interactive; with --yes stops everything and keeps data unless --purge', async () => {
    const refused = await cli(['destroy', topologyFile]);
    expect(refused.code).toBe(2);
    // (oclif wraps long error lines: join them back)
    expect(refused.stderr.replace(/\s*\n ›\s+/g, ' ')).toMatch(/refusing to destroy cluster ops: 2 node\(s\) on local \(data kept\) without --yes/);
    expect(await active()).toEqual({ 'namesrv-1': true, 'broker-a-0': true });
    const r = await cli(['destroy', topologyFile, '--yes']);
    expect(r.code).toBe(0);
    expect(await active()).toEqual({ 'namesrv-1': false, 'broker-a-0': false });
    const store = model.nodes[1]!.storeDir;
    expect(existsSync(store)).toBe(true);
    expect(existsSync(model.nodes[1]!.configPath)).toBe(false);
    expect((await cli(['destroy', topologyFile, '--yes', '--purge'])).code).toBe(0);
    expect(existsSync(store)).toBe(false);
    // the local target's state directory is the cluster's own: nothing of it is left behind
    expect(readdirSync(stateDir)).toEqual([]);
  });
});
