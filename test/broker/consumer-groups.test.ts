/**
 * The broker's consumer-group side against real `rmqd namesrv` + `rmqd broker` processes, driven
 * over the wire with raw protocol calls (GroupApi/BrokerApi): heartbeats and membership (notify,
 * close, silence), consumer offsets (commit, piggy-back, -1 ignored, persisted across clean and
 * kill -9 restarts), subscription groups (auto-create off → 26), the pull checks that depend on
 * heartbeat subscriptions (24/25), admin (consume stats, connections, reset by time).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GroupApi } from '../../src/client/group-api.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { RequestCode, ResponseCode } from '../../src/remoting/codes.js';
import { subscriptionGroupConfig } from '../../src/protocol/group-config.js';
import { encodeHeader } from '../../src/protocol/header-spec.js';
import { GetConsumerListByGroupRequestHeader, PullMessageRequestHeader } from '../../src/protocol/headers/broker.js';
import { decodeConsumerIdList, encodeConsumerIdList } from '../../src/protocol/consumer-bodies.js';
import type { ConsumerData, HeartbeatData } from '../../src/protocol/heartbeat.js';
import { javaStringHashCode } from '../../src/protocol/message/tags.js';
import { createRequest, createResponse, type RemotingCommand } from '../../src/remoting/command.js';
import { HandlerTable } from '../../src/remoting/dispatcher.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { clientsFor, createTopic } from '../support/clients.js';
import { startServer } from '../support/remoting.js';
import { waitFor } from '../support/wait.js';

/** A consumer's connection as the broker sees it: heartbeats, and the NOTIFY requests it receives. */
function fakeConsumer(c: TestCluster, clientID: string) {
  const notified: RemotingCommand[] = [];
  const dispatcher = new HandlerTable().on(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, (req) => {
    notified.push(req);
    return createResponse(req, ResponseCode.SUCCESS);
  });
  const remoting = new RemotingClient({ dispatcher });
  const api = new GroupApi(remoting, 5_000);
  const consumerData = (group: string, topic: string, sub = '*', subVersion = 1_000, model: ConsumerData['messageModel'] = 'CLUSTERING'): ConsumerData => ({
    groupName: group,
    consumeType: 'CONSUME_PASSIVELY',
    messageModel: model,
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
    unitMode: false,
    subscriptionDataSet: [
      {
        topic,
        subString: sub,
        classFilterMode: false,
        tagsSet: sub === '*' ? [] : sub.split('||').map((t) => t.trim()),
        codeSet: sub === '*' ? [] : sub.split('||').map((t) => javaStringHashCode(t.trim())),
        subVersion,
        expressionType: 'TAG',
      },
    ],
  });
  const heartbeat = (consumers: ConsumerData[], producers: string[] = []) => {
    const hb: HeartbeatData = { clientID, consumerDataSet: consumers, producerDataSet: producers.map((groupName) => ({ groupName })), heartbeatFingerprint: 0, withoutSub: false };
    return api.heartbeat(c.broker('broker-a').addr, hb);
  };
  /** Heartbeats every 300 ms until stopped (what a live client does, much faster than its 30 s). */
  const keepAlive = (consumers: ConsumerData[]) => {
    const t = setInterval(() => void heartbeat(consumers).catch(() => {}), 300);
    return () => clearInterval(t);
  };
  return { remoting, api, notified, heartbeat, keepAlive, consumerData, close: () => remoting.shutdown() };
}

/** A pull without the subscription flag: the broker must use what the group's heartbeat declared. */
async function pullWithoutSubscription(remoting: RemotingClient, addr: string, group: string, topic: string, subVersion: number): Promise<RemotingCommand> {
  const ext = encodeHeader(PullMessageRequestHeader, { consumerGroup: group, topic, queueId: 0, queueOffset: 0, maxMsgNums: 32, sysFlag: 0, commitOffset: 0, suspendTimeoutMillis: 0, subVersion });
  return remoting.request(addr, createRequest(RequestCode.PULL_MESSAGE, { extFields: ext }), 5_000);
}

describe('consumer groups on the broker', () => {
  it('lists a member once while it holds two connections (it reconnected; the old one is not closed yet)', async () => {
    const c = await startCluster({ brokers: [{ name: 'broker-a' }] });
    const cl = clientsFor(c);
    const addr = c.broker('broker-a').addr;
    await createTopic(cl, c, addr, 'Twice', 4);
    const old = fakeConsumer(c, '10.0.0.9@twice');
    const fresh = fakeConsumer(c, '10.0.0.9@twice');
    const other = fakeConsumer(c, '10.0.0.8@other');
    for (const f of [old, fresh, other]) await f.heartbeat([f.consumerData('GT', 'Twice')]);
    // three connections of two members, as the broker holds them
    expect((await new GroupApi(cl.remoting, 5_000).consumerConnections(addr, 'GT'))?.connectionSet).toHaveLength(3);
    // the raw answer (GroupApi would hide a duplicate): each member once, else every consumer's
    // allocation counts three members and a third of the queues goes unread
    const res = await cl.remoting.request(addr, createRequest(RequestCode.GET_CONSUMER_LIST_BY_GROUP, { extFields: encodeHeader(GetConsumerListByGroupRequestHeader, { consumerGroup: 'GT' }) }), 5_000);
    expect(decodeConsumerIdList(res.body).sort()).toEqual(['10.0.0.8@other', '10.0.0.9@twice']);
    for (const f of [old, fresh, other]) f.close();
  });

  it('a client allocates over each member once, whatever a broker lists', async () => {
    const server = await startServer({
      dispatcher: new HandlerTable().on(RequestCode.GET_CONSUMER_LIST_BY_GROUP, (req) => createResponse(req, ResponseCode.SUCCESS, { body: encodeConsumerIdList(['b@1', 'a@1', 'b@1']) })),
    });
    const remoting = new RemotingClient();
    try {
      expect((await new GroupApi(remoting, 5_000).consumerIds(server.addr, 'G')).sort()).toEqual(['a@1', 'b@1']);
    } finally {
      remoting.shutdown();
    }
  });

  it('tracks group membership: heartbeats join, NOTIFY on change, unregister, closed connections at once, silent clients after channelExpiredTimeout', async () => {
    const c = await startCluster({ brokers: [{ name: 'broker-a', properties: { channelExpiredTimeout: 1_500 } }] });
    const cl = clientsFor(c);
    const addr = c.broker('broker-a').addr;
    await createTopic(cl, c, addr, 'Members', 4);
    const a = fakeConsumer(c, '10.0.0.1@a');
    const b = fakeConsumer(c, '10.0.0.2@b');
    const admin = new GroupApi(cl.remoting, 5_000);

    expect(await admin.consumerIds(addr, 'G1')).toEqual([]);
    await a.heartbeat([a.consumerData('G1', 'Members')], ['PG1']);
    const stopA = a.keepAlive([a.consumerData('G1', 'Members')]);
    expect(await admin.consumerIds(addr, 'G1')).toEqual(['10.0.0.1@a']);
    // the heartbeat created the group's retry topic, and the NameServer routes it
    await waitFor(async () => (await cl.admin.topicRoute('%RETRY%G1')) !== undefined, { what: 'a route for %RETRY%G1' });

    const before = a.notified.length;
    await b.heartbeat([b.consumerData('G1', 'Members')]);
    expect((await admin.consumerIds(addr, 'G1')).sort()).toEqual(['10.0.0.1@a', '10.0.0.2@b']);
    await waitFor(() => a.notified.length > before, { what: 'a NOTIFY_CONSUMER_IDS_CHANGED to the first member' });
    expect(a.notified.at(-1)?.extFields?.consumerGroup).toBe('G1');
    expect((a.notified.at(-1)!.flag & 2) !== 0).toBe(true); // oneway

    const conns = await admin.consumerConnections(addr, 'G1');
    expect(conns?.connectionSet.map((x) => x.clientId).sort()).toEqual(['10.0.0.1@a', '10.0.0.2@b']);
    expect(conns?.messageModel).toBe('CLUSTERING');
    expect(Object.keys(conns?.subscriptionTable ?? {})).toEqual(['Members']);

    // unregister: gone at once, the other member is told
    const n = a.notified.length;
    await b.api.unregisterClient(addr, '10.0.0.2@b', { consumerGroup: 'G1' });
    expect(await admin.consumerIds(addr, 'G1')).toEqual(['10.0.0.1@a']);
    await waitFor(() => a.notified.length > n, { what: 'a NOTIFY after the unregister' });

    // a connection that closes leaves at once
    await b.heartbeat([b.consumerData('G1', 'Members')]);
    expect(await admin.consumerIds(addr, 'G1')).toHaveLength(2);
    b.close();
    await waitFor(async () => (await admin.consumerIds(addr, 'G1')).length === 1, { timeout: 2_000, what: 'the closed connection to leave the group' });

    // silence: a client that stops heartbeating is dropped after channelExpiredTimeout (1.5 s here) and its connection closed
    const conn = await a.remoting.connection(addr);
    expect(await admin.consumerIds(addr, 'G1')).toEqual(['10.0.0.1@a']);
    stopA();
    await waitFor(async () => (await admin.consumerIds(addr, 'G1')).length === 0, { timeout: 8_000, what: 'the silent client to expire' });
    await waitFor(() => conn.isClosed, { timeout: 2_000, what: 'the broker to close the silent client' });
    expect(c.broker('broker-a').lines.some((l) => /consumer left .*why="expired: silent/.test(l))).toBe(true);
    a.close();
  });

  it('a heartbeat still in flight when its client unregisters does not bring the client back (one connection, requests answered in any order)', async () => {
    // ali-ons' close(): its periodic heartbeat is not awaited before UNREGISTER_CLIENT, so both reach the
    // broker in one read on one connection, and the connection stays open (its inner producer keeps it).
    // A heartbeat applied after the unregister left a member that never heartbeats for this group again:
    // the next consumer of the group got only part of the queues until channelExpiredTimeout.
    const c = await startCluster();
    const cl = clientsFor(c);
    const addr = c.broker('broker-a').addr;
    await createTopic(cl, c, addr, 'Ghosts', 2);
    const a = fakeConsumer(c, '10.0.0.1@old');
    const admin = new GroupApi(cl.remoting, 5_000);
    await a.heartbeat([a.consumerData('GHOST', 'Ghosts')], ['PGHOST']);
    expect(await admin.consumerIds(addr, 'GHOST')).toEqual(['10.0.0.1@old']);
    for (let round = 0; round < 3; round++) {
      // issued in one event-loop turn: one batched write, so the broker decodes both in one read
      const hb = a.heartbeat([a.consumerData('GHOST', 'Ghosts')], ['PGHOST']);
      const un = a.api.unregisterClient(addr, '10.0.0.1@old', { consumerGroup: 'GHOST' });
      await Promise.all([hb, un]);
      expect(await admin.consumerIds(addr, 'GHOST'), `round ${round}`).toEqual([]);
      // a heartbeat sent after the unregister's answer joins again, as in RocketMQ
      await a.heartbeat([a.consumerData('GHOST', 'Ghosts')], ['PGHOST']);
      expect(await admin.consumerIds(addr, 'GHOST')).toEqual(['10.0.0.1@old']);
    }
    a.close();
  });

  it('pull checks: 26 for an unknown group with auto-create off, 24 without a heartbeat subscription, 25 for a newer subVersion, the heartbeat’s tag filter otherwise', async () => {
    const c = await startCluster({ brokers: [{ name: 'broker-a', properties: { autoCreateSubscriptionGroup: false } }] });
    const cl = clientsFor(c);
    const addr = c.broker('broker-a').addr;
    await createTopic(cl, c, addr, 'Checks', 1);
    const p = cl.producer();
    for (const tags of ['A', 'B', 'A']) await p.send({ topic: 'Checks', body: `tag ${tags}`, tags });
    const admin = new GroupApi(cl.remoting, 5_000);
    const f = fakeConsumer(c, '10.0.0.9@x');

    await expect(cl.brokers.pull(addr, { consumerGroup: 'NoSuchGroup', topic: 'Checks', queueId: 0, queueOffset: 0 })).rejects.toMatchObject({ responseCode: ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST });
    // a heartbeat of an unknown group is ignored while auto-create is off
    await f.heartbeat([f.consumerData('NoSuchGroup', 'Checks')]);
    expect(await admin.consumerIds(addr, 'NoSuchGroup')).toEqual([]);

    await admin.createSubscriptionGroup(addr, subscriptionGroupConfig('CheckGroup', { retryMaxTimes: 3 }));
    const groups = await admin.subscriptionGroups(addr);
    expect(groups.subscriptionGroupTable.CheckGroup?.retryMaxTimes).toBe(3);
    expect(groups.subscriptionGroupTable.TOOLS_CONSUMER).toBeDefined(); // RocketMQ's system groups are there

    expect((await pullWithoutSubscription(f.remoting, addr, 'CheckGroup', 'Checks', 1_000)).code).toBe(ResponseCode.SUBSCRIPTION_NOT_EXIST);
    await f.heartbeat([f.consumerData('CheckGroup', 'Checks', 'A', 1_000)]);
    expect((await pullWithoutSubscription(f.remoting, addr, 'CheckGroup', 'Checks', 2_000)).code).toBe(ResponseCode.SUBSCRIPTION_NOT_LATEST);
    const ok = await pullWithoutSubscription(f.remoting, addr, 'CheckGroup', 'Checks', 1_000);
    expect(ok.code).toBe(ResponseCode.SUCCESS);
    // filtered by the heartbeat's subscription (tag A): two of the three messages
    const { recordsOf } = await import('../../src/client/broker-api.js');
    expect(recordsOf(ok.body).map((r) => r.body.toString())).toEqual(['tag A', 'tag A']);

    // a disabled group may not pull
    await admin.createSubscriptionGroup(addr, subscriptionGroupConfig('CheckGroup', { consumeEnable: false }));
    await expect(cl.brokers.pull(addr, { consumerGroup: 'CheckGroup', topic: 'Checks', queueId: 0, queueOffset: 0 })).rejects.toMatchObject({ responseCode: ResponseCode.NO_PERMISSION });

    await admin.deleteSubscriptionGroup(addr, 'CheckGroup');
    await expect(cl.brokers.pull(addr, { consumerGroup: 'CheckGroup', topic: 'Checks', queueId: 0, queueOffset: 0 })).rejects.toMatchObject({ responseCode: ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST });
    f.close();
  });

  it('keeps consumer offsets: commits, piggy-backed pull commits, -1 ignored; persisted across a clean restart and a kill -9 (after the periodic flush)', async () => {
    const c = await startCluster({ brokers: [{ name: 'broker-a', properties: { flushConsumerOffsetInterval: 200 } }] });
    const cl = clientsFor(c);
    const broker = c.broker('broker-a');
    await createTopic(cl, c, broker.addr, 'Offsets', 2);
    const p = cl.producer();
    for (let i = 0; i < 6; i++) await p.send({ topic: 'Offsets', body: `m${i}` });
    const admin = new GroupApi(cl.remoting, 5_000);

    expect(await admin.queryConsumerOffset(broker.addr, 'OG', 'Offsets', 0)).toBeUndefined();
    // ali-ons' query (no setZeroIfNotFound): a young queue whose first message is in memory answers 0, as Java does
    const aliQuery = await cl.remoting.request(broker.addr, createRequest(RequestCode.QUERY_CONSUMER_OFFSET, { extFields: { consumerGroup: 'OG', topic: 'Offsets', queueId: '0' } }));
    expect(aliQuery.code).toBe(ResponseCode.SUCCESS);
    expect(aliQuery.extFields?.offset).toBe('0');

    await admin.updateConsumerOffset(broker.addr, 'OG', 'Offsets', 0, 2);
    await admin.updateConsumerOffset(broker.addr, 'OG', 'Offsets', 0, -1); // ali-ons sends -1 for "none": ignored
    expect(await admin.queryConsumerOffset(broker.addr, 'OG', 'Offsets', 0)).toBe(2);
    // the commit carried by a pull (commit flag)
    await cl.brokers.pull(broker.addr, { consumerGroup: 'OG', topic: 'Offsets', queueId: 1, queueOffset: 0, commitOffset: 1 });
    expect(await admin.queryConsumerOffset(broker.addr, 'OG', 'Offsets', 1)).toBe(1);

    await broker.restart();
    expect(await admin.queryConsumerOffset(broker.addr, 'OG', 'Offsets', 0)).toBe(2);
    expect(await admin.queryConsumerOffset(broker.addr, 'OG', 'Offsets', 1)).toBe(1);
    const file = path.join(broker.dir, 'store', 'config', 'consumerOffset.json');
    expect(readFileSync(file, 'utf8')).toContain('"Offsets@OG":{0:2,1:1}'); // RocketMQ's layout: bare Integer keys

    await admin.updateConsumerOffset(broker.addr, 'OG', 'Offsets', 0, 3);
    await waitFor(() => readFileSync(file, 'utf8').includes('"Offsets@OG":{0:3,'), { what: 'the periodic offset flush' });
    await broker.kill9();
    await broker.start();
    expect(await admin.queryConsumerOffset(broker.addr, 'OG', 'Offsets', 0)).toBe(3);
    expect((await admin.allConsumerOffsets(broker.addr)).offsetTable.get('Offsets@OG')?.get(0)).toBe(3);
  });

  it('reports consume stats (broker offset, consumer offset, last time) and resets a group by time, sending its next pull to the new offset', async () => {
    const c = await startCluster();
    const cl = clientsFor(c);
    const addr = c.broker('broker-a').addr;
    await createTopic(cl, c, addr, 'Progress', 1);
    const p = cl.producer();
    const early = await p.send({ topic: 'Progress', body: 'early' });
    const marks: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await p.send({ topic: 'Progress', body: `m${i}` });
      marks.push(r.queueOffset);
    }
    const admin = new GroupApi(cl.remoting, 5_000);
    await admin.updateConsumerOffset(addr, 'PG_STATS', 'Progress', 0, 5);
    const stats = await admin.consumeStats(addr, 'PG_STATS');
    expect(stats.queues).toEqual([{ topic: 'Progress', brokerName: 'broker-a', queueId: 0, brokerOffset: 5, consumerOffset: 5, pullOffset: 5, lastTimestamp: expect.any(Number) }]);
    expect(stats.queues[0]!.lastTimestamp).toBeGreaterThan(0);
    expect(await admin.topicConsumers(addr, 'Progress')).toEqual(['PG_STATS']);

    // reset to the store time of message 2: that queue offset, found by binary search on store time
    const { decodeRecords } = await import('../../src/protocol/message/record.js');
    const got = await cl.brokers.pull(addr, { consumerGroup: 'PG_STATS', topic: 'Progress', queueId: 0, queueOffset: 0, maxMsgNums: 32 });
    const recs = decodeRecords(got.body!);
    const target = recs.find((r) => r.queueOffset === marks[2])!;
    const reset = await admin.resetOffset(addr, { group: 'PG_STATS', topic: 'Progress', timestamp: target.storeTimestamp, force: true });
    // store times are in ms, several messages may share one: the first at or after the time
    const expected = recs.find((r) => r.storeTimestamp >= target.storeTimestamp)!.queueOffset;
    expect(reset).toEqual([{ topic: 'Progress', brokerName: 'broker-a', queueId: 0, offset: expected }]);
    expect(await admin.queryConsumerOffset(addr, 'PG_STATS', 'Progress', 0)).toBe(expected);
    // a commit of the old position is ignored until the group pulls the queue again ...
    await admin.updateConsumerOffset(addr, 'PG_STATS', 'Progress', 0, 5);
    expect(await admin.queryConsumerOffset(addr, 'PG_STATS', 'Progress', 0)).toBe(expected);
    // ... and that pull is sent to the reset offset (PULL_OFFSET_MOVED, remark OFFSET_RESET)
    const moved = await cl.brokers.pull(addr, { consumerGroup: 'PG_STATS', topic: 'Progress', queueId: 0, queueOffset: 5, commitOffset: 5 });
    expect(moved).toMatchObject({ status: 'OFFSET_ILLEGAL', nextBeginOffset: expected, remark: 'OFFSET_RESET' });
    expect(await admin.queryConsumerOffset(addr, 'PG_STATS', 'Progress', 0)).toBe(expected);
    // without force a reset never moves a group forward
    const notForward = await admin.resetOffset(addr, { group: 'PG_STATS', topic: 'Progress', timestamp: -1 });
    expect(notForward[0]!.offset).toBe(expected);
    expect(early.queueOffset).toBe(0);
    await expect(admin.resetOffset(addr, { group: 'NoGroupHere', topic: 'Progress', timestamp: 0 })).rejects.toMatchObject({ responseCode: ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST });
  });
});
