import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemdSupervisor, parseShow } from '../../../src/deploy/supervisors/systemd.js';
import { SupervisorError, type SupervisedNode } from '../../../src/deploy/supervisors/supervisor.js';
import { SshTarget } from '../../../src/deploy/targets/ssh.js';
import { SshPool } from '../../../src/deploy/transport/pool.js';
import { testHosts } from '../../support/hosts.js';
import { waitFor } from '../../support/wait.js';

const lab = testHosts({ count: 1, mode: 'nspawn' });

const node = (id: string): SupervisedNode => ({
  id,
  unitName: `rmq-t-${id}.service`,
  unitPath: `/etc/systemd/system/rmq-t-${id}.service`,
  command: ['/usr/local/bin/node', '/opt/rmqt/app.js', `/etc/rmqt/${id}.conf`],
  configPath: `/etc/rmqt/${id}.conf`,
  logPath: '',
  pidPath: '',
});

const unit = (n: SupervisedNode, extra = '') => `[Unit]
Description=rmqctl test ${n.id}
[Service]
ExecStart=${n.command.join(' ')}
${extra}
[Install]
WantedBy=multi-user.target
`;

describe('systemctl show parsing', () => {
  it('reads state, pid, start time and a start id', () => {
    // the shape of `systemctl show --timestamp=us+utc -p …` on systemd 252 (Debian 12)
    const s = parseShow('LoadState=loaded\nActiveState=active\nSubState=running\nMainPID=4242\nActiveEnterTimestamp=Sat 2026-11-28 13:00:01.250000 UTC\nInvocationID=0f1e\nExecMainStartTimestampMonotonic=123\n');
    expect(s).toEqual({ loaded: true, active: true, state: 'active/running', pid: 4242, startedAt: new Date('2026-11-28T13:00:01.250Z'), startId: '0f1e:123' });
    expect(parseShow('LoadState=not-found\nActiveState=inactive\nSubState=dead\nMainPID=0\nActiveEnterTimestamp=\nInvocationID=\n')).toEqual({ loaded: false, active: false, state: 'inactive/dead' });
  });
});

describe.skipIf(lab.skipReason)('systemd supervisor on a real systemd host', () => {
  let pool: SshPool;
  let target: SshTarget;
  let sup: SystemdSupervisor;
  beforeAll(async () => {
    const h = lab.hosts[0]!;
    pool = new SshPool({ knownHostsFile: h.knownHostsFile, agent: false });
    target = await SshTarget.open(h.name, { host: h.address, user: 'root', identityFiles: [h.identityFile] }, pool);
    sup = new SystemdSupervisor(target);
    await target.mkdirp('/opt/rmqt');
    await target.mkdirp('/etc/rmqt');
    await target.writeFileAtomic('/opt/rmqt/app.js', "console.log('hello from', process.argv[2]); process.on('SIGTERM', () => { console.log('bye'); process.exit(0); }); setInterval(() => {}, 1000);\n");
  });
  afterAll(() => pool?.closeAll());

  it('installs, starts, tells a restart from no restart, stops, uninstalls', async () => {
    const h = lab.hosts[0]!;
    const n = node('app-1');
    await target.writeFileAtomic(n.unitPath, unit(n), { mode: 0o644 });
    await sup.install([n]);
    expect((await h.run(`systemctl is-enabled ${n.unitName}`)).trim()).toBe('enabled');
    expect((await sup.status(n)).active).toBe(false);

    await sup.start(n);
    const first = await sup.status(n);
    expect(first).toMatchObject({ active: true, state: 'active/running' });
    expect(first.pid).toBe(Number((await h.run(`systemctl show -p MainPID --value ${n.unitName}`)).trim()));
    expect(Math.abs(first.startedAt!.getTime() - Date.now())).toBeLessThan(60_000);
    await waitFor(async () => (await sup.logs(n, 10)).includes('hello from /etc/rmqt/app-1.conf'), { what: 'the journal line' });

    // no restart: the same start id
    expect((await sup.status(n)).startId).toBe(first.startId);
    await sup.restart(n);
    const second = await sup.status(n);
    expect(second.active).toBe(true);
    expect(second.startId).not.toBe(first.startId);
    expect(second.pid).not.toBe(first.pid);
    expect(second.startedAt!.getTime()).toBeGreaterThanOrEqual(first.startedAt!.getTime());

    await sup.stop(n);
    expect(await sup.status(n)).toMatchObject({ active: false, state: 'inactive/dead' });
    await waitFor(async () => (await sup.logs(n, 10)).includes('bye'), { what: 'the SIGTERM handler line' });
    expect(sup.followCommand(n, 5)).toEqual([
      'journalctl', '--no-pager', '-o', 'short-iso', '-n', '5', '-f',
      `_SYSTEMD_UNIT=${n.unitName}`, '+', `UNIT=${n.unitName}`, '_UID=0', '+', `OBJECT_SYSTEMD_UNIT=${n.unitName}`, '_UID=0', '+', `COREDUMP_UNIT=${n.unitName}`, '_UID=0',
    ]);

    await sup.uninstall(n);
    expect(await target.stat(n.unitPath)).toBeUndefined();
    expect((await sup.status(n)).state).toBe('not-installed');
  });

  it('a unit that cannot start fails with host, node, systemctl output and its last log lines', async () => {
    // the tail explains the failure: the executor child logs the exec error naming the binary and
    // exits at once, so journald often cannot file that line under the unit's cgroup and
    // `journalctl -u` drops it (1 start in 10 on systemd 252); logs() matches the UNIT= field the
    // child stamps. Several starts, each naming its own binary, since one would pass by luck.
    let n = node('app-bad');
    for (let attempt = 1; attempt <= 8; attempt++) {
      n = { ...node('app-bad'), command: [`/opt/rmqt/missing-binary-${attempt}`, 'x'] };
      await target.writeFileAtomic(n.unitPath, unit(n, 'Type=exec'));
      await sup.install([n]);
      const err = await sup.start(n).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(SupervisorError);
      const msg = (err as Error).message;
      expect(msg).toMatch(new RegExp(`^${lab.hosts[0]!.name}: start app-bad failed: Job for rmq-t-app-bad.service failed`));
      expect(msg).toContain('last log lines of app-bad');
      expect(msg.slice(msg.indexOf('last log lines of app-bad')), `start ${attempt}`).toContain(`missing-binary-${attempt}:`);
    }
    await sup.uninstall(n);
  });
});
