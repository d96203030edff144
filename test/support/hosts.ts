/**
 * Real test hosts on this machine, for the deploy tests: each host is a network namespace on a
 * private bridge (10.77.0.0/24) with its own sshd, reached over real SSH.
 *
 *  - mode `nspawn`: a systemd-nspawn container booted from a cached Debian rootfs — real systemd
 *    as PID 1, sshd on port 22. For the systemd supervisor and the full deploy.
 *  - mode `netns`: a bare sshd (port 2222) in a network + mount namespace with private /etc, /opt,
 *    /var (overlays), /run and /root — no systemd. For the process supervisor on hosts without systemd.
 *
 * Usage (once per test file — hosts boot once per file, not per test):
 *
 *   const lab = testHosts({ count: 2, mode: 'nspawn' });
 *   describe.skipIf(lab.skipReason)('...', () => { it('...', async () => { lab.hosts[0].exec('true') }) });
 *
 * When hosts cannot run here (not Linux, not root): in CI (`CI=true`) collecting the file fails with
 * the reason; otherwise `skipReason` says why and the tests are skipped. `RMQCTL_TEST_NO_ROOT=1`
 * skips them on purpose, root or not (and in CI too): the README's command for the tests that change
 * nothing on the machine.
 *
 * Facts this is built on (see the project's notes on test hosts): host PID 1 is not systemd, so each
 * container runs with `--register=no --keep-unit` from a cgroup of its own (otherwise their units'
 * cgroups collide: status 219/CGROUP, cross-kills); the rootfs template has an empty /etc/hostname
 * and /etc/machine-id and no shared SSH host keys; `machinectl` does not work here (we use SSH, or
 * nsenter into the container's init).
 *
 * Names and addresses are fixed, so bringing hosts up is serialised across processes by a flock(1)
 * lock held from up to down (the kernel drops it if the test process dies). Whatever a crashed run
 * left behind is torn down by the next `up`, and `down` also runs on SIGINT/SIGTERM/exit.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { waitFor } from './wait.js';

export type HostMode = 'nspawn' | 'netns';

export const SUBNET_PREFIX = '10.77.0';
const BRIDGE = 'rmqtbr0';
const BRIDGE_ADDRESS = `${SUBNET_PREFIX}.1`;
const STATE = '/tmp/rmqctl-testhosts';
const CACHE = '/var/cache/rmqctl-testhosts';
const ROOTFS = path.join(CACHE, 'rootfs');
/** Bumped whenever the rootfs recipe changes, so a stale cache is rebuilt. */
const ROOTFS_VERSION = '2';
const LOCK_FILE = '/tmp/rmqctl-testhosts.lock';
const HOST_PACKAGES = ['openssh-server', 'openssh-client', 'systemd-container', 'debootstrap', 'iproute2', 'procps'];
// etcd-server: automatic failover's etcd (rmqctl deploy installs it with apt-get where it is missing; the hosts have no mirror)
const ROOTFS_PACKAGES = ['systemd', 'systemd-sysv', 'dbus', 'openssh-server', 'openssh-sftp-server', 'iproute2', 'procps', 'libstdc++6', 'etcd-server'];
/** The machine's node, bound read-only into nspawn hosts at /usr/local/bin/node (on the default PATH). */
const NODE_IN_HOST = '/usr/local/bin/node';

export const hostName = (i: number) => `rmqh${i}`;
export const hostAddress = (i: number) => `${SUBNET_PREFIX}.${10 + i}`;
const vethName = (i: number) => `rmqv${i}`;
const cgroupName = (i: number) => `rmqt-${hostName(i)}`;

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestHost {
  readonly index: number;
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly user: 'root';
  readonly mode: HostMode;
  readonly identityFile: string;
  /** A known_hosts file pinning this lab's host keys (every host, `addr` or `[addr]:port` form). */
  readonly knownHostsFile: string;
  /** The host's ed25519 public key line (`ssh-ed25519 AAAA…`) and its SHA256 fingerprint (`SHA256:…`). */
  readonly hostKey: string;
  readonly hostKeyFingerprint: string;
  /** Whether the machine's node is available on the host's PATH. */
  readonly hasNode: boolean;
  /** Runs a shell script on the host through the OpenSSH client (independent of the code under test). */
  exec(script: string, opts?: { input?: string; timeout?: number }): Promise<ExecResult>;
  /** Like exec, but throws with the output when the script exits non-zero. */
  run(script: string, opts?: { input?: string; timeout?: number }): Promise<string>;
  /** Stops or starts the host's sshd from outside (nsenter into the host), to simulate "sshd down". */
  sshd(action: 'stop' | 'start'): Promise<void>;
}

export interface UpOptions {
  count: number;
  mode?: HostMode;
  /** 1-based host indexes that get no node binary (nspawn only), to test pushing one. */
  withoutNode?: number[];
}

export interface TestLab {
  /** Why host tests cannot run here (undefined when they can). */
  readonly skipReason: string | undefined;
  readonly hosts: TestHost[];
  /** State directory of this lab (client key, known_hosts, per-host logs). */
  readonly stateDir: string;
}

// ---------------------------------------------------------------------------------------------
// Small synchronous process helpers (down must work synchronously, from an exit handler too).

function sh(cmd: string, args: string[], opts: { allowFail?: boolean; input?: string } = {}): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], input: opts.input ?? '' });
  } catch (e) {
    if (opts.allowFail) return '';
    const err = e as { stderr?: string; stdout?: string; status?: number };
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${err.status}): ${(err.stderr ?? '').trim() || (err.stdout ?? '').trim()}`);
  }
}

function commandExists(name: string): boolean {
  return sh('sh', ['-c', `command -v ${name}`], { allowFail: true }).trim() !== '';
}

/** Alive and not a zombie (our own exited children stay zombies while down blocks the event loop). */
function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Blocks the thread (down runs synchronously, also inside exit handlers). */
function blockFor(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Waits (blocking) until probe() is true or the deadline passes; returns the last probe result. */
function blockUntil(probe: () => boolean, timeoutMs: number): boolean {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (probe()) return true;
    if (Date.now() > deadline) return false;
    blockFor(50);
  }
}

// ---------------------------------------------------------------------------------------------
// Availability

/**
 * Set when the run was asked to leave the machine alone (`RMQCTL_TEST_NO_ROOT=1`): no Debian
 * packages, no container rootfs, no network namespaces or containers, even as root.
 */
export function rootTestsOptedOut(): string | undefined {
  return process.env.RMQCTL_TEST_NO_ROOT === '1' ? 'RMQCTL_TEST_NO_ROOT=1: tests that need root are skipped' : undefined;
}

/** Why hosts cannot be brought up on this machine, or undefined. Cheap and synchronous. */
export function hostsUnavailable(): string | undefined {
  const optedOut = rootTestsOptedOut();
  if (optedOut) return optedOut;
  if (process.platform !== 'linux') return `test hosts need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'test hosts need root (network namespaces, systemd-nspawn)';
  if (!existsSync('/sys/fs/cgroup')) return 'test hosts need /sys/fs/cgroup';
  if (!commandExists('apt-get') && !(commandExists('sshd') || existsSync('/usr/sbin/sshd'))) {
    return 'test hosts need openssh-server, systemd-container and debootstrap (no apt-get to install them)';
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Prepare: packages on this machine, and the cached rootfs for nspawn hosts.

function missingPackages(): boolean {
  return !(existsSync('/usr/sbin/sshd') && commandExists('ssh') && commandExists('ssh-keygen') && commandExists('systemd-nspawn') && commandExists('debootstrap') && commandExists('ip') && commandExists('nsenter') && commandExists('flock'));
}

function installPackages(): void {
  if (!missingPackages()) return;
  sh('apt-get', ['update', '-q']);
  execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...HOST_PACKAGES], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (missingPackages()) throw new Error(`installed ${HOST_PACKAGES.join(' ')} but sshd/ssh/systemd-nspawn/debootstrap are still missing`);
}

/** The Debian mirror this machine's apt uses. */
function aptMirror(): string {
  for (const f of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    if (!existsSync(f)) continue;
    const text = readFileSync(f, 'utf8');
    const deb822 = /^URIs:\s*(\S+)/m.exec(text);
    if (deb822?.[1]) return deb822[1];
    const classic = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+/m.exec(text);
    if (classic?.[1]) return classic[1];
  }
  return 'http://deb.debian.org/debian';
}

function rootfsReady(): boolean {
  return existsSync(path.join(ROOTFS, '.rmqctl-testhosts')) && readFileSync(path.join(ROOTFS, '.rmqctl-testhosts'), 'utf8').trim() === ROOTFS_VERSION;
}

/** Builds the rootfs in a temporary directory and renames it into place (a crash leaves no half rootfs). */
function buildRootfs(): void {
  if (rootfsReady()) return;
  mkdirSync(CACHE, { recursive: true });
  const tmp = path.join(CACHE, `rootfs.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    execFileSync('debootstrap', ['--variant=minbase', `--include=${ROOTFS_PACKAGES.join(',')}`, 'bookworm', tmp, aptMirror()], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
  } catch (e) {
    const err = e as { stderr?: Buffer; stdout?: Buffer };
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`debootstrap failed: ${String(err.stderr ?? '').slice(-2000)}${String(err.stdout ?? '').slice(-2000)}`);
  }
  // A template for many overlay instances: identity comes per boot from nspawn (-M, --uuid).
  writeFileSync(path.join(tmp, 'etc/hostname'), '');
  writeFileSync(path.join(tmp, 'etc/machine-id'), '');
  rmSync(path.join(tmp, 'var/lib/dbus/machine-id'), { force: true });
  sh('ln', ['-s', '/etc/machine-id', path.join(tmp, 'var/lib/dbus/machine-id')]);
  for (const f of readdirSync(path.join(tmp, 'etc/ssh'))) if (f.startsWith('ssh_host_')) rmSync(path.join(tmp, 'etc/ssh', f));
  // Host keys: generated at boot if missing (each host's ed25519 key is pre-seeded and pinned).
  mkdirSync(path.join(tmp, 'etc/systemd/system/ssh.service.d'), { recursive: true });
  writeFileSync(path.join(tmp, 'etc/systemd/system/ssh.service.d/10-hostkeys.conf'), '[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n');
  mkdirSync(path.join(tmp, 'etc/ssh/sshd_config.d'), { recursive: true });
  writeFileSync(path.join(tmp, 'etc/ssh/sshd_config.d/10-testhosts.conf'), 'PasswordAuthentication no\nKbdInteractiveAuthentication no\n');
  mkdirSync(path.join(tmp, 'root/.ssh'), { recursive: true, mode: 0o700 });
  writeFileSync(path.join(tmp, '.rmqctl-testhosts'), `${ROOTFS_VERSION}\n`);
  rmSync(ROOTFS, { recursive: true, force: true });
  renameSync(tmp, ROOTFS);
}

// ---------------------------------------------------------------------------------------------
// The lock

interface Lock {
  release(): void;
}

/** flock(1) holding an exclusive lock while its `cat` waits on our pipe: released on release() or if we die. */
async function acquireLock(timeoutMs: number): Promise<Lock> {
  const child: ChildProcess = spawn('flock', ['--exclusive', LOCK_FILE, 'sh', '-c', 'echo locked; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for the test-host lock ${LOCK_FILE}`));
    }, timeoutMs);
    child.stdout?.on('data', () => {
      clearTimeout(timer);
      resolve();
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`flock exited (${code}) before taking ${LOCK_FILE}`));
    });
  });
  return {
    release() {
      child.stdin?.end();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// State recorded for down (also by a later run cleaning up after a crash)

interface LabState {
  mode: HostMode;
  count: number;
  /** PID per host: systemd-nspawn (nspawn mode) or sshd (netns mode). */
  pids: Record<string, number>;
}

const stateFile = path.join(STATE, 'lab.json');

function readState(): LabState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile, 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

function writeState(s: LabState): void {
  writeFileSync(`${stateFile}.tmp`, JSON.stringify(s));
  renameSync(`${stateFile}.tmp`, stateFile);
}

// ---------------------------------------------------------------------------------------------
// Down: synchronous, idempotent, tolerant of half-made state.

/** Tears down everything a lab made (also a crashed run's leftovers). Safe to call twice. */
export function downSync(): void {
  const t0 = Date.now();
  const debug = (what: string) => process.env.TESTHOSTS_DEBUG && process.stderr.write(`testhosts down: ${what} +${Date.now() - t0} ms\n`);
  const state = readState();
  const count = Math.max(state?.count ?? 0, 9);
  const pids = Object.values(state?.pids ?? {});
  // SIGTERM to systemd-nspawn powers the container off cleanly; to sshd it exits.
  for (const pid of pids) if (pidAlive(pid)) process.kill(pid, 'SIGTERM');
  for (const pid of pids) {
    if (!blockUntil(() => !pidAlive(pid), 15_000) && pidAlive(pid)) {
      process.kill(pid, 'SIGKILL');
      blockUntil(() => !pidAlive(pid), 5_000);
    }
  }
  debug('hosts stopped');
  for (let i = 1; i <= count; i++) {
    const ns = hostName(i);
    // Whatever still runs in the namespace (e.g. processes the process supervisor detached
    // on a netns host) goes with it.
    const left = sh('ip', ['netns', 'pids', ns], { allowFail: true }).split(/\s+/).filter(Boolean).map(Number);
    for (const pid of left) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
    if (left.length) blockUntil(() => left.every((p) => !pidAlive(p)), 5_000);
    for (const hier of ['unified', 'systemd']) {
      const dir = `/sys/fs/cgroup/${hier}/${cgroupName(i)}`;
      if (existsSync(dir)) sh('find', [dir, '-depth', '-type', 'd', '-exec', 'rmdir', '{}', ';'], { allowFail: true });
    }
    rmSync(`/run/systemd/nspawn/propagate/${ns}`, { recursive: true, force: true });
    sh('ip', ['netns', 'del', ns], { allowFail: true });
  }
  debug('namespaces deleted');
  sh('ip', ['link', 'del', BRIDGE], { allowFail: true });
  // A deleted namespace lives on while sockets closed inside it still retransmit (orphans of a
  // partitioned host: ~2 min after a chaos run), and its veth with it, which made the next lab's
  // `ip link add rmqvN` fail with "File exists". Deleting our end removes both.
  for (let i = 1; i <= count; i++) sh('ip', ['link', 'del', vethName(i)], { allowFail: true });
  // veth teardown follows the namespace asynchronously in the kernel
  blockUntil(() => !/ rmqv\d+[@:]/.test(sh('ip', ['-o', 'link', 'show'], { allowFail: true })), 10_000);
  rmSync(STATE, { recursive: true, force: true });
  debug('done');
}

// ---------------------------------------------------------------------------------------------
// Up

function netUp(count: number): void {
  sh('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
  sh('ip', ['addr', 'add', `${BRIDGE_ADDRESS}/24`, 'dev', BRIDGE]);
  sh('ip', ['link', 'set', BRIDGE, 'up']);
  for (let i = 1; i <= count; i++) {
    const ns = hostName(i);
    sh('ip', ['netns', 'add', ns]);
    sh('ip', ['link', 'add', vethName(i), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    sh('ip', ['link', 'set', vethName(i), 'master', BRIDGE, 'up']);
    sh('ip', ['-n', ns, 'addr', 'add', `${hostAddress(i)}/24`, 'dev', 'eth0']);
    sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  }
}

function fingerprintOf(pubLine: string): string {
  const blob = Buffer.from(pubLine.trim().split(/\s+/)[1] ?? '', 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Starts one host; returns the PID to stop it by. */
function startHost(i: number, mode: HostMode, withNode: boolean): number {
  const ns = hostName(i);
  const dir = path.join(STATE, ns);
  mkdirSync(dir, { recursive: true });
  const log = openSync(path.join(dir, mode === 'nspawn' ? 'console.log' : 'sshd.log'), 'a');
  try {
    let child: ChildProcess;
    if (mode === 'nspawn') {
      for (const hier of ['unified', 'systemd']) mkdirSync(`/sys/fs/cgroup/${hier}/${cgroupName(i)}`, { recursive: true });
      const node = process.execPath;
      const args = [
        '-q', '-D', ROOTFS, `--overlay=${ROOTFS}:${path.join(dir, 'upper')}:/`,
        '--boot', '-M', ns, `--uuid=${crypto.randomUUID()}`,
        '--register=no', '--keep-unit', '--console=read-only',
        `--network-namespace-path=/run/netns/${ns}`,
        `--bind-ro=${path.join(STATE, 'id_ed25519.pub')}:/root/.ssh/authorized_keys`,
        ...(withNode ? [`--bind-ro=${node}:${NODE_IN_HOST}`] : []),
      ];
      // The shell moves itself into the host's own cgroups, then becomes systemd-nspawn.
      const script = 'echo $$ > "$1/cgroup.procs" && echo $$ > "$2/cgroup.procs" && shift 2 && exec systemd-nspawn "$@"';
      child = spawn('sh', ['-c', script, 'sh', `/sys/fs/cgroup/unified/${cgroupName(i)}`, `/sys/fs/cgroup/systemd/${cgroupName(i)}`, ...args], { detached: true, stdio: ['ignore', log, log] });
    } else {
      const cfg = path.join(dir, 'sshd_config');
      writeFileSync(cfg, [
        'Port 2222', `ListenAddress ${hostAddress(i)}`, `HostKey ${path.join(dir, 'host_ed25519')}`, `PidFile ${path.join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${path.join(STATE, 'id_ed25519.pub')}`, 'PasswordAuthentication no', 'KbdInteractiveAuthentication no',
        'PermitRootLogin prohibit-password', 'UsePAM no', 'StrictModes no', 'Subsystem sftp internal-sftp', '',
      ].join('\n'));
      for (const d of ['etc', 'opt', 'var']) for (const s of ['upper', 'work']) mkdirSync(path.join(dir, `${d}-${s}`), { recursive: true });
      mkdirSync(path.join(dir, 'run'), { recursive: true });
      mkdirSync(path.join(dir, 'root'), { recursive: true, mode: 0o700 });
      // Private /etc, /opt, /var (overlays on this machine's) and a fresh /run: what a deploy writes
      // there (service user, releases, logs, pid files) stays inside this host.
      const script = [
        'set -e', 'd=$1; h=$2',
        'hostname "$h"',
        'for m in etc opt var; do mount -t overlay overlay -o "lowerdir=/$m,upperdir=$d/$m-upper,workdir=$d/$m-work" "/$m"; done',
        'mount -t tmpfs -o mode=0755 tmpfs /run', 'mkdir -p /run/sshd', 'chmod 0755 /run/sshd',
        // an empty home for root: this machine's ~/.bashrc (which bash reads for every SSH command)
        // is not the host's business, and can be slow
        'mount --bind "$d/root" /root',
        'exec /usr/sbin/sshd -D -e -f "$d/sshd_config"',
      ].join('\n');
      child = spawn('ip', ['netns', 'exec', ns, 'unshare', '--mount', '--uts', '--propagation', 'private', 'sh', '-c', script, 'sh', dir, ns], { detached: true, stdio: ['ignore', log, log] });
    }
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${ns}`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

function makeHost(i: number, mode: HostMode, withNode: boolean, pidOf: () => number | undefined): TestHost {
  const port = mode === 'nspawn' ? 22 : 2222;
  const address = hostAddress(i);
  const ns = hostName(i);
  const pubFile = mode === 'nspawn' ? path.join(STATE, ns, 'upper/etc/ssh/ssh_host_ed25519_key.pub') : path.join(STATE, ns, 'host_ed25519.pub');
  const hostKey = readFileSync(pubFile, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  const identityFile = path.join(STATE, 'id_ed25519');
  const knownHostsFile = path.join(STATE, 'known_hosts');
  const exec = (script: string, opts: { input?: string; timeout?: number } = {}): Promise<ExecResult> =>
    new Promise((resolve) => {
      const child = spawn('ssh', [
        '-i', identityFile, '-o', `UserKnownHostsFile=${knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes',
        '-o', 'ConnectTimeout=5', '-p', String(port), `root@${address}`, script,
      ], { stdio: ['pipe', 'pipe', 'pipe'], timeout: opts.timeout ?? 60_000 });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code: code ?? 255, stdout, stderr }));
      child.stdin.on('error', () => {}); // ssh may exit before reading its input
      child.stdin.end(opts.input ?? '');
    });
  return {
    index: i,
    name: ns,
    address,
    port,
    user: 'root',
    mode,
    identityFile,
    knownHostsFile,
    hostKey,
    hostKeyFingerprint: fingerprintOf(hostKey),
    hasNode: withNode,
    exec,
    async run(script, opts) {
      const r = await exec(script, opts);
      if (r.code !== 0) throw new Error(`${ns}: \`${script}\` exited ${r.code}: ${r.stderr.trim()} ${r.stdout.trim()}`);
      return r.stdout;
    },
    async sshd(action) {
      if (mode === 'netns') {
        // the sshd is the host's root process; restarting it is a fresh start in the same namespace
        throw new Error('sshd stop/start is only supported for nspawn hosts');
      }
      const leader = containerInit(pidOf());
      if (leader === undefined) throw new Error(`${ns}: container init not found`);
      sh('nsenter', ['--target', String(leader), '--mount', '--uts', '--ipc', '--net', '--pid', '--', 'systemctl', action, 'ssh.service']);
      if (action === 'start') await waitFor(async () => (await exec('true')).code === 0, { timeout: 30_000, what: `sshd on ${ns}` });
    },
  };
}

/** The container's PID 1 as seen from here: the descendant of systemd-nspawn named systemd. */
function containerInit(nspawnPid: number | undefined): number | undefined {
  if (nspawnPid === undefined) return undefined;
  const queue = [nspawnPid];
  while (queue.length) {
    const pid = queue.shift()!;
    let children: number[] = [];
    try {
      children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
    } catch {
      continue;
    }
    for (const c of children) {
      try {
        if (readFileSync(`/proc/${c}/comm`, 'utf8').trim() === 'systemd') return c;
      } catch {
        // gone
      }
      queue.push(c);
    }
  }
  return undefined;
}

function sshReady(h: TestHost): Promise<boolean> {
  return h.exec('true', { timeout: 5_000 }).then((r) => r.code === 0);
}

let exitHooked = false;
let labUp = false;
function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  const onSignal = (sig: NodeJS.Signals) => {
    if (labUp) downSync();
    labUp = false;
    process.kill(process.pid, sig);
  };
  process.once('exit', () => {
    if (labUp) downSync();
  });
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

/** Brings `count` hosts up (serialised by the lab lock); the returned down() always tears down and releases. */
export async function up(opts: UpOptions): Promise<{ hosts: TestHost[]; down(): void }> {
  const mode = opts.mode ?? 'nspawn';
  if (opts.count < 1 || opts.count > 9) throw new Error('between 1 and 9 test hosts');
  const lock = await acquireLock(30 * 60_000);
  hookExit();
  let released = false;
  const down = () => {
    if (released) return;
    released = true;
    try {
      downSync();
    } finally {
      labUp = false;
      lock.release();
    }
  };
  try {
    downSync(); // a crashed run's leftovers
    const taken = sh('ip', ['-o', 'addr', 'show', 'to', `${SUBNET_PREFIX}.0/24`], { allowFail: true }).trim();
    if (taken) throw new Error(`${SUBNET_PREFIX}.0/24 is already in use on this machine (another test-host harness?):\n${taken}`);
    installPackages();
    if (mode === 'nspawn') buildRootfs();
    mkdirSync(STATE, { recursive: true });
    labUp = true;
    const state: LabState = { mode, count: opts.count, pids: {} };
    writeState(state);
    sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'rmqctl-testhosts-client', '-f', path.join(STATE, 'id_ed25519')]);
    netUp(opts.count);
    const knownHosts: string[] = [];
    for (let i = 1; i <= opts.count; i++) {
      const dir = path.join(STATE, hostName(i));
      const keyFile = mode === 'nspawn' ? path.join(dir, 'upper/etc/ssh/ssh_host_ed25519_key') : path.join(dir, 'host_ed25519');
      mkdirSync(path.dirname(keyFile), { recursive: true });
      sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', hostName(i), '-f', keyFile]);
      const pub = readFileSync(`${keyFile}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
      knownHosts.push(`${mode === 'nspawn' ? hostAddress(i) : `[${hostAddress(i)}]:2222`} ${pub}`);
    }
    writeFileSync(path.join(STATE, 'known_hosts'), `${knownHosts.join('\n')}\n`);
    for (let i = 1; i <= opts.count; i++) {
      state.pids[hostName(i)] = startHost(i, mode, !(opts.withoutNode ?? []).includes(i));
      writeState(state);
    }
    const hosts = Array.from({ length: opts.count }, (_, k) => makeHost(k + 1, mode, !(opts.withoutNode ?? []).includes(k + 1), () => state.pids[hostName(k + 1)]));
    for (const h of hosts) {
      const pid = state.pids[h.name]!;
      await waitFor(async () => {
        if (!pidAlive(pid)) return 'exited';
        return sshReady(h);
      }, { timeout: 90_000, interval: 100, what: `ssh on ${h.name} (${h.address}:${h.port})` });
      if (!pidAlive(pid)) throw new Error(`${h.name} exited during boot; log:\n${readLog(h.name)}`);
    }
    if (mode === 'nspawn') {
      // sshd accepts before the rest of boot is done; wait until systemd settles
      for (const h of hosts) {
        await waitFor(async () => /^(running|degraded)/.test((await h.exec('systemctl is-system-running')).stdout.trim()), { timeout: 60_000, interval: 100, what: `systemd on ${h.name}` });
      }
    }
    return { hosts, down };
  } catch (e) {
    down();
    throw e;
  }
}

function readLog(name: string): string {
  for (const f of ['console.log', 'sshd.log']) {
    const p = path.join(STATE, name, f);
    if (existsSync(p)) return readFileSync(p, 'utf8').slice(-2000);
  }
  return '(no log)';
}

/**
 * Declares a lab for the current test file: hosts come up in beforeAll and always go down in
 * afterAll. Returns `skipReason` for describe.skipIf (in CI a missing capability fails instead).
 */
export function testHosts(opts: UpOptions): TestLab {
  const reason = hostsUnavailable();
  if (reason && process.env.CI === 'true' && !rootTestsOptedOut()) throw new Error(`test hosts required in CI but unavailable: ${reason}`);
  const lab: { skipReason: string | undefined; hosts: TestHost[]; stateDir: string } = { skipReason: reason, hosts: [], stateDir: STATE };
  if (reason) {
    process.stderr.write(`skipping test-host tests: ${reason}\n`);
    return lab;
  }
  let down: (() => void) | undefined;
  beforeAll(async () => {
    const r = await up(opts);
    down = r.down;
    lab.hosts.push(...r.hosts);
  }, 35 * 60_000);
  afterAll(() => {
    down?.();
  });
  return lab;
}
