import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmqctl } from '../support/cli.js';
import { freeBrokerPort, freePort } from '../support/ports.js';
import { standInRelease } from '../support/stand-in-runtime.js';

// `rmqctl deploy` end to end on the local target (real processes, real rendered files), with the
// stand-in runtime passed as --runtime until the broker runtime exists.
let dir: string;
let topologyFile: string;
let runtime: string;
const cli = (args: string[]) => rmqctl([...args, '--state-dir', path.join(dir, 'state')]);

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rmqctl-deploy-'));
  topologyFile = path.join(dir, 'dep.yaml');
  runtime = path.join(dir, 'rmqd.js');
  writeFileSync(runtime, standInRelease('cli').content);
  writeFileSync(
    topologyFile,
    `cluster: dep
mode: single-master
hosts:
  - {name: local, transport: local}
nameservers:
  - {host: local, port: ${await freePort()}}
brokers:
  - name: broker-a
    master: {host: local, port: ${await freeBrokerPort()}}
`,
  );
});

afterAll(async () => {
  await cli(['destroy', topologyFile, '--yes', '--purge']);
  rmSync(dir, { recursive: true, force: true });
});

describe('rmqctl deploy', () => {
  it('deploys, then a second run changes nothing', async () => {
    const first = await cli(['deploy', topologyFile, '--runtime', runtime, '--min-free-disk', '1']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`runtime ${standInRelease('cli').id}, 2 node(s) on 1 host(s)`);
    expect(first.stdout.indexOf('local  namesrv-1  healthy')).toBeLessThan(first.stdout.indexOf('local  broker-a-0  start…'));
    expect(first.stdout).toMatch(/deployed cluster dep: 2 started, 0 restarted, 0 unchanged\n$/);

    const second = await cli(['deploy', topologyFile, '--runtime', runtime, '--min-free-disk', '1', '--json']);
    expect(second.code).toBe(0);
    const out = JSON.parse(second.stdout);
    expect(out.result.nodes).toEqual([
      { node: 'namesrv-1', host: 'local', action: 'unchanged' },
      { node: 'broker-a-0', host: 'local', action: 'unchanged' },
    ]);
    expect(out.result.hosts).toEqual([{ host: 'local', releaseChanged: false, filesWritten: [] }]);
  });

  it('pre-flight problems exit 1 listing every problem; nothing changes', async () => {
    const r = await cli(['deploy', topologyFile, '--runtime', runtime, '--min-free-disk', String(1024 ** 3)]);
    expect(r.code).toBe(1);
    const err = r.stderr.replace(/\s*\n ›\s+/g, ' '); // oclif wraps long lines
    expect(err).toMatch(/pre-flight found 1 problem; nothing was changed/);
    expect(err).toMatch(/local: disk: \d+ MiB free for .*, need at least 1073741824 MiB/);
  });

  it('a missing runtime file is invalid input (exit 2)', async () => {
    const r = await cli(['deploy', topologyFile, '--runtime', path.join(dir, 'nope.js')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot read the runtime bundle');
  });
});
