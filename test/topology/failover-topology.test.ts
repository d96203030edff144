/**
 * The topology's failover section and the recorded masters (topology/masters.ts): a switchover's
 * master changes brokerId, brokerRole and the HA addresses — never node ids; `failover: auto`
 * renders every broker with the failover keys and places etcd; validation names what is wrong.
 */
import { describe, expect, it } from 'vitest';
import { buildClusterModel, parseTopology, type BrokerNode } from '../../src/topology/index.js';
import { readMasters, writeMasters } from '../../src/topology/masters.js';
import { tmpDir } from '../support/tmp.js';
import { topologyProblems } from '../support/topologies.js';

const base = (extra = '', hosts = '  - {name: local, transport: local}\n') => `cluster: c
mode: 2m-2s-sync
${extra}hosts:
${hosts}nameservers:
  - {host: ${hosts.includes('mq1') ? 'mq1' : 'local'}, port: 9876}
brokers:
  - name: broker-a
    master: {host: ${hosts.includes('mq1') ? 'mq1' : 'local'}, port: 10911}
    slaves: [{host: ${hosts.includes('mq2') ? 'mq2' : 'local'}, port: 10921}]
  - name: broker-b
    master: {host: ${hosts.includes('mq2') ? 'mq2' : 'local'}, port: 10931}
    slaves: [{host: ${hosts.includes('mq1') ? 'mq1' : 'local'}, port: 10941}]
`;
const prop = (n: BrokerNode, k: string) => n.properties.find((p) => p.key === k)?.value;
const broker = (m: ReturnType<typeof buildClusterModel>, id: string) => m.nodes.find((n): n is BrokerNode => n.id === id && n.kind === 'broker')!;

describe('recorded masters', () => {
  it('a switched group keeps its node ids; roles, ids and HA addresses follow the master', () => {
    const t = parseTopology(base(), 'c.yaml').topology;
    const m = buildClusterModel(t, { stateDir: '/s', masters: { 'broker-a': 'broker-a-1' } });
    const [a0, a1] = [broker(m, 'broker-a-0'), broker(m, 'broker-a-1')];
    expect([a1.brokerId, a1.role, prop(a1, 'brokerRole'), prop(a1, 'haAllowedAddresses')]).toEqual([0, 'master', 'SYNC_MASTER', '127.0.0.1']);
    expect([a0.brokerId, a0.role, prop(a0, 'brokerRole'), prop(a0, 'haMasterAddress'), a0.masterId]).toEqual([2, 'slave', 'SLAVE', '127.0.0.1:10922', 'broker-a-1']);
    expect(a0.storeDir.endsWith('/broker-a-0')).toBe(true);
    expect(m.groups.find((g) => g.name === 'broker-a')).toMatchObject({ masterId: 'broker-a-1', slaveIds: ['broker-a-0'], nodeIds: ['broker-a-0', 'broker-a-1'] });
    expect(() => buildClusterModel(t, { stateDir: '/s', masters: { 'broker-a': 'broker-b-1' } })).toThrow(/not a node of that group/);
  });

  it('masters.yaml round-trips, and belongs to one cluster', async () => {
    const dir = tmpDir();
    expect(await readMasters(dir, 'c')).toEqual({ cluster: 'c', groups: {} });
    await writeMasters(dir, { cluster: 'c', groups: { 'broker-a': { master: 'broker-a-1', epoch: 3, since: '2026-01-01T00:00:00.000Z', by: 'rmqctl failover c.yaml broker-a' } } });
    expect((await readMasters(dir, 'c')).groups['broker-a']).toMatchObject({ master: 'broker-a-1', epoch: 3 });
    await expect(readMasters(dir, 'other')).rejects.toThrow(/it is for cluster "c", not other/);
  });
});

describe('failover: auto', () => {
  it('renders the failover keys and puts three etcd members on a single NameServer host', () => {
    const t = parseTopology(base('failover: {mode: auto, leaseSeconds: 4}\n'), 'c.yaml').topology;
    const m = buildClusterModel(t, { stateDir: '/s', masters: { 'broker-a': 'broker-a-1' } });
    expect(m.failover.etcd.map((e) => `${e.name} ${e.clientUrl}`)).toEqual(['etcd-1 http://127.0.0.1:2379', 'etcd-2 http://127.0.0.1:2389', 'etcd-3 http://127.0.0.1:2399']);
    const a0 = broker(m, 'broker-a-0');
    // auto: the election decides; the files keep the topology's roles (a recorded master is ignored)
    expect(prop(a0, 'brokerRole')).toBe('SYNC_MASTER');
    expect(Object.fromEntries(a0.properties.filter((p) => p.key.startsWith('failover') || p.key === 'nodeName').map((p) => [p.key, p.value]))).toEqual({
      nodeName: 'broker-a-0',
      failoverMode: 'auto',
      failoverEtcdEndpoints: 'http://127.0.0.1:2379,http://127.0.0.1:2389,http://127.0.0.1:2399',
      failoverLeaseSeconds: '4',
      failoverMasterRole: 'SYNC_MASTER',
      failoverSlaveId: '2',
      failoverPeers: 'broker-a-1@127.0.0.1:10921',
    });
    expect(prop(broker(m, 'broker-a-1'), 'haAllowedAddresses')).toBe('127.0.0.1');
  });

  it('validation: etcd members on known hosts, one per SSH host, free ports, an odd count; two SSH NameServer hosts need members', () => {
    const ssh = '  - {name: mq1, address: 10.0.0.1}\n  - {name: mq2, address: 10.0.0.2}\n';
    expect(topologyProblems(base('failover: {mode: auto}\n', ssh), 'c.yaml')).toMatch(/failover\.etcd.*there are 1 \(mq1\): etcd needs 3 members/);
    const members = 'failover: {mode: auto, etcd: {members: [{host: mq1}, {host: mq1, clientPort: 2479}, {host: mq3}, {host: mq2, clientPort: 10921}]}}\n';
    const p = topologyProblems(base(members, ssh), 'c.yaml');
    expect(p).toMatch(/members\[1\]\.host {2}host mq1 runs etcd member 1 already/);
    expect(p).toMatch(/members\[2\]\.host .*mq3/);
    expect(p).toMatch(/members\[3\]\.clientPort {2}port 10921 on mq2 is taken by brokers\[0\]\.slaves\[0\]\.port/);
    expect(p).toMatch(/4 etcd members survive no more losses \(1\) than 3 do/);
  });
});
