import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { ProcessSupervisor } from '../../../src/deploy/supervisors/process.js';
import type { SupervisedNode } from '../../../src/deploy/supervisors/supervisor.js';
import { LocalTarget } from '../../../src/deploy/targets/local.js';
import { SshTarget } from '../../../src/deploy/targets/ssh.js';
import type { Target } from '../../../src/deploy/targets/target.js';
import { SshPool } from '../../../src/deploy/transport/pool.js';
import { testHosts } from '../../support/hosts.js';
import { waitFor } from '../../support/wait.js';

const lab = testHosts({ count: 1, mode: 'netns' });

// a tiny "node": prints its config path, says bye on SIGTERM (unless told to ignore it)
const APP = "console.log('hello from', process.argv[2]); process.on('SIGTERM', () => { if (process.argv[3] === 'stubborn') return; console.log('bye'); process.exit(0); }); setInterval(() => {}, 1000);\n";

function nodeAt(root: string, id: string, extra: string[] = []): SupervisedNode {
  return {
    id,
    unitName: `rmq-t-${id}.service`,
    unitPath: '',
    command: [process.execPath, path.posix.join(root, 'app.js'), path.posix.join(root, `${id}.conf`), ...extra],
    configPath: path.posix.join(root, `${id}.conf`),
    logPath: path.posix.join(root, 'log', `${id}.log`),
    pidPath: path.posix.join(root, 'run', `${id}.pid`),
  };
}

function lifecycle(name: string, setup: () => Promise<{ target: Target; root: string; reconnect?: () => Promise<Target> }>) {
  describe(name, () => {
    let t: Target;
    let root: string;
    let reconnect: (() => Promise<Target>) | undefined;
    const started: { sup: ProcessSupervisor; n: SupervisedNode }[] = [];
    beforeAll(async () => {
      ({ target: t, root, reconnect } = await setup());
      await t.writeFileAtomic(path.posix.join(root, 'app.js'), APP);
    });
    // whatever a failing test left running is stopped
    afterAll(async () => {
      for (const { sup, n } of started) await sup.stop(n).catch(() => {});
    });

    it('start, idempotent start, start-id change on restart, stop; the process outlives the connection', async () => {
      const sup = new ProcessSupervisor(t, { stopTimeoutMs: 5_000 });
      const n = nodeAt(root, 'p-1');
      started.push({ sup, n });
      await sup.install([n]);
      expect(await sup.status(n)).toEqual({ active: false, state: 'stopped' });
      await sup.start(n);
      const first = await sup.status(n);
      expect(first).toMatchObject({ active: true, state: 'running' });
      expect(Math.abs(first.startedAt!.getTime() - Date.now())).toBeLessThan(60_000);
      expect((await t.readFile(n.pidPath))?.toString().trim()).toBe(String(first.pid));
      await waitFor(async () => (await sup.logs(n, 5)).includes(`hello from ${n.configPath}`), { what: 'the log line' });

      await sup.start(n); // already running: nothing happens
      expect((await sup.status(n)).startId).toBe(first.startId);

      if (reconnect) {
        // the SSH session that started it is gone; the process is not
        t = await reconnect();
      }
      const sup2 = new ProcessSupervisor(t, { stopTimeoutMs: 5_000 });
      expect((await sup2.status(n)).startId).toBe(first.startId);
      await sup2.restart(n);
      const second = await sup2.status(n);
      expect(second.active).toBe(true);
      expect(second.startId).not.toBe(first.startId);
      expect(second.pid).not.toBe(first.pid);

      await sup2.stop(n);
      expect(await sup2.status(n)).toEqual({ active: false, state: 'stopped' });
      expect(await t.stat(n.pidPath)).toBeUndefined();
      expect(await sup2.logs(n, 10)).toContain('bye');
      started.length = 0;
    });

    it('a process ignoring SIGTERM is killed after the grace period', async () => {
      const sup = new ProcessSupervisor(t, { stopTimeoutMs: 300 });
      const n = nodeAt(root, 'p-stubborn', ['stubborn']);
      started.push({ sup, n });
      await sup.install([n]);
      await sup.start(n);
      const pid = (await sup.status(n)).pid!;
      await waitFor(async () => (await sup.logs(n, 5)).includes('hello from'), { what: 'the app to set up its handler' });
      await sup.stop(n);
      expect((await sup.status(n)).active).toBe(false);
      // gone, or a zombie waiting for its (re)parent to reap it: either way no longer running
      expect((await t.exec(['sh', '-c', 'test ! -e /proc/$1/stat || grep -q ") Z " /proc/$1/stat', 'sh', String(pid)])).code).toBe(0);
    });

    it('a stale pid file (dead or recycled pid) is reported as such and never signalled; start recovers', async () => {
      const sup = new ProcessSupervisor(t, { stopTimeoutMs: 2_000 });
      const n = nodeAt(root, 'p-stale');
      started.push({ sup, n });
      await sup.install([n]);
      // pid 1 is alive but not ours: it must not be touched
      await t.writeFileAtomic(n.pidPath, '1\n');
      expect(await sup.status(n)).toEqual({ active: false, state: 'stale', pid: 1 });
      await sup.stop(n);
      expect((await t.exec(['test', '-d', '/proc/1'])).code).toBe(0);
      await t.writeFileAtomic(n.pidPath, '1\n');
      await sup.start(n);
      expect((await sup.status(n)).active).toBe(true);
      await sup.stop(n);
    });
  });
}

const localRoot = mkdtempSync(path.join(os.tmpdir(), 'rmqctl-proc-'));
afterAll(() => rmSync(localRoot, { recursive: true, force: true }));
lifecycle('process supervisor, local', async () => ({ target: new LocalTarget(), root: localRoot }));

describe.skipIf(lab.skipReason)('process supervisor over SSH on a host without systemd', () => {
  let pool: SshPool;
  afterAll(() => pool?.closeAll());
  lifecycle('netns host', async () => {
    const h = lab.hosts[0]!;
    const ep = { host: h.address, port: h.port, user: h.user, identityFiles: [h.identityFile] };
    pool = new SshPool({ knownHostsFile: h.knownHostsFile, agent: false });
    const target = await SshTarget.open(h.name, ep, pool);
    const root = '/opt/rmqt';
    await target.mkdirp(root);
    return {
      target,
      root,
      reconnect: async () => {
        await pool.closeAll();
        return SshTarget.open(h.name, ep, pool);
      },
    };
  });

  it('runs the process as the service user when asked', async () => {
    const h = lab.hosts[0]!;
    const target = await SshTarget.open(h.name, { host: h.address, port: h.port, user: h.user, identityFiles: [h.identityFile] }, pool);
    await target.run(['sh', '-c', 'getent passwd rmqt >/dev/null || useradd --system --no-create-home --shell /usr/sbin/nologin rmqt']);
    const root = '/opt/rmqt-user';
    await target.mkdirp(root);
    await target.writeFileAtomic(`${root}/app.js`, APP);
    const sup = new ProcessSupervisor(target, { runAs: 'rmqt', stopTimeoutMs: 5_000 });
    const n = nodeAt(root, 'p-user');
    await sup.install([n]);
    await sup.start(n);
    onTestFinished(() => sup.stop(n));
    const pid = (await sup.status(n)).pid!;
    expect((await target.run(['ps', '-o', 'user=', '-p', String(pid)])).trim()).toBe('rmqt');
    // the service user never needed a login shell
    expect((await target.run(['getent', 'passwd', 'rmqt'])).trim()).toMatch(/:\/usr\/sbin\/nologin$/);
  });
});
