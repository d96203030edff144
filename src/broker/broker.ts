/**
 * The broker process's parts wired together (Java `BrokerController`): the store, the topic
 * table, the request handlers, the remoting servers on listenPort and the fast channel
 * (listenPort − 2, same handlers), long polling, counters and NameServer registration.
 *
 * Consumer groups: the client manager (heartbeats, group membership, expiry), consumer offsets,
 * subscription groups and delayed delivery are opened with the store and live in the context;
 * their `config/*.json` files are loaded at open (a damaged one refuses the start) and written
 * on stop. Delayed delivery runs on masters only.
 *
 * Extending: later features register more handlers on `handlers` (a HandlerTable: the last
 * registration of a code wins) and plug into `hooks` (topic deletion) before `start()` — see
 * BrokerContext.
 *
 * Stopping (SIGTERM): registration stops, new requests are answered SERVICE_NOT_AVAILABLE (clients
 * retry elsewhere), held pulls answer, requests in flight finish, the servers close, delayed
 * delivery stops, offsets and groups are written, the store flushes and closes, and only then the
 * broker unregisters from every NameServer.
 */
import { NodeAcl } from '../acl/node-acl.js';
import { RemotingClient } from '../remoting/client.js';
import { InvalidInputError } from '../errors.js';
import { RequestCode, ResponseCode } from '../remoting/codes.js';
import { decodeConsumerOffsetTable, decodeDelayOffsetTable, decodeSubscriptionGroupWrapper } from '../protocol/group-config.js';
import { hostAddress } from '../protocol/message/host.js';
import { isReadable, isWriteable } from '../protocol/perm.js';
import type { TopicConfigSerializeWrapper } from '../protocol/register-broker-body.js';
import { createRequest, createResponse, type RemotingCommand } from '../remoting/command.js';
import type { Connection } from '../remoting/connection.js';
import { HandlerTable, type HandlerResult, type RequestDispatcher } from '../remoting/dispatcher.js';
import { RemotingServer } from '../remoting/server.js';
import { IoThread } from '../remoting/io-thread/io-thread.js';
import { TimedDispatcher } from '../remoting/timed-dispatcher.js';
import { performance } from 'node:perf_hooks';
import { MetricsServer } from '../util/metrics-server.js';
import { brokerMetricsRegistry } from './metrics/broker-metrics.js';
import type { NodeTls } from '../remoting/tls-config.js';
import { silentLogger, type Logger } from '../util/log.js';
import { fastListenPort } from '../node-config/broker-keys.js';
import type { BrokerContext, BrokerHooks } from './context.js';
import { ClientManager } from './client-manager.js';
import { ConsumerOffsetManager } from './consumer-offsets.js';
import { registerAdminHandlers } from './handlers/admin.js';
import { registerClientHandlers } from './handlers/clients.js';
import { registerConsumerOffsetHandlers } from './handlers/consumer-offsets.js';
import { registerGroupAdminHandlers } from './handlers/groups.js';
import { registerSendBackHandler } from './handlers/send-back.js';
import { registerMessageHandlers } from './handlers/messages.js';
import { registerMonitoringHandlers } from './handlers/monitoring.js';
import { registerOffsetHandlers } from './handlers/offsets.js';
import { registerPullHandler } from './handlers/pull.js';
import { registerSendHandlers } from './handlers/send.js';
import { GrpcEndpoint } from './grpc/endpoint.js';
import type { ResolvedBrokerConfig } from './broker-properties.js';
import { Replication, type TruncateRequest } from './ha/replication.js';
import { EpochHistory } from './ha/epochs.js';
import { registerRoleHandlers, type RoleChange, type RoleControl } from './role-change.js';
import { FailoverMember, type Peer } from './failover/member.js';
import { FailoverPromiseRequestHeader } from '../protocol/headers/failover.js';
import { decodeHeader, encodeHeader } from '../protocol/header-spec.js';
import { RmqExtensionCode } from '../remoting/codes.js';
import { PullHoldService } from './pull-hold.js';
import { PopEngine } from './pop/engine.js';
import { registerPopHandlers } from './pop/remoting-handlers.js';
import { registerTransactionHandlers } from './transaction/remoting-handlers.js';
import { TransactionService } from './transaction/service.js';
import { RebalanceLockManager } from './rebalance-locks.js';
import { NameServerRegistration, type RegistrationResult } from './registration.js';
import { parseDelayLevels, ScheduleMessageService, storeTagsCode } from './schedule.js';
import { registerTimerHandlers } from './handlers/timer.js';
import { TimerMessageService, timerTagsCode } from './timer/timer-service.js';
import { TIMER_TOPIC } from '../protocol/topic-names.js';
import { BrokerStats } from './stats.js';
import { MessageStore, type StoreConfig } from './store/index.js';
import { SubscriptionGroupManager } from './subscription-groups.js';
import { TopicConfigManager } from './topic-config-manager.js';
import path from 'node:path';

/** The consumer-group parts loaded from `config/` when the broker opens. */
type ConsumerGroupParts = Pick<BrokerContext, 'subscriptionGroups' | 'consumerOffsets' | 'schedule' | 'timer'>;

export interface BrokerOptions {
  config: ResolvedBrokerConfig;
  logger?: Logger;
  /** Called with every NameServer registration answer (a slave learns its master's addresses here). */
  onRegistered?: (r: RegistrationResult) => void;
  /** The properties file, for error messages (default 'broker.properties'). */
  configFile?: string;
  /** TLS for the remoting and HA ports and the broker's own connections (read by the runtime). */
  tls?: NodeTls;
  /** Open the store cut back to this commit-log offset (a former master's unreplicated tail; see onTruncate). */
  truncateTo?: number;
  /**
   * As a slave, the log holds what a former master wrote after the last point it shares with the
   * current master: whoever runs the broker reopens it with `truncateTo` (runtime/broker.ts).
   */
  onTruncate?: (t: TruncateRequest) => void;
  /** A slave: follow this master from the start (reopened after a truncation). */
  initialMaster?: { masterAddr: string; haMasterAddr: string };
  /** failover: auto — this node stands first at the group's very first election (its config names it master). Set by open(). */
  preferredMaster?: boolean;
}

/** The store's options from broker.properties (same key names: MessageStoreConfig). */
export function storeConfigOf(c: ResolvedBrokerConfig): Partial<StoreConfig> & { storePathRootDir: string } {
  const sc: Partial<StoreConfig> & { storePathRootDir: string } = {
    storePathRootDir: c.storePathRootDir,
    mappedFileSizeCommitLog: c.mappedFileSizeCommitLog,
    consumeQueueUnitsPerFile: Math.max(1, Math.floor(c.mappedFileSizeConsumeQueue / 20)),
    flushDiskType: c.flushDiskType,
    flushIntervalCommitLog: c.flushIntervalCommitLog,
    syncFlushTimeout: c.syncFlushTimeout,
    flushIntervalConsumeQueue: c.flushIntervalConsumeQueue,
    flushIntervalIndex: c.flushIntervalIndex,
    maxMessageSize: c.maxMessageSize,
    maxHashSlotNum: c.maxHashSlotNum,
    maxIndexNum: c.maxIndexNum,
    messageIndexEnable: c.messageIndexEnable,
    deleteWhen: c.deleteWhen,
    fileReservedTime: c.fileReservedTime,
    diskMaxUsedSpaceRatio: c.diskMaxUsedSpaceRatio,
    diskSpaceCleanForciblyRatio: c.diskSpaceCleanForciblyRatio,
    diskSpaceWarningLevelRatio: c.diskSpaceWarningLevelRatio,
    cleanResourceInterval: c.cleanResourceInterval,
    accessMessageInMemoryMaxRatio: c.accessMessageInMemoryMaxRatio,
    syncWriteMaxBytes: c.syncWriteMaxBytes,
  };
  if (c.storePathCommitLog !== null) sc.storePathCommitLog = c.storePathCommitLog;
  return sc;
}

/** Counts requests being handled and refuses new ones once stopping; times each (the same wait: no second promise per request). */
class GatedDispatcher implements RequestDispatcher {
  inFlight = 0;
  stopping = false;
  private idle: (() => void) | undefined;

  constructor(private readonly timing: TimedDispatcher) {}

  dispatch(req: RemotingCommand, conn: Connection): HandlerResult | Promise<HandlerResult> {
    if (this.stopping) return createResponse(req, ResponseCode.SERVICE_NOT_AVAILABLE, { remark: 'the broker is shutting down' });
    const started = performance.now();
    let r: HandlerResult | Promise<HandlerResult>;
    try {
      r = this.timing.handlers.dispatch(req, conn);
    } catch (e) {
      this.timing.failed(req, started);
      throw e;
    }
    if (r instanceof Promise) {
      this.inFlight++;
      const done = () => {
        if (--this.inFlight === 0) this.idle?.();
      };
      r.then(
        (res) => {
          this.timing.answered(req, res, started);
          done();
        },
        () => {
          this.timing.failed(req, started);
          done();
        },
      );
    } else this.timing.answered(req, r, started);
    return r;
  }

  /** Resolves when no request is being handled, or after `timeoutMillis`. */
  drained(timeoutMillis: number): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, timeoutMillis);
      this.idle = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
}

export class Broker implements RoleControl {
  readonly handlers = new HandlerTable();
  readonly hooks: BrokerHooks = {};
  readonly context: BrokerContext;
  readonly brokerAddr: string;
  private readonly dispatcher: GatedDispatcher;
  /** Request latencies (rocketmq_rpc_latency; send latencies feed runtime info's putLatency99 too). */
  private readonly rpc: TimedDispatcher;
  private metricsServer: MetricsServer | undefined;
  private readonly servers: RemotingServer[] = [];
  /** Client sockets of both remoting ports, when ioThreads = 1 (docs/design/io-thread.md). */
  private ioThread: IoThread | undefined;
  private readonly remoting: RemotingClient;
  private readonly registration: NameServerRegistration;
  readonly replication: Replication;
  private readonly log: Logger;
  private unsubscribeDispatch: (() => void) | undefined;
  private stopping: Promise<void> | undefined;
  /** Role changes and fences run one at a time. */
  private roleChanges: Promise<unknown> = Promise.resolve();
  /** failover: auto — the member of the group's election (failover/member.ts). */
  private member: FailoverMember | undefined;
  /** The v5 gRPC MessagingService (grpcServerPort > 0). */
  readonly grpc: GrpcEndpoint | undefined;

  private constructor(
    readonly config: ResolvedBrokerConfig,
    readonly store: MessageStore,
    readonly topics: TopicConfigManager,
    groups: ConsumerGroupParts,
    private readonly opts: BrokerOptions,
    private readonly acl: NodeAcl,
    readonly epochs: EpochHistory,
  ) {
    this.log = opts.logger ?? silentLogger;
    this.brokerAddr = `${config.brokerIP1}:${config.listenPort}`;
    const stats = new BrokerStats({ clusterName: config.brokerClusterName });
    const credentials = acl.credentials;
    const tls = opts.tls ?? {};
    this.remoting = new RemotingClient({ logger: this.log.child('remoting'), ...(credentials ? { credentials } : {}), ...(tls.client ? { tls: tls.client } : {}) });
    this.replication = new Replication({
      config,
      store,
      topics,
      remoting: this.remoting,
      hooks: this.hooks,
      logger: this.log.child('ha'),
      tls,
      epochs,
      nodeName: config.nodeName ?? this.brokerAddr,
      onTruncate: (t) => opts.onTruncate?.(t),
      ...(opts.initialMaster ? { initialMaster: opts.initialMaster } : {}),
    });
    const parts: Omit<BrokerContext, 'pop' | 'transactions'> = {
      config,
      store,
      topics,
      stats,
      pullHold: new PullHoldService(),
      log: this.log,
      brokerAddr: this.brokerAddr,
      storeHost: hostAddress(config.brokerIP1, config.listenPort),
      clients: new ClientManager({
        channelExpiredTimeoutMillis: config.channelExpiredTimeout,
        notifyConsumerIdsChanged: config.notifyConsumerIdsChangedEnable,
        groupNotifies: (group) => groups.subscriptionGroups.get(group)?.notifyConsumerIdsChangedEnable ?? true,
        logger: this.log.child('clients'),
      }),
      ...groups,
      rebalanceLocks: new RebalanceLockManager(),
      hooks: this.hooks,
      replication: this.replication,
    };
    this.context = { ...parts, pop: new PopEngine(parts), transactions: new TransactionService(parts) };
    this.hooks.topicDeleted = (topic) => {
      this.context.consumerOffsets.removeTopic(topic);
      this.context.pop.forget({ topic });
    };
    // a slave copies its master's consumer-group tables (Java SlaveSynchronize)
    this.hooks.slaveSync = [
      { name: 'consumer offsets', requestCode: RequestCode.GET_ALL_CONSUMER_OFFSET, apply: (body) => {
        const t = decodeConsumerOffsetTable(body);
        return this.context.consumerOffsets.replaceAll(t.offsetTable, t.dataVersion);
      } },
      { name: 'delay offsets', requestCode: RequestCode.GET_ALL_DELAY_OFFSET, apply: (body) => {
        const t = decodeDelayOffsetTable(body);
        return this.context.schedule.replaceAll(t.offsetTable, t.dataVersion);
      } },
      { name: 'subscription groups', requestCode: RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG, apply: (body) => this.context.subscriptionGroups.replaceAll(decodeSubscriptionGroupWrapper(body)) },
      { name: 'timer checkpoint', requestCode: RequestCode.GET_TIMER_CHECK_POINT, apply: (body) => this.context.timer.applyMasterCheckpoint(body) },
    ];
    registerSendHandlers(this.handlers, this.context);
    registerPullHandler(this.handlers, this.context);
    registerOffsetHandlers(this.handlers, this.context);
    registerMessageHandlers(this.handlers, this.context);
    registerAdminHandlers(this.handlers, this.context);
    registerClientHandlers(this.handlers, this.context);
    registerConsumerOffsetHandlers(this.handlers, this.context);
    registerSendBackHandler(this.handlers, this.context);
    registerGroupAdminHandlers(this.handlers, this.context);
    registerMonitoringHandlers(this.handlers, this.context);
    registerPopHandlers(this.handlers, this.context.pop, this.log.child('pop'));
    registerTimerHandlers(this.handlers, this.context);
    registerTransactionHandlers(this.handlers, this.context);
    this.replication.registerHandlers(this.handlers);
    registerRoleHandlers(this.handlers, this, config.failoverMode === 'auto');
    if (config.failoverMode === 'auto') {
      const peers: Peer[] = (config.failoverPeers ?? '').split(',').filter((x) => x !== '').map((x) => ({ node: x.slice(0, x.indexOf('@')), addr: x.slice(x.indexOf('@') + 1) }));
      this.member = new FailoverMember({
        broker: this,
        preferred: opts.preferredMaster === true,
        peers,
        askPromise: async (peer, epoch) => {
          const res = await this.remoting.request(peer.addr, createRequest(RmqExtensionCode.FAILOVER_PROMISE, { extFields: encodeHeader(FailoverPromiseRequestHeader, { node: config.nodeName ?? this.brokerAddr, epoch }) }), 500);
          return res.code === ResponseCode.SUCCESS;
        },
        logger: this.log.child('failover'),
      });
      const member = this.member;
      this.handlers.on(RmqExtensionCode.FAILOVER_PROMISE, (req) => {
        const h = decodeHeader(FailoverPromiseRequestHeader, req.extFields);
        const r = member.promise(h.node, h.epoch);
        return createResponse(req, r.ok ? ResponseCode.SUCCESS : ResponseCode.SYSTEM_ERROR, r.why !== undefined ? { remark: r.why } : {});
      });
    }
    const sendCodes = new Set<number>([RequestCode.SEND_MESSAGE, RequestCode.SEND_MESSAGE_V2, RequestCode.SEND_BATCH_MESSAGE]);
    this.rpc = new TimedDispatcher(acl.guard(this.handlers, this.log.child('acl')), (code, millis) => {
      if (sendCodes.has(code)) stats.recordPutLatency(millis);
    });
    this.dispatcher = new GatedDispatcher(this.rpc);
    this.registration = new NameServerRegistration({
      namesrvAddrs: config.namesrvAddrs,
      remoting: this.remoting,
      identity: {
        clusterName: config.brokerClusterName,
        brokerName: config.brokerName,
        brokerId: config.brokerId,
        brokerAddr: this.brokerAddr,
        haServerAddr: `${config.brokerIP2}:${config.haListenPort}`,
      },
      topicTable: () => this.registeredTopicTable(),
      topicSubset: (names) => this.registeredTopicTable(names),
      periodMillis: config.registerNameServerPeriod,
      heartbeatIntervalMillis: config.brokerHeartbeatIntervalMillis,
      timeoutMillis: config.registerBrokerTimeoutMills,
      logger: this.log.child('registration'),
      onRegistered: (r) => {
        this.replication.onRegistered(r);
        opts.onRegistered?.(r);
      },
    });
    // a new or changed topic is registered alone; a deletion re-registers the table
    topics.onChange((topic, change) => void (change === 'deleted' ? this.registration.registerAll() : this.registration.registerTopics([topic])));
    this.grpc =
      config.grpcServerPort > 0
        ? new GrpcEndpoint({
            ctx: this.context,
            acl: () => (acl.enforce ? acl.source?.policy : undefined),
            remoting: this.remoting,
            pop: () => this.context.pop,
            ...(opts.tls?.server ? { tls: opts.tls.server } : {}),
            logger: this.log.child('grpc'),
          })
        : undefined;
  }

  /** Opens the store (crash recovery, lock) and the topic table; nothing listens yet. */
  static async open(opts: BrokerOptions): Promise<Broker> {
    const log = opts.logger ?? silentLogger;
    const c = opts.config;
    let levels: Map<number, number>;
    try {
      levels = parseDelayLevels(c.messageDelayLevel);
    } catch (e) {
      throw new InvalidInputError(`invalid broker configuration: messageDelayLevel: ${(e as Error).message}`);
    }
    if (c.failoverMode === 'auto') {
      // the role is the election's: every member starts as a slave and takes no writes until it holds the lease
      if (c.failoverEtcdEndpoints === null) throw new InvalidInputError(`invalid broker configuration: failoverMode=auto needs failoverEtcdEndpoints`);
      opts = { ...opts, preferredMaster: opts.preferredMaster ?? (c.brokerRole !== 'SLAVE' && opts.initialMaster === undefined) };
      c.brokerRole = 'SLAVE';
      c.brokerId = c.failoverSlaveId;
      c.haMasterAddress = null;
    }
    const acl = NodeAcl.open(c, opts.configFile ?? 'broker.properties', log.child('acl'));
    // a SCHEDULE_TOPIC_XXXX or timer-topic entry's tags code is its delivery time
    const scheduleTags = storeTagsCode(levels);
    const tagsCode = (topic: string, properties: string, storeTimestamp: number) => (topic === TIMER_TOPIC ? timerTagsCode(properties) : scheduleTags(topic, properties, storeTimestamp));
    let store: MessageStore;
    try {
      store = await MessageStore.open(storeConfigOf(c), { logger: log.child('store'), tagsCode, ...(opts.truncateTo !== undefined ? { truncateTo: opts.truncateTo } : {}) });
    } catch (e) {
      acl.close();
      throw e;
    }
    try {
      const epochs = await EpochHistory.load(c.storePathCommitLog ?? path.join(c.storePathRootDir, 'commitlog'));
      const cut = store.truncated;
      if (cut !== undefined) {
        await epochs.truncate(cut.to);
        log.warn('commit log truncated: the unreplicated tail a former master wrote after the last point it shares with the current master', {
          from: cut.from,
          to: cut.to,
          bytes: cut.bytes,
          messages: cut.messages,
          firstStored: cut.firstStoreTimestamp > 0 ? new Date(cut.firstStoreTimestamp).toISOString() : undefined,
          lastStored: cut.lastStoreTimestamp > 0 ? new Date(cut.lastStoreTimestamp).toISOString() : undefined,
          epoch: epochs.current.epoch,
        });
      }
      const topics = await TopicConfigManager.load({
        file: path.join(c.storePathRootDir, 'config', 'topics.json'),
        clusterName: c.brokerClusterName,
        brokerName: c.brokerName,
        autoCreateTopicEnable: c.autoCreateTopicEnable,
        defaultTopicQueueNums: c.defaultTopicQueueNums,
        clusterTopicEnable: c.clusterTopicEnable,
        brokerTopicEnable: c.brokerTopicEnable,
        traceTopicEnable: c.traceTopicEnable,
        msgTraceTopicName: c.msgTraceTopicName,
        logger: log.child('topics'),
      });
      const configDir = path.join(c.storePathRootDir, 'config');
      const groups: ConsumerGroupParts = {
        subscriptionGroups: await SubscriptionGroupManager.load({ configDir, autoCreateSubscriptionGroup: c.autoCreateSubscriptionGroup, logger: log.child('groups') }),
        consumerOffsets: await ConsumerOffsetManager.load({ configDir, flushIntervalMillis: c.flushConsumerOffsetInterval, logger: log.child('offsets') }),
        schedule: await ScheduleMessageService.load({ store, levels, configDir, flushIntervalMillis: c.flushDelayOffsetInterval, logger: log.child('schedule') }),
        timer: await TimerMessageService.load({
          store,
          dir: path.join(c.storePathRootDir, 'timer'),
          config: {
            enabled: c.timerWheelEnable,
            maxDelayMillis: c.timerMaxDelaySec * 1000,
            precisionMs: c.timerPrecisionMs,
            rollWindowSlots: c.timerRollWindowSlots,
            flushIntervalMs: c.timerFlushIntervalMs,
          },
          brokerName: c.brokerName,
          storeHost: hostAddress(c.brokerIP1, c.listenPort),
          // a role changed in place is followed (a slave never delivers)
          isMaster: () => c.brokerRole !== 'SLAVE',
          logger: log.child('timer'),
        }),
      };
      // a level-delayed message that still has a delivery time ahead (stored before the timer existed) goes on to the timer
      groups.schedule.afterLevel = (m) => groups.timer.transform(m);
      return new Broker(c, store, topics, groups, opts, acl, epochs);
    } catch (e) {
      acl.close();
      await store.close();
      throw e;
    }
  }

  /** Listens on listenPort and the fast channel, then registers with every NameServer. */
  async start(): Promise<void> {
    const c = this.config;
    await this.context.pop.recover();
    this.unsubscribeDispatch = this.store.onDispatch((e) => this.context.pullHold.onDispatch(e));
    this.context.pop.start();
    this.context.stats.start();
    this.context.clients.start();
    this.context.consumerOffsets.start();
    if (c.brokerRole !== 'SLAVE') this.context.schedule.start();
    this.context.timer.start();
    if (c.brokerRole !== 'SLAVE') this.context.timer.startDelivery();
    await this.context.transactions.start();
    const maxFrameLength = Math.max(16 * 1024 * 1024, c.maxMessageSize + 1024 * 1024);
    if (c.ioThreads > 0) {
      const io = (this.ioThread = new IoThread());
      io.onFailure((err) => {
        // no client can reach the broker any more: exit, so the supervisor restarts it
        this.log.error('the network thread failed; exiting', { err });
        process.exit(1);
      });
    }
    for (const port of [c.listenPort, fastListenPort(c.listenPort)]) {
      const server = new RemotingServer({
        ...(this.ioThread ? { ioThread: this.ioThread } : {}),
        dispatcher: this.dispatcher,
        logger: this.log.child('remoting'),
        idleTimeoutMillis: c.serverChannelMaxIdleTimeSeconds * 1000,
        maxFrameLength,
        ...(this.opts.tls?.server ? { tls: this.opts.tls.server } : {}),
      });
      await server.listen(port, c.bindAddress);
      this.servers.push(server);
    }
    await this.replication.start();
    if (c.metricsPort > 0) await this.startMetrics(c.metricsPort);
    await this.grpc?.start();
    this.log.info('broker listening', {
      cluster: c.brokerClusterName,
      broker: c.brokerName,
      id: c.brokerId,
      role: c.brokerRole,
      flush: c.flushDiskType,
      addr: this.brokerAddr,
      fastPort: fastListenPort(c.listenPort),
      haPort: c.haListenPort,
      ioThreads: c.ioThreads,
      metricsPort: c.metricsPort || undefined,
      grpcPort: this.grpc?.port,
      haMaster: c.brokerRole === 'SLAVE' ? (c.haMasterAddress ?? 'from NameServer') : undefined,
      store: c.storePathRootDir,
      topics: this.topics.size,
    });
    await this.registration.start();
    this.member?.start();
    this.log.info('broker started', { addr: this.brokerAddr, namesrv: c.namesrvAddrs.join(';') || undefined, registeredWith: this.registration.registeredWith.length });
  }

  /** BROKER_FENCE: stop (or resume) taking puts; answers once everything appended is written. */
  fence(on: boolean, reason: string): Promise<{ maxOffset: number; epoch: number }> {
    return this.serially(async () => {
      if (on) {
        this.store.fence(reason, { withholdAnswers: false });
        // delayed delivery writes too: it stops with the puts (and starts again with them)
        await this.context.schedule.stop();
      } else {
        this.store.unfence();
        if (this.config.brokerRole !== 'SLAVE') this.context.schedule.start();
      }
      const end = this.store.maxPhysOffset;
      await this.store.commitLog.waitWritten(end, this.config.syncFlushTimeout);
      this.log.info(on ? 'fenced: puts refused' : 'fence lifted: puts taken again', { reason: on ? reason : undefined, maxOffset: end });
      return { maxOffset: this.store.maxPhysOffset, epoch: this.epochs.current.epoch };
    });
  }

  /**
   * BROKER_CHANGE_ROLE: takes the role in place (config, NameServer registration, replication,
   * delayed delivery), then registers again at once so the route changes.
   */
  changeRole(change: RoleChange): Promise<{ maxOffset: number; epoch: number }> {
    return this.serially(async () => {
      const c = this.config;
      const before = { role: c.brokerRole, id: c.brokerId, epoch: this.epochs.current.epoch };
      // the transaction service restarts in the new role (a master checks back and repairs lost
      // op records, a follower follows the log): stopped here, started in whatever role results
      await this.context.transactions.stop();
      try {
        await this.takeRole(change);
      } finally {
        await this.context.transactions.start();
      }
      this.registration.setBrokerId(c.brokerId);
      this.log.info('broker role changed', { from: `${before.role}/${before.id}`, to: `${c.brokerRole}/${c.brokerId}`, epoch: this.epochs.current.epoch, maxOffset: this.store.maxPhysOffset, master: change.masterAddr });
      await this.registration.registerAll();
      return { maxOffset: this.store.maxPhysOffset, epoch: this.epochs.current.epoch };
    });
  }

  /** The role change itself: config, replication, delayed and timer delivery, POP. */
  private async takeRole(change: RoleChange): Promise<void> {
    const c = this.config;
    const wasSlave = c.brokerRole === 'SLAVE';
    if (change.brokerRole === 'SLAVE') {
      if (change.brokerId <= 0) throw new InvalidInputError(`a SLAVE's brokerId must be > 0, not ${change.brokerId}`);
      c.brokerRole = 'SLAVE';
      c.brokerId = change.brokerId;
      c.haMasterAddress = change.haMasterAddress ?? null;
      await this.context.schedule.stop();
      // the timer follows the role by itself within timerFlushIntervalMs; stopped here at once
      await this.context.timer.stopDelivery();
      this.context.pop.becameSlave();
      // a slave takes no puts by its role; its store appends what the master streams
      this.store.unfence();
      await this.replication.toSlave({ ...(change.masterAddr ? { masterAddr: change.masterAddr } : {}), ...(change.haMasterAddress ? { haMasterAddr: change.haMasterAddress } : {}) });
    } else {
      if (change.brokerId !== 0) throw new InvalidInputError(`a master's brokerId is 0, not ${change.brokerId}`);
      if (change.expectMaxOffset !== undefined && change.expectMaxOffset !== this.store.maxPhysOffset) {
        throw new InvalidInputError(`this broker's commit log ends at ${this.store.maxPhysOffset}, not at ${change.expectMaxOffset} where the former master's ends: it does not hold every byte; not taking the master role`);
      }
      const epoch = change.epoch ?? this.epochs.current.epoch + 1;
      if (epoch <= this.epochs.current.epoch && (wasSlave || epoch < this.epochs.current.epoch)) {
        throw new InvalidInputError(`epoch ${epoch} is not newer than this log's epoch ${this.epochs.current.epoch}`);
      }
      c.brokerRole = change.brokerRole;
      c.brokerId = 0;
      c.haMasterAddress = null;
      if (change.haAllowedAddresses !== undefined) c.haAllowedAddresses = change.haAllowedAddresses;
      await this.replication.toMaster({ epoch, ...(change.haAllowedAddresses !== undefined ? { allowFrom: change.haAllowedAddresses } : {}), ...(change.nodeName ? { nodeName: change.nodeName } : {}) });
      await this.topics.setStateVersion(epoch);
      this.store.unfence();
      this.context.schedule.start();
      this.context.timer.startDelivery();
      await this.context.pop.becameMaster();
    }
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.roleChanges.then(work, work);
    this.roleChanges = run.catch(() => undefined);
    return run;
  }

  /** Serves /metrics and /healthz on metricsPort (metrics/broker-metrics.ts). */
  private async startMetrics(port: number): Promise<void> {
    const registry = brokerMetricsRegistry({ ctx: this.context, rpc: this.rpc, ...(this.grpc !== undefined ? { grpc: this.grpc.latency } : {}), ha: () => this.replication.runtimeInfo(), metricsPort: port });
    const server = new MetricsServer({ registry, logger: this.log.child('metrics'), unhealthy: () => (this.dispatcher.stopping ? 'stopping' : undefined) });
    await server.listen(port, this.config.bindAddress);
    this.metricsServer = server;
  }

  /** NameServers this broker is registered with right now. */
  get registeredWith(): string[] {
    return this.registration.registeredWith;
  }

  /** Stops as described in the module comment. Safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.registration.stop();
    this.dispatcher.stopping = true;
    // a master stops writing, then hands its lease back (the group elects at once, not after it expires)
    if (this.member !== undefined) {
      this.store.setWriteLease(0, 'the broker is stopping');
      await this.member.stop();
    }
    this.context.pullHold.stop();
    this.context.pop.endPolls();
    await this.dispatcher.drained(this.config.syncFlushTimeout + 2_000);
    await Promise.all([...this.servers.map((s) => s.close()), this.grpc?.stop()]);
    await this.ioThread?.stop();
    await this.context.pop.stop();
    await this.metricsServer?.close();
    await this.replication.stop();
    this.unsubscribeDispatch?.();
    this.context.stats.stop();
    this.context.clients.stop();
    // each step even if one before it failed (a full disk fails the state files): the store still
    // closes cleanly; the stop reports the first failure
    const failures: unknown[] = [];
    const step = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (e) {
        failures.push(e);
        this.log.error(`stopping: ${what} failed`, { err: e as Error });
      }
    };
    await step('stopping delayed delivery (writing its offsets)', () => this.context.schedule.stop());
    await step('stopping timer delivery (writing the timer log and checkpoint)', () => this.context.timer.stop());
    await step('stopping transaction checks (writing their snapshot)', () => this.context.transactions.stop());
    await step('writing consumer offsets', () => this.context.consumerOffsets.stop());
    await step('writing subscription groups', () => this.context.subscriptionGroups.flush());
    await step('writing the topic table', () => this.topics.flush());
    await step('closing the store', async () => {
      await this.store.close();
      this.log.info('store flushed and closed');
    });
    await this.registration.unregisterAll();
    this.remoting.shutdown();
    this.acl.close();
    if (failures.length > 0) throw failures[0];
  }

  /**
   * The topic table as registered: a broker that may not read or write advertises its topics
   * with those permissions removed, so clients route around it (BrokerController.registerBrokerAll).
   */
  /** The topic table the NameServers get (all of it, or only `names`), with the broker's permission applied. */
  private registeredTopicTable(names?: readonly string[]): TopicConfigSerializeWrapper {
    const snap = names === undefined ? this.topics.snapshot() : this.topics.subset(names);
    const perm = this.config.brokerPermission;
    if (isReadable(perm) && isWriteable(perm)) return snap;
    const table = Object.fromEntries(Object.entries(snap.topicConfigTable).map(([k, tc]) => [k, { ...tc, perm: tc.perm & perm }]));
    return { ...snap, topicConfigTable: table };
  }
}
