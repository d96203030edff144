/**
 * `rmqctl status`, `rmqctl topic route`, `rmqctl topic list` as real processes against real
 * `rmqd namesrv` processes, with fake brokers registered over sockets.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StatusReport } from '../../src/ops/status/cluster-status.js';
import { topicConfig } from '../../src/protocol/topic-config.js';
import { rmqctl } from '../support/cli.js';
import { FakeBroker, startNamesrvProcess } from '../support/namesrv.js';
import { freeBrokerPort, freePort } from '../support/ports.js';
import { tmpDir } from '../support/tmp.js';

async function twoNameServersWithCluster() {
  const [ns1, ns2] = await Promise.all([startNamesrvProcess(), startNamesrvProcess()]);
  const ports = { a0: await freeBrokerPort(), a1: await freeBrokerPort(), b0: await freeBrokerPort() };
  const cluster = 'StatusCluster';
  const topics = [topicConfig('Orders', { readQueueNums: 4, writeQueueNums: 4 })];
  const a0 = new FakeBroker({ cluster, brokerName: 'broker-a', brokerId: 0, brokerAddr: `127.0.0.1:${ports.a0}`, topics });
  const a1 = new FakeBroker({ cluster, brokerName: 'broker-a', brokerId: 1, brokerAddr: `127.0.0.1:${ports.a1}`, topics });
  const b0 = new FakeBroker({ cluster, brokerName: 'broker-b', brokerId: 0, brokerAddr: `127.0.0.1:${ports.b0}`, topics });
  for (const ns of [ns1, ns2]) await Promise.all([a0.register(ns.addr), a1.register(ns.addr)]);
  return { ns1, ns2, ports, cluster, b0, namesrv: `${ns1.addr};${ns2.addr}` };
}

function writeTopology(dir: string, c: Awaited<ReturnType<typeof twoNameServersWithCluster>>): string {
  const file = path.join(dir, 'cluster.yaml');
  writeFileSync(
    file,
    [
      `cluster: ${c.cluster}`,
      'mode: { masters: 2, slavesPerMaster: 0, replication: async }',
      'hosts:',
      '  - name: local',
      '    transport: local',
      'nameservers:',
      `  - { host: local, port: ${c.ns1.port} }`,
      `  - { host: local, port: ${c.ns2.port} }`,
      'brokers:',
      '  - name: broker-a',
      `    master: { host: local, port: ${c.ports.a0} }`,
      '  - name: broker-b',
      `    master: { host: local, port: ${c.ports.b0} }`,
    ].join('\n'),
  );
  return file;
}

describe('rmqctl status', () => {
  it('with two NameServers: all up and the full cluster; then one killed: reported down, cluster still shown from the other', async () => {
    const c = await twoNameServersWithCluster();
    await Promise.all([c.b0.register(c.ns1.addr), c.b0.register(c.ns2.addr)]);

    const healthy = await rmqctl(['status', '--namesrv', c.namesrv, '--json']);
    expect(healthy.stderr).toBe('');
    expect(healthy.code).toBe(0);
    const before = JSON.parse(healthy.stdout) as StatusReport;
    expect(before.healthy).toBe(true);
    expect(before.nameservers.map((n) => n.reachable)).toEqual([true, true]);
    expect(before.clusters).toHaveLength(1);
    expect(before.clusters[0]?.groups.map((g) => [g.brokerName, g.nodes.map((n) => [n.id, n.role, n.knownBy.length])])).toEqual([
      ['broker-a', [['broker-a-0', 'master', 2], ['broker-a-1', 'slave', 2]]],
      ['broker-b', [['broker-b-0', 'master', 2]]],
    ]);
    expect(before.clusters[0]?.groups[0]?.nodes[0]?.lastRegistrationAgeMillis).toBeGreaterThanOrEqual(0);

    c.ns2.kill('SIGKILL');
    await c.ns2.exited;

    const degraded = await rmqctl(['status', '--namesrv', c.namesrv, '--json']);
    expect(degraded.code).toBe(1);
    const after = JSON.parse(degraded.stdout) as StatusReport;
    expect(after.healthy).toBe(false);
    expect(after.nameservers.map((n) => [n.addr, n.reachable])).toEqual([
      [c.ns1.addr, true],
      [c.ns2.addr, false],
    ]);
    expect(after.problems).toEqual([expect.stringMatching(new RegExp(`NameServer ${c.ns2.addr} is down: cannot connect`))]);
    expect(after.clusters[0]?.groups.flatMap((g) => g.nodes.map((n) => [n.id, n.addr, n.knownBy]))).toEqual([
      ['broker-a-0', `127.0.0.1:${c.ports.a0}`, [c.ns1.addr]],
      ['broker-a-1', `127.0.0.1:${c.ports.a1}`, [c.ns1.addr]],
      ['broker-b-0', `127.0.0.1:${c.ports.b0}`, [c.ns1.addr]],
    ]);

    const human = await rmqctl(['status', '--namesrv', c.namesrv]);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(new RegExp(`${c.ns2.addr.replace('.', '\\.')}\\s+DOWN`));
    expect(human.stdout).toMatch(/broker-a-1\s+slave\s+127\.0\.0\.1:\d+\s+up\s+registered .* ago/);
    expect(human.stdout).toMatch(/Status: UNHEALTHY \(1 problem\)/);
  });

  it('with a topology: marks the nodes it expects that no NameServer knows', async () => {
    const c = await twoNameServersWithCluster();
    const dir = tmpDir();
    const topology = writeTopology(dir, c);

    const missing = await rmqctl(['status', topology, '--state-dir', dir, '--json']);
    expect(missing.code).toBe(1);
    const report = JSON.parse(missing.stdout) as StatusReport;
    expect(report.nameservers.map((n) => n.id)).toEqual(['namesrv-1', 'namesrv-2']);
    const nodes = report.clusters[0]?.groups.flatMap((g) => g.nodes) ?? [];
    expect(nodes.find((n) => n.id === 'broker-b-0')).toMatchObject({ missing: true, expected: true, expectedAddr: `127.0.0.1:${c.ports.b0}`, knownBy: [] });
    expect(report.problems).toEqual([`broker-b-0 (127.0.0.1:${c.ports.b0}) is not registered with any reachable NameServer`]);
    // The slave is registered but the topology does not list it: a warning, not a failure.
    expect(report.warnings).toContain(`broker-a-1 (127.0.0.1:${c.ports.a1}) is registered but not in the topology`);

    const human = await rmqctl(['status', topology, '--state-dir', dir]);
    expect(human.stdout).toMatch(/broker-b-0\s+master\s+127\.0\.0\.1:\d+\s+MISSING/);

    await Promise.all([c.b0.register(c.ns1.addr), c.b0.register(c.ns2.addr)]);
    const ok = await rmqctl(['status', topology, '--state-dir', dir, '--json']);
    expect(ok.code).toBe(0);
    expect((JSON.parse(ok.stdout) as StatusReport).healthy).toBe(true);
  });

  it('rejects a malformed --namesrv, and no NameServer at all, as usage errors (exit 2)', async () => {
    const bad = await rmqctl(['status', '--namesrv', '127.0.0.1:99999']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/port must be 1-65535/);
    const none = await rmqctl(['status'], { env: { NAMESRV_ADDR: '' } });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no NameServer given/);
  });
});

describe('rmqctl topic', () => {
  it('route: the queues and brokers of a topic; exit 1 for an unknown topic', async () => {
    const c = await twoNameServersWithCluster();
    const json = await rmqctl(['topic', 'route', 'Orders', '--namesrv', c.namesrv, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      topic: 'Orders',
      route: { queueDatas: [{ brokerName: 'broker-a', readQueueNums: 4, writeQueueNums: 4, perm: 6 }], brokerDatas: [{ brokerName: 'broker-a', cluster: c.cluster }] },
    });
    const human = await rmqctl(['topic', 'route', 'Orders', '--namesrv', c.namesrv]);
    expect(human.stdout).toMatch(/broker-a\s+StatusCluster\s+4\s+4\s+RW-\s+master 127\.0\.0\.1:\d+, slave 1 127\.0\.0\.1:\d+/);
    const unknown = await rmqctl(['topic', 'route', 'Nope', '--namesrv', c.namesrv]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/topic Nope has no route/);
  });

  it('route: exit 1 with every NameServer named when none answers', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const allDown = await rmqctl(['topic', 'route', 'Orders', '--namesrv', dead]);
    expect(allDown.code).toBe(1);
    expect(allDown.stderr).toMatch(new RegExp(`no NameServer answered: ${dead.replace(/\./g, '\\.')} \\(cannot connect`));
  });

  it('list: every topic, or one cluster’s', async () => {
    const c = await twoNameServersWithCluster();
    const all = await rmqctl(['topic', 'list', '--namesrv', c.namesrv, '--json']);
    expect(all.code).toBe(0);
    expect((JSON.parse(all.stdout) as { topics: string[] }).topics).toContain('Orders');
    const human = await rmqctl(['topic', 'list', '--namesrv', c.namesrv, '--cluster', 'StatusCluster']);
    expect(human.stdout.split('\n')).toContain('Orders');
    const other = await rmqctl(['topic', 'list', '--namesrv', c.namesrv, '--cluster', 'Other', '--json']);
    expect(JSON.parse(other.stdout)).toEqual({ topics: [] });
  });
});
