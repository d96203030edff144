import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { SshError } from '../../../src/deploy/transport/errors.js';
import { SshPool } from '../../../src/deploy/transport/pool.js';
import { shJoin, shQuote } from '../../../src/deploy/transport/shell.js';
import { SshConnection, type RecordedHostKey, type SshEndpoint } from '../../../src/deploy/transport/ssh.js';
import { testHosts, type TestHost } from '../../support/hosts.js';
import { tmpDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';

const lab = testHosts({ count: 3, mode: 'nspawn' });

const ep = (h: TestHost, extra: Partial<SshEndpoint> = {}): SshEndpoint => ({ host: h.address, port: h.port, user: h.user, identityFiles: [h.identityFile], ...extra });
const opts = (h: TestHost) => ({ knownHostsFile: h.knownHostsFile, agent: false as const });

async function connectError(p: Promise<unknown>): Promise<SshError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SshError);
    return e as SshError;
  }
  throw new Error('expected the connection to fail');
}

describe.skipIf(lab.skipReason)('ssh transport against real hosts', () => {
  let pool: SshPool;
  beforeAll(() => {
    pool = new SshPool({ knownHostsFile: lab.hosts[0]!.knownHostsFile, agent: false });
  });
  afterAll(() => pool?.closeAll());

  it('connects with a key and runs commands: stdout, stderr, exit code, stdin', async () => {
    const h = lab.hosts[0]!;
    const c = await SshConnection.connect(ep(h), opts(h));
    onTestFinished(() => c.close());
    expect(await c.exec('hostname')).toEqual({ code: 0, stdout: `${h.name}\n`, stderr: '' });
    expect(await c.exec('echo out; echo err >&2; exit 3')).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    expect((await c.exec('cat', { input: 'from stdin' })).stdout).toBe('from stdin');
  });

  it('every value reaches the remote shell intact through the one quoting helper', async () => {
    const h = lab.hosts[0]!;
    const c = await SshConnection.connect(ep(h), opts(h));
    onTestFinished(() => c.close());
    const nasty = ["it's", '$(touch /tmp/pwned)', 'a b\n\tc', '`id`', '"', '\\', '*', ''];
    const r = await c.exec(shJoin(['printf', '%s\\0', ...nasty]));
    expect(r.stdout.split('\0').slice(0, -1)).toEqual(nasty);
    expect((await c.exec(`test -e ${shQuote('/tmp/pwned')}`)).code).toBe(1);
  });

  it('a command past its timeout is killed and reported', async () => {
    const h = lab.hosts[0]!;
    const c = await SshConnection.connect(ep(h), opts(h));
    onTestFinished(() => c.close());
    const marker = `299.${process.pid}`; // a sleep we can recognise on the host
    const e = await connectError(c.exec(`sleep ${marker}; echo never`, { timeoutMs: 300 }));
    expect(e.failure).toBe('command-timeout');
    expect(e.message).toMatch(new RegExp(`^root@${h.address}:22: command timed out after 300 ms`));
    await waitFor(async () => (await h.exec(`pgrep -f '[s]leep ${marker}'`)).code === 1, { what: 'the timed-out command to be gone' });
  });

  it('reuses one connection per host for many commands', async () => {
    const h = lab.hosts[1]!;
    const a = await pool.get(ep(h));
    const b = await pool.get(ep(h));
    expect(a).toBe(b);
    await Promise.all(Array.from({ length: 20 }, (_, i) => a.exec(`echo ${i}`)));
    // one established SSH connection from this machine on the host's side
    // (asked over that same connection, so the harness's own ssh is not counted)
    const conns = (await a.exec(`ss -Htn state established '( sport = :22 )' | grep -c '10.77.0.1:' || true`)).stdout.trim();
    expect(conns).toBe('1');
  });

  it('unknown host key: refused with its SHA256 fingerprint; accept-new records it and connects', async () => {
    const h = lab.hosts[0]!;
    const kh = path.join(tmpDir(), 'known_hosts');
    const e = await connectError(SshConnection.connect(ep(h), { knownHostsFile: kh, agent: false }));
    expect(e.failure).toBe('host-key-unknown');
    expect(e.message).toContain(h.hostKeyFingerprint);
    expect(e.message).toContain(`root@${h.address}:22`);
    expect(e.message).toContain('--accept-new-host-keys');

    const recorded: RecordedHostKey[] = [];
    const c = await SshConnection.connect(ep(h), { knownHostsFile: kh, agent: false, acceptNewHostKeys: true, onHostKeyRecorded: (k) => recorded.push(k) });
    await c.close();
    expect(readFileSync(kh, 'utf8')).toBe(`${h.address} ${h.hostKey}\n`);
    // finding 8 of #21: the key recorded is told (host, type, SHA256 fingerprint), not recorded silently
    expect(recorded).toEqual([{ endpoint: `root@${h.address}:22`, host: h.address, keyType: 'ssh-ed25519', fingerprint: h.hostKeyFingerprint, file: kh }]);
    // the recorded key is what OpenSSH's client now trusts, and what we trust without accept-new
    execFileSync('ssh', ['-i', h.identityFile, '-o', `UserKnownHostsFile=${kh}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', `root@${h.address}`, 'true']);
    const again = await SshConnection.connect(ep(h), { knownHostsFile: kh, agent: false });
    await again.close();
  });

  it('changed host key: always refused, naming the host and both fingerprints (even with accept-new)', async () => {
    const [h, other] = [lab.hosts[0]!, lab.hosts[1]!];
    const kh = path.join(tmpDir(), 'known_hosts');
    writeFileSync(kh, `${h.address} ${other.hostKey}\n`); // pinned to someone else's key
    for (const acceptNewHostKeys of [false, true]) {
      const e = await connectError(SshConnection.connect(ep(h), { knownHostsFile: kh, agent: false, acceptNewHostKeys }));
      expect(e.failure).toBe('host-key-changed');
      expect(e.message).toContain(h.address);
      expect(e.message).toContain(h.hostKeyFingerprint);
      expect(e.message).toContain(other.hostKeyFingerprint);
    }
    expect(readFileSync(kh, 'utf8')).toBe(`${h.address} ${other.hostKey}\n`); // untouched
  });

  it('hashed known_hosts entries are honoured', async () => {
    const h = lab.hosts[2]!;
    const kh = path.join(tmpDir(), 'known_hosts');
    copyFileSync(h.knownHostsFile, kh);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', kh]);
    expect(readFileSync(kh, 'utf8')).not.toContain(h.address);
    const c = await SshConnection.connect(ep(h), { knownHostsFile: kh, agent: false });
    await c.close();
  });

  it('wrong identity: a clear authentication error naming host and key', async () => {
    const h = lab.hosts[0]!;
    const key = path.join(tmpDir(), 'stranger');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const e = await connectError(SshConnection.connect(ep(h, { identityFiles: [key] }), opts(h)));
    expect(e.failure).toBe('auth');
    expect(e.message).toMatch(new RegExp(`^root@${h.address.replace(/\./g, '\\.')}:22: authentication failed; tried key ${key}`));
  });

  it('authenticates through ssh-agent', async () => {
    const h = lab.hosts[0]!;
    const sock = path.join(tmpDir(), 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    onTestFinished(() => {
      agent.kill();
    });
    await waitFor(() => {
      try {
        execFileSync('ssh-add', [h.identityFile], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'pipe' });
        return true;
      } catch {
        return false;
      }
    }, { what: 'ssh-agent to accept the key' });
    const c = await SshConnection.connect({ host: h.address, user: 'root' }, { knownHostsFile: h.knownHostsFile, agent: sock });
    onTestFinished(() => c.close());
    expect((await c.exec('whoami')).stdout).toBe('root\n');
  });

  it('reaches a host through a jump host (the target sees the jump host as its client)', async () => {
    const [jump, target] = [lab.hosts[0]!, lab.hosts[1]!];
    const p = new SshPool({ knownHostsFile: jump.knownHostsFile, agent: false });
    onTestFinished(() => p.closeAll());
    const c = await p.get(ep(target, { jump: ep(jump) }));
    const client = (await c.exec('echo $SSH_CONNECTION')).stdout.split(' ')[0];
    expect(client).toBe(jump.address);
  });

  it('a jump host that cannot reach the target gives an error naming both', async () => {
    const jump = lab.hosts[0]!;
    const p = new SshPool({ knownHostsFile: jump.knownHostsFile, agent: false });
    onTestFinished(() => p.closeAll());
    const e = await connectError(p.get({ host: '10.77.0.99', user: 'root', identityFiles: [jump.identityFile], jump: ep(jump) }));
    expect(e.message).toContain(`root@${jump.address}:22`);
    expect(e.message).toContain('10.77.0.99:22');
  });

  it('atomic upload: content, mode and owner set; no temp file left; readers never see a partial file', async () => {
    const h = lab.hosts[1]!;
    const c = await pool.get(ep(h));
    await h.run('getent group rmqt >/dev/null || groupadd --system rmqt; mkdir -p /etc/rmqt-upload');
    const gid = Number((await h.run('getent group rmqt | cut -d: -f3')).trim());
    const file = '/etc/rmqt-upload/node.properties';
    const big = (ch: string) => Buffer.alloc(2 * 1024 * 1024, ch);
    const sums = new Set(['a', 'b'].map((ch) => createHash('sha256').update(big(ch)).digest('hex')));
    await c.writeFileAtomic(file, big('a'), { mode: 0o640, uid: 0, gid });
    // a reader on the host hashes the file in a loop while we replace it again and again
    const reader = h.exec(`n=0; bad=0; while [ ! -e /tmp/stop-reader ]; do s=$(sha256sum < ${file} | cut -d' ' -f1); n=$((n+1)); case "${[...sums].join(' ')}" in *"$s"*) ;; *) bad=$((bad+1));; esac; done; echo "$n $bad"`, { timeout: 120_000 });
    for (let i = 0; i < 12; i++) await c.writeFileAtomic(file, big(i % 2 ? 'a' : 'b'), { mode: 0o640, uid: 0, gid });
    await h.run('touch /tmp/stop-reader');
    const [reads, bad] = (await reader).stdout.trim().split(' ').map(Number);
    expect(reads).toBeGreaterThan(0);
    expect(bad).toBe(0);
    expect((await h.run(`stat -c '%a %U %G %s' ${file}`)).trim()).toBe(`640 root rmqt ${2 * 1024 * 1024}`);
    expect(await h.run('ls -A /etc/rmqt-upload')).toBe('node.properties\n');
    const st = await c.stat(file);
    expect(st).toMatchObject({ type: 'file', mode: 0o640, uid: 0, gid, size: 2 * 1024 * 1024 });
  });

  it('reads files (also /proc), stats, lists and follows symlinks over SFTP', async () => {
    const h = lab.hosts[1]!;
    const c = await pool.get(ep(h));
    await h.run('mkdir -p /srv/t/d && printf hello > /srv/t/f && ln -sfn f /srv/t/l');
    expect((await c.readFile('/srv/t/f'))?.toString()).toBe('hello');
    expect(await c.readFile('/srv/t/missing')).toBeUndefined();
    expect((await c.readFile('/proc/sys/kernel/hostname'))?.toString()).toBe(`${h.name}\n`);
    expect(await c.readdir('/srv/t')).toEqual(['d', 'f', 'l']);
    expect(await c.readdir('/srv/nope')).toBeUndefined();
    expect((await c.lstat('/srv/t/l'))?.type).toBe('symlink');
    expect((await c.stat('/srv/t/l'))?.type).toBe('file');
    expect(await c.readlink('/srv/t/l')).toBe('f');
    expect(await c.freeBytes('/srv')).toBeGreaterThan(0);
  });

  it('sshd down: a clear error naming the host; up again: connects', async () => {
    const h = lab.hosts[2]!;
    await h.sshd('stop');
    try {
      const e = await connectError(SshConnection.connect(ep(h), opts(h)));
      expect(e.failure).toBe('unreachable');
      expect(e.message).toBe(`root@${h.address}:22: connection refused: sshd is not running or not listening on that port`);
    } finally {
      await h.sshd('start');
    }
    const c = await SshConnection.connect(ep(h), opts(h));
    await c.close();
  });
});
