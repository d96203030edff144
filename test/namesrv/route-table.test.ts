/**
 * The NameServer's route table, sans-IO: channels are plain objects, time is a number.
 * Behaviour follows Java's RouteInfoManager unless a test says otherwise.
 */
import { describe, expect, it } from 'vitest';
import { Perm } from '../../src/protocol/perm.js';
import { topicConfig, type TopicConfig } from '../../src/protocol/topic-config.js';
import { RouteTable, type RegisterBrokerInput, type RouteEvent } from '../../src/namesrv/route-table.js';

type Ch = { name: string };
const chA: Ch = { name: 'A' };
const chB: Ch = { name: 'B' };

function reg(over: Partial<RegisterBrokerInput<Ch>> & { topics?: TopicConfig[]; counter?: number }): RegisterBrokerInput<Ch> {
  const topics = over.topics ?? [topicConfig('T', { readQueueNums: 4, writeQueueNums: 4 })];
  return {
    clusterName: 'C',
    brokerName: 'broker-a',
    brokerId: 0,
    brokerAddr: '10.0.0.1:10911',
    haServerAddr: '10.0.0.1:10912',
    enableActingMaster: false,
    channel: chA,
    ...over,
    topicConfigWrapper: { dataVersion: { counter: over.counter ?? 1, stateVersion: 0, timestamp: 1 }, topicConfigTable: Object.fromEntries(topics.map((t) => [t.topicName, t])) },
  };
}

describe('RouteTable', () => {
  it('registers a master: joined event, route, cluster info', () => {
    const t = new RouteTable<Ch>();
    const events: RouteEvent[] = [];
    t.registerBroker(reg({}), 0, events);
    expect(events).toEqual([{ type: 'joined', clusterName: 'C', brokerName: 'broker-a', brokerId: 0, brokerAddr: '10.0.0.1:10911', haServerAddr: '10.0.0.1:10912', timeoutMillis: 120_000, topics: 1 }]);
    expect(t.topicRoute('T')).toEqual({
      queueDatas: [{ brokerName: 'broker-a', readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 }],
      brokerDatas: [{ cluster: 'C', brokerName: 'broker-a', brokerAddrs: { '0': '10.0.0.1:10911' }, enableActingMaster: false }],
      filterServerTable: {},
    });
    expect(t.clusterInfo()).toEqual({
      brokerAddrTable: { 'broker-a': { cluster: 'C', brokerName: 'broker-a', brokerAddrs: { '0': '10.0.0.1:10911' }, enableActingMaster: false } },
      clusterAddrTable: { C: ['broker-a'] },
    });
  });

  it('re-registration with the same data version changes nothing and says nothing', () => {
    const t = new RouteTable<Ch>();
    t.registerBroker(reg({}), 0);
    const events: RouteEvent[] = [];
    t.registerBroker(reg({}), 1000, events);
    expect(events).toEqual([]);
    expect(t.liveBrokers(1500)[0]).toMatchObject({ lastRegisterAgeMillis: 500, joinedAgeMillis: 1500 });
  });

  it('a new data version updates queue data and reports what changed', () => {
    const t = new RouteTable<Ch>();
    t.registerBroker(reg({}), 0);
    const events: RouteEvent[] = [];
    t.registerBroker(reg({ counter: 2, topics: [topicConfig('T', { readQueueNums: 8, writeQueueNums: 8 }), topicConfig('U')] }), 1, events);
    expect(events).toEqual([{ type: 'topics changed', brokerName: 'broker-a', brokerAddr: '10.0.0.1:10911', added: ['U'], changed: ['T'] }]);
    expect(t.topicRoute('T')?.queueDatas[0]?.readQueueNums).toBe(8);
  });

  it('an unchanged registration restores queue data an admin deleted (as Java does)', () => {
    const t = new RouteTable<Ch>();
    t.registerBroker(reg({}), 0);
    t.deleteTopic('T');
    expect(t.topicRoute('T')).toBeUndefined();
    t.registerBroker(reg({}), 1);
    expect(t.topicRoute('T')).toBeDefined();
  });

  it('takes queue data from the master only; a slave learns its master', () => {
    const t = new RouteTable<Ch>();
    t.registerBroker(reg({}), 0);
    const r = t.registerBroker(reg({ brokerId: 1, brokerAddr: '10.0.0.2:10911', haServerAddr: '10.0.0.2:10912', channel: chB, topics: [topicConfig('T', { readQueueNums: 99, writeQueueNums: 99 })], counter: 7 }), 0);
    expect(r).toEqual({ masterAddr: '10.0.0.1:10911', haServerAddr: '10.0.0.1:10912' });
    expect(t.topicRoute('T')?.queueDatas[0]?.readQueueNums).toBe(4);
    expect(t.topicRoute('T')?.brokerDatas[0]?.brokerAddrs).toEqual({ '0': '10.0.0.1:10911', '1': '10.0.0.2:10911' });
  });

  it("a master's removal leaves its slave in the route; the group goes with its last member", () => {
    const t = new RouteTable<Ch>();
    t.registerBroker(reg({}), 0);
    t.registerBroker(reg({ brokerId: 1, brokerAddr: '10.0.0.2:10911', channel: chB }), 0);
    const events: RouteEvent[] = [];
    t.channelClosed(chA, events);
    expect(events).toEqual([{ type: 'left', clusterName: 'C', brokerName: 'broker-a', brokerId: 0, brokerAddr: '10.0.0.1:10911', reason: { kind: 'connection closed' }, groupGone: false }]);
    const route = t.topicRoute('T');
    expect(route?.brokerDatas[0]?.brokerAddrs).toEqual({ '1': '10.0.0.2:10911' });
    expect(route?.queueDatas).toHaveLength(1);
    t.unregisterBroker({ clusterName: 'C', brokerAddr: '10.0.0.2:10911', brokerName: 'broker-a' }, events);
    expect(events.at(-1)).toMatchObject({ type: 'left', reason: { kind: 'unregistered' }, groupGone: true });
    expect(t.topicRoute('T')).toBeUndefined();
    expect(t.clusterInfo()).toEqual({ brokerAddrTable: {}, clusterAddrTable: {} });
  });

  it('drops every broker registered over a closed channel', () => {
    const t = new RouteTable<Ch>();
    t.registerBroker(reg({}), 0);
    t.registerBroker(reg({ brokerName: 'broker-b', brokerAddr: '10.0.0.3:10911', topics: [topicConfig('T')] }), 0);
    t.registerBroker(reg({ brokerName: 'broker-c', brokerAddr: '10.0.0.4:10911', channel: chB }), 0);
    t.channelClosed(chA);
    expect(t.liveBrokers(0).map((b) => b.brokerName)).toEqual(['broker-c']);
  });

  it('expires a silent broker after its own timeout, and hands back channels no one uses', () => {
    const t = new RouteTable<Ch>(120_000);
    t.registerBroker(reg({ heartbeatTimeoutMillis: 10_000 }), 0);
    t.registerBroker(reg({ brokerName: 'broker-b', brokerAddr: '10.0.0.3:10911', channel: chB }), 0);
    expect(t.expire(10_000)).toEqual([]);
    expect(t.touch('C', '10.0.0.1:10911', 5_000)).toBe(true);
    expect(t.expire(15_000)).toEqual([]);
    const events: RouteEvent[] = [];
    expect(t.expire(15_001, events)).toEqual([chA]);
    expect(events).toEqual([{ type: 'left', clusterName: 'C', brokerName: 'broker-a', brokerId: 0, brokerAddr: '10.0.0.1:10911', reason: { kind: 'expired', silentMillis: 10_001, timeoutMillis: 10_000 }, groupGone: true }]);
    expect(t.liveBrokerCount).toBe(1);
    expect(t.touch('C', '10.0.0.9:1', 0)).toBe(false);
  });

  it('moves an address that switches from slave to master', () => {
    const t = new RouteTable<Ch>();
    t.registerBroker(reg({ brokerId: 1, brokerAddr: '10.0.0.2:10911' }), 0);
    t.registerBroker(reg({ brokerId: 0, brokerAddr: '10.0.0.2:10911', counter: 2 }), 1);
    expect(t.topicRoute('T')?.brokerDatas[0]?.brokerAddrs).toEqual({ '0': '10.0.0.2:10911' });
  });

  it('ignores a registration that takes an id held by a broker with a newer state version', () => {
    const t = new RouteTable<Ch>();
    const first = reg({});
    first.topicConfigWrapper.dataVersion.stateVersion = 5;
    t.registerBroker(first, 0);
    const events: RouteEvent[] = [];
    t.registerBroker(reg({ brokerAddr: '10.0.0.9:10911', channel: chB }), 1, events);
    expect(events[0]).toMatchObject({ type: 'rejected', brokerAddr: '10.0.0.9:10911' });
    expect(t.topicRoute('T')?.brokerDatas[0]?.brokerAddrs).toEqual({ '0': '10.0.0.1:10911' });
  });

  it('deletes a topic from one cluster only', () => {
    const t = new RouteTable<Ch>();
    t.registerBroker(reg({}), 0);
    t.registerBroker(reg({ clusterName: 'D', brokerName: 'broker-d', brokerAddr: '10.0.0.5:10911' }), 0);
    expect(t.topicsByCluster('D')).toEqual(['T']);
    expect(t.deleteTopic('T', 'D')).toBe(true);
    expect(t.topicRoute('T')?.queueDatas.map((q) => q.brokerName)).toEqual(['broker-a']);
  });

  it('wipes and restores write permission of a broker group', () => {
    const t = new RouteTable<Ch>();
    t.registerBroker(reg({ topics: [topicConfig('T'), topicConfig('U', { perm: Perm.READ | Perm.WRITE | Perm.INHERIT })] }), 0);
    expect(t.setWritePerm('broker-a', false)).toBe(2);
    expect(t.topicRoute('U')?.queueDatas[0]?.perm).toBe(Perm.READ | Perm.INHERIT);
    expect(t.setWritePerm('broker-a', true)).toBe(2);
    expect(t.topicRoute('U')?.queueDatas[0]?.perm).toBe(Perm.READ | Perm.WRITE);
  });

  it('registers a topic only on known broker groups', () => {
    const t = new RouteTable<Ch>();
    t.registerBroker(reg({}), 0);
    const qd = { brokerName: 'broker-a', readQueueNums: 2, writeQueueNums: 2, perm: 6, topicSysFlag: 0 };
    expect(t.registerTopic('New', [qd])).toBe(true);
    expect(t.registerTopic('Bad', [{ ...qd, brokerName: 'nope' }])).toBe(false);
    expect(t.topics()).toEqual(['New', 'T']);
  });

  it('lists system topics (cluster and broker names) with a broker to ask', () => {
    const t = new RouteTable<Ch>();
    t.registerBroker(reg({}), 0);
    expect(t.systemTopics()).toEqual({ topics: ['C', 'broker-a'], brokerAddr: '10.0.0.1:10911' });
  });
});
