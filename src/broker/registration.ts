/**
 * The broker's side of the NameServers (Java `BrokerOuterAPI` + the registration schedule of
 * `BrokerController`): a full REGISTER_BROKER to every NameServer at start and every
 * `registerNameServerPeriod`; after a topic change at once one carrying only the changed topics
 * and the new data version (Java `registerIncrementBrokerData`) — a full one per change made
 * creating n topics cost O(n²) bytes (docs/guide/benchmarks.md#scale); between them a cheap
 * BROKER_HEARTBEAT (904) every `brokerHeartbeatIntervalMillis`, so a NameServer notices a dead
 * broker within seconds; and UNREGISTER_BROKER when stopping. Each NameServer is handled on its
 * own: one that is down does not delay the others, and is registered with again on the next
 * heartbeat tick after it comes back (a NameServer that forgot us answers the heartbeat with an
 * error, which also triggers a registration).
 */
import { RequestCode, ResponseCode } from '../remoting/codes.js';
import { decodeHeader, encodeHeader } from '../protocol/header-spec.js';
import { BrokerHeartbeatRequestHeader, RegisterBrokerRequestHeader, RegisterBrokerResponseHeader, UnRegisterBrokerRequestHeader } from '../protocol/headers/namesrv.js';
import { bodyCrc } from '../protocol/message/crc32.js';
import { encodeRegisterBrokerBody, type TopicConfigSerializeWrapper } from '../protocol/register-broker-body.js';
import { RMQ_PROTOCOL_VERSION } from '../remoting/version.js';
import { createRequest } from '../remoting/command.js';
import type { RemotingClient } from '../remoting/client.js';
import { silentLogger, type Logger } from '../util/log.js';

/**
 * A table of this many topics is registered in RocketMQ's compressed form (header `compressed`,
 * Java's `compressedRegister`: a zlib stream of one line per topic). At 10,000 topics the JSON body
 * is 1.7 MB and takes the broker ~200 ms to encode and a NameServer ~120 ms to take in, the
 * compressed one 25 KB, ~45 ms and ~30 ms (docs/guide/benchmarks.md#scale). Smaller tables stay
 * JSON, readable on the wire.
 */
export const COMPRESS_FROM_TOPICS = 1_000;

export interface BrokerIdentity {
  clusterName: string;
  brokerName: string;
  brokerId: number;
  /** brokerIP1:listenPort */
  brokerAddr: string;
  /** brokerIP2:haListenPort */
  haServerAddr: string;
}

/** What a NameServer answered a registration with: for a slave, where its master is. */
export interface RegistrationResult {
  namesrv: string;
  masterAddr?: string;
  haServerAddr?: string;
}

export interface RegistrationOptions {
  namesrvAddrs: readonly string[];
  remoting: RemotingClient;
  identity: BrokerIdentity;
  /** The topic table to register, taken fresh for every registration. */
  topicTable: () => TopicConfigSerializeWrapper;
  /**
   * The same for only these topics (those gone are left out), with the table's current data
   * version: what an incremental registration carries. Without it every registration is full.
   */
  topicSubset?: (topics: readonly string[]) => TopicConfigSerializeWrapper;
  periodMillis: number;
  heartbeatIntervalMillis: number;
  timeoutMillis: number;
  logger?: Logger;
  /** Every successful registration's answer (replication uses a slave's master address). */
  onRegistered?: (r: RegistrationResult) => void;
}

interface NamesrvState {
  addr: string;
  registered: boolean;
  /** A registration to this NameServer is running; its promise. */
  registering: Promise<boolean> | undefined;
  /** Another registration was asked for while one ran (the table changed). */
  again: boolean;
  /** The next registration must carry the whole table (start, period, a deletion, after a failure). */
  full: boolean;
  /** Topics changed since this NameServer's last registration (registered alone unless `full`). */
  changed: Set<string>;
  heartbeating: boolean;
  /** Last failure logged, so a NameServer that stays down logs once, not every second. */
  lastError: string | undefined;
}

export class NameServerRegistration {
  private readonly states: NamesrvState[];
  private readonly log: Logger;
  private periodTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly opts: RegistrationOptions) {
    this.log = opts.logger ?? silentLogger;
    this.states = opts.namesrvAddrs.map((addr) => ({ addr, registered: false, registering: undefined, again: false, full: true, changed: new Set(), heartbeating: false, lastError: undefined }));
  }

  /** Registers with every NameServer (waiting for all to answer or fail), then starts the schedule. */
  async start(): Promise<void> {
    await this.registerAll();
    if (this.stopped) return;
    this.periodTimer = setInterval(() => void this.registerAll(), this.opts.periodMillis);
    this.periodTimer.unref();
    this.heartbeatTimer = setInterval(() => this.heartbeatAll(), this.opts.heartbeatIntervalMillis);
    this.heartbeatTimer.unref();
  }

  /** A role change: registrations and heartbeats carry this id from now on (0 = master). */
  setBrokerId(brokerId: number): void {
    this.opts.identity.brokerId = brokerId;
  }

  /** NameServers that accepted our last registration and have not failed since. */
  get registeredWith(): string[] {
    return this.states.filter((s) => s.registered).map((s) => s.addr);
  }

  /** A full registration with every NameServer now. Resolves when each answered or failed. */
  async registerAll(): Promise<void> {
    await Promise.all(
      this.states.map((s) => {
        s.full = true;
        return this.register(s);
      }),
    );
  }

  /**
   * These topics changed (created or updated): registers them alone with every NameServer now —
   * or the whole table where a full registration is due anyway. Changes made while a registration
   * runs go together into the next one.
   */
  async registerTopics(topics: readonly string[]): Promise<void> {
    await Promise.all(
      this.states.map((s) => {
        for (const t of topics) s.changed.add(t);
        return this.register(s);
      }),
    );
  }

  /** Stops the schedule; registrations in flight finish. */
  stop(): void {
    this.stopped = true;
    if (this.periodTimer !== undefined) clearInterval(this.periodTimer);
    if (this.heartbeatTimer !== undefined) clearInterval(this.heartbeatTimer);
    this.periodTimer = undefined;
    this.heartbeatTimer = undefined;
  }

  /** UNREGISTER_BROKER to every NameServer (after stop()); failures are logged, not thrown. */
  async unregisterAll(timeoutMillis = 3_000): Promise<void> {
    this.stop();
    const id = this.opts.identity;
    await Promise.all(
      this.states.map(async (s) => {
        await s.registering?.catch(() => false);
        try {
          const req = createRequest(RequestCode.UNREGISTER_BROKER, {
            extFields: encodeHeader(UnRegisterBrokerRequestHeader, { brokerName: id.brokerName, brokerAddr: id.brokerAddr, clusterName: id.clusterName, brokerId: id.brokerId }),
          });
          const res = await this.opts.remoting.request(s.addr, req, timeoutMillis);
          if (res.code !== ResponseCode.SUCCESS) this.log.warn('NameServer refused to unregister us', { namesrv: s.addr, code: res.code, remark: res.remark });
          else this.log.info('unregistered from NameServer', { namesrv: s.addr });
        } catch (e) {
          this.log.warn('could not unregister from NameServer', { namesrv: s.addr, err: e as Error });
        }
        s.registered = false;
      }),
    );
  }

  private register(s: NamesrvState): Promise<boolean> {
    if (s.registering !== undefined) {
      // the table may have changed since that registration took its snapshot: go once more after it
      s.again = true;
      return s.registering;
    }
    const run = async (): Promise<boolean> => {
      let ok = false;
      do {
        s.again = false;
        // a NameServer that has not accepted us since its last failure (or restart) gets everything
        const full = s.full || !s.registered || this.opts.topicSubset === undefined;
        const topics = full ? undefined : [...s.changed];
        s.full = false;
        s.changed.clear();
        ok = await this.registerOnce(s, topics);
        if (!ok) s.full = true;
      } while (s.again && !this.stopped);
      return ok;
    };
    s.registering = run().finally(() => {
      s.registering = undefined;
    });
    return s.registering;
  }

  /** One REGISTER_BROKER: of the whole table, or of `topics` only. */
  private async registerOnce(s: NamesrvState, topics?: readonly string[]): Promise<boolean> {
    const id = this.opts.identity;
    const table = topics === undefined ? this.opts.topicTable() : this.opts.topicSubset!(topics);
    const compressed = Object.keys(table.topicConfigTable).length >= COMPRESS_FROM_TOPICS;
    const body = encodeRegisterBrokerBody({ topicConfigSerializeWrapper: table, filterServerList: [] }, { compressed, version: RMQ_PROTOCOL_VERSION });
    const req = createRequest(RequestCode.REGISTER_BROKER, {
      extFields: encodeHeader(RegisterBrokerRequestHeader, {
        brokerName: id.brokerName,
        brokerAddr: id.brokerAddr,
        clusterName: id.clusterName,
        haServerAddr: id.haServerAddr,
        brokerId: id.brokerId,
        compressed,
        bodyCrc32: bodyCrc(body),
      }),
      body,
    });
    try {
      const res = await this.opts.remoting.request(s.addr, req, this.opts.timeoutMillis);
      if (res.code !== ResponseCode.SUCCESS) throw new Error(`answered ${res.code}${res.remark ? `: ${res.remark}` : ''}`);
      const answer = decodeHeader(RegisterBrokerResponseHeader, res.extFields);
      if (!s.registered || s.lastError !== undefined) this.log.info('registered with NameServer', { namesrv: s.addr, topics: Object.keys(table.topicConfigTable).length });
      s.registered = true;
      s.lastError = undefined;
      const result: RegistrationResult = { namesrv: s.addr };
      if (answer.masterAddr) result.masterAddr = answer.masterAddr;
      if (answer.haServerAddr) result.haServerAddr = answer.haServerAddr;
      this.opts.onRegistered?.(result);
      return true;
    } catch (e) {
      this.failed(s, `registration failed: ${(e as Error).message}`);
      return false;
    }
  }

  private heartbeatAll(): void {
    for (const s of this.states) {
      if (this.stopped || s.heartbeating || s.registering !== undefined) continue;
      if (!s.registered) {
        // down or forgot us: try a full registration on each tick until it answers
        void this.register(s);
        continue;
      }
      s.heartbeating = true;
      void this.heartbeat(s).finally(() => {
        s.heartbeating = false;
      });
    }
  }

  private async heartbeat(s: NamesrvState): Promise<void> {
    const id = this.opts.identity;
    const req = createRequest(RequestCode.BROKER_HEARTBEAT, {
      extFields: encodeHeader(BrokerHeartbeatRequestHeader, { clusterName: id.clusterName, brokerAddr: id.brokerAddr, brokerName: id.brokerName, brokerId: id.brokerId }),
    });
    try {
      const res = await this.opts.remoting.request(s.addr, req, Math.max(1_000, this.opts.heartbeatIntervalMillis * 3));
      if (res.code !== ResponseCode.SUCCESS) {
        // the NameServer does not know us (restarted, or expired us): register at once
        this.log.info('NameServer does not know us; registering', { namesrv: s.addr, code: res.code });
        s.registered = false;
        await this.register(s);
      }
    } catch (e) {
      this.failed(s, `heartbeat failed: ${(e as Error).message}`);
    }
  }

  private failed(s: NamesrvState, why: string): void {
    s.registered = false;
    if (s.lastError !== why) this.log.warn('NameServer unreachable', { namesrv: s.addr, why });
    s.lastError = why;
  }
}
