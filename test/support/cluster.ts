/**
 * A real cluster for tests: `rmqd namesrv` and `rmqd broker` processes (the built bundle, as
 * deploy runs it) on free ports, each with its own temp directory, ready only when the protocol
 * says so (a NameServer answers; a broker answers and every running NameServer lists it).
 *
 *   const c = await startCluster({ namesrvs: 2, brokers: [{ name: 'broker-a' }, { name: 'broker-b', properties: { flushDiskType: 'SYNC_FLUSH' } }] });
 *   c.namesrvAddr               // '127.0.0.1:p1;127.0.0.1:p2'
 *   c.broker('broker-a').addr   // '127.0.0.1:port'
 *   await c.node('broker-a-0').kill9();  await c.node('broker-a-0').start();
 *
 * Cleanup: by default every process is killed and every directory removed when the current test
 * finishes (`cleanup: 'manual'` for a cluster shared by a describe block: call `stop()` in
 * afterAll). A process exit hook kills what is left if the test runner dies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { RemotingClient } from '../../src/remoting/client.js';
import type { Credentials } from '../../src/remoting/acl-signature.js';
import { RequestCode, ResponseCode } from '../../src/remoting/codes.js';
import { decodeClusterInfo } from '../../src/protocol/route.js';
import { createRequest } from '../../src/remoting/command.js';
import { repoRoot } from './cli.js';
import { freeBrokerPort, freePort } from './ports.js';
import { waitFor } from './wait.js';
import type { ClientTls } from '../../src/remoting/tls-config.js';

export type PropertyValue = string | number | boolean;

/**
 * Both ways a broker can do client socket I/O (broker key ioThreads): on its one thread (0) and
 * on a network thread (1). Tests that matter for the transport run once per value, each set
 * explicitly (the default depends on the machine's cores).
 */
export const IO_THREAD_VARIANTS = [0, 1] as const;

export interface BrokerSpec {
  /** brokerName (the group). */
  name: string;
  /** 0 = master (default); > 0 = slave (brokerRole SLAVE unless properties say otherwise). */
  id?: number;
  /** Any broker.properties keys; they win over the defaults below. */
  properties?: Record<string, PropertyValue>;
}

export interface ClusterOptions {
  /** How many NameServers (default 1; 0 for brokers without any). */
  namesrvs?: number;
  brokers?: BrokerSpec[];
  cluster?: string;
  /** Properties for every NameServer. */
  namesrvProperties?: Record<string, PropertyValue>;
  /** Properties for every broker (a broker's own properties win). */
  brokerProperties?: Record<string, PropertyValue>;
  /** 'test' (default): cleaned up when the current test finishes; 'manual': call stop(). */
  cleanup?: 'test' | 'manual';
  /** Readiness deadline per node (ms, default 20 s). */
  readyTimeoutMillis?: number;
  /**
   * Access control on every node: `yaml` is written as the ACL file (aclEnable=true, aclFile on
   * NameServers and brokers); brokers sign their own requests as `nodeAccount`, and so does the
   * cluster's readiness client.
   */
  acl?: { yaml: string; nodeAccount: Credentials };
  /** TLS for the cluster's own readiness client (when the nodes enforce TLS). */
  clientTls?: ClientTls;
}

export class ClusterNode {
  /** Log lines (stdout and stderr) of every run of this node, in order. */
  readonly lines: string[] = [];
  proc: ChildProcess | undefined;
  private exitedPromise: Promise<number | null> = Promise.resolve(null);
  /** Exit code (or null when killed by a signal) of the last run that ended. */
  lastExit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(
    readonly id: string,
    readonly kind: 'namesrv' | 'broker',
    readonly port: number,
    readonly dir: string,
    readonly configFile: string,
    private readonly cluster: TestCluster,
  ) {}

  get addr(): string {
    return `127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Starts the process (again) and waits until it is ready by protocol. */
  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.id} is already running`);
    const proc = spawn(process.execPath, [path.join(repoRoot, 'bin', 'rmqd'), this.kind, '-c', this.configFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, RMQ_LOG_LEVEL: process.env.RMQ_LOG_LEVEL ?? 'info' },
    });
    this.proc = proc;
    let partial = '';
    const onData = (chunk: Buffer) => {
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop() ?? '';
      this.lines.push(...parts);
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    this.exitedPromise = new Promise((resolve) =>
      proc.once('exit', (code, signal) => {
        if (partial !== '') this.lines.push(partial);
        this.lastExit = { code, signal };
        resolve(code);
      }),
    );
    const exitedEarly = this.exitedPromise.then((code) => {
      throw new Error(`${this.id} exited with ${code ?? this.lastExit?.signal} before it was ready:\n${this.lines.slice(-30).join('\n')}`);
    });
    await Promise.race([this.cluster.waitReady(this), exitedEarly]);
    exitedEarly.catch(() => {});
  }

  /** Sends a signal and waits for the process to exit; resolves with its exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (!this.running) return this.lastExit?.code ?? null;
    this.proc?.kill(signal);
    return this.exitedPromise;
  }

  /** kill -9, waiting until the process is gone. */
  async kill9(): Promise<void> {
    await this.stop('SIGKILL');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Resolves when the process exits (at once when it is not running). */
  exited(): Promise<number | null> {
    return this.exitedPromise;
  }

  waitForLine(re: RegExp, timeout = 10_000): Promise<string> {
    return waitFor(() => this.lines.find((l) => re.test(l)), { timeout, what: `${this.id}: a log line matching ${re}` });
  }
}

const live = new Set<ClusterNode>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const n of live) if (n.running) n.proc?.kill('SIGKILL');
  });
}

function propertiesText(props: Record<string, PropertyValue>): string {
  return `${Object.entries(props)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join('\n')}\n`;
}

export class TestCluster {
  readonly namesrvs: ClusterNode[] = [];
  readonly brokers: ClusterNode[] = [];
  readonly client: RemotingClient;
  readonly root: string;
  readonly clusterName: string;
  /** The ACL file every node reads (when the cluster has `acl`). */
  readonly aclFile: string | undefined;
  private readonly aclProps: { namesrv: Record<string, PropertyValue>; broker: Record<string, PropertyValue> } = { namesrv: {}, broker: {} };
  private readonly readyTimeout: number;

  constructor(opts: ClusterOptions) {
    this.root = mkdtempSync(path.join(os.tmpdir(), 'rmq-cluster-'));
    this.client = new RemotingClient({ ...(opts.acl ? { credentials: opts.acl.nodeAccount } : {}), ...(opts.clientTls ? { tls: opts.clientTls } : {}) });
    if (opts.acl) {
      this.aclFile = path.join(this.root, 'plain_acl.yml');
      writeFileSync(this.aclFile, opts.acl.yaml, { mode: 0o600 });
      this.aclProps.namesrv = { aclEnable: true, aclFile: this.aclFile };
      this.aclProps.broker = { aclEnable: true, aclFile: this.aclFile, aclAccessKey: opts.acl.nodeAccount.accessKey };
    }
    this.clusterName = opts.cluster ?? 'DefaultCluster';
    this.readyTimeout = opts.readyTimeoutMillis ?? 20_000;
  }

  /** `host:port;host:port` of every NameServer. */
  get namesrvAddr(): string {
    return this.namesrvs.map((n) => n.addr).join(';');
  }

  get namesrvAddrs(): string[] {
    return this.namesrvs.map((n) => n.addr);
  }

  node(id: string): ClusterNode {
    const n = [...this.namesrvs, ...this.brokers].find((x) => x.id === id);
    if (n === undefined) throw new Error(`no node ${id} (have ${[...this.namesrvs, ...this.brokers].map((x) => x.id).join(', ')})`);
    return n;
  }

  /** The master of a broker group, or the node `<name>-<id>`. */
  broker(name: string, id = 0): ClusterNode {
    return this.node(`${name}-${id}`);
  }

  async addNamesrv(index: number, props: Record<string, PropertyValue>): Promise<ClusterNode> {
    const id = `namesrv-${index}`;
    const dir = path.join(this.root, id);
    const port = await freePort();
    const file = path.join(this.root, `${id}.properties`);
    writeFileSync(
      file,
      propertiesText({ listenPort: port, kvConfigPath: path.join(dir, 'kvConfig.json'), brokerExpiryMillis: 10_000, scanNotActiveBrokerInterval: 1_000, ...this.aclProps.namesrv, ...props }),
    );
    const n = new ClusterNode(id, 'namesrv', port, dir, file, this);
    this.namesrvs.push(n);
    live.add(n);
    return n;
  }

  async addBroker(spec: BrokerSpec, common: Record<string, PropertyValue>): Promise<ClusterNode> {
    const brokerId = spec.id ?? 0;
    const id = `${spec.name}-${brokerId}`;
    const dir = path.join(this.root, id);
    const port = await freeBrokerPort();
    const file = path.join(this.root, `${id}.properties`);
    const props: Record<string, PropertyValue> = {
      brokerClusterName: this.clusterName,
      brokerName: spec.name,
      brokerId,
      brokerRole: brokerId === 0 ? 'ASYNC_MASTER' : 'SLAVE',
      brokerIP1: '127.0.0.1',
      listenPort: port,
      storePathRootDir: path.join(dir, 'store'),
      mappedFileSizeCommitLog: 64 * 1024 * 1024,
      ...(this.namesrvs.length > 0 ? { namesrvAddr: this.namesrvAddr } : {}),
      ...this.aclProps.broker,
      ...common,
      ...spec.properties,
    };
    writeFileSync(file, propertiesText(props));
    const n = new ClusterNode(id, 'broker', port, dir, file, this);
    this.brokers.push(n);
    live.add(n);
    return n;
  }

  /** Waits until `n` answers, and for a broker, until every running NameServer lists it at its address. */
  async waitReady(n: ClusterNode): Promise<void> {
    const ok = async (code: number) => {
      try {
        const res = await this.client.request(n.addr, createRequest(code), 1_000);
        return res.code === ResponseCode.SUCCESS;
      } catch {
        return false;
      }
    };
    if (n.kind === 'namesrv') {
      await waitFor(() => ok(RequestCode.GET_BROKER_CLUSTER_INFO), { timeout: this.readyTimeout, interval: 50, what: `${n.id} to answer` });
      return;
    }
    await waitFor(() => ok(RequestCode.GET_BROKER_RUNTIME_INFO), { timeout: this.readyTimeout, interval: 50, what: `${n.id} to answer` });
    const name = n.id.slice(0, n.id.lastIndexOf('-'));
    // the id its properties give it now (a slave rewritten to take over as master registers as 0)
    const props = readFileSync(n.configFile, 'utf8');
    const brokerId = /^brokerRole=(ASYNC_MASTER|SYNC_MASTER)$/m.test(props) ? '0' : (/^brokerId=(\d+)$/m.exec(props)?.[1] ?? n.id.slice(n.id.lastIndexOf('-') + 1));
    for (const ns of this.namesrvs.filter((x) => x.running)) {
      await waitFor(
        async () => {
          const res = await this.client.request(ns.addr, createRequest(RequestCode.GET_BROKER_CLUSTER_INFO), 1_000);
          return decodeClusterInfo(res.body).brokerAddrTable[name]?.brokerAddrs[brokerId] === n.addr;
        },
        { timeout: this.readyTimeout, interval: 50, what: `${ns.id} to list ${n.id}` },
      );
    }
  }

  /** Kills every process (SIGKILL), closes connections, removes the directories. */
  async stop(): Promise<void> {
    const nodes = [...this.brokers, ...this.namesrvs];
    await Promise.all(nodes.map((n) => n.kill9()));
    for (const n of nodes) live.delete(n);
    this.client.shutdown();
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Starts NameServers first, then brokers (in order), each ready before the next. */
export async function startCluster(opts: ClusterOptions = {}): Promise<TestCluster> {
  installExitHook();
  const c = new TestCluster(opts);
  if ((opts.cleanup ?? 'test') === 'test') onTestFinished(() => c.stop());
  try {
    for (let i = 1; i <= (opts.namesrvs ?? 1); i++) await (await c.addNamesrv(i, opts.namesrvProperties ?? {})).start();
    for (const spec of opts.brokers ?? [{ name: 'broker-a' }]) await (await c.addBroker(spec, opts.brokerProperties ?? {})).start();
  } catch (e) {
    if (opts.cleanup === 'manual') await c.stop();
    throw e;
  }
  return c;
}
