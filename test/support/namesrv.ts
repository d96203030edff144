/**
 * Test helpers around the NameServer: a real `rmqd namesrv` process (its log lines kept, killed
 * when the test ends), and a fake broker that registers over a socket exactly as a broker does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { RemotingClient } from '../../src/remoting/client.js';
import { RequestCode } from '../../src/remoting/codes.js';
import { nextDataVersion, type DataVersion } from '../../src/protocol/data-version.js';
import { encodeHeader } from '../../src/protocol/header-spec.js';
import { BrokerHeartbeatRequestHeader, RegisterBrokerRequestHeader, UnRegisterBrokerRequestHeader } from '../../src/protocol/headers/namesrv.js';
import { bodyCrc } from '../../src/protocol/message/crc32.js';
import { Perm } from '../../src/protocol/perm.js';
import { encodeRegisterBrokerBody } from '../../src/protocol/register-broker-body.js';
import { topicConfig, type TopicConfig } from '../../src/protocol/topic-config.js';
import { MQVersion } from '../../src/remoting/version.js';
import { createRequest, type RemotingCommand } from '../../src/remoting/command.js';
import { repoRoot } from './cli.js';
import { freePort } from './ports.js';
import { tmpDir } from './tmp.js';
import { waitFor } from './wait.js';

export interface NamesrvProcess {
  port: number;
  addr: string;
  proc: ChildProcess;
  /** Every stdout line so far. */
  lines: string[];
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** Sends a signal (SIGTERM by default). */
  kill(signal?: NodeJS.Signals): void;
  waitForLine(re: RegExp, timeout?: number): Promise<string>;
}

export interface NamesrvProcessOptions {
  brokerExpiryMillis?: number;
  scanNotActiveBrokerInterval?: number;
  orderMessageEnable?: boolean;
  /** Extra properties lines. */
  extra?: string;
}

/** Starts `rmqd namesrv` (the built bundle, as deploy runs it) on a free port. */
export async function startNamesrvProcess(opts: NamesrvProcessOptions = {}): Promise<NamesrvProcess> {
  const dir = tmpDir('rmq-namesrv-');
  const port = await freePort();
  const file = path.join(dir, 'namesrv.properties');
  writeFileSync(
    file,
    [
      `listenPort=${port}`,
      `kvConfigPath=${path.join(dir, 'kvConfig.json')}`,
      `brokerExpiryMillis=${opts.brokerExpiryMillis ?? 120000}`,
      `scanNotActiveBrokerInterval=${opts.scanNotActiveBrokerInterval ?? 5000}`,
      `orderMessageEnable=${opts.orderMessageEnable ?? false}`,
      opts.extra ?? '',
    ].join('\n'),
  );
  return startNamesrvFromFile(file, port);
}

/** Starts `rmqd namesrv -c file`; `port` is the listenPort the file names. */
export async function startNamesrvFromFile(file: string, port: number): Promise<NamesrvProcess> {
  const proc = spawn(process.execPath, [path.join(repoRoot, 'bin', 'rmqd'), 'namesrv', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RMQ_LOG_LEVEL: 'info' } });
  const lines: string[] = [];
  let partial = '';
  const onData = (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  };
  proc.stdout?.on('data', onData);
  proc.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  onTestFinished(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
  });
  const ns: NamesrvProcess = {
    port,
    addr: `127.0.0.1:${port}`,
    proc,
    lines,
    exited,
    kill: (signal = 'SIGTERM') => proc.kill(signal),
    waitForLine: (re, timeout = 10_000) => waitFor(() => lines.find((l) => re.test(l)), { timeout, what: `a log line matching ${re}` }),
  };
  await Promise.race([
    ns.waitForLine(/NameServer listening/),
    exited.then((code) => {
      throw new Error(`rmqd namesrv exited with ${code} before listening:\n${lines.join('\n')}`);
    }),
  ]);
  return ns;
}

/** Topics a stock broker registers besides user topics (docs/design/protocol.md#register-body). */
export function systemTopics(cluster: string, brokerName: string): TopicConfig[] {
  return [
    topicConfig('TBW102', { readQueueNums: 8, writeQueueNums: 8, perm: Perm.READ | Perm.WRITE | Perm.INHERIT }),
    topicConfig('SELF_TEST_TOPIC', { readQueueNums: 1, writeQueueNums: 1 }),
    topicConfig(cluster, { readQueueNums: 16, writeQueueNums: 16, perm: Perm.INHERIT | Perm.READ | Perm.WRITE }),
    topicConfig(brokerName, { readQueueNums: 1, writeQueueNums: 1, perm: Perm.INHERIT | Perm.READ | Perm.WRITE }),
    topicConfig('OFFSET_MOVED_EVENT', { readQueueNums: 1, writeQueueNums: 1 }),
    topicConfig('SCHEDULE_TOPIC_XXXX', { readQueueNums: 18, writeQueueNums: 18 }),
  ];
}

export interface FakeBrokerOptions {
  cluster?: string;
  brokerName: string;
  brokerId?: number;
  /** Address it registers (nothing needs to listen there unless a test says so). */
  brokerAddr: string;
  haServerAddr?: string;
  topics?: TopicConfig[];
  heartbeatTimeoutMillis?: number;
  compressed?: boolean;
}

/**
 * A broker's NameServer side, as our broker (and a Java one) does it: REGISTER_BROKER with a
 * RegisterBrokerBody of its topic table and a bodyCrc32, BROKER_HEARTBEAT keep-alives,
 * UNREGISTER_BROKER. One RemotingClient: one connection per NameServer.
 */
export class FakeBroker {
  readonly client = new RemotingClient();
  dataVersion: DataVersion = { counter: 1, stateVersion: 0, timestamp: Date.now() };
  topics: TopicConfig[];

  constructor(readonly opts: FakeBrokerOptions) {
    this.topics = [...systemTopics(opts.cluster ?? 'DefaultCluster', opts.brokerName), ...(opts.topics ?? [])];
    onTestFinished(() => this.client.shutdown());
  }

  get cluster(): string {
    return this.opts.cluster ?? 'DefaultCluster';
  }

  /** Changes the topic table the way a broker does: new data version. */
  setTopics(user: TopicConfig[]): void {
    this.topics = [...systemTopics(this.cluster, this.opts.brokerName), ...user];
    this.dataVersion = nextDataVersion(this.dataVersion, Date.now());
  }

  registerRequest(): RemotingCommand {
    const compressed = this.opts.compressed ?? false;
    const body = encodeRegisterBrokerBody(
      { topicConfigSerializeWrapper: { dataVersion: this.dataVersion, topicConfigTable: Object.fromEntries(this.topics.map((t) => [t.topicName, t])) }, filterServerList: [] },
      { compressed, version: MQVersion.V4_9_8 },
    );
    return createRequest(RequestCode.REGISTER_BROKER, {
      extFields: encodeHeader(RegisterBrokerRequestHeader, {
        brokerName: this.opts.brokerName,
        brokerAddr: this.opts.brokerAddr,
        clusterName: this.cluster,
        haServerAddr: this.opts.haServerAddr ?? this.opts.brokerAddr.replace(/:(\d+)$/, (_, p: string) => `:${Number(p) + 1}`),
        brokerId: this.opts.brokerId ?? 0,
        heartbeatTimeoutMillis: this.opts.heartbeatTimeoutMillis,
        enableActingMaster: false,
        compressed,
        bodyCrc32: bodyCrc(body),
      }),
      body,
    });
  }

  async register(namesrv: string): Promise<RemotingCommand> {
    return this.client.requestOk(namesrv, this.registerRequest(), 5_000);
  }

  async heartbeat(namesrv: string): Promise<RemotingCommand> {
    return this.client.request(
      namesrv,
      createRequest(RequestCode.BROKER_HEARTBEAT, {
        extFields: encodeHeader(BrokerHeartbeatRequestHeader, { clusterName: this.cluster, brokerAddr: this.opts.brokerAddr, brokerName: this.opts.brokerName, brokerId: this.opts.brokerId ?? 0 }),
      }),
      5_000,
    );
  }

  async unregister(namesrv: string): Promise<RemotingCommand> {
    return this.client.requestOk(
      namesrv,
      createRequest(RequestCode.UNREGISTER_BROKER, {
        extFields: encodeHeader(UnRegisterBrokerRequestHeader, { brokerName: this.opts.brokerName, brokerAddr: this.opts.brokerAddr, clusterName: this.cluster, brokerId: this.opts.brokerId ?? 0 }),
      }),
      5_000,
    );
  }

  /** Drops the connection to a NameServer, as a crashed broker's does. */
  disconnect(namesrv: string): void {
    this.client.closeConnection(namesrv, 'fake broker disconnects');
  }
}
