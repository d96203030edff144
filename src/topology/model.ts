/**
 * The ClusterModel: a validated topology normalised into what render, plan, deploy and status
 * consume — every host with its concrete layout, every process with its id, role, ports, paths
 * and effective configuration. Built purely from the topology and the local state directory.
 */
import path from 'node:path';
import { BROKER_KEYS, fastListenPort, type BrokerRole } from '../node-config/broker-keys.js';
import { coerceValue, isIPv4 } from '../util/config-registry.js';
import { hostLayout, SERVICE_USER, unitName, type HostLayout } from './layout.js';
import { modeBrokerDefaults, modeShape, type ModeShape } from './modes.js';
import { NAMESRV_KEYS } from '../node-config/namesrv-keys.js';
import { RUNTIME_NODE_FLAGS } from '../node-config/node-flags.js';
import type { FieldPath } from '../util/problems.js';
import { formatPath } from '../util/problems.js';
import type { AclSection, BrokerNodeSpec, HostSpec, MonitoringSection, TlsSection, Topology } from './schema.js';
import { InvalidInputError } from '../errors.js';

/** `namesrv-<n>` (1-based) or `<brokerName>-<brokerId>`. */
export type NodeId = string;
export type NodeRole = 'namesrv' | 'master' | 'slave';

/** One key of a rendered properties file, with where its value came from. */
export interface EffectiveProperty {
  key: string;
  /** Canonical properties text of the value. */
  value: string;
  /** `topology` (derived from fields), `default`, `mode`, `flush`, `retention`, or the override's field path. */
  source: string;
}

export interface SshSettings {
  user: string;
  port: number;
  identityFile?: string;
  knownHosts?: string;
  /** Name of the host to tunnel through. */
  jumpHost?: string;
}

/** Where a host's TLS files go (next to the node configs); one certificate serves every node on the host. */
export interface HostTlsPaths {
  caPath: string;
  certPath: string;
  keyPath: string;
}

export interface HostModel {
  name: string;
  transport: 'ssh' | 'local';
  /** Where the host is reached (SSH) and what its processes advertise by default. */
  address: string;
  supervisor: 'systemd' | 'process';
  /** null for local hosts. */
  ssh: SshSettings | null;
  /** Account the processes run as and owns the store; null on the local host (the invoking user). */
  serviceUser: string | null;
  layout: HostLayout;
  /** Nodes on this host, in deploy order. */
  nodeIds: NodeId[];
  /** The host's TLS files when the topology has `tls` and the host runs nodes. */
  tls: HostTlsPaths | null;
}

export interface BoundPort {
  port: number;
  purpose: 'listen' | 'fast channel' | 'HA' | 'gRPC' | 'metrics';
}

interface NodeBase {
  id: NodeId;
  /** Host name. */
  host: string;
  role: NodeRole;
  /** Deploy order: 0 NameServers, 1 masters, 2 slaves. */
  phase: 0 | 1 | 2;
  /** Address other processes and clients use to reach it. */
  address: string;
  /** Every port the process binds. */
  ports: BoundPort[];
  /** Prometheus endpoint (/metrics, /healthz); null when off. */
  metricsPort: number | null;
  configPath: string;
  /** The node's ACL file (mode 0600, owned by the service user) when the topology has `acl`. */
  aclPath: string | null;
  storeDir: string;
  unitName: string;
  unitPath: string;
  /** process supervisor: log file and pid file. */
  logPath: string;
  pidPath: string;
  /** The command line: node binary, its flags (node-config/node-flags.ts), runtime entry, role, -c config. */
  command: string[];
  /** Directories the process writes (systemd ReadWritePaths). */
  writablePaths: string[];
  /** The rendered properties, in file order. */
  properties: EffectiveProperty[];
}

export interface NameServerNode extends NodeBase {
  kind: 'namesrv';
  role: 'namesrv';
  /** 1-based, topology order. */
  index: number;
  listenPort: number;
}

export interface BrokerNode extends NodeBase {
  kind: 'broker';
  role: 'master' | 'slave';
  brokerName: string;
  brokerId: number;
  brokerRole: BrokerRole;
  listenPort: number;
  fastPort: number;
  haPort: number;
  /** The v5 gRPC MessagingService port (grpcServerPort); 0 = none. */
  grpcPort: number;
  brokerIP1: string;
  /** For slaves: the master's node id. */
  masterId: NodeId | null;
  /** The brokerId this node has whenever it is a slave: its place among the slaves, the topology's master the one after the last. */
  slaveId: number;
}

export type ClusterNode = NameServerNode | BrokerNode;

export interface BrokerGroupModel {
  name: string;
  /** The current master: the topology's, or the one a switchover made (ModelOptions.masters). */
  masterId: NodeId;
  slaveIds: NodeId[];
  masterRole: BrokerRole;
  /** Every node of the group in topology order (the topology's master first). */
  nodeIds: NodeId[];
}

/** One etcd member of an automatic-failover cluster. */
export interface EtcdMemberModel {
  /** `etcd-<n>` (1-based). */
  name: string;
  host: string;
  address: string;
  clientPort: number;
  peerPort: number;
  /** `http://address:clientPort`. */
  clientUrl: string;
  peerUrl: string;
  /** Where its data lives: under the state directory on the local host; /var/lib/etcd/rmqctl-<cluster> over SSH (Debian's etcd-server runs as user etcd). */
  dataDir: string;
}

/** How masters change (topology `failover`). */
export interface FailoverModel {
  mode: 'manual' | 'auto';
  /** auto: the etcd members (empty in manual mode). */
  etcd: EtcdMemberModel[];
  prefix: string;
  leaseSeconds: number;
  maxLagBytes: number;
}

export interface ClusterModel {
  cluster: string;
  mode: ModeShape;
  flush: 'sync' | 'async';
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** The local target's state directory for this cluster (used by local hosts' layouts). */
  stateDir: string;
  /** `addr:port;addr:port` of every NameServer, as brokers get it. */
  namesrvAddr: string;
  hosts: HostModel[];
  groups: BrokerGroupModel[];
  /** All processes in deploy order: NameServers, then masters, then slaves. */
  nodes: ClusterNode[];
  /** The topology's acl section (secrets as references, never values), or null. */
  acl: AclSection | null;
  /** The topology's tls section (files and key references, never key material), or null. */
  tls: TlsSection | null;
  /** The runtime release the topology pins (sha256 or its prefix), when it pins one. */
  runtimePin?: string;
  failover: FailoverModel;
  /** Where the Prometheus/Grafana files go, when the topology has `monitoring`. */
  monitoring: MonitoringModel | null;
}

export interface MonitoringModel extends Omit<MonitoringSection, 'host' | 'dir'> {
  /** Host that receives the files. */
  host: string;
  /** Absolute directory on that host. */
  dir: string;
}

/** A node's metrics port: explicit, else port+10000 when the topology has `monitoring`, else off. */
export function metricsPortOf(t: Pick<Topology, 'monitoring'>, node: { port: number; metricsPort?: number | undefined }): number | null {
  if (node.metricsPort !== undefined) return node.metricsPort;
  return t.monitoring ? node.port + METRICS_PORT_OFFSET : null;
}

/** Default metrics port = the node's port + this. */
export const METRICS_PORT_OFFSET = 10_000;

export interface ModelOptions {
  /** Absolute state directory of the local target for this cluster. */
  stateDir: string;
  /** Group name → node id of its master, where a switchover made another node master (topology/masters.ts). */
  masters?: Readonly<Record<string, NodeId>>;
}

const LOOPBACK = '127.0.0.1';

/** Where a host is reached; a local host without an address is 127.0.0.1. */
export function hostAddress(h: HostSpec): string {
  return h.address ?? LOOPBACK;
}

/** The overrides that apply to one broker node, lowest precedence first, each with its field path. */
/** A broker's gRPC port: its `grpcPort`, else port+2 (next to the HA port); 0 = no gRPC endpoint. */
export function grpcPortOf(spec: Pick<BrokerNodeSpec, 'port' | 'grpcPort'>): number {
  return spec.grpcPort ?? spec.port + 2;
}

export function brokerOverrideLayers(t: Topology, groupIndex: number, nodePath: FieldPath): { source: FieldPath; values: Record<string, unknown> }[] {
  const group = t.brokers[groupIndex];
  const node = nodeAt(t, nodePath);
  const layers: { source: FieldPath; values: Record<string, unknown> }[] = [];
  if (t.overrides?.broker) layers.push({ source: ['overrides', 'broker'], values: t.overrides.broker });
  if (group?.overrides) layers.push({ source: ['brokers', groupIndex, 'overrides'], values: group.overrides });
  if (node?.overrides) layers.push({ source: [...nodePath, 'overrides'], values: node.overrides });
  return layers;
}

function nodeAt(t: Topology, p: FieldPath): BrokerNodeSpec | undefined {
  const g = t.brokers[p[1] as number];
  if (!g) return undefined;
  return p[2] === 'master' ? g.master : g.slaves[p[3] as number];
}

/**
 * Broker nodes of a topology with their ids and field paths, in deploy order (masters, then
 * slaves). A node's id is its place in the topology (`<group>-0` the topology's master); its
 * brokerId is 0 while it is master, else its slave id. `masters` names the groups' current masters
 * where a switchover moved them (unknown names: InvalidInputError).
 */
export function brokerNodeSpecs(
  t: Topology,
  masters: Readonly<Record<string, NodeId>> = {},
): { id: NodeId; groupIndex: number; brokerId: number; slaveId: number; path: FieldPath; spec: BrokerNodeSpec }[] {
  const all = t.brokers.flatMap((g, gi) => {
    const nodes = [{ path: ['brokers', gi, 'master'] as FieldPath, spec: g.master }, ...g.slaves.map((s, si) => ({ path: ['brokers', gi, 'slaves', si] as FieldPath, spec: s }))];
    const ids = nodes.map((_, i) => `${g.name}-${i}`);
    const current = masters[g.name] ?? ids[0]!;
    if (!ids.includes(current)) throw new InvalidInputError(`the master of ${g.name} is recorded as ${current}, which is not a node of that group (its nodes: ${ids.join(', ')}); run \`rmqctl failover\` to record the current master`);
    return nodes.map((n, i) => {
      const slaveId = i === 0 ? nodes.length : i;
      return { id: ids[i]!, groupIndex: gi, brokerId: ids[i] === current ? 0 : slaveId, slaveId, path: n.path, spec: n.spec };
    });
  });
  return [...all.filter((n) => n.brokerId === 0), ...all.filter((n) => n.brokerId !== 0)];
}

/** Canonical text of an override value (already validated). */
function canonical(registry: typeof BROKER_KEYS | typeof NAMESRV_KEYS, key: string, v: unknown): string {
  const spec = (registry as Record<string, { spec: Parameters<typeof coerceValue>[0] }>)[key];
  if (!spec) throw new Error(`unvalidated override key ${key}`);
  const r = coerceValue(spec.spec, v);
  if (!r.ok) throw new Error(`unvalidated override value for ${key}: ${r.problem}`);
  return r.text;
}

/** Applies override layers in order onto `props`, keeping the source of the last writer. */
function applyLayers(props: Map<string, EffectiveProperty>, registry: typeof BROKER_KEYS | typeof NAMESRV_KEYS, layers: { source: FieldPath; values: Record<string, unknown> }[]): void {
  for (const layer of layers) {
    for (const key of Object.keys(layer.values).sort()) {
      props.set(key, { key, value: canonical(registry, key, layer.values[key]), source: formatPath(layer.source) });
    }
  }
}

/**
 * Builds the model of a topology that passed validation (validateTopology). Pure: the same
 * topology and options always give the same model.
 */
export function buildClusterModel(t: Topology, opts: ModelOptions): ClusterModel {
  const shape = modeShape(t.mode);
  const hostSpecs = new Map(t.hosts.map((h) => [h.name, h]));
  const layouts = new Map(t.hosts.map((h) => [h.name, hostLayout(h.transport === 'local' ? opts.stateDir : '/', t.cluster, h.transport === 'local' && !t.storeRoot ? undefined : t.storeRoot)]));
  const hostOf = (name: string) => {
    const h = hostSpecs.get(name);
    const l = layouts.get(name);
    if (!h || !l) throw new Error(`unvalidated topology: unknown host ${name}`);
    return { spec: h, layout: l };
  };

  const tlsPaths = (hostName: string): HostTlsPaths | null => {
    if (!t.tls) return null;
    const dir = hostOf(hostName).layout.configDir;
    return { caPath: path.posix.join(dir, 'tls-ca.pem'), certPath: path.posix.join(dir, 'tls-cert.pem'), keyPath: path.posix.join(dir, 'tls-key.pem') };
  };
  // RocketMQ's TlsSystemConfig keys; a node verifies its peers against the cluster CA.
  const setTls = (set: (key: string, value: string, source: string) => void, hostName: string, outgoing: boolean) => {
    const p = tlsPaths(hostName);
    if (!t.tls || !p) return;
    set('tls.server.mode', t.tls.mode, 'tls');
    set('tls.server.certPath', p.certPath, 'tls');
    set('tls.server.keyPath', p.keyPath, 'tls');
    set('tls.server.need.client.auth', t.tls.clientAuth, 'tls');
    set('tls.server.trustCertPath', p.caPath, 'tls');
    if (!outgoing) return;
    set('tls.enable', 'true', 'tls');
    set('tls.client.trustCertPath', p.caPath, 'tls');
    // permissive is the migration step: a peer not yet restarted with TLS is reached in plain text
    if (t.tls.mode === 'permissive') set('tls.client.plainFallback', 'true', 'tls');
    // the host's certificate doubles as the node's client certificate where servers ask for one
    if (t.tls.clientAuth !== 'none') {
      set('tls.client.certPath', p.certPath, 'tls');
      set('tls.client.keyPath', p.keyPath, 'tls');
    }
  };

  const common = (id: NodeId, hostName: string, kind: 'namesrv' | 'broker') => {
    const { layout } = hostOf(hostName);
    const configPath = path.posix.join(layout.configDir, `${id}.properties`);
    const storeDir = path.posix.join(layout.storeRoot, id);
    return {
      id,
      host: hostName,
      configPath,
      aclPath: t.acl ? path.posix.join(layout.configDir, `${id}.acl.yml`) : null,
      storeDir,
      unitName: unitName(t.cluster, id),
      unitPath: path.posix.join(layout.unitDir, unitName(t.cluster, id)),
      logPath: path.posix.join(layout.logDir, `${id}.log`),
      pidPath: path.posix.join(layout.runDir, `${id}.pid`),
      command: [layout.nodeBinary, ...RUNTIME_NODE_FLAGS[kind], path.posix.join(layout.currentLink, 'rmqd.js'), kind, '-c', configPath],
    };
  };

  const nameservers: NameServerNode[] = t.nameservers.map((ns, i) => {
    const id = `namesrv-${i + 1}`;
    const c = common(id, ns.host, 'namesrv');
    const props = new Map<string, EffectiveProperty>();
    const set = (key: string, value: string, source: string) => props.set(key, { key, value, source });
    set('listenPort', String(ns.port), 'topology');
    set('kvConfigPath', path.posix.join(c.storeDir, 'kvConfig.json'), 'topology');
    for (const k of ['scanNotActiveBrokerInterval', 'brokerExpiryMillis', 'orderMessageEnable'] as const) set(k, String(NAMESRV_KEYS[k].default), 'default');
    if (t.acl && c.aclPath) {
      set('aclEnable', String(t.acl.enabled), 'acl');
      set('aclFile', c.aclPath, 'acl');
    }
    setTls(set, ns.host, false);
    const metricsPort = metricsPortOf(t, ns);
    if (metricsPort !== null) set('metricsPort', String(metricsPort), 'topology');
    const layers: { source: FieldPath; values: Record<string, unknown> }[] = [];
    if (t.overrides?.namesrv) layers.push({ source: ['overrides', 'namesrv'], values: t.overrides.namesrv });
    if (ns.overrides) layers.push({ source: ['nameservers', i, 'overrides'], values: ns.overrides });
    applyLayers(props, NAMESRV_KEYS, layers);
    return {
      ...c,
      kind: 'namesrv',
      role: 'namesrv',
      phase: 0,
      index: i + 1,
      address: hostAddress(hostOf(ns.host).spec),
      listenPort: ns.port,
      ports: [{ port: ns.port, purpose: 'listen' }, ...(metricsPort === null ? [] : [{ port: metricsPort, purpose: 'metrics' as const }])],
      metricsPort,
      writablePaths: [c.storeDir],
      properties: [...props.values()],
    };
  });
  const namesrvAddr = nameservers.map((n) => `${n.address}:${n.listenPort}`).join(';');

  const failover = failoverModel(t, hostOf, opts.stateDir);
  // auto: the election decides the master; the files keep the topology's roles as the initial ones
  const specs = brokerNodeSpecs(t, failover.mode === 'auto' ? {} : opts.masters);
  const masterOf = new Map(specs.filter((n) => n.brokerId === 0).map((n) => [n.groupIndex, n]));
  const brokerIP = (s: BrokerNodeSpec) => s.brokerIP1 ?? hostAddress(hostOf(s.host).spec);
  // A slave connects from its host's address; a host known by a DNS name has its brokerIP1 instead.
  const haPeers = (slaves: readonly BrokerNodeSpec[]) =>
    [...new Set(slaves.map((s) => hostAddress(hostOf(s.host).spec)).map((a, i) => (isIPv4(a) ? a : brokerIP(slaves[i]!))))].join(',');
  const brokers: BrokerNode[] = specs.map(({ id, groupIndex, brokerId, slaveId, path: nodePath, spec }) => {
    const group = t.brokers[groupIndex];
    const master = masterOf.get(groupIndex);
    if (!group || !master) throw new Error('unreachable: group index');
    const others = specs.filter((n) => n.groupIndex === groupIndex && n.brokerId !== 0).map((n) => n.spec);
    const c = common(id, spec.host, 'broker');
    const isMaster = brokerId === 0;
    const role: BrokerRole = isMaster ? shape.masterRole : 'SLAVE';
    const haPort = spec.haPort ?? spec.port + 1;
    const grpcPort = grpcPortOf(spec);
    const ip = brokerIP(spec);
    const props = new Map<string, EffectiveProperty>();
    const set = (key: string, value: string, source: string) => props.set(key, { key, value, source });
    set('brokerClusterName', t.cluster, 'topology');
    set('brokerName', group.name, 'topology');
    set('brokerId', String(brokerId), 'topology');
    set('brokerRole', role, `mode ${shape.label}`);
    set('namesrvAddr', namesrvAddr, 'topology');
    set('brokerIP1', ip, 'topology');
    set('brokerIP2', ip, 'topology');
    set('listenPort', String(spec.port), 'topology');
    set('haListenPort', String(haPort), 'topology');
    set('grpcServerPort', String(grpcPort), 'topology');
    if (!isMaster) set('haMasterAddress', `${brokerIP(master.spec)}:${master.spec.haPort ?? master.spec.port + 1}`, 'topology');
    set('storePathRootDir', c.storeDir, 'topology');
    set('storePathCommitLog', path.posix.join(c.storeDir, 'commitlog'), 'topology');
    set('flushDiskType', t.flush === 'sync' ? 'SYNC_FLUSH' : 'ASYNC_FLUSH', 'flush');
    set('deleteWhen', canonical(BROKER_KEYS, 'deleteWhen', t.retention.deleteWhen), 'retention');
    set('fileReservedTime', String(t.retention.fileReservedTime), 'retention');
    for (const [k, v] of Object.entries(modeBrokerDefaults(shape, 1 + group.slaves.length))) set(k, v, `mode ${shape.label}`);
    if (t.acl && c.aclPath) {
      set('aclEnable', String(t.acl.enabled), 'acl');
      set('aclFile', c.aclPath, 'acl');
      set('aclAccessKey', t.acl.admin.accessKey, 'acl');
    }
    // The HA wire carries no credentials: only the group's slaves may connect to a master's HA port.
    if (isMaster && others.length > 0) set('haAllowedAddresses', haPeers(others), 'topology');
    setTls(set, spec.host, true);
    if (failover.mode === 'auto') {
      const peers = specs.filter((n) => n.groupIndex === groupIndex && n.id !== id);
      set('nodeName', id, 'failover');
      set('failoverMode', 'auto', 'failover');
      set('failoverEtcdEndpoints', failover.etcd.map((m) => m.clientUrl).join(','), 'failover');
      if (failover.prefix !== String(BROKER_KEYS.failoverEtcdPrefix.default)) set('failoverEtcdPrefix', failover.prefix, 'failover');
      set('failoverLeaseSeconds', String(failover.leaseSeconds), 'failover');
      if (shape.replication === 'async') set('failoverMaxLagBytes', String(failover.maxLagBytes), 'failover');
      set('failoverMasterRole', shape.masterRole, 'failover');
      set('failoverSlaveId', String(slaveId), 'failover');
      if (peers.length > 0) set('failoverPeers', peers.map((n) => `${n.id}@${brokerIP(n.spec)}:${n.spec.port}`).join(','), 'failover');
      // any member may become master: every other member may replicate from it
      if (peers.length > 0) set('haAllowedAddresses', haPeers(peers.map((n) => n.spec)), 'topology');
    }
    const metricsPort = metricsPortOf(t, spec);
    if (metricsPort !== null) set('metricsPort', String(metricsPort), 'topology');
    applyLayers(props, BROKER_KEYS, brokerOverrideLayers(t, groupIndex, nodePath));
    const commitLog = props.get('storePathCommitLog')?.value ?? '';
    return {
      ...c,
      kind: 'broker',
      role: isMaster ? 'master' : 'slave',
      phase: isMaster ? 1 : 2,
      address: ip,
      brokerName: group.name,
      brokerId,
      brokerRole: role,
      listenPort: spec.port,
      fastPort: fastListenPort(spec.port),
      haPort,
      grpcPort,
      brokerIP1: ip,
      masterId: isMaster ? null : master.id,
      slaveId,
      ports: [
        { port: fastListenPort(spec.port), purpose: 'fast channel' },
        { port: spec.port, purpose: 'listen' },
        { port: haPort, purpose: 'HA' },
        ...(grpcPort > 0 ? [{ port: grpcPort, purpose: 'gRPC' as const }] : []),
        ...(metricsPort === null ? [] : [{ port: metricsPort, purpose: 'metrics' as const }]),
      ],
      metricsPort,
      writablePaths: commitLog.startsWith(`${c.storeDir}/`) ? [c.storeDir] : [c.storeDir, commitLog],
      properties: [...props.values()],
    };
  });

  const nodes: ClusterNode[] = [...nameservers, ...brokers];
  const hosts: HostModel[] = t.hosts.map((h) => {
    const local = h.transport === 'local';
    return {
      name: h.name,
      transport: h.transport,
      address: hostAddress(h),
      supervisor: local ? 'process' : (h.supervisor ?? 'systemd'),
      ssh: local ? null : { user: h.ssh?.user ?? 'root', port: h.ssh?.port ?? 22, ...pick(h.ssh, ['identityFile', 'knownHosts', 'jumpHost']) },
      serviceUser: local ? null : SERVICE_USER,
      layout: hostOf(h.name).layout,
      nodeIds: nodes.filter((n) => n.host === h.name).map((n) => n.id),
      tls: nodes.some((n) => n.host === h.name) ? tlsPaths(h.name) : null,
    };
  });
  return {
    cluster: t.cluster,
    mode: shape,
    flush: t.flush,
    logLevel: t.logLevel,
    stateDir: opts.stateDir,
    namesrvAddr,
    hosts,
    groups: t.brokers.map((g, gi) => {
      const ids = specs.filter((n) => n.groupIndex === gi).map((n) => n.id).sort((a, b) => Number(a.slice(g.name.length + 1)) - Number(b.slice(g.name.length + 1)));
      const masterId = masterOf.get(gi)!.id;
      return { name: g.name, masterId, slaveIds: ids.filter((id) => id !== masterId), masterRole: shape.masterRole, nodeIds: ids };
    }),
    nodes,
    acl: t.acl ?? null,
    tls: t.tls ?? null,
    ...(t.runtime ? { runtimePin: t.runtime.sha256 } : {}),
    failover,
    monitoring: monitoringModel(t, hosts),
  };
}

/** The failover section with its etcd members placed: as listed, else one per NameServer host, else three on the first NameServer's host. */
function failoverModel(t: Topology, hostOf: (name: string) => { spec: HostSpec; layout: HostLayout }, stateDir: string): FailoverModel {
  const f = t.failover;
  const base = { mode: f.mode, prefix: f.etcd.prefix, leaseSeconds: f.leaseSeconds, maxLagBytes: f.maxLagBytes };
  if (f.mode !== 'auto') return { ...base, etcd: [] };
  let placed: { host: string; clientPort: number; peerPort: number }[];
  if (f.etcd.members !== undefined) placed = f.etcd.members;
  else {
    const nsHosts = [...new Set(t.nameservers.map((n) => n.host))];
    placed = nsHosts.length >= 3 ? nsHosts.map((h) => ({ host: h, clientPort: 2379, peerPort: 2380 })) : [0, 1, 2].map((i) => ({ host: nsHosts[0] ?? t.hosts[0]!.name, clientPort: 2379 + 10 * i, peerPort: 2380 + 10 * i }));
  }
  const etcd = placed.map((m, i): EtcdMemberModel => {
    const { spec } = hostOf(m.host);
    const address = hostAddress(spec);
    const name = `etcd-${i + 1}`;
    return {
      name,
      host: m.host,
      address,
      clientPort: m.clientPort,
      peerPort: m.peerPort,
      clientUrl: `http://${address}:${m.clientPort}`,
      peerUrl: `http://${address}:${m.peerPort}`,
      dataDir: spec.transport === 'local' ? path.join(stateDir, 'etcd', name) : `/var/lib/etcd/rmqctl-${t.cluster}`,
    };
  });
  return { ...base, etcd };
}

function monitoringModel(t: Topology, hosts: readonly HostModel[]): MonitoringModel | null {
  if (!t.monitoring) return null;
  const { host: hostName, dir, ...rest } = t.monitoring;
  const host = hosts.find((h) => h.name === (hostName ?? t.hosts[0]?.name));
  if (!host) throw new Error(`unvalidated topology: unknown monitoring host ${hostName}`);
  return { ...rest, host: host.name, dir: dir ?? path.posix.join(host.layout.configDir, 'monitoring') };
}

function pick<T extends object, K extends keyof T>(o: T | undefined, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  if (!o) return out;
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

export function nodeById(model: ClusterModel, id: NodeId): ClusterNode | undefined {
  return model.nodes.find((n) => n.id === id);
}

export function hostByName(model: ClusterModel, name: string): HostModel | undefined {
  return model.hosts.find((h) => h.name === name);
}

export function nodesOnHost(model: ClusterModel, host: string): ClusterNode[] {
  return model.nodes.filter((n) => n.host === host);
}
