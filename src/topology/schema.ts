/**
 * The topology file's schema: the single source of truth for its shape. TypeScript types are
 * derived from it (`Topology` is what validation and the model see, defaults filled in;
 * `TopologyInput` is what a user may write). Checks that need more than one field (mode vs groups,
 * port clashes, override keys) live in validate.ts.
 */
import { z } from 'zod';
import { isHostAddress, pathProblem } from '../util/config-registry.js';
import { KEY_PATTERN, RESOURCE_PERM_PATTERN } from '../acl/config.js';
import { PERM_STRINGS } from '../acl/permission.js';
import { TLS_CLIENT_AUTH_MODES } from '../remoting/tls-config.js';

/** Named modes; the general form is `{ masters, slavesPerMaster, replication }`. */
export const MODE_NAMES = ['single-master', 'multi-master', '2m-2s-async', '2m-2s-sync'] as const;
export type ModeName = (typeof MODE_NAMES)[number];

// Identifiers end up in file names, unit names and properties values: keep them plain.
const identifier = (what: string) =>
  z
    .string({ error: `expected ${what}: a string` })
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, { error: 'expected letters, digits, - and _, starting with a letter or digit' })
    .max(63, { error: 'is longer than 63 characters' });

const port = z
  .number({ error: 'expected a port number 1-65535' })
  .int({ error: 'expected a port number 1-65535' })
  .min(1, { error: 'expected a port number 1-65535' })
  .max(65535, { error: 'expected a port number 1-65535' });

const address = z
  .string({ error: 'expected an address: an IPv4 address or a DNS name' })
  .refine(isHostAddress, { error: 'expected an address: an IPv4 address or a DNS name; IPv6 is not supported' });

const absolutePath = z.string({ error: 'expected an absolute path' }).superRefine((p, ctx) => {
  const why = pathProblem(p);
  if (why) ctx.addIssue({ code: 'custom', message: `${why} (expected an absolute path)` });
});

/** A path on this machine (SSH key, known_hosts): absolute or starting with `~/`. */
const localPath = z.string({ error: 'expected a path' }).superRefine((p, ctx) => {
  const why = pathProblem(p.startsWith('~/') ? p.slice(1) : p);
  if (why) ctx.addIssue({ code: 'custom', message: `${why} (expected an absolute path or ~/…)` });
});

/** Values are checked against the broker/namesrv key registries in validate.ts, with positions. */
const overrides = z.record(z.string(), z.unknown(), { error: 'expected a map of key: value' });

export const SshSchema = z.object({
  user: z
    .string()
    .regex(/^[a-z_][a-z0-9_-]{0,31}$/, { error: 'expected a user name (lower-case letters, digits, - and _)' })
    .default('root'),
  port: port.default(22),
  /** Private key; default: the SSH agent, then ~/.ssh/id_ed25519, id_rsa. */
  identityFile: localPath.optional(),
  /** Host keys are always checked; default ~/.ssh/known_hosts. */
  knownHosts: localPath.optional(),
  /** Name of another host in `hosts` to tunnel through. */
  jumpHost: z.string().optional(),
});

export const HostSchema = z.object({
  name: identifier('a host name'),
  /** `ssh` (default): reached over SSH; `local`: this machine, no SSH, processes not units. */
  transport: z.enum(['ssh', 'local'], { error: 'expected ssh or local' }).default('ssh'),
  /** Required for ssh hosts; local hosts default to 127.0.0.1. */
  address: address.optional(),
  /** Default: systemd for ssh hosts, process for local hosts (which cannot use systemd). */
  supervisor: z.enum(['systemd', 'process'], { error: 'expected systemd or process' }).optional(),
  ssh: SshSchema.optional(),
});

const nodeFields = {
  /** Name of the host (in `hosts`) the process runs on. */
  host: z.string({ error: 'expected the name of a host' }),
};

export const NameServerSchema = z.object({
  ...nodeFields,
  port: port.default(9876),
  /** Prometheus endpoint (/metrics); default port+10000 when the topology has `monitoring`, else off. */
  metricsPort: port.optional(),
  overrides: overrides.optional(),
});

const GRPC_PORT_ERROR = 'expected a port number 1-65535, or 0 for no gRPC endpoint';

export const BrokerNodeSchema = z.object({
  ...nodeFields,
  /** listenPort. The broker also takes port-2 (fast channel), haPort and grpcPort. */
  port: port.default(10911),
  /** HA replication port; default port+1 (as RocketMQ derives it). */
  haPort: port.optional(),
  /** The v5 gRPC port (RocketMQ 5 clients; broker.properties grpcServerPort); default port+2; 0 = no gRPC endpoint. */
  grpcPort: z
    .number({ error: GRPC_PORT_ERROR })
    .int({ error: GRPC_PORT_ERROR })
    .min(0, { error: GRPC_PORT_ERROR })
    .max(65535, { error: GRPC_PORT_ERROR })
    .optional(),
  /** Prometheus endpoint (/metrics); default port+10000 when the topology has `monitoring`, else off. */
  metricsPort: port.optional(),
  /** Address advertised to clients; default: the host's address (must then be an IPv4 address). */
  brokerIP1: z
    .string({ error: 'expected an IPv4 address' })
    .regex(/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/, { error: 'expected an IPv4 address' })
    .optional(),
  overrides: overrides.optional(),
});

export const BrokerGroupSchema = z.object({
  /** brokerName, shared by the master and its slaves. */
  name: identifier('a broker group name'),
  master: BrokerNodeSchema,
  slaves: z.array(BrokerNodeSchema, { error: 'expected a list of slaves' }).default([]),
  overrides: overrides.optional(),
});

export const GeneralModeSchema = z.object({
  masters: z.number({ error: 'expected an integer >= 1' }).int({ error: 'expected an integer >= 1' }).min(1, { error: 'expected an integer >= 1' }),
  slavesPerMaster: z.number({ error: 'expected an integer >= 0' }).int({ error: 'expected an integer >= 0' }).min(0, { error: 'expected an integer >= 0' }).default(0),
  /** sync: a send is acknowledged once a slave has it (SYNC_MASTER); async: ASYNC_MASTER. */
  replication: z.enum(['sync', 'async'], { error: 'expected sync or async' }).default('async'),
});

/**
 * A secret by reference: an environment variable of whoever runs rmqctl, or a file on this
 * machine. Secrets are never written in the topology itself.
 */
export const SecretRefSchema = z.union(
  [
    z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected an environment variable name' }) }),
    z.strictObject({ file: localPath }),
  ],
  { error: 'expected a reference { env: NAME } or { file: path } (secrets are never written inline)' },
);
export type SecretRef = z.output<typeof SecretRefSchema>;

const aclKey = z.string({ error: 'expected a string' }).regex(KEY_PATTERN, { error: 'expected at least 6 printable ASCII characters without spaces' });
const aclPerm = z.enum(PERM_STRINGS, { error: `expected one of ${PERM_STRINGS.join(', ')}` });
const aclResourcePerms = z.array(z.string({ error: 'expected "name=PERM"' }).regex(RESOURCE_PERM_PATTERN, { error: `expected "name=PERM" with PERM one of ${PERM_STRINGS.join(', ')}` }));

/** An ACL account as in plain_acl.yml (src/acl/config.ts), its secretKey by reference. */
export const TopologyAclAccountSchema = z.strictObject({
  accessKey: aclKey,
  secretKey: SecretRefSchema,
  whiteRemoteAddress: z.string().optional(),
  admin: z.boolean({ error: 'expected true or false' }).default(false),
  defaultTopicPerm: aclPerm.default('DENY'),
  defaultGroupPerm: aclPerm.default('DENY'),
  topicPerms: aclResourcePerms.optional(),
  groupPerms: aclResourcePerms.optional(),
});

export const AclSectionSchema = z.strictObject({
  /** false: files rendered and nodes sign, but requests are not checked (a staged roll-out). */
  enabled: z.boolean({ error: 'expected true or false' }).default(true),
  /** The cluster's admin account: nodes sign their own requests with it (registration, slave sync); operators use it through rmqctl. */
  admin: z.strictObject({ accessKey: aclKey, secretKey: SecretRefSchema }),
  globalWhiteRemoteAddresses: z.array(z.string({ error: 'expected an address pattern' })).optional(),
  accounts: z.array(TopologyAclAccountSchema, { error: 'expected a list of accounts' }).default([]),
});
export type AclSection = z.output<typeof AclSectionSchema>;

/** A certificate and its private key: the certificate by path, the key (a secret) by reference. */
export const TlsCertificateSchema = z.strictObject({
  /** PEM certificate chain (leaf first) on this machine. */
  cert: localPath,
  /** Its unencrypted PEM private key: `{ file: path }` (mode 0600) or `{ env: NAME }`. */
  key: SecretRefSchema,
});
export type TlsCertificateSpec = z.output<typeof TlsCertificateSchema>;

/**
 * TLS on every node (RocketMQ's TlsSystemConfig keys rendered into each node's properties). The
 * files are read on this machine when rendering and pushed next to the node configs, 0600 and
 * owned by the service user.
 */
export const TlsSectionSchema = z.strictObject({
  /** enforcing: TLS only; permissive: TLS and plain text on the same ports (a staged roll-out). */
  mode: z.enum(['enforcing', 'permissive'], { error: 'expected enforcing or permissive' }).default('enforcing'),
  /** PEM CA bundle: nodes verify each other against it, and deploy's health checks verify nodes. */
  ca: localPath,
  /** Client certificates: none, optional (verified when sent), require (mutual TLS). */
  clientAuth: z.enum(TLS_CLIENT_AUTH_MODES, { error: `expected one of ${TLS_CLIENT_AUTH_MODES.join(', ')}` }).default('none'),
  /** The certificate of every host that has none of its own under `hosts`. */
  cert: localPath.optional(),
  key: SecretRefSchema.optional(),
  /** Per-host certificates, by host name. */
  hosts: z.record(z.string(), TlsCertificateSchema, { error: 'expected a map of host name: { cert, key }' }).optional(),
});
export type TlsSection = z.output<typeof TlsSectionSchema>;

/** One etcd member: on a host of `hosts`, its client and peer ports. */
export const EtcdMemberSchema = z.strictObject({
  host: z.string({ error: 'expected the name of a host' }),
  clientPort: port.default(2379),
  peerPort: port.default(2380),
});

/**
 * How a broker group's master changes: `manual` (default) — `rmqctl failover` moves it, a dead
 * master stays dead until repaired; `auto` — the group elects its master through an etcd lease
 * (docs/design/ha.md#automatic-failover), etcd provisioned by rmqctl.
 */
export const FailoverSchema = z.strictObject({
  mode: z.enum(['manual', 'auto'], { error: 'expected manual or auto' }).default('manual'),
  etcd: z
    .strictObject({
      /** The members (3 for a quorum that survives one loss); default: one on each NameServer host, else three on the first. */
      members: z.array(EtcdMemberSchema, { error: 'expected a list of {host, clientPort, peerPort}' }).optional(),
      /** Key prefix of this cluster's records. */
      prefix: z.string().regex(/^\/[A-Za-z0-9_/-]*$/, { error: 'expected an etcd key prefix like /rmqctl' }).default('/rmqctl'),
    })
    .prefault({}),
  /** The master's lease: a master that cannot renew it stops writing before it can expire; a slave takes over once it has. */
  leaseSeconds: z.number({ error: 'expected seconds (2 to 60)' }).int({ error: 'expected seconds (2 to 60)' }).min(2, { error: 'expected seconds (2 to 60)' }).max(60, { error: 'expected seconds (2 to 60)' }).default(5),
  /** ASYNC groups: the most a new master may lack of what the old one last published (bytes; reported as the loss bound). */
  maxLagBytes: z.number({ error: 'expected bytes (an integer >= 0)' }).int({ error: 'expected bytes (an integer >= 0)' }).min(0, { error: 'expected bytes (an integer >= 0)' }).default(16 * 1024 * 1024),
});
export type FailoverSpec = z.output<typeof FailoverSchema>;

const positiveInt = (what: string) => z.number({ error: `expected ${what}` }).int({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });

/**
 * Monitoring: every node serves Prometheus metrics on its metricsPort, and render/deploy write a
 * Prometheus scrape config (file_sd targets of every node), alert rules and a Grafana dashboard
 * onto one host, for the operator's Prometheus and Grafana to load.
 */
export const MonitoringSectionSchema = z.strictObject({
  /** Host (of `hosts`) that receives the files; default: the first host. */
  host: z.string({ error: 'expected the name of a host' }).optional(),
  /** Directory for the files on that host; default <config dir>/monitoring. */
  dir: absolutePath.optional(),
  /** Prometheus scrape_interval. */
  scrapeInterval: z.string({ error: 'expected a duration like 15s or 1m' }).regex(/^[1-9]\d*(ms|s|m|h)$/, { error: 'expected a duration like 15s or 1m' }).default('15s'),
  /** Thresholds of the rendered alert rules. */
  alerts: z
    .strictObject({
      /** Store filesystem used above this share (0..1). */
      diskUsedRatio: z.number({ error: 'expected a ratio between 0 and 1' }).gt(0, { error: 'expected a ratio between 0 and 1' }).lt(1, { error: 'expected a ratio between 0 and 1' }).default(0.85),
      /** A group's lag above this many messages that kept growing for 10 minutes. */
      lagMessages: positiveInt('a number of messages (integer >= 1)').default(1000),
      /** A slave missing messages stored more than this many seconds ago. */
      slaveBehindSeconds: positiveInt('a number of seconds (integer >= 1)').default(30),
      /** A node unreachable for this long. */
      nodeDownFor: z.string({ error: 'expected a duration like 1m' }).regex(/^[1-9]\d*(s|m|h)$/, { error: 'expected a duration like 1m' }).default('1m'),
    })
    .prefault({}),
});
export type MonitoringSection = z.output<typeof MonitoringSectionSchema>;

export const TopologySchema = z.object({
  /** brokerClusterName; also part of unit names and paths. */
  cluster: identifier('a cluster name'),
  mode: z.union([z.enum(MODE_NAMES), GeneralModeSchema], {
    error: `expected one of ${MODE_NAMES.join(', ')}, or {masters, slavesPerMaster, replication}`,
  }),
  /** async: ASYNC_FLUSH (acks before fsync, RocketMQ's default); sync: SYNC_FLUSH. */
  flush: z.enum(['sync', 'async'], { error: 'expected sync or async' }).default('async'),
  /** Store root on every host; each node stores under <storeRoot>/<nodeId>. Default /var/lib/rmqctl/<cluster>. */
  storeRoot: absolutePath.optional(),
  retention: z
    .strictObject({
      /** Hours a commit log file is kept (RocketMQ default 72; the Apache example configs use 48). */
      fileReservedTime: z.number({ error: 'expected a number of hours (integer >= 1)' }).int({ error: 'expected a number of hours (integer >= 1)' }).min(1, { error: 'expected a number of hours (integer >= 1)' }).default(48),
      /** Hour(s) of day expired files are deleted: "04" or "01;13". */
      deleteWhen: z.union([z.string(), z.number()], { error: 'expected hours like "04" or "01;13"' }).default('04'),
    })
    .prefault({}),
  /**
   * The runtime release this cluster runs, pinned: plan and deploy refuse any other rmqd.js (the
   * bundled one or --runtime FILE). The sha256 of the bundle, or its first 12+ hex digits (the
   * release id `rmqctl plan` shows).
   */
  runtime: z
    .strictObject({
      sha256: z.string({ error: 'expected the runtime bundle sha256 (12 to 64 hex digits)' }).regex(/^[0-9a-f]{12,64}$/, { error: 'expected the runtime bundle sha256 (12 to 64 lower-case hex digits)' }),
    })
    .optional(),
  /** rmqd's log level on every node. */
  logLevel: z.enum(['debug', 'info', 'warn', 'error'], { error: 'expected debug, info, warn or error' }).default('info'),
  hosts: z.array(HostSchema, { error: 'expected a list of hosts' }).min(1, { error: 'expected at least one host' }),
  nameservers: z.array(NameServerSchema, { error: 'expected a list of NameServers' }).min(1, { error: 'expected at least one NameServer' }),
  brokers: z.array(BrokerGroupSchema, { error: 'expected a list of broker groups' }).min(1, { error: 'expected at least one broker group' }),
  /** manual (default) or auto: who moves a broker group's master (see FailoverSchema). */
  failover: FailoverSchema.prefault({}),
  /** Access control (RocketMQ ACL 1.0) on every node: accounts and their permissions, secrets by reference. */
  acl: AclSectionSchema.optional(),
  /** TLS on every client and inter-node connection; certificates by file, keys by reference. */
  tls: TlsSectionSchema.optional(),
  /** Prometheus metrics on every node, and the scrape config, alert rules and Grafana dashboard for them. */
  monitoring: MonitoringSectionSchema.optional(),
  /** Keys applied to every broker (`broker`) or every NameServer (`namesrv`); groups and nodes override them. */
  overrides: z
    .strictObject({
      broker: overrides.optional(),
      namesrv: overrides.optional(),
    })
    .optional(),
});

/** A topology after parsing: defaults filled in. */
export type Topology = z.output<typeof TopologySchema>;
/** What a user may write (defaults optional). */
export type TopologyInput = z.input<typeof TopologySchema>;
export type HostSpec = Topology['hosts'][number];
export type BrokerGroupSpec = Topology['brokers'][number];
export type BrokerNodeSpec = BrokerGroupSpec['master'];
export type NameServerSpec = Topology['nameservers'][number];
export type GeneralMode = z.output<typeof GeneralModeSchema>;
