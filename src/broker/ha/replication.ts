/**
 * Replication in the broker (Java `HAService` + `SlaveSynchronize` + the SYNC_MASTER part of
 * `CommitLog.handleHA`), by role:
 * - every broker listens on haListenPort; a master serves slaves there (ha-master.ts), a SLAVE
 *   refuses connections (a slave pointed at another slave is a configuration error);
 * - a SLAVE runs the HA client (ha-client.ts) towards `haMasterAddress`, or the master's HA
 *   address the NameServers answer its registration with, and copies the master's topic table
 *   and the other registered state (slave-sync.ts);
 * - a SYNC_MASTER acknowledges a send with waitStoreMsgOK only once enough slaves hold it.
 *
 * The role can change while the broker runs (a switchover or a failover: toMaster / toSlave); the
 * store, its epochs (epochs.ts) and every connection of clients stay. Before a slave follows a
 * master it compares epoch histories (GET_BROKER_EPOCH_CACHE): a slave holding what a former
 * master wrote after the last common point asks the broker to cut it (onTruncate) instead of
 * stopping as diverged.
 */
import { compileAddressPattern } from '../../acl/remote-address.js';
import { RequestCode, ResponseCode } from '../../remoting/codes.js';
import { encodeHaRuntimeInfo, type HaClientInfo, type HaRuntimeInfo } from '../../protocol/ha-runtime-info.js';
import { decodeEpochEntryCache, encodeEpochEntryCache } from '../../protocol/epoch-cache.js';
import { createRequest } from '../../remoting/command.js';
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
import { HaClient, StopReplication, type HaClientState } from './ha-client.js';
import { epochEntries, lastCommonOffset, type EpochHistory, type EpochStart } from './epochs.js';
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
  /** The commit log's epoch history (epochs.ts). */
  epochs: EpochHistory;
  /** How this node names itself in the epoch history (topology node id, else brokerIP1:listenPort). */
  nodeName: string;
  /**
   * A slave holds what a former master wrote after the last point it shares with its master: the
   * broker reopens its store cut back to `to` (docs/design/ha.md#failover).
   */
  onTruncate?: (t: TruncateRequest) => void;
  /** A slave: the master to follow from the start (after a truncation), before any NameServer says. */
  initialMaster?: { masterAddr: string; haMasterAddr: string };
}

/** Why and where a slave's log must be cut before it can follow its master. */
export interface TruncateRequest {
  /** The last common point: everything below it both logs share. */
  to: number;
  /** The slave's log end now. */
  from: number;
  /** The slave's epoch there and the master's newest. */
  localEpoch: number;
  masterEpoch: number;
  /** The master's remoting and HA addresses. */
  master: string;
  masterHa: string;
}

/** Slave acknowledgements a SYNC_MASTER send waits for: 4.x waits for one; RocketMQ 5 counts inSyncReplicas with the master included. */
export function acksNeeded(c: Pick<ResolvedBrokerConfig, 'inSyncReplicas'>): number {
  return Math.max(1, c.inSyncReplicas - 1);
}

export class Replication implements ReplicationView {
  readonly master: HaMaster;
  private clientValue: HaClient | undefined;
  private syncValue: SlaveSync | undefined;
  /** What the NameServers (or a role change) last told this slave about its master. */
  private learnedHaAddr: string | undefined;
  private learnedMasterAddr: string | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly log: Logger;

  constructor(private readonly opts: ReplicationOptions) {
    const c = opts.config;
    this.log = opts.logger ?? silentLogger;
    this.learnedMasterAddr = opts.initialMaster?.masterAddr;
    this.learnedHaAddr = opts.initialMaster?.haMasterAddr;
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
      acceptSlaves: c.brokerRole !== 'SLAVE',
      ...(opts.tls?.server ? { tls: opts.tls.server } : {}),
      ...(c.haAllowedAddresses !== null ? { allowFrom: compileAddressPattern(c.haAllowedAddresses) } : {}),
      logger: this.log.child('master'),
    });
  }

  get isSlave(): boolean {
    return this.opts.config.brokerRole === 'SLAVE';
  }

  /** The HA client while this broker is a slave. */
  get client(): HaClient | undefined {
    return this.clientValue;
  }

  /** The configuration sync while this broker is a slave. */
  get sync(): SlaveSync | undefined {
    return this.syncValue;
  }

  /** The commit log's epoch history. */
  get epochs(): EpochHistory {
    return this.opts.epochs;
  }

  /** Listens on haListenPort; a slave starts following its master. */
  async start(): Promise<void> {
    await this.master.listen();
    if (this.isSlave) this.follow();
  }

  async stop(): Promise<void> {
    await this.unfollow();
    await this.master.close();
  }

  /**
   * Becomes the master of epoch `epoch` (the config says SYNC_ or ASYNC_MASTER already): stops
   * following, serves slaves (from `allowFrom`, a haAllowedAddresses pattern, when given) and
   * begins the epoch at the log's end.
   */
  async toMaster(p: { epoch: number; allowFrom?: string | null; nodeName?: string }): Promise<void> {
    await this.unfollow();
    this.learnedHaAddr = undefined;
    this.learnedMasterAddr = undefined;
    if (p.allowFrom !== undefined) this.master.allowFrom = p.allowFrom === null ? undefined : compileAddressPattern(p.allowFrom);
    // slaves that were connected to us before are of another epoch: they reconnect and compare
    this.master.closeLinks('this broker begins a new epoch as master');
    if (p.epoch !== this.opts.epochs.current.epoch) await this.opts.epochs.begin(p.epoch, this.opts.store.maxPhysOffset, { node: p.nodeName ?? this.opts.nodeName, at: Date.now() });
    this.master.acceptSlaves = true;
  }

  /** Becomes a slave (the config says SLAVE already) following the master at these addresses (or as the NameServers say). */
  async toSlave(p: { masterAddr?: string; haMasterAddr?: string }): Promise<void> {
    this.master.acceptSlaves = false;
    this.master.closeLinks('this broker is a slave now');
    await this.unfollow();
    this.learnedMasterAddr = p.masterAddr;
    this.learnedHaAddr = p.haMasterAddr;
    this.follow();
  }

  private follow(): void {
    const c = this.opts.config;
    const client = new HaClient({
      store: this.opts.store,
      masterAddress: () => c.haMasterAddress ?? this.learnedHaAddr,
      heartbeatIntervalMillis: c.haSendHeartbeatInterval,
      housekeepingIntervalMillis: c.haHousekeepingInterval,
      syncFlush: c.flushDiskType === 'SYNC_FLUSH',
      ...(this.opts.tls?.client ? { tls: this.opts.tls.client } : {}),
      logger: this.log.child('client'),
      onStateChange: (state, reason) => this.onClientState(state, reason),
      beforeSession: (haAddr) => this.compareEpochs(haAddr),
    });
    const topicSource: SlaveSyncSource = {
      name: 'topic config',
      requestCode: RequestCode.GET_ALL_TOPIC_CONFIG,
      apply: async (body) => {
        await this.opts.topics.replaceAll(decodeTopicConfigWrapper(body));
      },
    };
    const sync = new SlaveSync({
      remoting: this.opts.remoting,
      masterAddr: () => this.learnedMasterAddr,
      sources: () => [topicSource, ...(this.opts.hooks.slaveSync ?? [])],
      intervalMillis: SLAVE_SYNC_INTERVAL_MILLIS,
      logger: this.log.child('sync'),
    });
    this.clientValue = client;
    this.syncValue = sync;
    client.start();
    sync.start();
    // a message of a topic the slave does not know yet: copy the master's table soon
    this.unsubscribe = this.opts.store.onDispatch((e) => {
      if (this.opts.topics.get(e.topic) === undefined) this.syncValue?.syncSoon();
    });
    this.tickTimer = setInterval(() => this.clientValue?.tick(), 1_000);
    this.tickTimer.unref();
  }

  private async unfollow(): Promise<void> {
    if (this.tickTimer !== undefined) clearInterval(this.tickTimer);
    this.tickTimer = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    const sync = this.syncValue;
    const client = this.clientValue;
    this.syncValue = undefined;
    this.clientValue = undefined;
    await sync?.stop();
    await client?.stop();
  }

  /**
   * Before each HA session: the master's epoch history against ours. A master of an older epoch
   * is not followed; a slave holding bytes past the last common point under an older epoch has
   * them cut (onTruncate, the session does not start); otherwise the slave takes the master's
   * history. A master that does not know the request (RocketMQ 4.x) or an unknown remoting
   * address skips the check: the stream's own overlap check still guards against divergence.
   */
  private async compareEpochs(haAddr: string): Promise<void> {
    const masterAddr = this.learnedMasterAddr;
    if (masterAddr === undefined) return;
    const res = await this.opts.remoting.request(masterAddr, createRequest(RequestCode.GET_BROKER_EPOCH_CACHE), 3_000);
    if (res.code === ResponseCode.REQUEST_CODE_NOT_SUPPORTED) return;
    if (res.code !== ResponseCode.SUCCESS) throw new Error(`the master ${masterAddr} did not give its epochs: ${res.code} ${res.remark ?? ''}`);
    const remote = decodeEpochEntryCache(res.body);
    const theirs: EpochStart[] = remote.epochList.map((e) => ({ epoch: e.epoch, startOffset: e.startOffset, ...(e.node !== undefined ? { node: e.node } : {}), ...(e.at !== undefined ? { at: e.at } : {}) }));
    const mine = this.opts.epochs.entries;
    const end = this.opts.store.maxPhysOffset;
    const myEpoch = this.opts.epochs.current.epoch;
    const masterEpoch = theirs[theirs.length - 1]?.epoch ?? 0;
    if (masterEpoch < myEpoch) {
      throw new Error(`${masterAddr} (HA ${haAddr}) is at epoch ${masterEpoch}, older than this log's epoch ${myEpoch}: a former master; waiting for the current one`);
    }
    const common = lastCommonOffset({ epochs: mine, end }, { epochs: theirs, end: remote.maxOffset });
    if (common === undefined) {
      throw new StopReplication('diverged', `this log's epochs (${describe(mine)}) and the master's (${describe(theirs)}) share no epoch: the logs were never one; rebuild this slave from an empty store`);
    }
    if (end > common) {
      if (masterEpoch === myEpoch) return; // same epoch, we are longer: the stream's overlap check says diverged
      const t: TruncateRequest = { to: common, from: end, localEpoch: myEpoch, masterEpoch, master: masterAddr, masterHa: haAddr };
      this.log.warn('this log holds what a former master wrote after the last point it shares with the master: cutting it back before following', { ...t, bytes: end - common });
      this.opts.onTruncate?.(t);
      throw new StopReplication('truncating', `cutting the log back from ${end} to ${common} (the last point shared with the master at epoch ${masterEpoch})`);
    }
    if (await this.opts.epochs.adopt(theirs)) this.log.info('epoch history taken from the master', { epochs: describe(theirs) });
  }

  /** A NameServer answered our registration: a slave learns its master's addresses here. */
  onRegistered(r: RegistrationResult): void {
    const client = this.clientValue;
    if (client === undefined) return;
    const firstMaster = this.learnedMasterAddr === undefined && r.masterAddr !== undefined;
    if (r.masterAddr !== undefined && r.masterAddr !== this.learnedMasterAddr) {
      this.learnedMasterAddr = r.masterAddr;
      if (!firstMaster) this.log.info('master address changed', { master: r.masterAddr });
    }
    if (r.haServerAddr !== undefined && r.haServerAddr !== this.learnedHaAddr) {
      this.learnedHaAddr = r.haServerAddr;
      if (this.opts.config.haMasterAddress === null) client.masterAddressChanged();
      else if (r.haServerAddr !== this.opts.config.haMasterAddress) {
        this.log.warn('the NameServers name another master HA address than haMasterAddress; following haMasterAddress', { haMasterAddress: this.opts.config.haMasterAddress, fromNameServer: r.haServerAddr });
      }
    }
    if (firstMaster) this.syncValue?.syncSoon();
  }

  async afterPut(r: PutMessageResult, waitStoreMsgOK: boolean): Promise<PutMessageResult> {
    if (this.opts.config.brokerRole !== 'SYNC_MASTER' || !waitStoreMsgOK || r.appended === undefined) return r;
    if (r.status !== 'PUT_OK' && r.status !== 'FLUSH_DISK_TIMEOUT') return r;
    const outcome = await this.master.waitForReplicas(r.appended.endOffset);
    // acknowledged by the slave, but this broker lost its right to write meanwhile: no answer of success
    const withheld = this.opts.store.withheldAnswer();
    if (withheld !== undefined) return { status: 'SERVICE_NOT_AVAILABLE', remark: `not acknowledged: ${withheld}` };
    // 4.x handleHA: a replication failure replaces the flush status
    return outcome === 'PUT_OK' ? r : { ...r, status: outcome };
  }

  masterAlive(): boolean {
    return this.clientValue === undefined || this.clientValue.masterConnected;
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
    const hc = this.clientValue;
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

  /** GET_BROKER_HA_STATUS (907), GET_BROKER_EPOCH_CACHE (1007). */
  registerHandlers(table: HandlerTable): void {
    table.on(RequestCode.GET_BROKER_HA_STATUS, async (req) => createResponse(req, ResponseCode.SUCCESS, { body: encodeHaRuntimeInfo(await this.runtimeInfo()) }));
    table.on(RequestCode.GET_BROKER_EPOCH_CACHE, (req) => {
      const c = this.opts.config;
      const end = this.opts.store.maxPhysOffset;
      return createResponse(req, ResponseCode.SUCCESS, {
        body: encodeEpochEntryCache({ clusterName: c.brokerClusterName, brokerName: c.brokerName, brokerId: c.brokerId, epochList: epochEntries(this.opts.epochs.entries, end), maxOffset: end }),
      });
    });
  }

  private onClientState(state: HaClientState, reason: string | undefined): void {
    if (state === 'replicating') this.syncValue?.syncSoon();
    this.log.debug('HA client state', { state, reason });
  }
}

function describe(list: readonly EpochStart[]): string {
  return list.map((e) => `${e.epoch}@${e.startOffset}`).join(' ');
}
