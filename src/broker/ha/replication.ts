/**
 * Replication in the broker (Java `HAService` + `SlaveSynchronize` + the SYNC_MASTER part of
 * `CommitLog.handleHA`), by role:
 * - every broker listens on haListenPort; a master serves slaves there (ha-master.ts), a SLAVE
 *   refuses connections (a slave pointed at another slave is a configuration error);
 * - a SLAVE runs the HA client (ha-client.ts) towards `haMasterAddress`, or the master's HA
 *   address the NameServers answer its registration with, and copies the master's topic table
 *   and the other registered state (slave-sync.ts);
 * - a SYNC_MASTER acknowledges a send with waitStoreMsgOK only once enough slaves hold it.
 */
import { compileAddressPattern } from '../../acl/remote-address.js';
import { RequestCode, ResponseCode } from '../../remoting/codes.js';
import { encodeHaRuntimeInfo, type HaClientInfo, type HaRuntimeInfo } from '../../protocol/ha-runtime-info.js';
import { decodeTopicConfigWrapper } from '../../protocol/register-broker-body.js';
import { createResponse } from '../../remoting/command.js';
import type { HandlerTable } from '../../remoting/dispatcher.js';
import type { RemotingClient } from '../../remoting/client.js';
import { silentLogger, type Logger } from '../../util/log.js';
import type { ReplicationView, BrokerHooks } from '../context.js';
import type { ResolvedBrokerConfig } from '../broker-properties.js';
import type { RegistrationResult } from '../registration.js';
import type { MessageStore, PutMessageResult } from '../store/index.js';
import type { TopicConfigManager } from '../topic-config-manager.js';
import { HaClient, type HaClientState } from './ha-client.js';
import { HaMaster } from './ha-master.js';
import type { NodeTls } from '../../remoting/tls-config.js';
import { SlaveSync, type SlaveSyncSource } from './slave-sync.js';

/** How often a slave copies its master's configuration (Java 4.x syncs every 10 s). */
export const SLAVE_SYNC_INTERVAL_MILLIS = 10_000;

export interface ReplicationOptions {
  config: ResolvedBrokerConfig;
  store: MessageStore;
  topics: TopicConfigManager;
  remoting: RemotingClient;
  hooks: BrokerHooks;
  logger?: Logger;
  /** The HA port takes TLS like the remoting port; a slave connects with the client side. */
  tls?: NodeTls;
}

/** Slave acknowledgements a SYNC_MASTER send waits for: 4.x waits for one; RocketMQ 5 counts inSyncReplicas with the master included. */
export function acksNeeded(c: Pick<ResolvedBrokerConfig, 'inSyncReplicas'>): number {
  return Math.max(1, c.inSyncReplicas - 1);
}

export class Replication implements ReplicationView {
  readonly master: HaMaster;
  readonly client: HaClient | undefined;
  readonly sync: SlaveSync | undefined;
  /** What the NameServers last told this slave about its master. */
  private learnedHaAddr: string | undefined;
  private learnedMasterAddr: string | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly log: Logger;

  constructor(private readonly opts: ReplicationOptions) {
    const c = opts.config;
    this.log = opts.logger ?? silentLogger;
    const isSlave = c.brokerRole === 'SLAVE';
    this.master = new HaMaster({
      store: opts.store,
      port: c.haListenPort,
      host: c.bindAddress,
      transferBatchSize: c.haTransferBatchSize,
      heartbeatIntervalMillis: c.haSendHeartbeatInterval,
      housekeepingIntervalMillis: c.haHousekeepingInterval,
      slaveTimeoutMillis: c.slaveTimeout,
      slaveFallbehindMax: c.haSlaveFallbehindMax,
      outOfSyncMillis: c.haSlaveOutOfSyncMillis,
      acksNeeded: acksNeeded(c),
      acceptSlaves: !isSlave,
      ...(opts.tls?.server ? { tls: opts.tls.server } : {}),
      ...(c.haAllowedAddresses !== null ? { allowFrom: compileAddressPattern(c.haAllowedAddresses) } : {}),
      logger: this.log.child('master'),
    });
    if (isSlave) {
      this.client = new HaClient({
        store: opts.store,
        masterAddress: () => c.haMasterAddress ?? this.learnedHaAddr,
        heartbeatIntervalMillis: c.haSendHeartbeatInterval,
        housekeepingIntervalMillis: c.haHousekeepingInterval,
        syncFlush: c.flushDiskType === 'SYNC_FLUSH',
        ...(opts.tls?.client ? { tls: opts.tls.client } : {}),
        logger: this.log.child('client'),
        onStateChange: (state, reason) => this.onClientState(state, reason),
      });
      const topicSource: SlaveSyncSource = {
        name: 'topic config',
        requestCode: RequestCode.GET_ALL_TOPIC_CONFIG,
        apply: async (body) => {
          await opts.topics.replaceAll(decodeTopicConfigWrapper(body));
        },
      };
      this.sync = new SlaveSync({
        remoting: opts.remoting,
        masterAddr: () => this.learnedMasterAddr,
        sources: () => [topicSource, ...(opts.hooks.slaveSync ?? [])],
        intervalMillis: SLAVE_SYNC_INTERVAL_MILLIS,
        logger: this.log.child('sync'),
      });
    }
  }

  get isSlave(): boolean {
    return this.client !== undefined;
  }

  /** Listens on haListenPort; a slave starts following its master. */
  async start(): Promise<void> {
    await this.master.listen();
    if (this.client === undefined) return;
    this.client.start();
    this.sync?.start();
    // a message of a topic the slave does not know yet: copy the master's table soon
    this.unsubscribe = this.opts.store.onDispatch((e) => {
      if (this.opts.topics.get(e.topic) === undefined) this.sync?.syncSoon();
    });
    this.tickTimer = setInterval(() => this.client?.tick(), 1_000);
    this.tickTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.tickTimer !== undefined) clearInterval(this.tickTimer);
    this.unsubscribe?.();
    this.sync?.stop();
    await this.client?.stop();
    await this.master.close();
  }

  /** A NameServer answered our registration: a slave learns its master's addresses here. */
  onRegistered(r: RegistrationResult): void {
    if (this.client === undefined) return;
    const firstMaster = this.learnedMasterAddr === undefined && r.masterAddr !== undefined;
    if (r.masterAddr !== undefined && r.masterAddr !== this.learnedMasterAddr) {
      this.learnedMasterAddr = r.masterAddr;
      if (!firstMaster) this.log.info('master address changed', { master: r.masterAddr });
    }
    if (r.haServerAddr !== undefined && r.haServerAddr !== this.learnedHaAddr) {
      this.learnedHaAddr = r.haServerAddr;
      if (this.opts.config.haMasterAddress === null) this.client.masterAddressChanged();
      else if (r.haServerAddr !== this.opts.config.haMasterAddress) {
        this.log.warn('the NameServers name another master HA address than haMasterAddress; following haMasterAddress', { haMasterAddress: this.opts.config.haMasterAddress, fromNameServer: r.haServerAddr });
      }
    }
    if (firstMaster) this.sync?.syncSoon();
  }

  async afterPut(r: PutMessageResult, waitStoreMsgOK: boolean): Promise<PutMessageResult> {
    if (this.opts.config.brokerRole !== 'SYNC_MASTER' || !waitStoreMsgOK || r.appended === undefined) return r;
    if (r.status !== 'PUT_OK' && r.status !== 'FLUSH_DISK_TIMEOUT') return r;
    const outcome = await this.master.waitForReplicas(r.appended.endOffset);
    // 4.x handleHA: a replication failure replaces the flush status
    return outcome === 'PUT_OK' ? r : { ...r, status: outcome };
  }

  masterAlive(): boolean {
    return this.client === undefined || this.client.masterConnected;
  }

  slaveHolds(physOffset: number): boolean {
    return this.master.slaveHolding(physOffset);
  }

  /** GET_BROKER_HA_STATUS's body (Java HARuntimeInfo plus rmqd's fields). */
  async runtimeInfo(): Promise<HaRuntimeInfo> {
    const store = this.opts.store;
    const c = this.opts.config;
    const conns = this.client === undefined ? await this.master.connections() : [];
    const client: HaClientInfo = { masterAddr: '', transferredByteInSecond: 0, maxOffset: store.maxPhysOffset, lastReadTimestamp: 0, lastWriteTimestamp: 0, masterFlushOffset: 0 };
    const hc = this.client;
    if (hc !== undefined) {
      client.masterAddr = hc.masterAddr ?? c.haMasterAddress ?? this.learnedHaAddr ?? '';
      client.transferredByteInSecond = hc.transferRate;
      client.lastReadTimestamp = hc.lastReadAt;
      client.lastWriteTimestamp = hc.lastWriteAt;
      client.state = hc.state;
      if (hc.reason !== undefined && hc.state !== 'replicating' && hc.state !== 'verifying') client.reason = hc.reason;
      if (hc.localAddr !== undefined) client.localAddr = hc.localAddr;
      client.reportedOffset = hc.reportedOffset;
    }
    return {
      master: hc === undefined,
      masterCommitLogMaxOffset: store.maxPhysOffset,
      inSyncSlaveNums: conns.filter((x) => x.inSync).length,
      haConnectionInfo: conns,
      haClientRuntimeInfo: client,
      brokerRole: c.brokerRole,
      acksNeeded: acksNeeded(c),
      ...(hc === undefined ? { availableSlaveNums: conns.filter((x) => x.available === true).length } : {}),
      outOfSyncAfterMillis: c.haSlaveOutOfSyncMillis,
      silentAfterMillis: c.haSendHeartbeatInterval + c.haSlaveOutOfSyncMillis,
    };
  }

  /** GET_BROKER_HA_STATUS (907). */
  registerHandlers(table: HandlerTable): void {
    table.on(RequestCode.GET_BROKER_HA_STATUS, async (req) => createResponse(req, ResponseCode.SUCCESS, { body: encodeHaRuntimeInfo(await this.runtimeInfo()) }));
  }

  private onClientState(state: HaClientState, reason: string | undefined): void {
    if (state === 'replicating') this.sync?.syncSoon();
    this.log.debug('HA client state', { state, reason });
  }
}
