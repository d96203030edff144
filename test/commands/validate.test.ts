import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rmqctl } from '../support/cli.js';
import { tmpDir } from '../support/tmp.js';

const PRESETS = ['single-master', 'multi-master', '2m-2s-async', '2m-2s-sync'];

describe('rmqctl validate', () => {
  it.each(PRESETS)('accepts the %s preset by name and exits 0', async (preset) => {
    const r = await rmqctl(['validate', preset]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`valid — cluster ${preset}, mode ${preset}`));
  });

  it('prints every problem as file:line:col  field  message and exits 2', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'cluster: demo\nmode: single-master\nflsh: async\nhosts:\n  - name: local\n    transport: local\nnameservers:\n  - host: lokal\nbrokers:\n  - name: a\n    master: {host: local}\n');
    const r = await rmqctl(['validate', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((l) => l.startsWith(file));
    expect(lines).toEqual([
      `${file}:3:1  flsh  unknown key (did you mean flush?)`,
      `${file}:8:11  nameservers[0].host  unknown host "lokal" (did you mean local?)`,
    ]);
    expect(r.stderr).toMatch(/2 problems; nothing was written/);
  });

  it('finding 9: every mistake at once — wrong values and a port clash together — and one clash is one problem naming both sides', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'three.yaml');
    writeFileSync(
      file,
      [
        'cluster: demo',
        'mode: 2m-2s-snyc',
        'flush: sometimes',
        'hosts:',
        '  - {name: local, transport: local}',
        'nameservers:',
        '  - {host: local, port: 9876}',
        'brokers:',
        '  - name: broker-a',
        '    master: {host: local, port: 10911}',
        '  - name: broker-b',
        '    master: {host: local, port: 10911}',
        '',
      ].join('\n'),
    );
    const r = await rmqctl(['validate', file]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n').filter((l) => l.startsWith(file))).toEqual([
      expect.stringMatching(new RegExp(`^${file}:2:7  mode  invalid value "2m-2s-snyc"`)),
      expect.stringMatching(new RegExp(`^${file}:3:8  flush  invalid value "sometimes"`)),
      `${file}:12:33  brokers[1].master.port  broker-b-0's fast channel (port-2) port 10909, listen port 10911, HA (port+1) port 10912 and gRPC (port+2) port 10913 are already broker-a-0's fast channel (port-2), listen, HA (port+1) and gRPC (port+2) ports on this machine (expected distinct ports; a broker takes port-2, port, port+1 and its gRPC port, port+2 unless set)`,
    ]);
    expect(r.stderr).toMatch(/3 problems; nothing was written/);
  });

  it('--json gives the problems as data, still exiting 2', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'cluster: demo\nmode: single-master\nhosts: []\nnameservers: []\nbrokers: []\n');
    const r = await rmqctl(['validate', file, '--json']);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout) as { error: { problems: { line: number; path: string; message: string }[] } };
    expect(out.error.problems.map((p) => [p.line, p.path])).toEqual([
      [3, 'hosts'],
      [4, 'nameservers'],
      [5, 'brokers'],
    ]);
  });

  it('--json gives the cluster model of a valid topology', async () => {
    const r = await rmqctl(['validate', '2m-2s-sync', '--json', '--state-dir', '/srv/rmq-state']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { valid: boolean; model: { nodes: { id: string; configPath: string }[] } };
    expect(out.valid).toBe(true);
    expect(out.model.nodes.map((n) => n.id)).toEqual(['namesrv-1', 'namesrv-2', 'broker-a-0', 'broker-b-0', 'broker-a-1', 'broker-b-1']);
    expect(out.model.nodes[2]?.configPath).toBe('/srv/rmq-state/etc/rmqctl/2m-2s-sync/broker-a-0.properties');
  });

  it('prints warnings on stderr but still exits 0', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'warn.yaml');
    writeFileSync(file, 'cluster: d\nmode: single-master\nhosts: [{name: a, address: 10.0.0.1}, {name: b, address: 10.0.0.2}]\nnameservers: [{host: a}]\nbrokers: [{name: x, master: {host: b}}]\n');
    const r = await rmqctl(['validate', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`warning: ${file}:4:14  nameservers  a single NameServer: while it is down no client can find a broker (expected two or more on different hosts)\n`);
  });

  it('names the presets when given neither a file nor a preset', async () => {
    const r = await rmqctl(['validate', 'no-such-topology']);
    expect(r.code).toBe(2);
    // oclif wraps long error lines at the terminal width: join them back.
    expect(r.stderr.replace(/\s*\n\s*›?\s*/g, ' ')).toMatch(/no-such-topology: no such file, and not a preset \(presets: 2m-2s-async, 2m-2s-sync, multi-master, single-master\)/);
  });

  it('refuses a state directory that would be unsafe in configs and unit files', async () => {
    const r = await rmqctl(['validate', 'single-master', '--state-dir', '/tmp/my state']);
    expect(r.code).toBe(2);
    expect(r.stderr.replace(/\s*\n\s*›?\s*/g, ' ')).toMatch(/state directory "\/tmp\/my state" may only contain/);
  });
});
