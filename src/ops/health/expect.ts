/** What a topology expects to find running and registered, for the judge. */
import { hostByName, type BrokerNode, type ClusterModel } from '../../topology/index.js';
import type { Expectation } from './report.js';

/**
 * `topology`: how the operator named it (file or preset), used in the commands problems suggest.
 * `masters`: group → the node elected master (failover: auto — etcd says, not the files).
 */
export function expectationFromModel(model: ClusterModel, topology?: string, masters: Readonly<Record<string, string>> = {}): Expectation {
  const direct = (host: string, address: string, port: number) => `${hostByName(model, host)?.address ?? address}:${port}`;
  const brokers = model.nodes
    .filter((n): n is BrokerNode => n.kind === 'broker')
    .map((n) => {
      const elected = masters[n.brokerName];
      if (elected === undefined) return n;
      return elected === n.id ? { ...n, brokerId: 0, masterId: null } : { ...n, brokerId: n.slaveId, masterId: elected };
    });
  return {
    ...(topology !== undefined ? { topology } : {}),
    nameservers: model.nodes.flatMap((n) => (n.kind === 'namesrv' ? [{ id: n.id, addr: `${n.address}:${n.listenPort}`, host: n.host }] : [])),
    brokers: brokers.map((n) => {
      const master = n.masterId === null ? undefined : brokers.find((b) => b.id === n.masterId);
      const group = model.groups.find((g) => g.name === n.brokerName);
      return {
        id: n.id,
        cluster: model.cluster,
        brokerName: n.brokerName,
        brokerId: n.brokerId,
        addr: `${n.brokerIP1}:${n.listenPort}`,
        directAddr: direct(n.host, n.address, n.listenPort),
        host: n.host,
        ...(master ? { masterHaAddr: `${master.brokerIP1}:${master.haPort}` } : {}),
        sync: group?.masterRole === 'SYNC_MASTER',
      };
    }),
  };
}
