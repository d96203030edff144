import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmqctl } from '../support/cli.js';
import { freeBrokerPort, freePort } from '../support/ports.js';
import { runtimeFile, runtimeRelease } from '../support/runtime.js';

// `rmqctl deploy` and `rmqctl plan` end to end on the local target: the real runtime
// (dist/rmqd.js) as real processes, the real rendered files, protocol-level health.
let dir: string;
let topologyFile: string;
let yaml: string;
const cli = (args: string[]) => rmqctl([...args, '--state-dir', path.join(dir, 'state')]);
const events = (stdout: string) => stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rmqctl-deploy-'));
  topologyFile = path.join(dir, 'dep.yaml');
  yaml = `cluster: dep
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
});

afterAll(async () => {
  await cli(['destroy', topologyFile, '--yes', '--purge']);
  rmSync(dir, { recursive: true, force: true });
});

describe('rmqctl deploy', () => {
  it('deploys (plain lines when not a terminal), health-gated by protocol; a second run (--json) changes nothing and streams events', async () => {
    const first = await cli(['deploy', topologyFile, '--min-free-disk', '1']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`runtime ${runtimeRelease().id}, 2 node(s) on 1 host(s)`);
    expect(first.stdout).toMatch(/^== pre-flight checks\n== plan\nplan: local: write 11 entries; local: start namesrv-1 \(NameServer\); local: start broker-a-0 \(master\)\n== prepare hosts\n/m);
    // the NameServer is healthy (it answers the protocol) before the broker starts; the broker is
    // healthy once it answers and every NameServer has it registered at its advertised address
    expect(first.stdout.indexOf('local  namesrv-1  healthy: answers at 127.0.0.1:')).toBeLessThan(first.stdout.indexOf('local  broker-a-0  start…'));
    expect(first.stdout).toMatch(/local {2}broker-a-0 {2}healthy: registered as 127\.0\.0\.1:\d+ on 1\/1 NameServers, gRPC at 127\.0\.0\.1:\d+, writable, group broker-a healthy \(after [\d.]+ s\)\n/);
    expect(first.stdout).toMatch(/deployed cluster dep: 2 started, 0 restarted, 0 unchanged; every node healthy\n$/);

    const second = await cli(['deploy', topologyFile, '--min-free-disk', '1', '--json']);
    expect(second.code).toBe(0);
    const evs = events(second.stdout);
    // one JSON object per line, each stamped; the result last
    expect(evs.every((e) => typeof e.kind === 'string')).toBe(true);
    expect(evs.filter((e) => e.kind === 'stage').map((e) => e.stage)).toEqual(['preflight', 'plan', 'prepare', 'start', 'restart', 'verify', 'done']);
    expect(evs.find((e) => e.kind === 'plan')).toMatchObject({ changed: false, actions: [] });
    expect(evs.filter((e) => e.kind === 'step' && e.status === 'done').map((e) => e.step)).not.toContain('files');
    const result = evs.at(-1)!;
    expect(result.kind).toBe('result');
    expect((result.nodes as { action: string }[]).map((n) => n.action)).toEqual(['unchanged', 'unchanged']);
    expect(result.hosts).toEqual([{ host: 'local', releaseChanged: false, filesWritten: [] }]);
  });

  it('plan --detailed-exitcode: 0 once deployed; plan --out + deploy --plan applies exactly that plan, and refuses a plan the host has drifted from', async () => {
    const same = await cli(['plan', topologyFile, '--detailed-exitcode']);
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/nodes: namesrv-1 running, broker-a-0 running/);

    // a new runtime: plan it, save it, apply it
    const runtime = runtimeFile('v2', dir);
    const planFile = path.join(dir, 'plan.json');
    const planned = await cli(['plan', topologyFile, '--runtime', runtime, '--out', planFile, '--detailed-exitcode']);
    expect(planned.code).toBe(2);
    expect(planned.stdout).toMatch(/Plan: 3 to add, 1 to change, 0 to destroy \(\d+ unchanged\); 0 to start, 2 to restart, 0 to stop\./);
    expect(JSON.parse(readFileSync(planFile, 'utf8')).actions.map((a: { kind: string; node?: string }) => `${a.kind}${a.node ? ` ${a.node}` : ''}`)).toEqual(['write', 'restart namesrv-1', 'restart broker-a-0']);

    // the host drifts: a config edited by hand → refused, naming host and file; nothing changed
    const config = path.join(dir, 'state', 'etc/rmqctl/dep/broker-a-0.properties');
    const original = readFileSync(config);
    writeFileSync(config, Buffer.concat([original, Buffer.from('# edited by hand\n')]));
    const refused = await cli(['deploy', topologyFile, '--runtime', runtime, '--plan', planFile, '--min-free-disk', '1']);
    expect(refused.code).toBe(1);
    const err = refused.stderr.replace(/\s*\n ›\s+/g, ' ');
    expect(err).toContain(`refusing to apply ${planFile}: it no longer matches the hosts; nothing was changed`);
    expect(err).toMatch(/local: \S+broker-a-0\.properties: changed on the host since the plan/);
    expect(readFileSync(path.join(dir, 'state', 'opt/rmqctl/current/rmqd.js')).equals(runtimeRelease().content)).toBe(true);

    writeFileSync(config, original);
    const applied = await cli(['deploy', topologyFile, '--runtime', runtime, '--plan', planFile, '--min-free-disk', '1', '--json']);
    expect(applied.code, applied.stderr).toBe(0);
    const result = events(applied.stdout).at(-1)!;
    expect((result.nodes as { node: string; action: string }[]).map((n) => `${n.node}:${n.action}`)).toEqual(['namesrv-1:restart', 'broker-a-0:restart']);
    expect(readFileSync(path.join(dir, 'state', 'opt/rmqctl/current/rmqd.js')).equals(runtimeRelease('v2').content)).toBe(true);
    expect(readFileSync(path.join(dir, 'state', 'opt/rmqctl/previous/rmqd.js')).equals(runtimeRelease().content)).toBe(true);
  });

  it('pre-flight problems exit 1 listing every problem; nothing changes', async () => {
    const r = await cli(['deploy', topologyFile, '--min-free-disk', String(1024 ** 3)]);
    expect(r.code).toBe(1);
    const err = r.stderr.replace(/\s*\n ›\s+/g, ' '); // oclif wraps long lines
    expect(err).toMatch(/pre-flight found 1 problem; nothing was changed/);
    expect(err).toMatch(/local: disk: \d+ MiB free for .*, need at least 1073741824 MiB/);
  });

  it('--json errors are a JSON line too; a missing runtime or plan file is invalid input (exit 2)', async () => {
    const r = await cli(['deploy', topologyFile, '--min-free-disk', String(1024 ** 3), '--json']);
    expect(r.code).toBe(1);
    const last = events(r.stdout).at(-1)!;
    expect(last).toMatchObject({ kind: 'error', error: { name: 'PreflightError' } });
    expect((await cli(['deploy', topologyFile, '--runtime', path.join(dir, 'nope.js')])).stderr).toContain('cannot read the runtime bundle');
    const noPlan = await cli(['deploy', topologyFile, '--plan', path.join(dir, 'nope.json')]);
    expect(noPlan.code).toBe(2);
    expect(noPlan.stderr).toContain('cannot read the plan');
    writeFileSync(path.join(dir, 'bad.json'), '{"version": 7}');
    const bad = await cli(['deploy', topologyFile, '--plan', path.join(dir, 'bad.json')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('not a version 1 plan');
  });
});
