/**
 * The chaos lab: a real cluster of `rmqd` processes (the built bundle) placed on the test hosts'
 * network namespaces (test/support/hosts.ts, `netns` mode: one namespace per host on the
 * 10.77.0.0/24 bridge), one node per host, so that every fault has a real place to act:
 *
 *  - processes: each node is a child of this harness (`ip netns exec <host> node dist/rmqd.js …`),
 *    so `kill -9`, SIGSTOP/SIGCONT and a kill while it replays its store hit exactly that process;
 *    the harness is the supervisor (it restarts a killed node after the fault), not systemd —
 *    deploying with systemd is test/deploy/e2e-ssh.test.ts's job;
 *  - network: nftables rules and tc qdiscs inside a host's namespace (partitions one-way or
 *    two-way, random loss, a slow link);
 *  - disk: every broker's store is its own small ext4 filesystem on a loop device (a full disk is
 *    real ENOSPC; fsync goes through a block device), and each broker runs in its own blkio cgroup
 *    (cgroup v1 `blkio.throttle.write_bps_device` on that loop device = slow writes and fsyncs);
 *  - clock: CLOCK_REALTIME is not namespaced (time namespaces only offset MONOTONIC/BOOTTIME), so
 *    the nodes named in `clockNodes` run under libfaketime (LD_PRELOAD, offset read from a file,
 *    monotonic clock left alone): stepping that file steps the wall clock of that process only.
 *
 * The cluster is the preset topology of the mode (topologies/*.yaml: roles, flush, replicas,
 * overrides) built by the real topology model with the lab's hosts substituted; only paths and
 * the commit-log file size (small, for many rollovers) are the lab's.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { RemotingClient } from '../../src/remoting/client.js';
import { RequestCode, ResponseCode } from '../../src/remoting/codes.js';
import { createRequest } from '../../src/remoting/command.js';
import { decodeClusterInfo } from '../../src/protocol/route.js';
import { runtimeBundle } from '../../src/paths.js';
import { buildClusterModel, parseTopology, presetPath } from '../../src/topology/index.js';
import type { BrokerNode, ClusterNode } from '../../src/topology/model.js';
import { downSync, hostAddress, hostName, up, SUBNET_PREFIX } from '../support/hosts.js';
import { waitFor } from '../support/wait.js';

export const MODES = ['2m-2s-sync', '2m-2s-async', 'multi-master', 'sync-flush-single'] as const;
export type ChaosMode = (typeof MODES)[number];

/** What each mode promises about acknowledged messages when one machine fails. */
export const MODE_PROMISE: Record<ChaosMode, { preset: string; flush: 'sync' | 'async'; noLossAsserted: boolean; slaves: boolean }> = {
  '2m-2s-sync': { preset: '2m-2s-sync', flush: 'async', noLossAsserted: true, slaves: true },
  '2m-2s-async': { preset: '2m-2s-async', flush: 'async', noLossAsserted: false, slaves: true },
  'multi-master': { preset: 'multi-master', flush: 'async', noLossAsserted: false, slaves: false },
  'sync-flush-single': { preset: 'single-master', flush: 'sync', noLossAsserted: true, slaves: false },
};

/** The address the harness (and so every client) has on the bridge. */
export const CLIENT_ADDRESS = `${SUBNET_PREFIX}.1`;
const RMQD = runtimeBundle;
const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const TOOLS: Record<string, string> = { nft: 'nftables', tc: 'iproute2', losetup: 'mount', 'mkfs.ext4': 'e2fsprogs', faketime: 'faketime' };
const BLKIO = '/sys/fs/cgroup/blkio';

function sh(cmd: string, args: string[], opts: { allowFail?: boolean; input?: string } = {}): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], input: opts.input ?? '' });
  } catch (e) {
    if (opts.allowFail) return '';
    const err = e as { stderr?: string; status?: number };
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${err.status}): ${(err.stderr ?? '').trim()}`);
  }
}

/** nft, tc, loop devices, mkfs.ext4 and libfaketime on this machine (installed with apt-get when missing). */
export function ensureTools(): void {
  const missing = Object.entries(TOOLS).filter(([bin]) => sh('sh', ['-c', `command -v ${bin}`], { allowFail: true }).trim() === '');
  if (missing.length > 0 || !existsSync(LIBFAKETIME)) {
    const pkgs = [...new Set([...missing.map(([, p]) => p), 'faketime', 'libfaketime'])];
    sh('apt-get', ['update', '-q']);
    execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...pkgs], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, stdio: 'ignore' });
  }
  if (!existsSync(LIBFAKETIME)) throw new Error(`${LIBFAKETIME} is missing after installing libfaketime`);
}

/** Why the lab cannot run here, or undefined. */
export function labUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'the chaos lab needs Linux';
  if (process.getuid?.() !== 0) return 'the chaos lab needs root (network namespaces, loop devices, nftables)';
  if (process.env.RMQCTL_TEST_NO_ROOT === '1') return 'RMQCTL_TEST_NO_ROOT=1: tests that need root are skipped';
  if (!existsSync('/dev/loop-control')) return 'the chaos lab needs loop devices (/dev/loop-control)';
  return undefined;
}

export interface NodeOptions {
  id: string;
  kind: 'namesrv' | 'broker';
  hostIndex: number;
  address: string;
  port: number;
  flags: string[];
  properties: Record<string, string>;
  brokerName?: string;
  brokerId?: number;
  /** Runs under libfaketime (its wall clock can be stepped). */
  clock: boolean;
}

/** One rmqd process in its host's namespace. */
export class LabNode {
  readonly ns: string;
  readonly dir: string;
  readonly configFile: string;
  readonly logFile: string;
  readonly clockFile: string;
  /** The broker's store: a loop device with ext4, mounted at storeDir. */
  store: { image: string; device: string; devNumber: string; mountpoint: string } | undefined;
  proc: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  /** Log lines of the current run (the whole log is in logFile). */
  lines: string[] = [];
  stopped = false;
  startedAt = 0;

  constructor(
    readonly o: NodeOptions,
    root: string,
    private readonly lab: ChaosLab,
  ) {
    this.ns = hostName(o.hostIndex);
    this.dir = path.join(root, o.id);
    this.configFile = path.join(this.dir, `${o.id}.properties`);
    this.logFile = path.join(this.dir, `${o.id}.log`);
    this.clockFile = path.join(this.dir, 'faketime');
  }

  get id(): string {
    return this.o.id;
  }
  get addr(): string {
    return `${this.o.address}:${this.o.port}`;
  }
  get kind(): 'namesrv' | 'broker' {
    return this.o.kind;
  }
  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }
  get pid(): number | undefined {
    return this.running ? this.proc?.pid : undefined;
  }
  get blkioCgroup(): string {
    return path.join(BLKIO, `rmq-chaos-${this.o.id}`);
  }

  prepare(): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(this.clockFile, '+0\n');
    if (this.o.kind === 'broker') {
      const mountpoint = path.join(this.dir, 'store');
      mkdirSync(mountpoint, { recursive: true });
      const image = path.join(this.lab.imageDir, `${this.o.id}.img`);
      sh('truncate', ['-s', `${this.lab.storeMiB}M`, image]);
      const device = sh('losetup', ['--find', '--show', image]).trim();
      this.store = { image, device, devNumber: readFileSync(`/sys/block/${path.basename(device)}/dev`, 'utf8').trim(), mountpoint };
      this.lab.record({ loop: device, image, mountpoint });
      sh('mkfs.ext4', ['-q', '-F', '-m', '0', device]);
      sh('mount', [device, mountpoint]);
      this.o.properties.storePathRootDir = mountpoint;
      this.o.properties.storePathCommitLog = path.join(mountpoint, 'commitlog');
      mkdirSync(this.blkioCgroup, { recursive: true });
      this.lab.record({ cgroup: this.blkioCgroup });
    } else {
      this.o.properties.kvConfigPath = path.join(this.dir, 'kvConfig.json');
    }
    writeFileSync(this.configFile, `${Object.entries(this.o.properties).map(([k, v]) => `${k}=${v}`).join('\n')}\n`);
  }

  /** Starts the process; does not wait for it to be ready (see ready()). */
  spawn(): void {
    if (this.running) throw new Error(`${this.id} is already running`);
    this.lines = [];
    this.stopped = false;
    const env: NodeJS.ProcessEnv = { ...process.env, RMQ_LOG_LEVEL: 'info' };
    if (this.o.clock) Object.assign(env, { LD_PRELOAD: LIBFAKETIME, FAKETIME_TIMESTAMP_FILE: this.clockFile, FAKETIME_CACHE_DURATION: '1', DONT_FAKE_MONOTONIC: '1', FAKETIME_DONT_RESET: '1' });
    // The shell puts itself in the broker's blkio cgroup, then becomes `ip netns exec` -> node.
    const script = this.o.kind === 'broker' ? `echo $$ > ${this.blkioCgroup}/cgroup.procs && exec "$@"` : 'exec "$@"';
    const log = openSync(this.logFile, 'a');
    const proc = spawn('sh', ['-c', script, 'sh', 'ip', 'netns', 'exec', this.ns, process.execPath, ...this.o.flags, RMQD, this.o.kind, '-c', this.configFile], { stdio: ['ignore', 'pipe', 'pipe'], env });
    closeSync(log);
    this.proc = proc;
    this.startedAt = Date.now();
    let partial = '';
    const onData = (chunk: Buffer) => {
      writeFileSync(this.logFile, chunk, { flag: 'a' });
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop() ?? '';
      this.lines.push(...parts);
      if (this.lines.length > 2000) this.lines.splice(0, this.lines.length - 1000);
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    this.lab.live.add(this);
  }

  /** Answers by protocol (a broker: listed by every running NameServer too). */
  async ready(timeoutMs = 60_000): Promise<void> {
    const client = this.lab.client;
    const ok = async (addr: string, code: number) => {
      try {
        return (await client.request(addr, createRequest(code), 1_000)).code === ResponseCode.SUCCESS;
      } catch {
        return false;
      }
    };
    await waitFor(async () => {
      if (!this.running) throw new Error(`${this.id} exited: ${this.lines.slice(-10).join('\n')}`);
      return ok(this.addr, this.o.kind === 'namesrv' ? RequestCode.GET_BROKER_CLUSTER_INFO : RequestCode.GET_BROKER_RUNTIME_INFO);
    }, { timeout: timeoutMs, interval: 100, what: `${this.id} to answer` });
  }

  async start(timeoutMs?: number): Promise<void> {
    this.spawn();
    await this.ready(timeoutMs);
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.proc?.kill(sig);
  }

  async kill9(): Promise<void> {
    if (!this.running) return;
    this.signal('SIGCONT'); // a stopped process dies on SIGKILL too, but say it plainly
    this.signal('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.signal('SIGCONT');
    this.signal('SIGTERM');
    const done = await Promise.race([this.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 15_000))]);
    if (!done) await this.kill9();
  }

  /** Steps this node's wall clock (libfaketime offset, e.g. '+300', '-120', '+0'). */
  setClock(offset: string): void {
    if (!this.o.clock) throw new Error(`${this.id} does not run under libfaketime`);
    writeFileSync(this.clockFile, `${offset}\n`);
  }

  /** Limits the broker's writes to its store device (bytes/s; 0 = no limit). */
  throttleWrites(bps: number): void {
    if (!this.store) throw new Error(`${this.id} has no store device`);
    writeFileSync(path.join(this.blkioCgroup, 'blkio.throttle.write_bps_device'), `${this.store.devNumber} ${bps}\n`);
    writeFileSync(path.join(this.blkioCgroup, 'blkio.throttle.write_iops_device'), `${this.store.devNumber} ${bps === 0 ? 0 : Math.max(8, Math.floor(bps / 4096))}\n`);
  }

  /** Fills the store's filesystem up to the last byte (a file named fill), or frees it again. */
  fillDisk(on: boolean): void {
    if (!this.store) throw new Error(`${this.id} has no store device`);
    const filler = path.join(this.store.mountpoint, 'chaos-filler');
    if (!on) {
      rmSync(filler, { force: true });
      return;
    }
    const free = Number(sh('df', ['--output=avail', '-B1', this.store.mountpoint]).trim().split('\n')[1]);
    if (free > 0) sh('fallocate', ['-l', String(free), filler], { allowFail: true });
    // whatever fallocate could not take (reserved metadata), a write until ENOSPC takes
    sh('sh', ['-c', `dd if=/dev/zero of=${filler}.tail bs=4096 2>/dev/null; true`]);
  }

  /** The commit log's bytes [from, to) as stored in its files (read here, not through the broker). */
  commitLogBytes(from: number, to: number): Buffer {
    const dir = this.o.properties.storePathCommitLog!;
    const segments = readdirSync(dir).filter((f) => /^\d{20}$/.test(f)).map(Number).sort((a, b) => a - b);
    const out = Buffer.alloc(Math.max(0, to - from));
    for (const start of segments) {
      const fd = openSync(path.join(dir, String(start).padStart(20, '0')), 'r');
      try {
        const size = fstatSync(fd).size;
        const lo = Math.max(from, start);
        const hi = Math.min(to, start + size);
        if (hi > lo) readSync(fd, out, lo - from, hi - lo, lo - start);
      } finally {
        closeSync(fd);
      }
    }
    return out;
  }

  /** The lowest commit-log offset still in the files. */
  commitLogStart(): number {
    const dir = this.o.properties.storePathCommitLog!;
    const segments = readdirSync(dir).filter((f) => /^\d{20}$/.test(f)).map(Number);
    return segments.length ? Math.min(...segments) : 0;
  }

  async release(): Promise<void> {
    await this.kill9();
    this.lab.live.delete(this);
  }
}

export interface LabOptions {
  mode: ChaosMode;
  /** Working directory (logs, configs); default /tmp/rmq-chaos-<pid>. */
  root?: string;
  /** Size of each broker's store filesystem (MiB, default 192). */
  storeMiB?: number;
  /** Commit-log segment size (bytes, default 2 MiB: many rollovers). */
  commitLogSegment?: number;
  /** Extra broker properties (win over the preset's). */
  brokerProperties?: Record<string, string>;
  /** Node ids that run under libfaketime (default: the first master and the first NameServer). */
  clockNodes?: string[];
}

interface Leftover {
  loop?: string;
  image?: string;
  mountpoint?: string;
  cgroup?: string;
}

/** Lab hosts for a mode: one per node, in model order (NameServers first). */
function topologyFor(mode: ChaosMode): { yaml: string; hosts: number } {
  const promise = MODE_PROMISE[mode];
  const preset = parseYaml(readFileSync(presetPath(promise.preset), 'utf8')) as Record<string, unknown>;
  const nameservers = preset.nameservers as { host: string; port: number }[];
  const brokers = preset.brokers as { name: string; master: { host: string; port: number }; slaves?: { host: string; port: number }[] }[];
  let i = 0;
  const nextHost = () => `h${++i}`;
  for (const n of nameservers) Object.assign(n, { host: nextHost(), port: 9876 });
  for (const b of brokers) {
    Object.assign(b.master, { host: nextHost(), port: 10911 });
    for (const s of b.slaves ?? []) Object.assign(s, { host: nextHost(), port: 10911 });
  }
  preset.hosts = Array.from({ length: i }, (_, k) => ({ name: `h${k + 1}`, address: hostAddress(k + 1), ssh: { user: 'root' } }));
  preset.cluster = `chaos-${mode}`;
  preset.flush = promise.flush;
  return { yaml: stringifyYaml(preset), hosts: i };
}

/** Path-valued keys the lab replaces (the model's are for a deployed host). */
const PATH_KEYS = new Set(['storePathRootDir', 'storePathCommitLog', 'kvConfigPath']);

export class ChaosLab {
  readonly nodes: LabNode[] = [];
  readonly live = new Set<LabNode>();
  readonly client = new RemotingClient({});
  readonly root: string;
  readonly imageDir: string;
  readonly storeMiB: number;
  readonly namesrvAddr: string;
  private downHosts: (() => void) | undefined;
  private readonly leftoversFile: string;

  private constructor(readonly mode: ChaosMode, root: string, storeMiB: number, namesrvAddr: string) {
    this.root = root;
    this.imageDir = path.join('/var/tmp', `rmq-chaos-images-${process.pid}`);
    this.storeMiB = storeMiB;
    this.namesrvAddr = namesrvAddr;
    this.leftoversFile = path.join('/tmp', 'rmq-chaos-leftovers.jsonl');
  }

  /** Hosts up, stores made, every node started and ready. */
  static async up(o: LabOptions): Promise<ChaosLab> {
    ensureTools();
    const { yaml, hosts } = topologyFor(o.mode);
    const { topology } = parseTopology(yaml, `chaos-${o.mode}.yaml`);
    const model = buildClusterModel(topology, { stateDir: '/tmp/rmq-chaos-model' });
    const root = o.root ?? path.join('/tmp', `rmq-chaos-${process.pid}`);
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    const lab = new ChaosLab(o.mode, root, o.storeMiB ?? 192, model.namesrvAddr);
    const firstMaster = model.nodes.find((n) => n.kind === 'broker' && n.role === 'master')!.id;
    const clockNodes = new Set(o.clockNodes ?? [firstMaster, 'namesrv-1']);
    // the hosts' lock serialises labs: only with it held may a crashed run's leftovers be cleaned
    const r = await up({ count: hosts, mode: 'netns' });
    lab.downHosts = r.down;
    installExitHook(lab);
    try {
      cleanLeftovers();
      mkdirSync(lab.imageDir, { recursive: true });
      lab.record({ image: lab.imageDir });
      for (const n of model.nodes) lab.addNode(n, clockNodes.has(n.id), o);
      for (const n of lab.nodes) n.prepare();
      for (const n of lab.nodes) await n.start();
      await lab.waitRegistered();
      return lab;
    } catch (e) {
      await lab.down();
      throw e;
    }
  }

  private addNode(n: ClusterNode, clock: boolean, o: LabOptions): void {
    const hostIndex = Number(n.host.slice(1));
    const node = n as BrokerNode;
    const properties: Record<string, string> = {};
    for (const p of n.properties) if (!PATH_KEYS.has(p.key)) properties[p.key] = p.value;
    if (n.kind === 'broker') {
      properties.mappedFileSizeCommitLog = String(o.commitLogSegment ?? 2 * 1024 * 1024);
      Object.assign(properties, o.brokerProperties ?? {});
    }
    // node flags between the node binary and the runtime entry (e.g. --initial-old-space-size)
    const flags = n.command.slice(1, n.command.findIndex((a) => a.endsWith('rmqd.js')));
    this.nodes.push(
      new LabNode(
        { id: n.id, kind: n.kind, hostIndex, address: n.address, port: n.kind === 'broker' ? node.listenPort : (n as { listenPort: number }).listenPort, flags, properties, ...(n.kind === 'broker' ? { brokerName: node.brokerName, brokerId: node.brokerId } : {}), clock },
        this.root,
        this,
      ),
    );
  }

  get isUp(): boolean {
    return this.downHosts !== undefined;
  }

  node(id: string): LabNode {
    const n = this.nodes.find((x) => x.id === id);
    if (!n) throw new Error(`no node ${id} (have ${this.nodes.map((x) => x.id).join(', ')})`);
    return n;
  }
  get brokers(): LabNode[] {
    return this.nodes.filter((n) => n.kind === 'broker');
  }
  get masters(): LabNode[] {
    return this.brokers.filter((n) => n.o.brokerId === 0);
  }
  get slaves(): LabNode[] {
    return this.brokers.filter((n) => (n.o.brokerId ?? 0) > 0);
  }
  get namesrvs(): LabNode[] {
    return this.nodes.filter((n) => n.kind === 'namesrv');
  }
  get namesrvAddrs(): string[] {
    return this.namesrvAddr.split(';');
  }

  /** Every running NameServer lists every running broker at its address. */
  async waitRegistered(timeoutMs = 60_000): Promise<void> {
    await waitFor(async () => {
      for (const ns of this.namesrvs.filter((n) => n.running)) {
        const info = decodeClusterInfo((await this.client.request(ns.addr, createRequest(RequestCode.GET_BROKER_CLUSTER_INFO), 1_000)).body);
        for (const b of this.brokers.filter((x) => x.running)) {
          if (info.brokerAddrTable[b.o.brokerName!]?.brokerAddrs[String(b.o.brokerId)] !== b.addr) return false;
        }
      }
      return true;
    }, { timeout: timeoutMs, interval: 200, what: 'every NameServer to list every broker' });
  }

  /** Runs `nft`/`tc`/any command inside host i's network namespace. */
  inHost(hostIndex: number, cmd: string, args: string[], opts: { allowFail?: boolean; input?: string } = {}): string {
    return sh('ip', ['netns', 'exec', hostName(hostIndex), cmd, ...args], opts);
  }

  record(l: Leftover): void {
    writeFileSync(this.leftoversFile, `${JSON.stringify(l)}\n`, { flag: 'a' });
  }

  /** Kills every node, unmounts and detaches the stores, removes cgroups, takes the hosts down. */
  async down(opts: { keepLogs?: boolean } = {}): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.release()));
    this.client.shutdown();
    cleanLeftovers();
    this.downHosts?.();
    this.downHosts = undefined;
    if (!opts.keepLogs) rmSync(this.root, { recursive: true, force: true });
  }
}

/** Undoes what a lab (this run or a crashed one) recorded: mounts, loop devices, images, cgroups. */
export function cleanLeftovers(): void {
  const file = path.join('/tmp', 'rmq-chaos-leftovers.jsonl');
  if (!existsSync(file)) return;
  const items = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Leftover);
  for (const i of items) {
    if (i.mountpoint) sh('umount', ['-l', i.mountpoint], { allowFail: true });
  }
  for (const i of items) {
    if (i.loop && i.image && sh('losetup', ['-j', i.image], { allowFail: true }).includes(i.loop)) sh('losetup', ['-d', i.loop], { allowFail: true });
  }
  for (const i of items) {
    if (i.cgroup && existsSync(i.cgroup)) {
      // a cgroup with processes cannot go: move them back to the root cgroup first
      for (const pid of readFileSync(path.join(i.cgroup, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        try {
          writeFileSync(path.join(BLKIO, 'cgroup.procs'), pid);
        } catch {
          // gone
        }
      }
      sh('rmdir', [i.cgroup], { allowFail: true });
    }
    if (i.image) rmSync(i.image, { recursive: true, force: true });
  }
  rmSync(file, { force: true });
}

let hooked = false;
function installExitHook(lab: ChaosLab): void {
  if (hooked) return;
  hooked = true;
  const sync = () => {
    if (!lab.isUp) return;
    for (const n of lab.live) if (n.running) n.proc?.kill('SIGKILL');
    cleanLeftovers();
    downSync();
  };
  process.once('exit', sync);
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      sync();
      process.exit(130);
    });
}
