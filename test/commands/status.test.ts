/**
 * `rmqctl status`, `rmqctl topic route`, `rmqctl topic list` as real processes against real
 * `rmqd namesrv` processes, with fake brokers registered over sockets.
 */
import { describe, expect, it } from 'vitest';
import { brokerNodes, type HealthReport } from '../../src/ops/health/index.js';
import { startCluster } from '../support/cluster.js';
import { clientsFor, createTopic } from '../support/clients.js';
import { canMountTmpfs, smallFs } from '../support/tmpfs.js';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { waitFor } from '../support/wait.js';
import { topicConfig } from '../../src/protocol/topic-config.js';
import { rmqctl } from '../support/cli.js';
import { FakeBroker, startNamesrvProcess } from '../support/namesrv.js';
import { freeBrokerPort, freePort } from '../support/ports.js';

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

describe('rmqctl status (the one health judge)', () => {
  it('finding 1, without a topology: healthy at first; a master kill -9’d → exit 1, named with what to run; a NameServer down → exit 1', async () => {
    const c = await startCluster({
      namesrvs: 2,
      brokers: [{ name: 'broker-a', properties: { brokerRole: 'SYNC_MASTER' } }, { name: 'broker-a', id: 1 }, { name: 'broker-b' }],
    });
    let last = '';
    await waitFor(async () => {
      const r = await rmqctl(['status', '--namesrv', c.namesrvAddr]);
      last = r.stdout;
      return r.code === 0 ? true : undefined;
    }, { what: 'a healthy status', timeout: 20_000 }).catch((e: Error) => {
      throw new Error(`${e.message}\n${last}`);
    });
    const ok = await rmqctl(['status', '--namesrv', c.namesrvAddr, '--json']);
    expect(ok.code, ok.stdout).toBe(0);
    const before = JSON.parse(ok.stdout) as HealthReport;
    expect(before.healthy).toBe(true);
    expect(before.clusters[0]?.groups.map((g) => [g.brokerName, g.nodes.map((n) => [n.id, n.role, n.state, n.knownBy.length])])).toEqual([
      ['broker-a', [['broker-a-0', 'master', 'up', 2], ['broker-a-1', 'slave', 'up', 2]]],
      ['broker-b', [['broker-b-0', 'master', 'up', 2]]],
    ]);

    await c.node('broker-a-0').kill9();
    const text = await rmqctl(['status', '--namesrv', c.namesrvAddr]);
    expect(text.code).toBe(1);
    expect(text.stdout).not.toMatch(/Status: healthy/);
    expect(text.stdout).toMatch(/Status: UNHEALTHY/);
    // before the NameServers drop it: it does not answer; after: its group has no master. Either way what to run is said.
    expect(text.stdout).toMatch(/broker-a-0 \(master\) does not answer at 127\.0\.0\.1:\d+|broker-a has no master registered: .*`rmqctl start <topology> --node broker-a-0`/);
    await waitFor(async () => ((JSON.parse((await rmqctl(['status', '--namesrv', c.namesrvAddr, '--json'])).stdout) as HealthReport).problems.some((p) => p.startsWith('broker-a has no master registered')) ? true : undefined), { what: 'the group without its master', timeout: 20_000 });

    const ns2 = c.namesrvs[1]!;
    await ns2.kill9();
    const degraded = await rmqctl(['status', '--namesrv', c.namesrvAddr, '--json']);
    expect(degraded.code).toBe(1);
    const after = JSON.parse(degraded.stdout) as HealthReport;
    expect(after.nameservers.map((n) => [n.addr, n.reachable, n.healthy])).toEqual([
      [c.namesrvs[0]!.addr, true, true],
      [ns2.addr, false, false],
    ]);
    expect(after.problems).toContainEqual(expect.stringMatching(new RegExp(`^NameServer ${ns2.addr} does not answer at ${ns2.addr}: cannot connect`)));
  });

  it.skipIf(!canMountTmpfs)('finding 2: a master that refuses every write (store disk over diskSpaceWarningLevelRatio) is unhealthy, with the broker’s own reason; healthy again once space is freed', async () => {
    const fs = smallFs(64 * 1024 * 1024);
    const c = await startCluster({ brokers: [{ name: 'broker-a', properties: { storePathCommitLog: path.join(fs.dir, 'commitlog') } }] });
    expect((await rmqctl(['status', '--namesrv', c.namesrvAddr])).code).toBe(0);
    const ballast = fs.fill(95);
    const bad = await waitFor(async () => {
      const r = await rmqctl(['status', '--namesrv', c.namesrvAddr, '--json']);
      return r.code === 1 ? (JSON.parse(r.stdout) as HealthReport) : undefined;
    }, { what: 'status to see the refusing master', timeout: 15_000 });
    expect(bad.problems).toEqual([expect.stringMatching(/^broker-a-0 \(master\) refuses writes: disk 9\d\.\d% used > diskSpaceWarningLevelRatio 90% on .*commitlog.* — free disk space in .*commitlog/)]);
    expect(brokerNodes(bad)[0]).toMatchObject({ state: 'UNHEALTHY', writable: false });
    rmSync(ballast);
    await waitFor(async () => ((await rmqctl(['status', '--namesrv', c.namesrvAddr])).code === 0 ? true : undefined), { what: 'status healthy again', timeout: 15_000 });
  });

  it('finding 3: a SYNC slave gone silent (SIGSTOP) under sends makes status exit 1 within seconds, naming why; healthy again after SIGCONT', async () => {
    const c = await startCluster({ brokers: [{ name: 'broker-a', properties: { brokerRole: 'SYNC_MASTER' } }, { name: 'broker-a', id: 1 }] });
    const cl = clientsFor(c);
    await createTopic(cl, c, c.broker('broker-a').addr, 'Silent', 2);
    const p = cl.producer({ sendTimeoutMillis: 1_000, retryTimesWhenSendFailed: 0 });
    for (let i = 0; i < 5; i++) expect((await p.send({ topic: 'Silent', body: `m${i}` })).sendStatus).toBe('SEND_OK');
    await waitFor(async () => ((await rmqctl(['status', '--namesrv', c.namesrvAddr])).code === 0 ? true : undefined), { what: 'a healthy status', timeout: 15_000 });

    const slave = c.broker('broker-a', 1);
    process.kill(slave.pid!, 'SIGSTOP');
    const stop = { done: false };
    const sending = (async () => {
      while (!stop.done) await p.send({ topic: 'Silent', body: 'x' }).catch(() => undefined);
    })();
    try {
      const stopped = Date.now();
      let first: number | undefined;
      let last = '';
      const bad = await waitFor(async () => {
        const r = await rmqctl(['status', '--namesrv', c.namesrvAddr, '--json', '--timeout', '1000']);
        last = r.stdout;
        if (r.code === 1) first ??= Date.now();
        const report = JSON.parse(r.stdout) as HealthReport;
        return report.problems.some((x) => x.startsWith('broker-a-0 (master) is a SYNC_MASTER')) ? report : undefined;
      }, { what: 'status to see the silent slave', timeout: 20_000 }).catch((e: Error) => {
        throw new Error(`${e.message}\n${last}`);
      });
      console.log(`finding 3: status exit 1 ${(((first ?? Date.now()) - stopped) / 1000).toFixed(1)} s after the SYNC slave was stopped; the master's refusal named after ${((Date.now() - stopped) / 1000).toFixed(1)} s`);
      expect(bad.problems).toContainEqual(expect.stringMatching(/^broker-a-0 \(master\) is a SYNC_MASTER with 0 slave\(s\) its sends can wait for \(needs 1\) \(.*(no report from the slave|acknowledged nothing new)/));
    } finally {
      stop.done = true;
      process.kill(slave.pid!, 'SIGCONT');
      await sending;
    }
    await waitFor(async () => ((await rmqctl(['status', '--namesrv', c.namesrvAddr])).code === 0 ? true : undefined), { what: 'status healthy again', timeout: 20_000 });
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
