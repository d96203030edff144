/** Joining the brokers' own HA views into a status report (pure; test/broker/ha/status.test.ts runs the CLI on real processes). */
import { describe, expect, it } from 'vitest';
import { buildStatusReport } from '../../../src/ops/status/cluster-status.js';
import { mergeReplication, type BrokerFacts } from '../../../src/ops/status/replication-status.js';
import type { HaRuntimeInfo } from '../../../src/protocol/ha-runtime-info.js';

const report = (addrs: Record<string, string>) =>
  buildStatusReport([
    {
      addr: 'n1:9876',
      reachable: true,
      clusterInfo: {
        brokerAddrTable: { 'broker-a': { cluster: 'C', brokerName: 'broker-a', brokerAddrs: addrs, enableActingMaster: false } },
        clusterAddrTable: { C: ['broker-a'] },
      },
    },
  ]);

const client = { masterAddr: '', transferredByteInSecond: 0, maxOffset: 0, lastReadTimestamp: 0, lastWriteTimestamp: 0, masterFlushOffset: 0 };
const masterHa = (role: string, conns: HaRuntimeInfo['haConnectionInfo'], inSync: number): HaRuntimeInfo => ({
  master: true,
  masterCommitLogMaxOffset: 5000,
  inSyncSlaveNums: inSync,
  haConnectionInfo: conns,
  haClientRuntimeInfo: client,
  brokerRole: role,
  acksNeeded: 1,
});
const slaveHa = (state: string, extra: Partial<HaRuntimeInfo['haClientRuntimeInfo']> = {}): HaRuntimeInfo => ({
  master: false,
  masterCommitLogMaxOffset: 0,
  inSyncSlaveNums: 0,
  haConnectionInfo: [],
  haClientRuntimeInfo: { ...client, masterAddr: 'h:12', maxOffset: 4000, state, ...extra },
  brokerRole: 'SLAVE',
});
const conn = (addr: string, diff: number, lagMillis: number) => ({ addr, slaveAckOffset: 5000 - diff, diff, inSync: diff === 0, transferredByteInSecond: 0, transferFromWhere: 0, lagMillis });

describe('mergeReplication', () => {
  it('matches each slave to the master’s connection by socket address and shows its lag', () => {
    const r = report({ '0': 'h:10', '1': 'h:20', '2': 'h:30' });
    const facts = new Map<string, BrokerFacts>([
      ['h:10', { runtime: { commitLogMaxOffset: '5000' }, ha: masterHa('ASYNC_MASTER', [conn('127.0.0.1:40001', 1000, 250), conn('127.0.0.1:40002', 0, 0)], 1) }],
      ['h:20', { runtime: { commitLogMaxOffset: '5000' }, ha: slaveHa('replicating', { localAddr: '::ffff:127.0.0.1:40002' }) }],
      ['h:30', { runtime: { commitLogMaxOffset: '4000' }, ha: slaveHa('replicating', { localAddr: '127.0.0.1:40001' }) }],
    ]);
    mergeReplication(r, facts);
    const [m, s1, s2] = r.clusters[0]?.groups[0]?.nodes ?? [];
    expect(m?.replication).toEqual({ brokerRole: 'ASYNC_MASTER', commitLogMaxOffset: 5000, haState: 'serving', slavesConnected: 2, slavesInSync: 1, acksNeeded: 1 });
    expect(s1?.replication).toMatchObject({ haState: 'replicating', masterHaAddr: 'h:12', lagBytes: 0, lagMillis: 0, inSync: true });
    expect(s2?.replication).toMatchObject({ haState: 'replicating', lagBytes: 1000, lagMillis: 250, inSync: false, commitLogMaxOffset: 4000 });
    expect(r.healthy).toBe(true);
    expect(r.problems).toEqual([]);
  });

  it('a diverged slave and a SYNC_MASTER without its slave are problems; an unreachable broker is shown', () => {
    const r = report({ '0': 'h:10', '1': 'h:20' });
    const facts = new Map<string, BrokerFacts>([
      ['h:10', { runtime: { commitLogMaxOffset: '5000' }, ha: masterHa('SYNC_MASTER', [], 0) }],
      ['h:20', { runtime: { commitLogMaxOffset: '7000' }, ha: slaveHa('diverged', { reason: 'the master’s bytes at 4096 differ' }) }],
    ]);
    mergeReplication(r, facts);
    expect(r.healthy).toBe(false);
    expect(r.problems).toEqual([
      'broker-a-0 is a SYNC_MASTER with 0 slave(s) in sync (needs 1): its sends answer SLAVE_NOT_AVAILABLE (stored on the master only)',
      'broker-a-1: replication stopped (diverged): the master’s bytes at 4096 differ',
    ]);

    const r2 = report({ '0': 'h:10', '1': 'h:20' });
    mergeReplication(r2, new Map<string, BrokerFacts>([['h:10', { error: 'timeout' }], ['h:20', { runtime: {}, ha: slaveHa('connecting', { reason: 'cannot connect' }) }]]));
    expect(r2.clusters[0]?.groups[0]?.nodes[0]?.replication).toEqual({ error: 'timeout' });
    expect(r2.warnings).toContain('broker-a-1 is not replicating (connecting: cannot connect)');
    expect(r2.healthy).toBe(true);
  });

  it('a group whose master is gone: a warning', () => {
    const r = report({ '1': 'h:20' });
    mergeReplication(r, new Map<string, BrokerFacts>([['h:20', { runtime: {}, ha: slaveHa('connecting') }]]));
    expect(r.warnings).toContain('broker-a has no master registered: its slaves serve reads, writes go to other groups');
  });
});
