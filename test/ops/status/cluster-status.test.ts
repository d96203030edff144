/** Merging NameServer views into a status report (pure; the CLI tests run it against real processes). */
import { describe, expect, it } from 'vitest';
import type { NameServerProbe } from '../../../src/client/admin.js';
import { buildStatusReport } from '../../../src/ops/status/cluster-status.js';

const info = (addrs: Record<string, string>) => ({
  brokerAddrTable: { 'broker-a': { cluster: 'C', brokerName: 'broker-a', brokerAddrs: addrs, enableActingMaster: false } },
  clusterAddrTable: { C: ['broker-a'] },
});

describe('buildStatusReport', () => {
  it('warns about a broker only some NameServers know, and takes the freshest registration age', () => {
    const probes: NameServerProbe[] = [
      { addr: 'n1:9876', reachable: true, latencyMillis: 1, clusterInfo: info({ '0': 'h:1', '1': 'h:2' }), brokers: [{ cluster: 'C', brokerName: 'broker-a', brokerId: 0, brokerAddr: 'h:1', haServerAddr: '', lastUpdateAgeMillis: 900, lastRegisterAgeMillis: 20_000, timeoutMillis: 10_000, joinedAgeMillis: 60_000 }] },
      { addr: 'n2:9876', reachable: true, latencyMillis: 1, clusterInfo: info({ '0': 'h:1' }), brokers: [{ cluster: 'C', brokerName: 'broker-a', brokerId: 0, brokerAddr: 'h:1', haServerAddr: '', lastUpdateAgeMillis: 100, lastRegisterAgeMillis: 5_000, timeoutMillis: 10_000, joinedAgeMillis: 60_000 }] },
    ];
    const r = buildStatusReport(probes);
    expect(r.healthy).toBe(true);
    expect(r.warnings).toEqual(['broker-a-1 is registered with 1 of 2 reachable NameServers (missing at n2:9876)']);
    expect(r.clusters[0]?.groups[0]?.nodes[0]).toMatchObject({ id: 'broker-a-0', lastRegistrationAgeMillis: 5_000, lastHeartbeatAgeMillis: 100, knownBy: ['n1:9876', 'n2:9876'] });
  });

  it('reports a node registered at another address than the topology says', () => {
    const r = buildStatusReport([{ addr: 'n1:9876', reachable: true, clusterInfo: info({ '0': 'h:9' }) }], {
      nameservers: [{ id: 'namesrv-1', addr: 'n1:9876' }],
      brokers: [{ id: 'broker-a-0', cluster: 'C', brokerName: 'broker-a', brokerId: 0, addr: 'h:1' }],
    });
    expect(r.healthy).toBe(false);
    expect(r.problems).toEqual(['broker-a-0 is registered at h:9, the topology says h:1']);
    expect(r.nameservers[0]?.id).toBe('namesrv-1');
  });
});
