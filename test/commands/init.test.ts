import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parseTopology } from '../../src/topology/load.js';
import { repoRoot, rmqctl } from '../support/cli.js';
import { tmpDir } from '../support/tmp.js';
import { freeBrokerPort, freePort } from '../support/ports.js';
import net from 'node:net';
import { waitFor } from '../support/wait.js';

describe('rmqctl init (flags, no questions)', () => {
  it('writes a valid topology from flags and defaults', async () => {
    const out = path.join(tmpDir(), 'orders.yaml');
    const r = await rmqctl(['init', '--yes', '--cluster', 'orders', '--mode', '2m-2s-async', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/wrote .*orders\.yaml: cluster orders\. Next: rmqctl plan /);
    const t = parseTopology(readFileSync(out, 'utf8'), out).topology;
    expect(t).toMatchObject({ cluster: 'orders', mode: '2m-2s-async', flush: 'async' });
    expect(t.brokers.map((b) => b.slaves.length)).toEqual([1, 1]);
    const v = await rmqctl(['validate', out]);
    expect(v.code).toBe(0);
  });

  it('takes SSH hosts and a custom mode', async () => {
    const out = path.join(tmpDir(), 'big.yaml');
    const r = await rmqctl(['init', '--yes', '--mode', 'custom', '--masters', '3', '--slaves-per-master', '1', '--replication', 'sync', '--target', 'ssh', '--host', '10.0.0.11', '--host', '10.0.0.12', '--ssh-user', 'deploy', '--identity-file', '~/.ssh/deploy_ed25519', '--flush', 'sync', '--out', out]);
    expect(r.code).toBe(0);
    const t = parseTopology(readFileSync(out, 'utf8'), out).topology;
    expect(t.mode).toEqual({ masters: 3, slavesPerMaster: 1, replication: 'sync' });
    expect(t.flush).toBe('sync');
    expect(t.hosts).toEqual([
      { name: 'mq1', transport: 'ssh', address: '10.0.0.11', ssh: { user: 'deploy', port: 22, identityFile: '~/.ssh/deploy_ed25519' } },
      { name: 'mq2', transport: 'ssh', address: '10.0.0.12', ssh: { user: 'deploy', port: 22, identityFile: '~/.ssh/deploy_ed25519' } },
    ]);
  });

  it('finding 9: keeps off ports a running process holds on this machine, and says so', async () => {
    const ns = await freePort();
    const broker = await freeBrokerPort();
    const held = [ns, broker + 1]; // a NameServer port, and the first broker's HA port (port+1)
    const servers = await Promise.all(held.map((p) => new Promise<net.Server>((resolve) => { const srv = net.createServer().listen(p, () => resolve(srv)); })));
    onTestFinished(() => servers.forEach((srv) => srv.close()));
    const out = path.join(tmpDir(), 'beside.yaml');
    const r = await rmqctl(['init', '--yes', '--mode', '2m-2s-sync', '--namesrv-port', String(ns), '--broker-port', String(broker), '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`ports in use on this machine were left out: ${[...held].sort((a, b) => a - b).join(', ')}`);
    const t = parseTopology(readFileSync(out, 'utf8'), out).topology;
    const taken = new Set([...t.nameservers.map((n) => n.port), ...t.brokers.flatMap((g) => [g.master, ...g.slaves]).flatMap((b) => [b.port - 2, b.port, b.port + 1])]);
    for (const p of held) expect(taken.has(p), `port ${p}`).toBe(false);
    expect(t.nameservers.map((n) => n.port)).toEqual([ns + 1, ns + 2]);
    expect(t.brokers[0]?.master.port).toBe(broker + 10);
  });

  it('never overwrites a file without --force', async () => {
    const out = path.join(tmpDir(), 'keep.yaml');
    writeFileSync(out, 'mine\n');
    const r = await rmqctl(['init', '--yes', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr.replace(/\s*\n\s*›?\s*/g, " ")).toMatch(/exists \(expected a new file, or --force/);
    expect(readFileSync(out, 'utf8')).toBe('mine\n');
    expect((await rmqctl(['init', '--yes', '--out', out, '--force'])).code).toBe(0);
  });

  it('rejects bad answers with exit 2 and writes nothing', async () => {
    const out = path.join(tmpDir(), 'x.yaml');
    const bad = await rmqctl(['init', '--yes', '--cluster', 'no spaces', '--out', out]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/cluster {2}invalid value "no spaces"/);
    const noHost = await rmqctl(['init', '--yes', '--target', 'ssh', '--out', out]);
    expect(noHost.code).toBe(2);
    expect(noHost.stderr).toMatch(/--target ssh needs at least one --host/);
  });
});

describe('rmqctl init (questions on a terminal)', () => {
  // A real pseudo-terminal through util-linux `script`: the prompts see a TTY and are answered
  // keystroke by keystroke, each answer sent once its question is on the screen.
  it('asks for mode, name, target, ports, flush and file, and writes what was answered', async () => {
    const dir = tmpDir();
    const out = path.join(dir, 'asked.yaml');
    const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(repoRoot, 'bin', 'rmqctl'))} init`;
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: dir, env: { ...process.env, NO_COLOR: '1', TERM: 'dumb', COLUMNS: '200' } });
    onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let screen = '';
    child.stdout.on('data', (d: Buffer) => (screen += d.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const DOWN = '\u001b[B';
    const UP = '\u001b[A';
    const answer = async (question: RegExp, keys: string) => {
      await waitFor(() => question.test(screen), { timeout: 20_000, what: `prompt ${question}` });
      screen = '';
      child.stdin.write(keys);
    };
    await answer(/Cluster mode/, `${UP}${UP}\r`); // from the default (2m-2s-sync) up to multi-master
    await answer(/Cluster name/, 'asked\r');
    await answer(/Run it on/, '\r'); // this machine
    await answer(/First NameServer port/, '19876\r'); // the default is a placeholder: typing replaces it
    await answer(/First broker port/, '20911\r');
    await answer(/Flush/, `${DOWN}\r`); // sync
    await answer(/Write to/, `${out}\r`);
    expect(await exited).toBe(0);
    const t = parseTopology(readFileSync(out, 'utf8'), out).topology;
    expect(t).toMatchObject({ cluster: 'asked', mode: 'multi-master', flush: 'sync' });
    expect(t.nameservers.map((n) => n.port)).toEqual([19876, 19877]);
    expect(t.brokers.map((b) => b.master.port)).toEqual([20911, 20921]);
  });
});
