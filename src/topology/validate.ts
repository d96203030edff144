/**
 * Checks a topology beyond its shape: the mode matches the groups, names are unique, hosts
 * exist, no two processes on one machine share a port or a store directory, every advertised
 * address is usable, and every override is a known key with a valid value.
 */
import { compileAddressPattern } from '../acl/remote-address.js';
import path from 'node:path';
import { BROKER_KEYS } from '../node-config/broker-keys.js';
import { coerceValue, didYouMean, isIPv4, type KeySpec } from '../util/config-registry.js';
import { brokerNodeSpecs, brokerOverrideLayers, grpcPortOf, hostAddress, METRICS_PORT_OFFSET, metricsPortOf } from './model.js';
import { modeShape } from './modes.js';
import { NAMESRV_KEYS } from '../node-config/namesrv-keys.js';
import { formatPath, type FieldPath } from '../util/problems.js';
import type { HostSpec, Topology } from './schema.js';

export interface SemanticProblem {
  path: FieldPath;
  message: string;
  /** Point at the key rather than the value (unknown keys). */
  at?: 'key' | 'value';
  /** Other fields the problem comes from (the other side of a clash, the mode a count is judged by). */
  related?: FieldPath[];
}

const isLoopback = (addr: string) => addr === 'localhost' || /^127\./.test(addr);
const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

export function validateTopology(t: Topology, raw: Record<string, unknown>): SemanticProblem[] {
  const out: SemanticProblem[] = [];
  const add = (path: FieldPath, message: string, at?: 'key' | 'value', related?: FieldPath[]) => out.push({ path, message, at, ...(related ? { related } : {}) });

  // ── hosts ──────────────────────────────────────────────────────────────────────────────────
  const hosts = new Map<string, { spec: HostSpec; index: number }>();
  let localHost: string | undefined;
  t.hosts.forEach((h, i) => {
    const p: FieldPath = ['hosts', i];
    const first = hosts.get(h.name);
    if (first) add([...p, 'name'], `host name ${JSON.stringify(h.name)} is already used by hosts[${first.index}] (expected unique host names)`);
    else hosts.set(h.name, { spec: h, index: i });
    if (h.transport === 'local') {
      if (localHost !== undefined) add([...p, 'transport'], `host ${JSON.stringify(localHost)} is already the local host (expected at most one host with transport: local)`);
      localHost ??= h.name;
      if (h.supervisor === 'systemd') add([...p, 'supervisor'], 'a local host runs its processes without systemd (expected process, or leave it out)');
      if (h.ssh) add([...p, 'ssh'], 'a local host is not reached over SSH (expected no ssh settings, or transport: ssh)', 'key');
    } else if (h.address === undefined) {
      add(p, 'missing address (expected the IPv4 address or DNS name to reach this host over SSH)');
    }
  });
  const hostNames = [...hosts.keys()];
  t.hosts.forEach((h, i) => {
    const jump = h.ssh?.jumpHost;
    if (jump === undefined) return;
    const p: FieldPath = ['hosts', i, 'ssh', 'jumpHost'];
    const target = hosts.get(jump);
    if (!target) add(p, unknownHost(jump, hostNames));
    else if (jump === h.name) add(p, `${JSON.stringify(jump)} is this host itself (expected another host)`);
    else if (target.spec.transport !== 'ssh') add(p, `${JSON.stringify(jump)} is a local host (expected an ssh host)`);
    else {
      // Follow the chain: a loop would make the connection impossible.
      const seen = new Set([h.name]);
      for (let cur: string | undefined = jump; cur !== undefined; cur = hosts.get(cur)?.spec.ssh?.jumpHost) {
        if (seen.has(cur)) {
          add(p, `jump hosts form a loop through ${JSON.stringify(cur)} (expected a chain that ends)`);
          break;
        }
        seen.add(cur);
      }
    }
  });

  // ── mode vs groups ─────────────────────────────────────────────────────────────────────────
  const shape = modeShape(t.mode);
  const g = t.brokers.length;
  if (shape.atLeast ? g < shape.masters : g !== shape.masters) {
    add(['brokers'], `mode ${shape.label} needs ${shape.atLeast ? 'at least' : 'exactly'} ${plural(shape.masters, 'broker group')}, found ${g} (expected ${shape.atLeast ? 'more groups' : 'a matching number of groups, or another mode'})`, undefined, [['mode']]);
  }
  t.brokers.forEach((grp, i) => {
    if (grp.slaves.length !== shape.slavesPerMaster) {
      const p: FieldPath = (raw.brokers as Record<string, unknown>[] | undefined)?.[i]?.slaves === undefined ? ['brokers', i] : ['brokers', i, 'slaves'];
      add(p, `mode ${shape.label} needs ${plural(shape.slavesPerMaster, 'slave')} per group, found ${grp.slaves.length} (expected ${shape.slavesPerMaster})`, undefined, [['mode']]);
    }
  });
  if (typeof t.mode === 'object' && t.mode.replication === 'sync' && t.mode.slavesPerMaster === 0) {
    add(['mode', 'replication'], 'sync replication needs a slave to wait for (expected slavesPerMaster >= 1, or replication: async)');
  }

  // ── names ──────────────────────────────────────────────────────────────────────────────────
  const groupNames = new Map<string, number>();
  t.brokers.forEach((grp, i) => {
    const first = groupNames.get(grp.name);
    if (first !== undefined) add(['brokers', i, 'name'], `broker group name ${JSON.stringify(grp.name)} is already used by brokers[${first}] (expected unique names)`);
    else groupNames.set(grp.name, i);
  });
  const nodeIds = new Map<string, FieldPath>();
  t.nameservers.forEach((_, i) => nodeIds.set(`namesrv-${i + 1}`, ['nameservers', i]));
  const brokers = brokerNodeSpecs(t);
  for (const b of brokers) {
    const first = nodeIds.get(b.id);
    const duplicateGroup = groupNames.get(t.brokers[b.groupIndex]?.name ?? '') !== b.groupIndex; // reported above
    if (first && !duplicateGroup) {
      add(['brokers', b.groupIndex, 'name'], `node id ${b.id} would clash with ${formatPath(first)} (expected a group name that does not make ids like namesrv-<n>)`);
    }
    nodeIds.set(b.id, b.path);
  }

  // ── hosts referenced ───────────────────────────────────────────────────────────────────────
  const refs: { path: FieldPath; host: string }[] = [
    ...t.nameservers.map((n, i) => ({ path: ['nameservers', i, 'host'] as FieldPath, host: n.host })),
    ...brokers.map((b) => ({ path: [...b.path, 'host'] as FieldPath, host: b.spec.host })),
  ];
  for (const r of refs) if (!hosts.has(r.host)) add(r.path, unknownHost(r.host, hostNames));

  // ── overrides: known keys, valid values ────────────────────────────────────────────────────
  const checkOverrides = (p: FieldPath, values: Record<string, unknown> | undefined, registry: Readonly<Record<string, KeySpec>>, what: string) => {
    if (!values) return;
    for (const [key, value] of Object.entries(values)) {
      const k = registry[key];
      if (!k) {
        const hint = didYouMean(key, Object.keys(registry));
        add([...p, key], `unknown ${what} key${hint ? ` (did you mean ${hint}?)` : ` (expected a key from the ${what} key registry)`}`, 'key');
      } else if (k.managedBy) {
        add([...p, key], `${key} is set by the topology (expected it through ${k.managedBy}, not an override)`, 'key');
      } else if (t.tls && key.startsWith('tls.')) {
        add([...p, key], `${key} is set by the topology's tls section (expected no tls.* override when the topology has tls)`, 'key');
      } else {
        const r = coerceValue(k.spec, value);
        if (!r.ok) add([...p, key], r.problem);
      }
    }
  };
  checkOverrides(['overrides', 'broker'], t.overrides?.broker, BROKER_KEYS, 'broker.properties');
  checkOverrides(['overrides', 'namesrv'], t.overrides?.namesrv, NAMESRV_KEYS, 'namesrv.properties');
  t.nameservers.forEach((n, i) => checkOverrides(['nameservers', i, 'overrides'], n.overrides, NAMESRV_KEYS, 'namesrv.properties'));
  t.brokers.forEach((grp, i) => checkOverrides(['brokers', i, 'overrides'], grp.overrides, BROKER_KEYS, 'broker.properties'));
  for (const b of brokers) checkOverrides([...b.path, 'overrides'], b.spec.overrides, BROKER_KEYS, 'broker.properties');
  const deleteWhen = coerceValue(BROKER_KEYS.deleteWhen.spec, t.retention.deleteWhen);
  if (!deleteWhen.ok) add(['retention', 'deleteWhen'], deleteWhen.problem);
  // inSyncReplicas counts the master: more than the group holds can never be satisfied.
  for (const b of brokers) {
    const grp = t.brokers[b.groupIndex];
    if (!grp || b.brokerId !== 0) continue;
    for (const layer of brokerOverrideLayers(t, b.groupIndex, b.path).reverse()) {
      const v = layer.values.inSyncReplicas;
      if (v === undefined) continue;
      if (!coerceValue(BROKER_KEYS.inSyncReplicas.spec, v).ok) break; // reported above
      const size = 1 + grp.slaves.length;
      if (Number(v) > size) add([...layer.source, 'inSyncReplicas'], `${v} replicas cannot be in sync in group ${grp.name} of ${plural(size, 'node')} (expected at most ${size})`);
      break;
    }
  }

  // ── addresses ──────────────────────────────────────────────────────────────────────────────
  const addrOf = (hostName: string) => {
    const h = hosts.get(hostName)?.spec;
    return h ? hostAddress(h) : '127.0.0.1'; // an unknown host was reported above
  };
  for (const b of brokers) {
    if (b.spec.brokerIP1 !== undefined) continue;
    const a = addrOf(b.spec.host);
    if (!isIPv4(a)) add([...b.path, 'host'], `host ${JSON.stringify(b.spec.host)} has the DNS name ${JSON.stringify(a)}; clients need the broker's IP (expected brokerIP1: <IPv4 address> on this node)`);
  }
  const machineOf = (hostName: string) => machineOfHost(hosts.get(hostName)?.spec, hostName);
  // Loopback addresses only reach processes on the same machine.
  for (const b of brokers) {
    t.nameservers.forEach((ns, i) => {
      const a = addrOf(ns.host);
      if (isLoopback(a) && machineOf(ns.host) !== machineOf(b.spec.host)) {
        add(['nameservers', i, 'host'], `brokers on host ${JSON.stringify(b.spec.host)} would reach this NameServer at ${a}, their own loopback (expected host ${JSON.stringify(ns.host)} to have an address reachable from ${JSON.stringify(b.spec.host)})`);
      }
    });
    const grp = t.brokers[b.groupIndex];
    if (b.brokerId > 0 && grp) {
      const masterIP = grp.master.brokerIP1 ?? addrOf(grp.master.host);
      if (isLoopback(masterIP) && machineOf(grp.master.host) !== machineOf(b.spec.host)) {
        add([...b.path, 'host'], `this slave would replicate from its master at ${masterIP}, its own loopback (expected the master ${grp.name}-0 to advertise an address reachable from ${JSON.stringify(b.spec.host)})`);
      }
    }
  }

  // ── monitoring ─────────────────────────────────────────────────────────────────────────────
  if (t.monitoring?.host !== undefined && !hosts.has(t.monitoring.host)) add(['monitoring', 'host'], unknownHost(t.monitoring.host, hostNames));

  // ── access control ──────────────────────────────────────────────────────────────────────────
  if (t.acl) {
    const keys = new Map<string, FieldPath>([[t.acl.admin.accessKey, ['acl', 'admin', 'accessKey']]]);
    t.acl.accounts.forEach((acc, i) => {
      const first = keys.get(acc.accessKey);
      if (first) add(['acl', 'accounts', i, 'accessKey'], `accessKey ${JSON.stringify(acc.accessKey)} is already used by ${formatPath(first)} (expected unique access keys)`);
      else keys.set(acc.accessKey, ['acl', 'accounts', i, 'accessKey']);
      if (acc.whiteRemoteAddress) addressProblem(acc.whiteRemoteAddress, ['acl', 'accounts', i, 'whiteRemoteAddress']);
      for (const kind of ['topicPerms', 'groupPerms'] as const) {
        const seen = new Set<string>();
        acc[kind]?.forEach((entry, j) => {
          const name = entry.slice(0, entry.indexOf('=')).trim();
          if (seen.has(name)) add(['acl', 'accounts', i, kind, j], `${JSON.stringify(name)} is listed twice (expected one permission per name)`);
          seen.add(name);
        });
      }
    });
    t.acl.globalWhiteRemoteAddresses?.forEach((a, i) => addressProblem(a, ['acl', 'globalWhiteRemoteAddresses', i]));
  }

  // ── transport security ──────────────────────────────────────────────────────────────────────
  if (t.tls) {
    const tlsSpec = t.tls;
    if ((tlsSpec.cert === undefined) !== (tlsSpec.key === undefined)) {
      add(['tls', tlsSpec.cert === undefined ? 'key' : 'cert'], `${tlsSpec.cert === undefined ? 'a key without a cert' : 'a cert without a key'} (expected tls.cert and tls.key together)`);
    }
    for (const name of Object.keys(tlsSpec.hosts ?? {})) if (!hosts.has(name)) add(['tls', 'hosts', name], unknownHost(name, hostNames), 'key');
    const withNodes = new Set(refs.map((r) => r.host));
    if (tlsSpec.cert === undefined) {
      for (const name of hostNames) {
        if (withNodes.has(name) && tlsSpec.hosts?.[name] === undefined) {
          add(['tls'], `host ${JSON.stringify(name)} runs nodes but has no certificate (expected tls.hosts.${name}: { cert, key }, or tls.cert and tls.key for every host)`);
        }
      }
    }
  }

  function addressProblem(pattern: string, path: FieldPath): void {
    try {
      compileAddressPattern(pattern);
    } catch (e) {
      add(path, `${(e as Error).message} (expected a RocketMQ address pattern: 10.0.0.5, 10.0.0.{5,6}, 10.0.1.*, 10.0.1.10-20, fd00::1, fd00::*, fd00::10-ff, *)`);
    }
  }

  // ── ports and store directories per machine ────────────────────────────────────────────────
  type Claim = { machine: string; port: number; purpose: string; owner: string; path: FieldPath };
  const claims: Claim[] = [];
  t.nameservers.forEach((ns, i) => {
    const p: FieldPath = (raw.nameservers as Record<string, unknown>[] | undefined)?.[i]?.port === undefined ? ['nameservers', i] : ['nameservers', i, 'port'];
    if (ns.port < 1024) add(p, `port ${ns.port} needs root to bind; the service runs unprivileged (expected 1024-65535)`);
    claims.push({ machine: machineOf(ns.host), port: ns.port, purpose: 'listen', owner: `namesrv-${i + 1}`, path: p });
    metricsClaim(machineOf(ns.host), ns, `namesrv-${i + 1}`, ['nameservers', i], p);
  });
  for (const b of brokers) {
    const rawNode = rawAt(raw, b.path);
    const portPath: FieldPath = rawNode?.port === undefined ? b.path : [...b.path, 'port'];
    const haPath: FieldPath = rawNode?.haPort === undefined ? portPath : [...b.path, 'haPort'];
    const port = b.spec.port;
    const ha = b.spec.haPort ?? port + 1;
    const machine = machineOf(b.spec.host);
    if (port - 2 < 1024) {
      add(portPath, `port ${port} puts the fast channel (port-2) at ${port - 2}, which needs root to bind (expected 1026-65535)`);
      continue;
    }
    if (ha > 65535) {
      add(haPath, `the HA port defaults to port+1 = ${ha}, out of range (expected port <= 65534, or an explicit haPort)`);
      continue;
    }
    if (ha < 1024) add(haPath, `HA port ${ha} needs root to bind (expected 1024-65535)`);
    claims.push({ machine, port: port - 2, purpose: 'fast channel (port-2)', owner: b.id, path: portPath });
    claims.push({ machine, port, purpose: 'listen', owner: b.id, path: portPath });
    claims.push({ machine, port: ha, purpose: b.spec.haPort === undefined ? 'HA (port+1)' : 'HA', owner: b.id, path: haPath });
    const grpcPath: FieldPath = rawNode?.grpcPort === undefined ? portPath : [...b.path, 'grpcPort'];
    const grpc = grpcPortOf(b.spec);
    if (grpc > 65535) add(grpcPath, `the gRPC port defaults to port+2 = ${grpc}, out of range (expected port <= 65533, or an explicit grpcPort, or grpcPort: 0 for none)`);
    else if (grpc > 0) {
      if (grpc < 1024) add(grpcPath, `gRPC port ${grpc} needs root to bind (expected 1024-65535)`);
      claims.push({ machine, port: grpc, purpose: b.spec.grpcPort === undefined ? 'gRPC (port+2)' : 'gRPC', owner: b.id, path: grpcPath });
    }
    metricsClaim(machine, b.spec, b.id, b.path, portPath);
  }
  /** A node's metrics port: explicit (its own path), or derived from its port (the port's path). */
  function metricsClaim(machine: string, node: { port: number; metricsPort?: number | undefined }, owner: string, nodePath: FieldPath, portPath: FieldPath): void {
    const m = metricsPortOf(t, node);
    if (m === null) return;
    const explicit = node.metricsPort !== undefined;
    const at: FieldPath = explicit ? [...nodePath, 'metricsPort'] : portPath;
    if (m > 65535) {
      add(at, `the metrics port defaults to port+${METRICS_PORT_OFFSET} = ${m}, out of range (expected port <= ${65535 - METRICS_PORT_OFFSET}, or an explicit metricsPort)`);
      return;
    }
    if (m < 1024) {
      add(at, `metrics port ${m} needs root to bind (expected 1024-65535)`);
      return;
    }
    claims.push({ machine, port: m, purpose: explicit ? 'metrics' : `metrics (port+${METRICS_PORT_OFFSET})`, owner, path: at });
  }
  // one problem per pair of processes that clash, however many ports they share, naming both
  const taken = new Map<string, Claim>();
  const clashes = new Map<string, { first: Claim; second: Claim; pairs: [Claim, Claim][] }>();
  for (const c of claims) {
    const k = `${c.machine}\u0000${c.port}`;
    const prev = taken.get(k);
    if (!prev) {
      taken.set(k, c);
      continue;
    }
    const pairKey = `${c.machine}\u0000${c.owner}\u0000${prev.owner}`;
    const clash = clashes.get(pairKey) ?? { first: prev, second: c, pairs: [] };
    clash.pairs.push([c, prev]);
    clashes.set(pairKey, clash);
  }
  for (const { first, second, pairs } of clashes.values()) {
    const where = second.machine === 'this machine' ? 'on this machine' : `on ${second.machine}`;
    const whose = first.owner === second.owner ? 'its own' : `${first.owner}'s`;
    const metrics = pairs.some(([x, y]) => x.purpose.startsWith('metrics') || y.purpose.startsWith('metrics'));
    const tail = `(expected distinct ports; a broker takes port-2, port, port+1 and its gRPC port, port+2 unless set${metrics ? ', and every node its metrics port' : ''})`;
    const list = (xs: string[]) => (xs.length === 1 ? xs[0] : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);
    const [c, prev] = pairs[0]!;
    const message =
      pairs.length === 1
        ? `${c.owner}'s ${c.purpose} port ${c.port} is already ${whose} ${prev.purpose} port ${where} ${tail}`
        : `${second.owner}'s ${list(pairs.map(([a]) => `${a.purpose} port ${a.port}`))} are already ${whose} ${list(pairs.map(([, b]) => b.purpose))} ports ${where} ${tail}`;
    const paths = [...new Set(pairs.map(([a]) => a.path))];
    add(paths[0]!, message, undefined, [...paths.slice(1), ...pairs.map(([, b]) => b.path)]);
  }

  // Store directories: <storeRoot>/<nodeId> are distinct by construction; an overridden commit
  // log directory can still land inside another node's store or on another's commit log.
  const storeRoot = t.storeRoot ?? `/var/lib/rmqctl/${t.cluster}`;
  type Dir = { machine: string; dir: string; owner: string; path: FieldPath };
  const dirs: Dir[] = [];
  t.nameservers.forEach((ns, i) => dirs.push({ machine: machineOf(ns.host), dir: path.posix.join(storeRoot, `namesrv-${i + 1}`), owner: `namesrv-${i + 1}`, path: ['nameservers', i] }));
  for (const b of brokers) {
    const machine = machineOf(b.spec.host);
    dirs.push({ machine, dir: path.posix.join(storeRoot, b.id), owner: b.id, path: b.path });
    const layers = brokerOverrideLayers(t, b.groupIndex, b.path);
    for (const layer of [...layers].reverse()) {
      const v = layer.values.storePathCommitLog;
      if (typeof v === 'string' && coerceValue(BROKER_KEYS.storePathCommitLog.spec, v).ok) {
        dirs.push({ machine, dir: v, owner: b.id, path: [...layer.source, 'storePathCommitLog'] });
        break;
      }
    }
  }
  out.push(...failoverProblems(t, hosts));
  const inside = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
  for (let i = 0; i < dirs.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = dirs[i];
      const b = dirs[j];
      if (!a || !b || a.owner === b.owner || a.machine !== b.machine || !inside(a.dir, b.dir)) continue;
      add(a.path, `${a.owner} would store in ${a.dir}, which overlaps ${b.owner}'s ${b.dir} on the same machine (expected separate directories)`, undefined, [b.path]);
      break; // one clash per directory is enough to act on
    }
  }
  return out;
}

/** failover: auto — etcd members on known hosts, one per SSH host (Debian's etcd-server is one service), ports clear of the nodes' on that machine. */
function failoverProblems(t: Topology, hosts: Map<string, { spec: HostSpec; index: number }>): SemanticProblem[] {
  const out: SemanticProblem[] = [];
  const f = t.failover;
  if (f.mode !== 'auto') return out;
  const members = f.etcd.members;
  if (members === undefined) {
    const nsHosts = [...new Set(t.nameservers.map((n) => n.host))];
    const ssh = nsHosts.filter((h) => hosts.get(h)?.spec.transport === 'ssh');
    if (nsHosts.length < 3 && ssh.length > 0) {
      out.push({ path: ['failover', 'etcd'], message: `failover: auto places etcd on the NameServer hosts, but there are ${nsHosts.length} (${nsHosts.join(', ')}): etcd needs 3 members to survive the loss of one (expected failover.etcd.members with 3 hosts)` });
    }
    return out;
  }
  const seen = new Map<string, number>();
  const ports = new Map<string, FieldPath>();
  const taken = new Map<string, FieldPath>();
  for (const [i, n] of t.nameservers.entries()) taken.set(`${n.host}:${n.port}`, ['nameservers', i, 'port']);
  for (const b of brokerNodeSpecs(t)) for (const p of [b.spec.port - 2, b.spec.port, b.spec.haPort ?? b.spec.port + 1]) taken.set(`${b.spec.host}:${p}`, [...b.path, 'port']);
  members.forEach((m, i) => {
    const p: FieldPath = ['failover', 'etcd', 'members', i];
    const h = hosts.get(m.host);
    if (!h) {
      out.push({ path: [...p, 'host'], message: unknownHost(m.host, [...hosts.keys()]) });
      return;
    }
    if (h.spec.transport === 'ssh') {
      const other = seen.get(m.host);
      if (other !== undefined) out.push({ path: [...p, 'host'], message: `host ${m.host} runs etcd member ${other + 1} already (one etcd per SSH host: Debian's etcd-server is one service)`, related: [['failover', 'etcd', 'members', other, 'host']] });
      seen.set(m.host, i);
    }
    for (const [what, port] of [['clientPort', m.clientPort], ['peerPort', m.peerPort]] as const) {
      const key = `${m.host}:${port}`;
      const clash = taken.get(key) ?? ports.get(key);
      if (clash !== undefined) out.push({ path: [...p, what], message: `port ${port} on ${m.host} is taken by ${formatPath(clash)} (expected a free port)`, related: [clash] });
      ports.set(key, [...p, what]);
    }
  });
  if (members.length !== 1 && members.length % 2 === 0) out.push({ path: ['failover', 'etcd', 'members'], message: `${members.length} etcd members survive no more losses (${(members.length - 2) / 2}) than ${members.length - 1} do (expected an odd number: 3 or 5)` });
  return out;
}

/** A machine is the local one, or an SSH address; SSH to a loopback address is this machine too. */
function machineOfHost(h: HostSpec | undefined, hostName: string): string {
  if (!h || h.transport === 'local' || isLoopback(h.address ?? '')) return 'this machine';
  return h.address ?? hostName;
}

/**
 * Things that work but that an operator most likely did not mean: reported, not refused.
 * Call on a topology that passed validateTopology.
 */
export function topologyWarnings(t: Topology): SemanticProblem[] {
  const out: SemanticProblem[] = [];
  const hosts = new Map(t.hosts.map((h) => [h.name, h]));
  const machineOf = (name: string) => machineOfHost(hosts.get(name), name);
  const machines = new Set([...t.nameservers.map((n) => machineOf(n.host)), ...brokerNodeSpecs(t).map((b) => machineOf(b.spec.host))]);
  // On one machine (the presets) a shared machine is the point; across machines it defeats the slave.
  if (machines.size > 1) {
    for (const b of brokerNodeSpecs(t)) {
      const g = t.brokers[b.groupIndex];
      if (b.brokerId > 0 && g && machineOf(b.spec.host) === machineOf(g.master.host)) {
        out.push({ path: [...b.path, 'host'], message: `slave ${b.id} runs on the same machine as its master ${g.name}-0: losing that machine loses both (expected another host)` });
      }
    }
    if (t.nameservers.length === 1) out.push({ path: ['nameservers'], message: 'a single NameServer: while it is down no client can find a broker (expected two or more on different hosts)' });
  }
  return out;
}

function unknownHost(name: string, known: string[]): string {
  const hint = didYouMean(name, known);
  return `unknown host ${JSON.stringify(name)}${hint ? ` (did you mean ${hint}?)` : ` (expected one of: ${known.join(', ')})`}`;
}

function rawAt(raw: unknown, p: FieldPath): Record<string, unknown> | undefined {
  let v: unknown = raw;
  for (const seg of p) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
}
