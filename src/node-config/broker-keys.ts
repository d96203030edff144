/**
 * The broker.properties key registry: every key rmqd's broker reads, plus the common RocketMQ keys
 * an operator overrides. Names, types and defaults are RocketMQ's own (BrokerConfig,
 * MessageStoreConfig, NettyServerConfig at apache/rocketmq HEAD; BrokerStartup for the port
 * derivations), except the keys marked `rmqd`, which are our extensions.
 *
 * One table serves three readers: topology validation checks `overrides` against it, rendering
 * writes values in its canonical form, and the runtime parses broker.properties through
 * `parseBrokerConfig`.
 */
import type { PropertyEntry } from '../util/properties.js';
import { TLS_KEYS } from '../remoting/tls-config.js';
import { parseConfig, type ConfigOf, type KeySpec, type ParsedConfig, type ValueSpec } from '../util/config-registry.js';

const MS = 'ms';
type Extra = { managedBy?: string; required?: boolean };

function key<S extends ValueSpec, D extends string | number | boolean | null>(
  origin: string,
  spec: S,
  def: D,
  description: string,
  extra: Extra = {},
): KeySpec & { spec: S; default: D } {
  return { spec, default: def, origin, description, ...extra };
}
const int = (min?: number, max?: number) => ({ kind: 'int' as const, min, max });
const long = (min?: number) => ({ kind: 'long' as const, min });
const bool = { kind: 'bool' as const };
const path = { kind: 'path' as const };

const B = 'BrokerConfig';
const S = 'MessageStoreConfig';
const N = 'NettyServerConfig';
const OURS = 'rmqd';

export const BROKER_ROLES = ['ASYNC_MASTER', 'SYNC_MASTER', 'SLAVE'] as const;
export type BrokerRole = (typeof BROKER_ROLES)[number];
export const FLUSH_DISK_TYPES = ['ASYNC_FLUSH', 'SYNC_FLUSH'] as const;
export type FlushDiskType = (typeof FLUSH_DISK_TYPES)[number];

/** RocketMQ's name/cluster characters (TopicValidator's set, which brokers and clusters share in practice). */
const NAME = { kind: 'string' as const, pattern: /^[A-Za-z0-9_-]{1,127}$/, expected: 'letters, digits, - and _' };

export const BROKER_KEYS = {
  // ── identity (decided by the topology) ────────────────────────────────────────────────────
  brokerClusterName: key(B, NAME, 'DefaultCluster', 'cluster the broker registers under', { managedBy: 'cluster' }),
  brokerName: key(B, NAME, null, 'broker group name; master and slaves share it', { managedBy: 'brokers[].name', required: true }),
  brokerId: key(B, long(0), 0, '0 = master, > 0 = slave', { managedBy: 'the node’s position in brokers[].slaves' }),
  brokerRole: key(S, { kind: 'enum' as const, values: BROKER_ROLES }, 'ASYNC_MASTER', 'ASYNC_MASTER, SYNC_MASTER (acks wait for a slave) or SLAVE', { managedBy: 'mode' }),
  namesrvAddr: key(B, { kind: 'hostPortList' as const }, null, 'NameServers to register with, host:port;host:port', { managedBy: 'nameservers' }),
  nodeName: key(OURS, NAME, null, 'this node’s name (the topology’s node id): recorded in the commit log’s epoch history and the failover lease; unset = brokerIP1:listenPort', { managedBy: 'the node’s id' }),
  // ── network ────────────────────────────────────────────────────────────────────────────────
  brokerIP1: key(B, { kind: 'ipv4' as const }, null, 'address advertised to clients (RocketMQ guesses a local address when unset)', { managedBy: 'brokerIP1 of the node' }),
  brokerIP2: key(B, { kind: 'ipv4' as const }, null, 'address slaves replicate from (HA); defaults to brokerIP1', { managedBy: 'brokerIP1 of the node' }),
  listenPort: key(N, int(3, 65535), 10911, 'remoting port; the fast channel is listenPort-2', { managedBy: 'port of the node' }),
  haListenPort: key(S, int(0, 65535), 0, 'HA replication port; 0 = listenPort+1', { managedBy: 'haPort of the node' }),
  haMasterAddress: key(S, { kind: 'hostPort' as const }, null, 'slave: master HA address (else learnt from NameServer registration)', { managedBy: 'the group’s master' }),
  grpcServerPort: key('ProxyConfig', int(0, 65535), 0, 'v5 gRPC MessagingService port (RocketMQ 5 clients; the Proxy’s local mode); TLS per tls.server.mode; 0 = off', { managedBy: 'grpcPort of the node' }),
  bindAddress: key(N, { kind: 'ipv4' as const }, '0.0.0.0', 'address the remoting servers bind to'),
  metricsPort: key(OURS, int(0, 65535), 0, 'Prometheus endpoint (/metrics, /healthz) on bindAddress; 0 = off (RocketMQ 5: metricsExporterType=PROM, metricsPromExporterPort)', { managedBy: 'metricsPort of the node' }),
  serverChannelMaxIdleTimeSeconds: key(N, int(0), 120, 'close a client connection idle this long (s)'),
  ioThreads: key(OURS, int(0), null, 'network threads doing client socket I/O (accept, TLS, reads, writes) besides the thread that runs the store and the handlers: 0 = all on one thread; 1 = one network thread (more need SO_REUSEPORT or socket handoff between threads, which Node 20 lacks); unset = 1 on a machine with at least 4 cores, else 0 (docs/design/io-thread.md); rmqd broker --io-threads N overrides it'),
  serverSocketBacklog: key(N, int(1), 1024, 'TCP accept backlog'),
  serverSocketSndBufSize: key(N, int(0), 0, 'socket send buffer bytes; 0 = OS default'),
  serverSocketRcvBufSize: key(N, int(0), 0, 'socket receive buffer bytes; 0 = OS default'),
  // ── store ──────────────────────────────────────────────────────────────────────────────────
  storePathRootDir: key(S, path, null, 'store root (RocketMQ default $HOME/store)', { managedBy: 'storeRoot' }),
  storePathCommitLog: key(S, path, null, 'commit log directory; default <storePathRootDir>/commitlog'),
  flushDiskType: key(S, { kind: 'enum' as const, values: FLUSH_DISK_TYPES }, 'ASYNC_FLUSH', 'SYNC_FLUSH: acks wait for fsync (group commit)'),
  mappedFileSizeCommitLog: key(S, int(4096), 1073741824, 'commit log file size, bytes'),
  mappedFileSizeConsumeQueue: key(S, int(20), 6000000, 'consume queue file size, bytes (multiple of 20)'),
  flushIntervalCommitLog: key(S, int(1), 500, `async flush period, ${MS}`),
  flushCommitLogLeastPages: key(S, int(0), 4, 'async flush writes at least this many 4 KiB pages'),
  flushCommitLogThoroughInterval: key(S, int(0), 10000, `async flush forces a full flush this often, ${MS}`),
  flushIntervalConsumeQueue: key(S, int(1), 1000, `consume queue flush period, ${MS}`),
  flushConsumeQueueLeastPages: key(S, int(0), 2, 'consume queue flush writes at least this many pages'),
  flushConsumeQueueThoroughInterval: key(S, int(0), 60000, `consume queue full flush period, ${MS}`),
  syncWriteMaxBytes: key(OURS, int(0), 262144, 'commit-log writes of at most this many bytes (what one turn of the event loop appended) are made on the store thread, a copy into the page cache, instead of through the thread pool, whose round trip costs more than the copy; larger ones use the pool so a burst never holds the thread; 0 = all through the pool (docs/design/store.md#writes)'),
  flushIntervalIndex: key(OURS, int(1), 10000, `key index flush period (after a crash the index is rebuilt from the commit log from its last flush), ${MS}`),
  syncFlushTimeout: key(S, int(1), 5000, `SYNC_FLUSH: answer FLUSH_DISK_TIMEOUT after this long, ${MS}`),
  maxMessageSize: key(S, int(1, 16 * 1024 * 1024), 4194304, 'largest message body accepted, bytes'),
  checkCRCOnRecover: key(S, bool, true, 'verify body CRCs when recovering after a crash'),
  messageIndexEnable: key(S, bool, true, 'build the key/unique-key index'),
  maxHashSlotNum: key(S, int(1), 5000000, 'index file hash slots'),
  maxIndexNum: key(S, int(1), 20000000, 'index file entries'),
  messageDelayLevel: key(
    S,
    { kind: 'string' as const, pattern: /^\d+[smhd]( \d+[smhd])*$/, expected: "space-separated durations like '1s 5s 1m 2h'" },
    '1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h',
    'delay levels 1..N for delayed messages',
  ),
  timerWheelEnable: key(S, bool, true, 'take timer messages (a delivery time in ms: TIMER_DELIVER_MS / TIMER_DELAY_SEC / TIMER_DELAY_MS / __STARTDELIVERTIME, v5 delivery_timestamp); false refuses them'),
  timerMaxDelaySec: key(S, int(1, 3650 * 86400), 259200, 'farthest delivery time a timer message may ask for, seconds ahead (3 days)'),
  timerPrecisionMs: key(S, int(100, 60000), 1000, `length of a time-wheel slot (delivery itself is to the millisecond), ${MS}`),
  timerRollWindowSlots: key(S, int(2, 2592000), 172800, 'wheel slots ahead a timer message is placed in its own slot; one further away waits in the last and is stored again (rolls) when it comes (2 days of 1 s slots: 3.5 MB of broker memory)'),
  timerFlushIntervalMs: key(S, int(100, 60000), 1000, `write the timer log and checkpoint this often (a crash delivers again what was delivered since), ${MS}`),
  maxTransferBytesOnMessageInMemory: key(S, int(1), 262144, 'pull reply byte cap, data in page cache'),
  maxTransferCountOnMessageInMemory: key(S, int(1), 32, 'pull reply message cap, data in page cache'),
  maxTransferBytesOnMessageInDisk: key(S, int(1), 65536, 'pull reply byte cap, data on disk'),
  maxTransferCountOnMessageInDisk: key(S, int(1), 8, 'pull reply message cap, data on disk'),
  accessMessageInMemoryMaxRatio: key(S, int(0, 100), 40, 'percent of RAM behind the commit log end that counts as in memory: read there with synchronous preads (page cache), further back through the thread pool; also the slave-read threshold'),
  // ── retention ──────────────────────────────────────────────────────────────────────────────
  deleteWhen: key(S, { kind: 'hours' as const }, '04', 'hours of day when expired files are deleted'),
  fileReservedTime: key(S, int(1), 72, 'keep commit log files this many hours'),
  diskMaxUsedSpaceRatio: key(S, int(10, 95), 75, 'percent disk use that triggers early deletion'),
  diskSpaceWarningLevelRatio: key(S, int(10, 99), 90, 'percent disk use above which writes are refused'),
  diskSpaceCleanForciblyRatio: key(S, int(10, 99), 85, 'percent disk use above which files are deleted even if not expired'),
  cleanFileForciblyEnable: key(S, bool, true, 'allow deleting unexpired files when the disk is full'),
  cleanResourceInterval: key(S, int(1), 10000, `how often the clean task runs, ${MS}`),
  deleteCommitLogFilesInterval: key(S, int(0), 100, `pause between two commit log file deletions, ${MS}`),
  deleteConsumeQueueFilesInterval: key(S, int(0), 100, `pause between two consume queue file deletions, ${MS}`),
  destroyMapedFileIntervalForcibly: key(S, int(0), 120000, `force-release a file still referenced after this long, ${MS}`),
  // ── replication ────────────────────────────────────────────────────────────────────────────
  slaveTimeout: key(S, int(1), 3000, `SYNC_MASTER: answer FLUSH_SLAVE_TIMEOUT after this long, ${MS}`),
  haSendHeartbeatInterval: key(S, int(1), 5000, `slave heartbeat period on the HA connection, ${MS}`),
  haHousekeepingInterval: key(S, int(1), 20000, `drop a silent HA connection after this long, ${MS}`),
  haTransferBatchSize: key(S, int(1024), 32768, 'largest HA transfer chunk, bytes'),
  haSlaveFallbehindMax: key(S, int(0), 268435456, 'SYNC_MASTER (4.x): a slave further behind is not waited for, bytes'),
  haMaxGapNotInSync: key(S, int(0), 268435456, 'a slave within this many bytes counts as in sync'),
  haSlaveOutOfSyncMillis: key(OURS, int(100, 600000), 2000, `a slave that leaves data unacknowledged this long (or sends no report for haSendHeartbeatInterval + this) is silent: SYNC_MASTER sends stop waiting for it (SLAVE_NOT_AVAILABLE at once) and status counts it out of sync, ${MS}`),
  totalReplicas: key(S, int(1), 1, 'replicas in the group, master included'),
  inSyncReplicas: key(S, int(1), 1, 'SYNC_MASTER: acks needed, master included (2 = master + one slave)'),
  minInSyncReplicas: key(S, int(1), 1, 'floor for inSyncReplicas when enableAutoInSyncReplicas'),
  enableAutoInSyncReplicas: key(S, bool, false, 'lower inSyncReplicas while slaves are missing (weakens SYNC_MASTER)'),
  slaveReadEnable: key(B, bool, false, 'let consumers read from slaves when the master is busy'),
  // ── automatic failover (failover: auto; docs/design/ha.md#automatic-failover) ───────────
  failoverMode: key(OURS, { kind: 'enum' as const, values: ['manual', 'auto'] as const }, 'manual', 'auto: the group elects its master through an etcd lease (brokerRole/brokerId above are then the initial roles); manual: the roles are as configured', { managedBy: 'failover.mode' }),
  failoverEtcdEndpoints: key(OURS, { kind: 'string' as const, pattern: /^https?:\/\/[A-Za-z0-9.-]+:\d{1,5}(,https?:\/\/[A-Za-z0-9.-]+:\d{1,5})*$/, expected: 'etcd client URLs, comma-separated (http://10.0.0.11:2379,http://10.0.0.12:2379)' }, null, 'the etcd cluster holding the group’s lease and epoch', { managedBy: 'failover.etcd' }),
  failoverEtcdPrefix: key(OURS, { kind: 'string' as const, pattern: /^\/[A-Za-z0-9_/-]*$/, expected: 'an etcd key prefix like /rmqctl' }, '/rmqctl', 'etcd keys of this cluster live under <prefix>/<cluster>/<group>/', { managedBy: 'failover.etcd.prefix' }),
  failoverLeaseSeconds: key(OURS, int(2, 60), 5, 'the master’s etcd lease: it renews it every fifth of this; a master that cannot stops taking writes before it can expire, and an in-sync slave takes over once it has'),
  failoverFenceMarginMillis: key(OURS, int(100, 10000), 1000, `a master that could not renew its lease stops acknowledging writes this long before the lease can expire at the earliest, ${MS}`),
  failoverMaxLagBytes: key(OURS, long(0), 16777216, 'ASYNC_MASTER groups: a slave may take over when it lacks at most this many bytes of what the master last published (the loss is reported); SYNC groups lose nothing acknowledged'),
  failoverMasterRole: key(OURS, { kind: 'enum' as const, values: ['ASYNC_MASTER', 'SYNC_MASTER'] as const }, 'ASYNC_MASTER', 'the role this node takes when elected master (the group’s replication mode)', { managedBy: 'mode' }),
  failoverSlaveId: key(OURS, long(1), 1, 'the brokerId this node registers with while it is a slave', { managedBy: 'the node’s place in the group' }),
  failoverPeers: key(OURS, { kind: 'string' as const, pattern: /^[A-Za-z0-9_-]+@[0-9.]+:\d{1,5}(,[A-Za-z0-9_-]+@[0-9.]+:\d{1,5})*$/, expected: 'node@ip:port, comma-separated' }, null, 'the other members of the group: a master that cannot reach etcd keeps writing while every one of them promises not to take over', { managedBy: 'brokers[]' }),
  // ── broker behaviour ───────────────────────────────────────────────────────────────────────
  brokerPermission: key(B, { kind: 'int' as const, oneOf: [2, 4, 6] }, 6, '6 read+write, 4 read-only, 2 write-only'),
  defaultTopicQueueNums: key(B, int(1, 1024), 8, 'queues of an auto-created topic (at most)'),
  autoCreateTopicEnable: key(B, bool, true, 'create topics on first send (through TBW102)'),
  autoCreateSubscriptionGroup: key(B, bool, true, 'create consumer groups on first use'),
  enablePropertyFilter: key(B, bool, false, 'allow SQL92 property filters in subscriptions (MessageSelector.bySql)'),
  clusterTopicEnable: key(B, bool, true, 'register a topic named after the cluster'),
  brokerTopicEnable: key(B, bool, true, 'register a topic named after the broker'),
  traceTopicEnable: key(B, bool, false, 'create the message trace topic'),
  msgTraceTopicName: key(B, NAME, 'RMQ_SYS_TRACE_TOPIC', 'message trace topic'),
  registerNameServerPeriod: key(B, int(10000, 60000), 30000, `full registration with every NameServer this often, ${MS}`),
  registerBrokerTimeoutMills: key(B, int(1), 24000, `registration RPC timeout, ${MS}`),
  brokerHeartbeatIntervalMillis: key(OURS, int(100, 60000), 1000, `keep-alive to every NameServer between full registrations, ${MS}`),
  flushConsumerOffsetInterval: key(B, int(100), 5000, `persist consumer offsets this often, ${MS}`),
  flushDelayOffsetInterval: key(S, int(100), 10000, `persist delayed-delivery offsets this often, ${MS}`),
  longPollingEnable: key(B, bool, true, 'hold pulls until messages arrive (long polling)'),
  shortPollingTimeMills: key(B, long(1), 1000, `hold time of a pull without long polling, ${MS}`),
  maxPopPollingSize: key(B, int(1), 20000, 'most POP receives (remoting POP_MESSAGE, gRPC ReceiveMessage) waiting at once; past it a receive is answered POLLING_FULL / TOO_MANY_REQUESTS (RocketMQ: 100000; rmqd: 20000, about 15 KB of broker memory each)'),
  popInflightMessageThreshold: key(B, int(1), 10000, 'most messages of one queue a POP consumer group may have in flight (unacked); past it the queue gives the group nothing new'),
  popJournalSnapshotInterval: key(OURS, int(100), 5000, `write the POP state snapshot this often while it changed (a restart replays the POP journal after it), ${MS}`),
  notifyConsumerIdsChangedEnable: key(B, bool, true, 'tell consumers to rebalance when group membership changes'),
  channelExpiredTimeout: key(B, long(1000), 120000, `drop a client silent this long, ${MS}`),
  rejectTransactionMessage: key(B, bool, false, 'refuse transactional (half) messages (NO_PERMISSION)'),
  transactionTimeOut: key(B, long(1), 6000, `check back a half message once it is this old (a message's CHECK_IMMUNITY_TIME_IN_SECONDS can ask for longer), ${MS}`),
  transactionCheckMax: key(B, int(1), 15, 'give up a half message after this many checks (logged, copied to TRANS_CHECK_MAX_TIME_TOPIC)'),
  transactionCheckInterval: key(B, long(1), 30000, `how often a master checks back open half messages with their producer group (a slave follows its log this often), ${MS}`),
  // ── access control (ACL 1.0) ───────────────────────────────────────────────────────────────
  aclEnable: key(B, bool, false, 'check every request against aclFile (RocketMQ ACL 1.0: signature, then permissions)', { managedBy: 'acl' }),
  aclFile: key(OURS, path, null, 'ACL file in the plain_acl.yml shape; required when aclEnable or aclAccessKey is set; re-read when it changes', { managedBy: 'acl' }),
  haAllowedAddresses: key(OURS, { kind: 'string' as const, pattern: /^[0-9A-Fa-f.:*,{} -]+$/, expected: 'a RocketMQ address pattern (10.0.0.5, 10.0.0.{5,6}, 10.0.1.*, 10.0.1.10-20, a,b, fd00::5, fd00::*, fd00::10-ff)' }, null, 'only these addresses may connect to the HA port (its wire has no authentication); unset = any'),
  // ── transport security (RocketMQ TlsSystemConfig names) ───────────────────────────────────
  ...TLS_KEYS,
  aclAccessKey: key(OURS, { kind: 'string' as const, pattern: /^[\x21-\x7e]{6,}$/, expected: 'an accessKey of aclFile' }, null, 'account of aclFile the broker signs its own requests with (NameServer registration, slave sync)', { managedBy: 'acl.admin' }),
} as const;

export type BrokerKey = keyof typeof BROKER_KEYS;
/** broker.properties as the runtime sees it: every key typed, null where unset and RocketMQ has no default. */
export type BrokerConfig = ConfigOf<typeof BROKER_KEYS>;

/**
 * Parses broker.properties entries (from `parseProperties`) into a typed config. `problems` name
 * file:line for every bad value and every missing required key; the caller refuses to start on
 * any. `unknown` lists keys we do not know (RocketMQ ignores them; the runtime should warn).
 * Port derivations are applied as BrokerStartup does: haListenPort 0 → listenPort + 1.
 */
export function parseBrokerConfig(entries: readonly PropertyEntry[], file: string): ParsedConfig<typeof BROKER_KEYS> {
  const parsed = parseConfig(BROKER_KEYS, entries, file);
  const c = parsed.config;
  if (c.haListenPort <= 0) c.haListenPort = c.listenPort + 1;
  // BrokerStartup forces masters to id 0 and refuses slaves with id 0.
  if (c.brokerRole !== 'SLAVE') c.brokerId = 0;
  else if (c.brokerId <= 0) {
    const line = entries.find((e) => e.key === 'brokerId')?.line ?? 0;
    parsed.problems.push({ file, line, key: 'brokerId', message: "brokerId: a SLAVE's brokerId must be > 0" });
  }
  return parsed;
}

/** The fast ("VIP") channel port RocketMQ derives from listenPort (BrokerController: listenPort - 2). */
export function fastListenPort(listenPort: number): number {
  return listenPort - 2;
}
