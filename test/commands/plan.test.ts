import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderCluster } from '../../src/render/index.js';
import { buildClusterModel } from '../../src/topology/index.js';
import { applyFileSet } from '../support/apply-fileset.js';
import { rmqctl } from '../support/cli.js';
import { tmpDir } from '../support/tmp.js';
import { goldenStateDir, loadPreset, PRESETS, sshVariant, STUB_RELEASE, STUB_RUNTIME } from '../support/topologies.js';
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
  it('2 when there are changes, 0 once the hosts match, for the local target', async () => {
    const state = tmpDir();
    const runtime = stubRuntime();
    const before = await rmqctl(['plan', '2m-2s-sync', '--state-dir', state, '--runtime', runtime, '--detailed-exitcode']);
    expect(before.code).toBe(2);
    expect(before.stdout).toMatch(/Plan: 18 to create, 0 to update, 0 to delete, 0 unchanged; 6 to start, 0 to restart, 0 to stop\./);
    const model = buildClusterModel(loadPreset('2m-2s-sync'), { stateDir: state });
    for (const set of renderCluster(model, STUB_RELEASE)) applyFileSet(set);
    const after = await rmqctl(['plan', '2m-2s-sync', '--state-dir', state, '--runtime', runtime, '--detailed-exitcode']);
    expect(after.stdout).toMatch(/No changes\./);
    expect(after.code).toBe(0);
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

  it('SSH hosts need --offline until deploy can read them', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'ssh.yaml');
    writeFileSync(file, stringify(sshVariant(loadPreset('2m-2s-async'))));
    const r = await rmqctl(['plan', file]);
    expect(r.code).toBe(2);
    expect(r.stderr.replace(/\s*\n\s*›?\s*/g, ' ')).toMatch(/host mq1 is reached over SSH and plan cannot read SSH hosts yet \(expected --offline/);
    const offline = await rmqctl(['plan', file, '--offline', '--detailed-exitcode']);
    expect(offline.code).toBe(2);
    expect(offline.stdout).toMatch(/mq1: systemctl daemon-reload/);
    expect(offline.stdout).toMatch(/host mq2 — ssh, systemd supervisor, root \/; compared with an empty host/);
  });
});
