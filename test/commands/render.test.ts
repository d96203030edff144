import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rmqctl } from '../support/cli.js';
import { tmpDir } from '../support/tmp.js';
import { goldenStateDir, STUB_RUNTIME } from '../support/topologies.js';
import { snapshotTree } from '../support/tree.js';

describe('rmqctl render', () => {
  it('writes the same tree as the golden test, one folder per host', async () => {
    const dir = tmpDir();
    const runtime = path.join(dir, 'rmqd.js');
    writeFileSync(runtime, STUB_RUNTIME);
    const out = path.join(dir, 'out');
    const r = await rmqctl(['render', '2m-2s-async', '--out', out, '--state-dir', goldenStateDir('2m-2s-async'), '--runtime', runtime]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^local: 19 entries → /m);
    const golden = path.join(import.meta.dirname, '..', 'render', 'golden', '2m-2s-async-local');
    expect(snapshotTree(out)).toEqual(snapshotTree(golden));
  });

  it('refuses a non-empty output directory (exit 2) unless --force', async () => {
    const out = tmpDir();
    mkdirSync(path.join(out, 'something'));
    const r = await rmqctl(['render', 'single-master', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not empty/);
    const forced = await rmqctl(['render', 'single-master', '--out', out, '--force']);
    expect(forced.code).toBe(0);
  });

  it('writes nothing for an invalid topology', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'cluster: x\nmode: single-master\nhosts: [{name: local, transport: local}]\nnameservers: [{host: local}]\nbrokers: [{name: a, master: {host: nowhere}}]\n');
    const out = path.join(dir, 'out');
    const r = await rmqctl(['render', file, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/brokers\[0\]\.master\.host {2}unknown host "nowhere"/);
    expect(() => snapshotTree(out)).toThrow(/ENOENT/);
  });
});
