/**
 * The one health judge, pure: facts in, report out. Each finding of #21 it answers is reproduced
 * from the facts a real cluster showed (the CLI tests run it against real processes).
 */
import { describe, expect, it } from 'vitest';
import type { NameServerProbe } from '../../../src/client/admin.js';
import type { HaRuntimeInfo } from '../../../src/protocol/ha-runtime-info.js';
import { gateProblems, judge, type BrokerFacts, type ClusterFacts, type Expectation, type ProcessState } from '../../../src/ops/health/index.js';

const info = (groups: Record<string, Record<string, string>>) => ({
  brokerAddrTable: Object.fromEntries(Object.entries(groups).map(([name, addrs]) => [name, { cluster: 'C', brokerName: name, brokerAddrs: addrs, enableActingMaster: false }])),
  clusterAddrTable: { C: Object.keys(groups) },
});
const probe = (addr: string, groups: Record<string, Record<string, string>>): NameServerProbe => ({ addr, reachable: true, latencyMillis: 1, clusterInfo: info(groups) });
const client = { masterAddr: '', transferredByteInSecond: 0, maxOffset: 0, lastReadTimestamp: 0, lastWriteTimestamp: 0, masterFlushOffset: 0 };
const masterHa = (role: string, conns: HaRuntimeInfo['haConnectionInfo'], inSync: number): HaRuntimeInfo => ({ master: true, masterCommitLogMaxOffset: 5000, inSyncSlaveNums: inSync, haConnectionInfo: conns, haClientRuntimeInfo: client, brokerRole: role, acksNeeded: 1 });
const slaveHa = (state: string, extra: Partial<HaRuntimeInfo['haClientRuntimeInfo']> = {}): HaRuntimeInfo => ({
  master: false,
  masterCommitLogMaxOffset: 0,
  inSyncSlaveNums: 0,
  haConnectionInfo: [],
  haClientRuntimeInfo: { ...client, masterAddr: 'h:12', maxOffset: 5000, state, ...extra },
  brokerRole: 'SLAVE',
});
const conn = (addr: string, diff: number, lagMillis: number, inSync = diff === 0) => ({ addr, slaveAckOffset: 5000 - diff, diff, inSync, transferredByteInSecond: 0, transferFromWhere: 0, lagMillis });
const rt = (extra: Record<string, string> = {}) => ({ commitLogMaxOffset: '5000', bootTimestamp: '1000', commitLogDiskRatio: '0.40', ...extra });
const facts = (probes: NameServerProbe[], brokers: [string, BrokerFacts][], processes: [string, ProcessState][] = []): ClusterFacts => ({
  probes,
  brokers: new Map(brokers),
  advertised: new Map(),
  processes: new Map(processes),
});
const running = (pid: number): ProcessState => ({ running: true, state: 'running', exited: false, pid, startedAt: 1000 });

/** A 1-group SYNC cluster as a topology expects it. */
const topo: Expectation = {
  topology: 'orders.yaml',
  nameservers: [{ id: 'namesrv-1', addr: 'n1:9876' }],
  brokers: [
    { id: 'broker-a-0', cluster: 'C', brokerName: 'broker-a', brokerId: 0, addr: 'h:10', sync: true },
    { id: 'broker-a-1', cluster: 'C', brokerName: 'broker-a', brokerId: 1, addr: 'h:20', masterHaAddr: 'h:12', sync: true },
  ],
};
const healthyPair = (): [string, BrokerFacts][] => [
  ['h:10', { runtime: rt({ pid: '4242' }), ha: masterHa('SYNC_MASTER', [conn('127.0.0.1:40001', 0, 0)], 1) }],
  ['h:20', { runtime: rt(), ha: slaveHa('replicating', { localAddr: '127.0.0.1:40001' }) }],
];

describe('judge', () => {
  it('a healthy SYNC pair: every node healthy, pids shown (from the broker itself without a supervisor)', () => {
    const r = judge(facts([probe('n1:9876', { 'broker-a': { '0': 'h:10', '1': 'h:20' } })], healthyPair()), topo);
    expect(r.problems).toEqual([]);
    expect(r.healthy).toBe(true);
    const [m, s] = r.clusters[0]!.groups[0]!.nodes;
    expect(m).toMatchObject({ id: 'broker-a-0', state: 'up', healthy: true, writable: true, pid: 4242, replication: { slavesInSync: 1, slavesConnected: 1 } });
    expect(s).toMatchObject({ id: 'broker-a-1', state: 'up', healthy: true, replication: { haState: 'replicating', inSync: true, lagBytes: 0 } });
  });

  it('finding 1, without a topology: a master kill -9’d (the NameServers dropped it) leaves a group without a master — unhealthy, with what to run', () => {
    const r = judge(facts([probe('n1:9876', { 'broker-a': { '1': 'h:20' } })], [['h:20', { runtime: rt(), ha: slaveHa('connecting', { reason: 'connect ECONNREFUSED h:12' }) }]]));
    expect(r.healthy).toBe(false);
    expect(r.problems).toContain('broker-a has no master registered: sends routed to broker-a fail and its slaves only serve reads — broker-a-0 is down or cannot reach the NameServers: run `rmqctl start <topology> --node broker-a-0`; its log: `rmqctl logs <topology> broker-a-0`');
    // and before the NameServers notice: registered but not answering
    const early = judge(facts([probe('n1:9876', { 'broker-a': { '0': 'h:10' } })], [['h:10', { error: 'connect ECONNREFUSED h:10' }]]));
    expect(early.healthy).toBe(false);
    expect(early.problems).toEqual(['broker-a-0 (master) does not answer at h:10: connect ECONNREFUSED h:10 — check that it runs and that this machine can reach it']);
    expect(early.clusters[0]!.groups[0]!.nodes[0]!.state).toBe('DOWN');
  });

  it('finding 1, with a topology: the dead process is named, with the command that starts it and the one that shows its log', () => {
    const dead: ProcessState = { running: false, state: 'stale', exited: true, pid: 777 };
    const r = judge(facts([probe('n1:9876', { 'broker-a': { '1': 'h:20' } })], [['h:10', { error: 'connect ECONNREFUSED h:10' }], ['h:20', { runtime: rt(), ha: slaveHa('connecting') }]], [['broker-a-0', dead], ['broker-a-1', running(99)]]), topo);
    expect(r.problems[0]).toBe('broker-a-0 (master) is not running: the process exited (stale) — run `rmqctl start orders.yaml --node broker-a-0`; its log: `rmqctl logs orders.yaml broker-a-0`');
    const m = r.clusters[0]!.groups[0]!.nodes[0]!;
    expect(m).toMatchObject({ state: 'DOWN', healthy: false, process: dead, pid: 777 });
    expect(m.problems).toEqual([expect.objectContaining({ check: 'process', fatal: true })]);
  });

  it('finding 2: a master whose store refuses writes is unhealthy — disk over diskSpaceWarningLevelRatio, or a store that says it is not writable', () => {
    const over = healthyPair();
    over[0] = ['h:10', { runtime: rt({ commitLogDiskRatio: '0.93' }), ha: masterHa('SYNC_MASTER', [conn('127.0.0.1:40001', 0, 0)], 1) }];
    const r = judge(facts([probe('n1:9876', { 'broker-a': { '0': 'h:10', '1': 'h:20' } })], over), topo);
    expect(r.healthy).toBe(false);
    expect(r.problems).toEqual([expect.stringMatching(/^broker-a-0 \(master\) refuses writes: its store's disk is 93\.0% used, over the 90% \(diskSpaceWarningLevelRatio\) above which it refuses every send — free disk space/)]);
    expect(r.clusters[0]!.groups[0]!.nodes[0]!.writable).toBe(false);

    const refused = healthyPair();
    // rmqd says it itself (truth-broker's runtime-info keys): the reason names the path and the fix
    const reason = 'no space left on /s/commitlog (free 0 B of 24.0 MiB): a commit-log write failed with ENOSPC at offset 4096; free space — writes are taken again';
    refused[0] = ['h:10', { runtime: rt({ writable: 'false', writeRefusal: 'disk-full', writeRefusalReason: reason, storePathCommitLog: '/s/commitlog' }), ha: masterHa('SYNC_MASTER', [conn('127.0.0.1:40001', 0, 0)], 1) }];
    const r2 = judge(facts([probe('n1:9876', { 'broker-a': { '0': 'h:10', '1': 'h:20' } })], refused), topo);
    expect(r2.problems).toEqual([`broker-a-0 (master) refuses writes: ${reason} — free disk space in /s/commitlog: it takes writes again by itself`]);
    // a slave's writable=false (role) is normal
    const slaveSays = healthyPair();
    slaveSays[1] = ['h:20', { runtime: rt({ writable: 'false', writeRefusal: 'slave' }), ha: slaveHa('replicating', { localAddr: '127.0.0.1:40001' }) }];
    expect(judge(facts([probe('n1:9876', { 'broker-a': { '0': 'h:10', '1': 'h:20' } })], slaveSays), topo).healthy).toBe(true);

    const readOnly = healthyPair();
    readOnly[0] = ['h:10', { runtime: rt({ brokerPermission: '4' }), ha: masterHa('SYNC_MASTER', [conn('127.0.0.1:40001', 0, 0)], 1) }];
    expect(judge(facts([probe('n1:9876', { 'broker-a': { '0': 'h:10', '1': 'h:20' } })], readOnly), topo).problems).toEqual([expect.stringMatching(/refuses writes: its permission is 4 \(read-only\)/)]);
  });

  it('finding 3: a silent SYNC slave (its master counts it out of sync) makes both the master and the slave unhealthy', () => {
    const silentConn = { ...conn('127.0.0.1:40001', 4096, 2500, false), available: false, outOfSyncReason: 'no report from the slave for 2.1 s while 4096 bytes sent to it are unacknowledged (process stopped or network cut?)' };
    const silent: [string, BrokerFacts][] = [
      ['h:10', { runtime: rt(), ha: { ...masterHa('SYNC_MASTER', [silentConn], 0), availableSlaveNums: 0 } }],
      ['h:20', { runtime: rt(), ha: slaveHa('replicating', { localAddr: '127.0.0.1:40001' }) }],
    ];
    const r = judge(facts([probe('n1:9876', { 'broker-a': { '0': 'h:10', '1': 'h:20' } })], silent), topo);
    expect(r.healthy).toBe(false);
    expect(r.problems).toEqual([
      expect.stringMatching(/^broker-a-0 \(master\) is a SYNC_MASTER with 0 slave\(s\) its sends can wait for \(needs 1\) \(127\.0\.0\.1:40001: no report from the slave for 2\.1 s .*\): sends to broker-a answer SLAVE_NOT_AVAILABLE or time out/),
      expect.stringMatching(/^broker-a-1 \(slave\) is not in sync with its SYNC master \(no report from the slave for 2\.1 s while 4096 bytes/),
    ]);
  });

  it('registered everywhere: a broker some NameServers lack is a problem (with or without a topology), and the wrong address is named', () => {
    const two = [probe('n1:9876', { 'broker-a': { '0': 'h:10', '1': 'h:20' } }), probe('n2:9876', { 'broker-a': { '0': 'h:10' } })];
    const r = judge(facts(two, healthyPair()));
    expect(r.problems).toEqual(['broker-a-1 (slave) is registered with 1 of 2 reachable NameServers (missing at n2:9876): clients of those cannot route to it — check that its namesrvAddr lists every NameServer and that it reaches them']);
    const moved = judge(facts([probe('n1:9876', { 'broker-a': { '0': 'h:99', '1': 'h:20' } })], healthyPair()), topo);
    expect(moved.problems).toContainEqual(expect.stringMatching(/^broker-a-0 \(master\) is not registered as expected on namesrv-1 \(n1:9876\): brokerId 0 of broker-a is registered at h:99, expected h:10/));
  });

  it('a NameServer down is a problem of its own; a diverged slave is one too', () => {
    const r = judge(facts([probe('n1:9876', { 'broker-a': { '0': 'h:10', '1': 'h:20' } }), { addr: 'n2:9876', reachable: false, error: 'cannot connect' }], [healthyPair()[0]!, ['h:20', { runtime: rt(), ha: slaveHa('diverged', { reason: 'the master’s bytes at 4096 differ' }) }]]));
    expect(r.problems).toEqual([
      'NameServer n2:9876 does not answer at n2:9876: cannot connect — check that it runs and that this machine can reach it',
      expect.stringMatching(/^broker-a-1 \(slave\) is not replicating from its master \(HA state diverged: the master’s bytes at 4096 differ\) — read its log/),
    ]);
  });

  it('matches each slave to its master’s connection by socket address', () => {
    const r = judge(
      facts(
        [probe('n1:9876', { 'broker-a': { '0': 'h:10', '1': 'h:20', '2': 'h:30' } })],
        [
          ['h:10', { runtime: rt(), ha: masterHa('ASYNC_MASTER', [conn('127.0.0.1:40001', 1000, 250), conn('127.0.0.1:40002', 0, 0)], 1) }],
          ['h:20', { runtime: rt(), ha: slaveHa('replicating', { localAddr: '::ffff:127.0.0.1:40002' }) }],
          ['h:30', { runtime: rt({ commitLogMaxOffset: '4000' }), ha: slaveHa('replicating', { localAddr: '127.0.0.1:40001', maxOffset: 4000 }) }],
        ],
      ),
    );
    const [, s1, s2] = r.clusters[0]!.groups[0]!.nodes;
    expect(s1?.replication).toMatchObject({ lagBytes: 0, inSync: true });
    expect(s2?.replication).toMatchObject({ lagBytes: 1000, lagMillis: 250, inSync: false });
    // ASYNC: a slave out of sync is not a problem while it is within the lag bound
    expect(r.healthy).toBe(true);
  });
});

describe('gateProblems', () => {
  const silent = (): ClusterFacts =>
    facts([probe('n1:9876', { 'broker-a': { '0': 'h:10', '1': 'h:20' } })], [
      ['h:10', { runtime: rt(), ha: masterHa('SYNC_MASTER', [], 0) }],
      ['h:20', { runtime: rt(), ha: slaveHa('connecting') }],
    ]);
  it('a master started before its slaves may defer the in-sync check; the group gate never does', () => {
    const r = judge(silent(), topo);
    expect(gateProblems(r, { node: 'broker-a-0', scope: 'node', deferInSync: true })).toEqual([]);
    expect(gateProblems(r, { node: 'broker-a-0', scope: 'node' }).map((x) => x.problem.check)).toEqual(['in-sync']);
    expect(gateProblems(r, { node: 'broker-a-0', scope: 'group' }).map((x) => `${x.node}:${x.problem.check}`)).toEqual(['broker-a-0:in-sync', 'broker-a-1:replication']);
  });
  it('a NameServer’s group gate waits until every broker is registered on it again', () => {
    const r = judge(facts([probe('n1:9876', { 'broker-a': { '0': 'h:10' } })], healthyPair()), topo);
    expect(gateProblems(r, { node: 'namesrv-1', scope: 'node' })).toEqual([]);
    expect(gateProblems(r, { node: 'namesrv-1', scope: 'group' }).map((x) => `${x.node}:${x.problem.check}`)).toEqual(['broker-a-1:registered']);
  });
});

describe('a SYNC slave catching up (available, not yet in sync)', () => {
  it('is a warning for status (sends succeed, they wait), but holds a rolling gate', () => {
    const catching = { ...conn('127.0.0.1:40001', 1_048_576, 4200, false), available: true, outOfSyncReason: 'catching up: missing bytes written 4.2 s ago (1048576 bytes)' };
    const r = judge(
      facts([probe('n1:9876', { 'broker-a': { '0': 'h:10', '1': 'h:20' } })], [
        ['h:10', { runtime: rt(), ha: { ...masterHa('SYNC_MASTER', [catching], 0), availableSlaveNums: 1 } }],
        ['h:20', { runtime: rt(), ha: slaveHa('replicating', { localAddr: '127.0.0.1:40001' }) }],
      ]),
      topo,
    );
    expect(r.healthy).toBe(true);
    expect(r.problems).toEqual([]);
    expect(r.warnings).toContainEqual(expect.stringMatching(/^broker-a-0 \(master\) is a SYNC_MASTER with 0 slave\(s\) in sync \(needs 1\) \(127\.0\.0\.1:40001: catching up/));
    expect(gateProblems(r, { node: 'broker-a-0', scope: 'group' }).map((x) => `${x.node}:${x.problem.check}`)).toEqual(['broker-a-0:in-sync', 'broker-a-1:in-sync']);
  });
});
