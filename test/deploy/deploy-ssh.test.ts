import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployCluster } from '../../src/deploy/executor.js';
import { nodeStates } from '../../src/deploy/operations.js';
import { PreflightError } from '../../src/deploy/preflight.js';
import { ClusterTargets } from '../../src/deploy/targets/open.js';
import type { ClusterModel } from '../../src/topology/index.js';
import { testHosts } from '../support/hosts.js';
import { labHostsYaml, labModel, renderedWith } from '../support/lab-topology.js';
import { standInRelease } from '../support/stand-in-runtime.js';

// The executor over SSH onto real systemd hosts: 2m-2s-sync over 3 hosts, the real rendered
// configs and units (templates/), and the stand-in runtime until the broker runtime exists.
const lab = testHosts({ count: 3, mode: 'nspawn' });

let model: ClusterModel;
let extra: Record<string, string> = {};

describe.skipIf(lab.skipReason)('deploy over SSH onto systemd hosts', () => {
  let targets: ClusterTargets;
  const release = standInRelease('ssh-1');
  const deploy = (t = targets) => deployCluster(model, t, { release, files: renderedWith(() => model, release, () => extra), preflight: { minFreeBytes: 1024 * 1024 } });
  const startIds = async () => Object.fromEntries((await nodeStates(model, targets, model.nodes)).map((s) => [s.node, s.status.startId]));

  beforeAll(() => {
    const [h1, h2, h3] = lab.hosts.map((h) => h.name);
    model = labModel(`cluster: e2e
mode: 2m-2s-sync
hosts:
${labHostsYaml(lab.hosts)}
nameservers:
  - {host: ${h1}, port: 9876}
  - {host: ${h2}, port: 9876}
brokers:
  - name: broker-a
    master: {host: ${h1}, port: 10911}
    slaves: [{host: ${h2}, port: 10911}]
  - name: broker-b
    master: {host: ${h3}, port: 10911}
    slaves: [{host: ${h1}, port: 10921}]
`);
    targets = new ClusterTargets(model, { agent: false });
  });
  afterAll(() => targets?.close());

  it('first deploy: every node started in order and healthy, as the service user, with the contract layout', async () => {
    const r = await deploy();
    expect(r.nodes.map((n) => `${n.node}:${n.action}`).sort()).toEqual(model.nodes.map((n) => `${n.id}:start`).sort());
    const h1 = lab.hosts[0]!;
    expect((await h1.run('stat -c "%a %U:%G" /etc/rmqctl/e2e /etc/rmqctl/e2e/broker-a-0.properties /var/lib/rmqctl/e2e/broker-a-0')).trim().split('\n')).toEqual(['750 root:rmq', '640 root:rmq', '750 rmq:rmq']);
    expect((await h1.run('systemctl is-enabled rmq-e2e-broker-a-0.service rmq-e2e-namesrv-1.service')).trim().split('\n')).toEqual(['enabled', 'enabled']);
    expect((await h1.run('ps -o user= -p $(systemctl show -p MainPID --value rmq-e2e-broker-a-0.service)')).trim()).toBe('rmq');
    expect((await h1.run('readlink /opt/rmqctl/current /opt/rmqctl/bin/node')).trim().split('\n')).toEqual([`/opt/rmqctl/releases/${release.id}`, '/usr/local/bin/node']);
  });

  it('redeploy without changes: nothing written, nothing restarted', async () => {
    const before = await startIds();
    const r = await deploy();
    expect(r.hosts.every((h) => !h.releaseChanged && h.filesWritten.length === 0)).toBe(true);
    expect(r.nodes.every((n) => n.action === 'unchanged')).toBe(true);
    expect(await startIds()).toEqual(before);
  });

  it('one group changed: only its nodes restart, slave before master', async () => {
    const before = await startIds();
    extra = { 'broker-b-0': 'tag=b\n', 'broker-b-1': 'tag=b\n' };
    const r = await deploy();
    expect(r.nodes.filter((n) => n.action === 'restart').map((n) => n.node)).toEqual(['broker-b-1', 'broker-b-0']);
    const after = await startIds();
    for (const n of model.nodes) expect(after[n.id] === before[n.id]).toBe(!n.id.startsWith('broker-b'));
  });

  it('a host whose sshd is down stops the deploy in pre-flight: nothing changes anywhere; a rerun after the fix converges', async () => {
    const h3 = lab.hosts[2]!;
    const before = await startIds();
    extra = { ...extra, 'broker-a-0': 'tag=a\n' };
    await h3.sshd('stop');
    const fresh = new ClusterTargets(model, { agent: false });
    try {
      const err = await deploy(fresh).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PreflightError);
      expect((err as Error).message).toContain(`${h3.name}: connect: root@${h3.address}:22: connection refused`);
      expect(await lab.hosts[0]!.run('cat /etc/rmqctl/e2e/broker-a-0.properties')).not.toContain('tag=a');
      expect(await startIds()).toEqual(before);
    } finally {
      await fresh.close();
      await h3.sshd('start');
    }
    const again = new ClusterTargets(model, { agent: false });
    try {
      const r = await deploy(again);
      expect(r.nodes.filter((n) => n.action === 'restart').map((n) => n.node)).toEqual(['broker-a-0']);
    } finally {
      await again.close();
    }
  });
});
