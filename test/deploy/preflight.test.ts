import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertPreflight, parseSsListeners, preflight, PreflightError } from '../../src/deploy/preflight.js';
import { ClusterTargets } from '../../src/deploy/targets/open.js';
import type { ClusterModel } from '../../src/topology/index.js';
import { testHosts } from '../support/hosts.js';
import { labHostsYaml, labModel } from '../support/lab-topology.js';

const lab = testHosts({ count: 2, mode: 'nspawn' });

describe('ss parsing', () => {
  it('reads ports and owners from `ss -Htlnp` (iproute2 6.1, Debian 12)', () => {
    const text = [
      'LISTEN 0      511          0.0.0.0:9876       0.0.0.0:*    users:(("node",pid=812,fd=19))',
      'LISTEN 0      128             [::]:22            [::]:*    users:(("sshd",pid=77,fd=4),("sshd",pid=78,fd=4))',
      'LISTEN 0      4096   127.0.0.53%lo:53         0.0.0.0:*',
    ].join('\n');
    expect(parseSsListeners(text)).toEqual([
      { port: 9876, pids: [812], process: 'node' },
      { port: 22, pids: [77, 78], process: 'sshd' },
      { port: 53, pids: [] },
    ]);
  });
});

describe.skipIf(lab.skipReason)('pre-flight against real hosts', () => {
  let model: ClusterModel;
  let targets: ClusterTargets;
  beforeAll(async () => {
    const [h1, h2] = lab.hosts;
    model = labModel(`cluster: pf
mode: multi-master
hosts:
${labHostsYaml(lab.hosts)}
nameservers:
  - {host: ${h1!.name}, port: 9876}
brokers:
  - name: broker-a
    master: {host: ${h1!.name}, port: 10911}
  - name: broker-b
    master: {host: ${h2!.name}, port: 10911}
`);
    targets = new ClusterTargets(model, { agent: false });
    // h1: a stranger holds the NameServer port; broker-a-0's own unit holds its port (that is fine)
    await h1!.run(`systemd-run --unit=stranger /usr/local/bin/node -e "require('net').createServer().listen(9876)"`);
    await h1!.run(`systemd-run --unit=rmq-pf-broker-a-0 /usr/local/bin/node -e "require('net').createServer().listen(10911)"`);
    await h1!.run('for i in $(seq 100); do ss -Htln | grep -q ":10911 " && ss -Htln | grep -q ":9876 " && exit 0; sleep 0.1; done; exit 1');
  });
  afterAll(() => targets?.close());

  const open = (name: string) => targets.get(name);

  it('a healthy set of hosts passes, and the facts are right', async () => {
    const report = await preflight(model, (h) => open(h.name), { minFreeBytes: 1024 * 1024 });
    // only the stranger on 9876 is a problem; broker-a-0 holding 10911 is its own unit
    expect(report.problems).toEqual([{ host: lab.hosts[0]!.name, check: 'port', message: expect.stringMatching(/^port 9876 \(namesrv-1 listen\) is in use by node pid \d+$/) }]);
    for (const f of report.facts) {
      expect(f).toMatchObject({ os: 'Linux', node: process.version });
      expect(Math.abs(f.clockSkewMs!)).toBeLessThan(2_000);
    }
  });

  it('reports every problem of every host at once, before anything changes', async () => {
    const [h1, h2] = lab.hosts;
    await h2!.sshd('stop');
    try {
      const before = await h1!.run('find /opt /etc/rmqctl /var/lib/rmqctl 2>/dev/null | sort');
      // fresh connections: the ones of the test above would still be open
      const fresh = new ClusterTargets(model, { agent: false });
      const report = await preflight(model, (h) => fresh.get(h.name), { minFreeBytes: 1024 ** 5 }).finally(() => fresh.close());
      const lines = report.problems.map((p) => `${p.host} ${p.check}`);
      expect(lines).toEqual([`${h1!.name} disk`, `${h1!.name} port`, `${h2!.name} connect`]);
      expect(report.problems[0]!.message).toMatch(/^\d+ MiB free for \/var\/lib\/rmqctl\/pf, need at least 1073741824 MiB$/);
      expect(report.problems[2]!.message).toBe(`root@${h2!.address}:22: connection refused: sshd is not running or not listening on that port`);
      const err = (() => {
        try {
          assertPreflight(report);
        } catch (e) {
          return e as PreflightError;
        }
      })();
      expect(err).toBeInstanceOf(PreflightError);
      expect(err!.message.split('\n')[0]).toBe('pre-flight found 3 problems; nothing was changed:');
      expect(await h1!.run('find /opt /etc/rmqctl /var/lib/rmqctl 2>/dev/null | sort')).toBe(before);
    } finally {
      await h2!.sshd('start');
    }
  });
});
