/**
 * Cluster status as the NameServers see it (`rmqctl status`): every NameServer asked on its own,
 * their views merged per cluster → broker group → node, and compared with what a topology
 * expects. Problems (an expected NameServer or broker missing, a broker at another address than
 * expected) make the status unhealthy; warnings (a broker only some NameServers know, one the
 * topology does not list) do not.
 */
import type { ClusterModel } from '../../topology/index.js';
import type { AdminClient, NameServerProbe } from '../../client/admin.js';
import type { BrokerNodeStatus, Expectation, ExpectedBroker, ExpectedNameServer, NameServerStatus, StatusReport } from './status-report.js';

export type * from './status-report.js';

/** What a topology's ClusterModel expects to find registered. */
export function expectationFromModel(model: ClusterModel): Expectation {
  const nameservers: ExpectedNameServer[] = [];
  const brokers: ExpectedBroker[] = [];
  for (const n of model.nodes) {
    if (n.kind === 'namesrv') nameservers.push({ id: n.id, addr: `${n.address}:${n.listenPort}` });
    else brokers.push({ id: n.id, cluster: model.cluster, brokerName: n.brokerName, brokerId: n.brokerId, addr: `${n.brokerIP1}:${n.listenPort}` });
  }
  return { nameservers, brokers };
}

const nodeKey = (cluster: string, brokerName: string, brokerId: number) => `${cluster}\u0000${brokerName}\u0000${brokerId}`;
const minDefined = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.min(a, b));

/** Merges what each NameServer answered with what is expected. Pure: testable without sockets. */
export function buildStatusReport(probes: NameServerProbe[], expected: Expectation = { nameservers: [], brokers: [] }): StatusReport {
  const problems: string[] = [];
  const warnings: string[] = [];
  const nsId = new Map(expected.nameservers.map((n) => [n.addr, n.id]));
  const nameservers: NameServerStatus[] = probes.map((p) => {
    const s: NameServerStatus = { addr: p.addr, reachable: p.reachable && p.error === undefined };
    const id = nsId.get(p.addr);
    if (id !== undefined) s.id = id;
    if (p.error !== undefined) s.error = p.error;
    if (p.latencyMillis !== undefined) s.latencyMillis = p.latencyMillis;
    if (p.clusterInfo !== undefined) s.brokerCount = Object.values(p.clusterInfo.brokerAddrTable).reduce((n, b) => n + Object.keys(b.brokerAddrs).length, 0);
    if (!s.reachable) problems.push(`NameServer ${id ? `${id} ` : ''}${p.addr} is down: ${p.error ?? 'unreachable'}`);
    return s;
  });
  for (const n of expected.nameservers) {
    if (!probes.some((p) => p.addr === n.addr)) warnings.push(`NameServer ${n.id} ${n.addr} (from the topology) was not asked`);
  }

  const nodes = new Map<string, BrokerNodeStatus & { cluster: string }>();
  const up = probes.filter((p) => p.clusterInfo !== undefined);
  for (const p of up) {
    for (const b of Object.values(p.clusterInfo?.brokerAddrTable ?? {})) {
      for (const [idText, addr] of Object.entries(b.brokerAddrs)) {
        const brokerId = Number(idText);
        const key = nodeKey(b.cluster, b.brokerName, brokerId);
        let n = nodes.get(key);
        if (n === undefined) {
          n = { cluster: b.cluster, id: `${b.brokerName}-${brokerId}`, brokerName: b.brokerName, brokerId, role: brokerId === 0 ? 'master' : 'slave', addr, knownBy: [], expected: false, missing: false };
          nodes.set(key, n);
        } else if (n.addr !== addr) {
          warnings.push(`${n.id}: NameServers disagree on its address (${n.addr} vs ${addr} at ${p.addr})`);
        }
        n.knownBy.push(p.addr);
        const live = p.brokers?.find((l) => l.brokerAddr === addr && l.cluster === b.cluster);
        n.lastRegistrationAgeMillis = minDefined(n.lastRegistrationAgeMillis, live?.lastRegisterAgeMillis);
        n.lastHeartbeatAgeMillis = minDefined(n.lastHeartbeatAgeMillis, live?.lastUpdateAgeMillis);
      }
    }
  }

  for (const e of expected.brokers) {
    const key = nodeKey(e.cluster, e.brokerName, e.brokerId);
    const n = nodes.get(key);
    if (n === undefined) {
      nodes.set(key, { cluster: e.cluster, id: e.id, brokerName: e.brokerName, brokerId: e.brokerId, role: e.brokerId === 0 ? 'master' : 'slave', expectedAddr: e.addr, knownBy: [], expected: true, missing: true });
      problems.push(`${e.id} (${e.addr}) is not registered with any reachable NameServer`);
      continue;
    }
    n.expected = true;
    if (n.addr !== e.addr) {
      n.expectedAddr = e.addr;
      problems.push(`${e.id} is registered at ${n.addr}, the topology says ${e.addr}`);
    }
  }

  const expectingTopology = expected.brokers.length > 0;
  for (const n of nodes.values()) {
    if (n.missing) continue;
    if (n.knownBy.length < up.length) warnings.push(`${n.id} is registered with ${n.knownBy.length} of ${up.length} reachable NameServers (missing at ${up.filter((p) => !n.knownBy.includes(p.addr)).map((p) => p.addr).join(', ')})`);
    if (expectingTopology && !n.expected) warnings.push(`${n.id} (${n.addr}) is registered but not in the topology`);
  }

  const clusters = new Map<string, Map<string, BrokerNodeStatus[]>>();
  for (const { cluster, ...n } of nodes.values()) {
    let groups = clusters.get(cluster);
    if (groups === undefined) clusters.set(cluster, (groups = new Map()));
    let list = groups.get(n.brokerName);
    if (list === undefined) groups.set(n.brokerName, (list = []));
    list.push(n);
  }
  const sorted = <T>(m: Map<string, T>) => [...m].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return {
    nameservers,
    clusters: sorted(clusters).map(([name, groups]) => ({
      name,
      groups: sorted(groups).map(([brokerName, list]) => ({ brokerName, nodes: list.sort((a, b) => a.brokerId - b.brokerId) })),
    })),
    problems,
    warnings,
    healthy: problems.length === 0,
  };
}

/** Asks every NameServer at once and builds the report. */
export async function collectStatus(admin: AdminClient, expected?: Expectation): Promise<StatusReport> {
  const probes = await Promise.all(admin.namesrvAddrs.map((addr) => admin.probe(addr)));
  return buildStatusReport(probes, expected);
}
