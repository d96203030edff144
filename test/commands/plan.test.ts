import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rmqctl } from '../support/cli.js';
import { tmpDir } from '../support/tmp.js';
import { goldenStateDir, loadPreset, PRESETS, sshVariant, STUB_RUNTIME } from '../support/topologies.js';
import { stringify } from 'yaml';

const SNAPSHOTS = path.join(import.meta.dirname, '..', 'deploy', 'plan', 'snapshots');

function stubRuntime(): string {
  const file = path.join(tmpDir(), 'rmqd.js');
  writeFileSync(file, STUB_RUNTIME);
  return file;
}

describe('rmqctl plan --json', () => {
  for (const preset of PRESETS) {
    it(`${preset}: matches the committed snapshot (offline, stub runtime)`, async () => {
      const r = await rmqctl(['plan', preset, '--offline', '--json', '--state-dir', goldenStateDir(preset), '--runtime', stubRuntime()]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const plan = JSON.parse(r.stdout) as unknown;
      const file = path.join(SNAPSHOTS, `${preset}.json`);
      if (process.env.UPDATE_GOLDEN === '1') {
        mkdirSync(SNAPSHOTS, { recursive: true });
        writeFileSync(file, `${JSON.stringify(plan, null, 2)}\n`);
      }
      expect(plan).toEqual(JSON.parse(readFileSync(file, 'utf8')));
    });
  }
});

describe('rmqctl plan --detailed-exitcode', () => {
  it('2 when there are changes (an empty local state directory)', async () => {
    const state = tmpDir();
    const before = await rmqctl(['plan', '2m-2s-sync', '--state-dir', state, '--runtime', stubRuntime(), '--detailed-exitcode']);
    expect(before.code).toBe(2);
    expect(before.stdout).toMatch(/Plan: 19 to add, 0 to change, 0 to destroy \(0 unchanged\); 6 to start, 0 to restart, 0 to stop\./);
    expect(before.stdout).toContain('nodes: namesrv-1 stopped, namesrv-2 stopped, broker-a-0 stopped, broker-b-0 stopped, broker-a-1 stopped, broker-b-1 stopped');
    // (0 once deployed: test/commands/deploy.test.ts, and over SSH test/deploy/e2e-ssh.test.ts)
  });

  it('1 for an invalid topology (not 2, which means changes)', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'cluster: x\nmode: sideways\n');
    const r = await rmqctl(['plan', file, '--detailed-exitcode']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml:2:7 {2}mode {2}invalid value "sideways"/);
    const plain = await rmqctl(['plan', file]);
    expect(plain.code).toBe(2);
  });

  it('SSH hosts are read over SSH: one that cannot be reached is an error naming it; --offline plans against empty hosts', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'ssh.yaml');
    const t = sshVariant(loadPreset('2m-2s-async'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'id')]);
    // nothing listens on port 1 here: connection refused at once
    for (const h of t.hosts) h.ssh = { ...h.ssh!, port: 1, identityFile: path.join(dir, 'id'), knownHosts: path.join(dir, 'known_hosts') };
    writeFileSync(file, stringify(t));
    const r = await rmqctl(['plan', file, '--detailed-exitcode']);
    expect(r.code).toBe(1);
    expect(r.stderr.replace(/\s*\n\s*›?\s*/g, ' ')).toMatch(/root@10\.77\.0\.1[12]:1: (connection refused|SSH connection failed)/);
    const offline = await rmqctl(['plan', file, '--offline', '--detailed-exitcode']);
    expect(offline.code).toBe(2);
    expect(offline.stdout).toMatch(/mq1: systemctl daemon-reload/);
    expect(offline.stdout).toMatch(/mq1: systemctl enable namesrv-1, broker-a-0, broker-b-1/);
    expect(offline.stdout).toMatch(/host mq2 — ssh, systemd supervisor, root \/; compared with an empty host/);
  });
});
