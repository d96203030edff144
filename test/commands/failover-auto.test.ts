/**
 * Issue #17, `failover: auto` through rmqctl on the local target: deploy provisions a 3-member etcd
 * (a local `etcd`) and health-gates it, the brokers elect their masters, `status` shows per group
 * the epoch, the lease holder and its age, the in-sync members and the last failover; a master
 * killed with -9 is replaced by its in-sync slave (status names the new holder, epoch 2, the
 * failover and its loss figure); `start` brings the old master back as a slave; `plan` shows no
 * change; `rmqctl failover` refuses (the election decides); destroy --purge stops etcd too.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destroyCluster } from '../../src/deploy/operations.js';
import { ClusterTargets } from '../../src/deploy/targets/open.js';
import type { ClusterModel } from '../../src/topology/index.js';
import { rmqctl } from '../support/cli.js';
import { etcdSkipReason } from '../support/etcd.js';
import { labModel } from '../support/lab-topology.js';
import { freeBrokerPort, freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';

const skip = etcdSkipReason();
let dir: string;
let stateDir: string;
let topologyFile: string;
let model: ClusterModel;
const cli = (args: string[], timeout = 180_000) => rmqctl([...args, '--state-dir', stateDir], { timeout });

interface StatusJson {
  healthy: boolean;
  failover?: { etcd: { healthy: boolean }[]; groups: { group: string; epoch: number; leader?: { node: string }; leaderForMillis?: number; inSync: string[]; lastFailover?: { epoch: number; from?: string; to: string; reason: string; replication: string } }[] };
}
const status = async () => JSON.parse((await cli(['status', topologyFile, '--json'])).stdout) as StatusJson;

beforeAll(async () => {
  if (skip) return;
  dir = mkdtempSync(path.join(os.tmpdir(), 'rmqctl-auto-'));
  stateDir = path.join(dir, 'state');
  topologyFile = path.join(dir, 'auto.yaml');
  const member = async () => `{host: local, clientPort: ${await freePort()}, peerPort: ${await freePort()}}`;
  const yaml = `cluster: autofo
mode: 2m-2s-sync
failover:
  mode: auto
  leaseSeconds: 4
  etcd:
    members: [${await member()}, ${await member()}, ${await member()}]
hosts:
  - {name: local, transport: local}
nameservers:
  - {host: local, port: ${await freePort()}}
  - {host: local, port: ${await freePort()}}
brokers:
  - name: broker-a
    master: {host: local, port: ${await freeBrokerPort()}}
    slaves: [{host: local, port: ${await freeBrokerPort()}}]
  - name: broker-b
    master: {host: local, port: ${await freeBrokerPort()}}
    slaves: [{host: local, port: ${await freeBrokerPort()}}]
`;
  writeFileSync(topologyFile, yaml);
  model = labModel(yaml, stateDir);
  const d = await cli(['deploy', topologyFile, '--min-free-disk', '0', '--settle', '0']);
  expect(d.code, d.stderr + d.stdout).toBe(0);
  expect(d.stderr).toMatch(/etcd healthy: 3 member\(s\)/);
}, 180_000);

afterAll(async () => {
  if (skip) return;
  const targets = new ClusterTargets(model);
  await destroyCluster(model, targets, { purge: true }).catch(() => {});
  await targets.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(skip)('failover: auto through rmqctl (local target, local etcd)', () => {
  it('status shows the leases; kill -9 of a master elects its slave; start brings the old master back as slave; plan shows no change', async () => {
    const first = await status();
    expect(first.healthy).toBe(true);
    expect(first.failover?.etcd.every((m) => m.healthy)).toBe(true);
    expect(first.failover?.groups.find((g) => g.group === 'broker-a')).toMatchObject({ epoch: 1, leader: { node: 'broker-a-0' }, inSync: ['broker-a-1'], lastFailover: { reason: 'bootstrap', to: 'broker-a-0' } });

    const pid = Number(readFileSync(path.join(stateDir, 'run', 'rmqctl', 'autofo', 'broker-a-0.pid'), 'utf8'));
    process.kill(pid, 'SIGKILL');
    const killed = Date.now();
    const after = await waitFor(async () => {
      const s = await status();
      return s.failover?.groups.find((g) => g.group === 'broker-a')?.leader?.node === 'broker-a-1' ? s : undefined;
    }, { what: 'broker-a-1 elected', timeout: 30_000, interval: 200 });
    console.log(`kill -9 → broker-a-1 holds the lease (seen by status): ${Date.now() - killed} ms`);
    expect(after.failover?.groups.find((g) => g.group === 'broker-a')).toMatchObject({ epoch: 2, lastFailover: { epoch: 2, from: 'broker-a-0', to: 'broker-a-1', reason: 'lease-expired', replication: 'sync' } });

    const refused = await cli(['failover', topologyFile, 'broker-a', '--yes']);
    expect(refused.code).toBe(2);
    expect(refused.stderr.replace(/\s*\n\s*›\s*/g, ' ')).toMatch(/failover: auto — its groups elect their masters through etcd/);

    const start = await cli(['start', topologyFile, '--node', 'broker-a-0']);
    expect(start.code, start.stderr + start.stdout).toBe(0);
    const healed = await waitFor(async () => {
      const s = await status();
      return s.healthy ? s : undefined;
    }, { what: 'healthy again', timeout: 30_000, interval: 500 });
    expect(healed.failover?.groups.find((g) => g.group === 'broker-a')).toMatchObject({ leader: { node: 'broker-a-1' }, inSync: ['broker-a-0'] });
    const plan = await cli(['plan', topologyFile, '--json']);
    const planned = JSON.parse(plan.stdout) as { changed: boolean; actions: unknown[] };
    expect(planned.changed, JSON.stringify(planned.actions)).toBe(false);

    const destroy = await cli(['destroy', topologyFile, '--yes', '--purge']);
    expect(destroy.code, destroy.stderr).toBe(0);
    expect(existsSync(path.join(stateDir, 'etcd'))).toBe(false);
    for (const m of model.failover.etcd) expect(await fetch(`${m.clientUrl}/health`).then(() => 'answers', () => 'gone')).toBe('gone');
  }, 240_000);
});
