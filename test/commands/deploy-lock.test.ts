/**
 * Finding 4 of #21: two deploys at once both ran. Now the cluster's lock is held for the whole
 * run: a second deploy (or restart…) refuses at once naming the holder; a lock left by a crashed
 * run on this machine is taken over; one held elsewhere is broken only with --force-unlock.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destroyCluster } from '../../src/deploy/operations.js';
import { ClusterTargets } from '../../src/deploy/targets/open.js';
import type { ClusterModel } from '../../src/topology/index.js';
import { repoRoot, rmqctl } from '../support/cli.js';
import { labModel } from '../support/lab-topology.js';
import { freeBrokerPort, freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';

let dir: string;
let stateDir: string;
let topologyFile: string;
let model: ClusterModel;
const lockFile = () => path.join(stateDir, 'deploy.lock');
const cli = (args: string[]) => rmqctl([...args, '--state-dir', stateDir]);

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rmqctl-lock-'));
  stateDir = path.join(dir, 'state');
  topologyFile = path.join(dir, 'lock.yaml');
  const yaml = `cluster: locktest
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
});

afterAll(async () => {
  const targets = new ClusterTargets(model);
  await destroyCluster(model, targets, { purge: true }).catch(() => {});
  await targets.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the cluster lock', () => {
  it('two deploys at once: the second refuses at once naming the holder, changes nothing; the first completes and releases the lock', async () => {
    const first = spawn(process.execPath, [path.join(repoRoot, 'bin', 'rmqctl'), 'deploy', topologyFile, '--state-dir', stateDir, '--min-free-disk', '0'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    first.stdout.on('data', (b: Buffer) => (out += b.toString()));
    first.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const firstExit = new Promise<number | null>((resolve) => first.once('exit', resolve));
    try {
      const holder = await waitFor(() => (existsSync(lockFile()) ? (JSON.parse(readFileSync(lockFile(), 'utf8')) as { pid: number; command: string }) : undefined), { what: 'the first deploy to take the lock', timeout: 20_000 });
      expect(holder.pid).toBe(first.pid);

      // the first deploy is held (SIGSTOP) while the second runs: it cannot finish first on a slow machine
      process.kill(first.pid!, 'SIGSTOP');
      let second: Awaited<ReturnType<typeof cli>>;
      try {
        second = await cli(['deploy', topologyFile, '--min-free-disk', '0']);
        expect(first.exitCode, 'the first deploy is still running while the second is refused').toBeNull();
      } finally {
        process.kill(first.pid!, 'SIGCONT');
      }
      expect(second.code).toBe(1);
      const msg = second.stderr.replace(/\s*\n ›\s+/g, ' ');
      expect(msg).toMatch(new RegExp(`cluster locktest is locked by \\S+@\\S+ \\(pid ${first.pid}, \`rmqctl deploy ${topologyFile.replace(/[.]/g, '\\.')} --state-dir \\S+ --min-free-disk 0\`\\) since \\d{4}-\\d\\d-\\d\\dT`));
      expect(msg).toMatch(/nothing was changed/);
      expect(msg).toMatch(/--force-unlock/);
      expect(second.stdout).not.toMatch(/deployed cluster/);

      expect(await firstExit, out).toBe(0);
      expect(existsSync(lockFile())).toBe(false);
    } finally {
      if (first.exitCode === null) first.kill('SIGKILL');
    }
  });

  it('a lock held on another machine stops restart; --force-unlock breaks it (saying whose it was); a stale lock of a dead process here is taken over', async () => {
    const foreign = { id: 'f00d', cluster: 'locktest', owner: 'ops@elsewhere', machine: 'elsewhere', pid: 4242, command: 'rmqctl deploy prod.yaml', startedAt: new Date(Date.now() - 60_000).toISOString() };
    writeFileSync(lockFile(), JSON.stringify(foreign));
    const refused = await cli(['restart', topologyFile]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.replace(/\s*\n ›\s+/g, ' ')).toMatch(/cluster locktest is locked by ops@elsewhere \(pid 4242, `rmqctl deploy prod\.yaml`\) since .* \(6\d s ago\)/);
    expect(JSON.parse(readFileSync(lockFile(), 'utf8'))).toEqual(foreign);

    const forced = await cli(['restart', topologyFile, '--force-unlock']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toMatch(/--force-unlock removed the lock .*deploy\.lock of ops@elsewhere \(pid 4242, `rmqctl deploy prod\.yaml`/);
    expect(existsSync(lockFile())).toBe(false);

    // a crashed run on this machine: its pid is gone
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.once('exit', r));
    writeFileSync(lockFile(), JSON.stringify({ ...foreign, owner: `me@${os.hostname()}`, machine: os.hostname(), pid: dead.pid }));
    const taken = await cli(['stop', topologyFile, '--node', 'broker-a-0']);
    expect(taken.code, taken.stderr).toBe(0);
    expect(taken.stderr).toMatch(new RegExp(`took over the lock of me@\\S+ \\(pid ${dead.pid}, .*that process is gone`));
    expect(existsSync(lockFile())).toBe(false);
  });
});
