/**
 * Is a broker registered the way the topology says, on one NameServer? Pure: takes what the
 * NameServer answered to GET_BROKER_CLUSTER_INFO and says what is wrong, in words an operator can
 * act on (sans-IO, so every case is testable without sockets).
 */
import type { ClusterInfo } from '../../protocol/route.js';

export interface ExpectedRegistration {
  cluster: string;
  brokerName: string;
  brokerId: number;
  /** `brokerIP1:listenPort`: what clients will be told. */
  addr: string;
}

/** undefined when the NameServer has the broker as expected; otherwise why not. */
export function registrationProblem(info: ClusterInfo, e: ExpectedRegistration): string | undefined {
  const group = info.brokerAddrTable[e.brokerName];
  const role = e.brokerId === 0 ? 'master' : `slave (brokerId ${e.brokerId})`;
  if (!group) return `broker group ${e.brokerName} is not registered (no ${role} at ${e.addr} yet)`;
  if (group.cluster !== e.cluster) return `broker group ${e.brokerName} is registered in cluster ${group.cluster}, expected ${e.cluster}`;
  if (!(info.clusterAddrTable[e.cluster] ?? []).includes(e.brokerName)) return `cluster ${e.cluster} does not list broker group ${e.brokerName}`;
  const at = group.brokerAddrs[String(e.brokerId)];
  if (at === e.addr) return undefined;
  // Registered under another id (e.g. a slave that thinks it is a master), or not at all.
  const other = Object.entries(group.brokerAddrs).find(([, a]) => a === e.addr);
  if (other) return `${e.addr} is registered as brokerId ${other[0]} (${other[0] === '0' ? 'master' : 'slave'}), expected brokerId ${e.brokerId} (${role})`;
  if (at !== undefined) return `brokerId ${e.brokerId} of ${e.brokerName} is registered at ${at}, expected ${e.addr} (brokerIP1:listenPort)`;
  return `no ${role} of ${e.brokerName} is registered (expected at ${e.addr})`;
}
