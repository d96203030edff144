/**
 * `rmqctl status` on a real SYNC master/slave pair: the replication columns (role, log end, slaves
 * in sync, the slave's HA state, master and lag), the SYNC_MASTER-without-slave problem after the
 * slave is killed (exit 1), and `--watch --json` printing one report per interval until SIGINT.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HealthReport } from '../../../src/ops/health/index.js';
import { repoRoot, rmqctl } from '../../support/cli.js';
import { startCluster } from '../../support/cluster.js';
import { clientsFor, createTopic } from '../../support/clients.js';
import { waitFor } from '../../support/wait.js';

const nodesOf = (r: HealthReport) => r.clusters.flatMap((c) => c.groups.flatMap((g) => g.nodes));

describe('rmqctl status with replication', () => {
  it('shows roles, log ends, the slave in sync with lag 0; a killed slave makes the SYNC_MASTER a problem; --watch repeats', async () => {
    const c = await startCluster({
      brokers: [
        { name: 'broker-a', properties: { brokerRole: 'SYNC_MASTER' } },
        { name: 'broker-a', id: 1 },
      ],
    });
    const cl = clientsFor(c);
    const [master, slave] = [c.broker('broker-a'), c.broker('broker-a', 1)];
    await createTopic(cl, c, master.addr, 'St', 2);
    const p = cl.producer();
    for (let i = 0; i < 20; i++) expect((await p.send({ topic: 'St', body: `m${i}` })).sendStatus).toBe('SEND_OK');
    const end = (await cl.brokers.haStatus(master.addr)).masterCommitLogMaxOffset;
    await waitFor(async () => (await cl.brokers.haStatus(master.addr)).haConnectionInfo[0]?.slaveAckOffset === end, { what: 'the slave to acknowledge' });

    const ok = await rmqctl(['status', '--namesrv', c.namesrvAddr, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    const report = JSON.parse(ok.stdout) as HealthReport;
    expect(report.healthy).toBe(true);
    const [m, s] = nodesOf(report);
    expect(m).toMatchObject({ id: 'broker-a-0', replication: { brokerRole: 'SYNC_MASTER', commitLogMaxOffset: end, haState: 'serving', slavesConnected: 1, slavesInSync: 1, acksNeeded: 1 } });
    expect(s).toMatchObject({ id: 'broker-a-1', replication: { brokerRole: 'SLAVE', commitLogMaxOffset: end, haState: 'replicating', lagBytes: 0, lagMillis: 0, inSync: true } });
    expect(s?.replication?.masterHaAddr).toBe(`127.0.0.1:${master.port + 1}`);

    const text = await rmqctl(['status', '--namesrv', c.namesrvAddr]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/broker-a-0 .*SYNC_MASTER, log [\d.]+ KiB, slaves in sync 1\/1 \(sends wait for 1\)/);
    expect(text.stdout).toMatch(new RegExp(`broker-a-1 .*SLAVE, log [\\d.]+ KiB, HA replicating from 127\\.0\\.0\\.1:${master.port + 1}, lag 0 B / 0 ms`));

    await slave.kill9();
    await waitFor(async () => (await cl.brokers.haStatus(master.addr)).haConnectionInfo.length === 0, { what: 'the master to notice' });
    const bad = await rmqctl(['status', '--namesrv', c.namesrvAddr, '--json']);
    expect(bad.code).toBe(1);
    const after = JSON.parse(bad.stdout) as HealthReport;
    expect(after.problems).toContainEqual(expect.stringMatching(/^broker-a-0 \(master\) is a SYNC_MASTER with 0 slave\(s\) its sends can wait for \(needs 1\) \(no slave connected\): sends to broker-a answer SLAVE_NOT_AVAILABLE or time out/));

    // --watch --json: one report per line until SIGINT, then exit 0
    const watch = spawn(process.execPath, [path.join(repoRoot, 'bin', 'rmqctl'), 'status', '--namesrv', c.namesrvAddr, '--json', '--watch', '--interval', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => watch.once('exit', (code) => resolve(code)));
    let out = '';
    watch.stdout.on('data', (b: Buffer) => (out += b.toString()));
    try {
      const lines = await waitFor(() => { const l = out.split('\n').filter((x) => x !== ''); return l.length >= 2 ? l : undefined; }, { timeout: 15_000, what: 'two watch reports' });
      for (const l of lines) expect(JSON.parse(l)).toMatchObject({ at: expect.any(String), healthy: false });
      watch.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      if (watch.exitCode === null) watch.kill('SIGKILL');
    }
  });
});
