import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rmqctl } from '../support/cli.js';
import { tmpDir } from '../support/tmp.js';
import { freeBrokerPort, freePort } from '../support/ports.js';
import { goldenStateDir, loadPreset, PRESETS, sshVariant, STUB_RELEASE, STUB_RUNTIME } from '../support/topologies.js';
import { presetPath } from '../../src/topology/presets.js';
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

describe('rmqctl plan tells the truth about the hosts (#21)', () => {
  it('finding 8: every host that cannot be read is named with its SSH error, not only the first', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'two.yaml');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'id')]);
    const ssh = `{user: root, port: 1, identityFile: ${path.join(dir, 'id')}, knownHosts: ${path.join(dir, 'known_hosts')}}`;
    writeFileSync(
      file,
      `cluster: two\nmode: multi-master\nhosts:\n  - {name: mq1, address: 127.0.0.1, ssh: ${ssh}}\n  - {name: mq2, address: 127.0.0.2, ssh: ${ssh}}\n` +
        'nameservers:\n  - {host: mq1, port: 9876}\nbrokers:\n  - {name: broker-a, master: {host: mq1, port: 10911}}\n  - {name: broker-b, master: {host: mq2, port: 10921}}\n',
    );
    const r = await rmqctl(['plan', file]);
    expect(r.code).toBe(1);
    const err = r.stderr.replace(/\s*\n\s*›?\s*/g, ' ');
    expect(err).toMatch(/cannot read 2 of 2 hosts; nothing was planned: +mq1: root@127\.0\.0\.1:1: .*(refused|failed).* +mq2: root@127\.0\.0\.2:1: .*(refused|failed)/);
  });

  it('finding 9 and 2: a port held by another cluster’s process is named (cluster, node, pid), exit 1; a running cluster’s health is shown', async () => {
    const dir = tmpDir();
    const ports = { ns: await freePort(), broker: await freeBrokerPort() };
    const topology = (cluster: string) => {
      const file = path.join(dir, `${cluster}.yaml`);
      writeFileSync(file, `cluster: ${cluster}\nmode: single-master\nhosts:\n  - {name: local, transport: local}\nnameservers:\n  - {host: local, port: ${ports.ns}}\nbrokers:\n  - {name: broker-a, master: {host: local, port: ${ports.broker}}}\n`);
      return file;
    };
    const first = topology('first');
    const state = (c: string) => path.join(dir, `state-${c}`);
    const deployed = await rmqctl(['deploy', first, '--state-dir', state('first'), '--min-free-disk', '0']);
    expect(deployed.code, deployed.stderr).toBe(0);
    try {
      const own = await rmqctl(['plan', first, '--state-dir', state('first')]);
      expect(own.code, own.stderr).toBe(0);
      expect(own.stdout).toContain('The running cluster is healthy.');

      const second = await rmqctl(['plan', topology('second'), '--state-dir', state('second'), '--json']);
      expect(second.code).toBe(1);
      const out = JSON.parse(second.stdout) as { problems: string[] };
      expect(out.problems).toContainEqual(expect.stringMatching(new RegExp(`^local: port ${ports.ns} \\(namesrv-1 listen\\) is in use by rmqd namesrv-1 of cluster first \\(pid \\d+\\)$`)));
      expect(out.problems).toContainEqual(expect.stringMatching(new RegExp(`^local: port ${ports.broker} \\(broker-a-0 listen\\) is in use by rmqd broker-a-0 of cluster first \\(pid \\d+\\)$`)));

      // the judge in plan: a dead master is named with what to run
      const stopped = await rmqctl(['stop', first, '--state-dir', state('first'), '--node', 'broker-a-0']);
      expect(stopped.code).toBe(0);
      const down = await rmqctl(['plan', first, '--state-dir', state('first')]);
      expect(down.stdout.replace(/\s+/g, ' ')).toMatch(/The running cluster is NOT healthy now .* broker-a-0 \(master\) is not running \(stopped\) — run `rmqctl start \S+first\.yaml --node broker-a-0`/);
    } finally {
      await rmqctl(['destroy', first, '--state-dir', state('first'), '--yes', '--purge']);
    }
  });
});

describe('the topology pins the runtime release (finding 8)', () => {
  it('plan and deploy take only the pinned rmqd.js; validate checks the field', async () => {
    const dir = tmpDir();
    const stub = stubRuntime();
    const other = path.join(dir, 'other-rmqd.js');
    writeFileSync(other, '// another build\n');
    const base = readFileSync(presetPath('single-master'), 'utf8');
    const pinned = path.join(dir, 'pinned.yaml');
    writeFileSync(pinned, `${base}\nruntime:\n  sha256: ${STUB_RELEASE.id}\n`);
    const ok = await rmqctl(['plan', pinned, '--offline', '--runtime', stub]);
    expect(ok.code, ok.stderr).toBe(0);
    const refused = await rmqctl(['plan', pinned, '--offline', '--runtime', other]);
    expect(refused.code).toBe(2);
    expect(refused.stderr.replace(/\s*\n ›\s+/g, ' ')).toContain(`the topology pins the runtime release ${STUB_RELEASE.id} (runtime.sha256), but ${other} is release`);
    const deploy = await rmqctl(['deploy', pinned, '--runtime', other, '--state-dir', path.join(dir, 'state')]);
    expect(deploy.code).toBe(2);
    expect(deploy.stderr).toMatch(/pins the runtime release/);

    const bad = path.join(dir, 'bad-pin.yaml');
    writeFileSync(bad, `${base}\nruntime:\n  sha256: v1.2\n`);
    const v = await rmqctl(['validate', bad]);
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/runtime\.sha256 {2}invalid value "v1\.2" \(expected the runtime bundle sha256 \(12 to 64 lower-case hex digits\)\)/);
  });
});
