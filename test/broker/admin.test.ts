/**
 * Topic administration, queries and refusals of a real broker process, checked over the wire:
 * UPDATE_AND_CREATE_TOPIC / DELETE_TOPIC_IN_BROKER / GET_ALL_TOPIC_CONFIG, GET_TOPIC_STATS_INFO in
 * fastjson's object-keyed form, offset queries, the send refusals of docs/design/protocol.md#send, a SLAVE's
 * and a read-only broker's answers, and topics surviving a restart.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RequestCode, ResponseCode } from '../../src/remoting/codes.js';
import { encodeHeader } from '../../src/protocol/header-spec.js';
import { GetTopicStatsInfoRequestHeader, SendMessageRequestHeaderV2 } from '../../src/protocol/headers/broker.js';
import { createRequest, type RemotingCommand } from '../../src/remoting/command.js';
import { startCluster } from '../support/cluster.js';
import { clientsFor, createTopic, type Clients } from '../support/clients.js';
import { waitFor } from '../support/wait.js';

function rawSend(cl: Clients, addr: string, fields: Partial<Record<'b' | 'e' | 'f' | 'i', string | number>>, body: Buffer = Buffer.from('x')): Promise<RemotingCommand> {
  const ext = encodeHeader(SendMessageRequestHeaderV2, { a: 'PG', b: 'T', c: 'TBW102', d: 4, e: 0, f: 0, g: Date.now(), h: 0, i: '', ...fields } as never);
  return cl.remoting.request(addr, createRequest(RequestCode.SEND_MESSAGE_V2, { extFields: ext, body }), 5_000);
}

describe('broker administration and refusals', () => {
  it('creates, validates, reports and deletes topics; the NameServer follows at once', async () => {
    const c = await startCluster();
    const cl = clientsFor(c);
    const addr = c.broker('broker-a').addr;
    const create = (topicName: string, extra: Partial<{ readQueueNums: number; writeQueueNums: number; perm: number; attributes: string }> = {}) =>
      cl.brokers.createTopic(addr, { topicName, readQueueNums: 2, writeQueueNums: 2, perm: 6, ...extra });

    await expect(create('bad topic!')).rejects.toMatchObject({ responseCode: ResponseCode.INVALID_PARAMETER, remark: expect.stringContaining('illegal characters') });
    await expect(create('x'.repeat(128))).rejects.toMatchObject({ responseCode: ResponseCode.INVALID_PARAMETER, remark: expect.stringContaining('max length: 127') });
    await expect(create('SCHEDULE_TOPIC_XXXX')).rejects.toMatchObject({ responseCode: ResponseCode.INVALID_PARAMETER, remark: expect.stringContaining('conflict with system topic') });
    await expect(create('broker-a')).rejects.toMatchObject({ remark: expect.stringContaining('conflict with system topic') });
    await expect(create('PermTopic', { perm: 9 })).rejects.toMatchObject({ remark: expect.stringContaining('perm 9 is invalid') });
    await expect(create('QTopic', { readQueueNums: 0, writeQueueNums: 0 })).rejects.toMatchObject({ remark: expect.stringContaining('both 0') });
    await expect(create('QTopic', { writeQueueNums: 100_000 })).rejects.toMatchObject({ remark: expect.stringContaining('out of range') });
    await expect(create('AttrTopic', { attributes: '+retention=1' })).rejects.toMatchObject({ remark: expect.stringContaining('not supported') });

    const v0 = (await cl.brokers.allTopicConfig(addr)).dataVersion.counter;
    await create('Managed', { attributes: '+message.type=FIFO' });
    const all = await cl.brokers.allTopicConfig(addr);
    expect(all.dataVersion.counter).toBe(v0 + 1);
    expect(all.topicConfigTable.Managed).toMatchObject({ readQueueNums: 2, writeQueueNums: 2, perm: 6, attributes: { 'message.type': 'FIFO' } });
    expect(all.topicConfigTable.TBW102).toMatchObject({ perm: 7, readQueueNums: 8, writeQueueNums: 8 });
    for (const sys of ['SELF_TEST_TOPIC', 'BenchmarkTest', 'DefaultCluster', 'broker-a', 'OFFSET_MOVED_EVENT', 'SCHEDULE_TOPIC_XXXX']) expect(all.topicConfigTable[sys]).toBeDefined();
    // the same config again changes nothing (no new data version, no re-registration)
    await create('Managed', { attributes: '+message.type=FIFO' });
    expect((await cl.brokers.allTopicConfig(addr)).dataVersion.counter).toBe(v0 + 1);
    // the route follows at once, not at the next 30 s registration
    await waitFor(async () => (await cl.admin.topicRoute('Managed'))?.queueDatas[0]?.writeQueueNums === 2, { timeout: 3_000, what: 'the route' });
    await create('Managed', { readQueueNums: 4, writeQueueNums: 4 });
    await waitFor(async () => (await cl.admin.topicRoute('Managed'))?.queueDatas[0]?.writeQueueNums === 4, { timeout: 3_000, what: 'the updated route' });

    // topic stats: the object-keyed form Java's admin decodes (docs/design/protocol.md#maps-keyed-by-objects, apache/rocketmq issue #3389)
    const p = cl.producer();
    await createTopic(cl, c, addr, 'Stats', 2);
    const first = await p.send({ topic: 'Stats', body: 'a' });
    await p.send({ topic: 'Stats', body: 'b' });
    const res = await cl.remoting.requestOk(addr, createRequest(RequestCode.GET_TOPIC_STATS_INFO, { extFields: encodeHeader(GetTopicStatsInfoRequestHeader, { topic: 'Stats' }) }));
    expect(res.body!.toString()).toMatch(
      /^\{"offsetTable":\{\{"brokerName":"broker-a","queueId":0,"topic":"Stats"\}:\{"lastUpdateTimestamp":\d+,"maxOffset":1,"minOffset":0\},\{"brokerName":"broker-a","queueId":1,"topic":"Stats"\}:\{"lastUpdateTimestamp":\d+,"maxOffset":1,"minOffset":0\}\},"topicPutTps":\d+\.\d+\}$/,
    );
    const stats = await cl.brokers.topicStats(addr, 'Stats');
    expect(stats.queues.map((q) => [q.queueId, q.minOffset, q.maxOffset])).toEqual([[0, 0, 1], [1, 0, 1]]);
    await expect(cl.brokers.topicStats(addr, 'Nope')).rejects.toMatchObject({ responseCode: ResponseCode.TOPIC_NOT_EXIST });

    // offset queries
    const q = first.messageQueue.queueId;
    expect(await cl.brokers.maxOffset(addr, 'Stats', q)).toBe(1);
    expect(await cl.brokers.minOffset(addr, 'Stats', q)).toBe(0);
    const stored = stats.queues[q]!.lastUpdateTimestamp;
    expect(await cl.brokers.earliestMessageStoreTime(addr, 'Stats', q)).toBe(stored);
    expect(await cl.brokers.searchOffset(addr, 'Stats', q, stored)).toBe(0);
    expect(await cl.brokers.searchOffset(addr, 'Stats', q, stored + 1)).toBe(1);
    expect(await cl.brokers.maxOffset(addr, 'NeverSeen', 0)).toBe(0);
    const info = await cl.brokers.runtimeInfo(addr);
    expect(Number(info.msgPutTotalTodayNow)).toBe(2);
    for (const k of ['brokerVersionDesc', 'commitLogMaxOffset', 'commitLogDirCapacity', 'runtime', 'putTps', 'earliestMessageTimeStamp']) expect(info[k]).toBeDefined();

    // delete: gone from the broker (pull answers TOPIC_NOT_EXIST) and from the route
    await expect(cl.brokers.deleteTopic(addr, 'TBW102')).rejects.toMatchObject({ remark: expect.stringContaining('conflict with system topic') });
    await cl.brokers.deleteTopic(addr, 'Stats');
    await cl.brokers.deleteTopic(addr, 'Stats'); // idempotent
    await expect(cl.brokers.pull(addr, { consumerGroup: 'CG', topic: 'Stats', queueId: 0, queueOffset: 0 })).rejects.toMatchObject({ responseCode: ResponseCode.TOPIC_NOT_EXIST });
    expect((await cl.brokers.allTopicConfig(addr)).topicConfigTable.Stats).toBeUndefined();
    // like Java, a NameServer keeps a deleted topic's queue data until told (mqadmin and `rmqctl topic delete` send DELETE_TOPIC_IN_NAMESRV)
  });

  it('refuses sends as RocketMQ does: system topics, bad names, bad queues, oversized bodies, transactions; creates unknown topics through TBW102', async () => {
    const c = await startCluster({ brokerProperties: { maxMessageSize: 4096 } });
    const cl = clientsFor(c);
    const addr = c.broker('broker-a').addr;
    await createTopic(cl, c, addr, 'T', 2);
    const code = async (fields: Parameters<typeof rawSend>[2], body?: Buffer) => {
      const r = await rawSend(cl, addr, fields, body);
      return [r.code, r.remark];
    };
    expect(await code({})).toEqual([ResponseCode.SUCCESS, undefined]);
    expect(await code({ b: 'SCHEDULE_TOPIC_XXXX' })).toEqual([ResponseCode.NO_PERMISSION, 'Sending message to topic[SCHEDULE_TOPIC_XXXX] is forbidden.']);
    expect((await code({ b: 'bad/topic' }))[0]).toBe(ResponseCode.INVALID_PARAMETER);
    expect((await code({ e: 2 }))[0]).toBe(ResponseCode.INVALID_PARAMETER);
    const [bigCode, bigRemark] = await code({}, Buffer.alloc(5000));
    expect(bigCode).toBe(ResponseCode.MESSAGE_ILLEGAL);
    expect(bigRemark).toMatch(/5000 bytes exceeds maxMessageSize 4096/);
    expect((await code({ f: 4 }))[0]).toBe(ResponseCode.NO_PERMISSION); // a prepared (transactional) message
    const ok = await rawSend(cl, addr, { e: -1 });
    expect(Number(ok.extFields!.queueId)).toBeLessThan(2); // a negative queue id: the broker picks one
    expect(ok.extFields).toMatchObject({ MSG_REGION: 'DefaultRegion', TRACE_ON: 'true' });

    // unknown topic: created from TBW102 with min(client's 4, TBW102's 8) queues and registered
    const r = await rawSend(cl, addr, { b: 'AutoCreated' });
    expect(r.code).toBe(ResponseCode.SUCCESS);
    expect((await cl.brokers.allTopicConfig(addr)).topicConfigTable.AutoCreated).toMatchObject({ readQueueNums: 4, writeQueueNums: 4, perm: 6 });
    await waitFor(async () => (await cl.admin.topicRoute('AutoCreated')) !== undefined, { timeout: 3_000, what: 'the auto-created route' });
    // and our producer does the same for a topic without a route (through TBW102's route)
    const viaProducer = await cl.producer().send({ topic: 'AutoByProducer', body: 'x' });
    expect(viaProducer.sendStatus).toBe('SEND_OK');
  });

  it('with autoCreateTopicEnable=false: no TBW102, unknown topics refused; a SLAVE rejects sends; a read-only broker refuses them', async () => {
    const c = await startCluster({
      brokers: [
        { name: 'broker-a', properties: { autoCreateTopicEnable: false } },
        { name: 'broker-a', id: 1, properties: { autoCreateTopicEnable: false } },
        { name: 'broker-r', properties: { brokerPermission: 4 } },
      ],
    });
    const cl = clientsFor(c);
    const master = c.broker('broker-a').addr;
    expect((await cl.brokers.allTopicConfig(master)).topicConfigTable.TBW102).toBeUndefined();
    const unknown = await rawSend(cl, master, { b: 'NotThere' });
    expect(unknown.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    await expect(cl.producer().send({ topic: 'NotThere', body: 'x' })).rejects.toThrow(/No route info of this topic: NotThere/);

    const slave = c.broker('broker-a', 1).addr;
    await waitFor(async () => (await cl.brokers.haStatus(slave)).haClientRuntimeInfo.state === 'replicating', { what: 'the slave to follow its master' });
    const refused = await rawSend(cl, slave, { b: 'BenchmarkTest' });
    expect([refused.code, refused.remark]).toEqual([ResponseCode.SYSTEM_BUSY, '[REJECTREQUEST]system busy, start flow control for a while']);
    const pulled = await cl.brokers.pull(slave, { consumerGroup: 'CG', topic: 'BenchmarkTest', queueId: 0, queueOffset: 0 });
    expect(pulled).toMatchObject({ status: 'NO_MATCHED_MSG', suggestWhichBrokerId: 0 }); // back to the master while it is alive

    const readOnly = c.broker('broker-r').addr;
    const ro = await rawSend(cl, readOnly, { b: 'BenchmarkTest' });
    expect(ro.code).toBe(ResponseCode.NO_PERMISSION);
    // it registers its topics without the write bit, so producers route around it
    const route = await cl.admin.topicRoute('BenchmarkTest');
    expect(route?.queueDatas.find((q) => q.brokerName === 'broker-r')?.perm).toBe(4);
  });

  it('keeps topics (topics.json, RocketMQ layout) and messages across a restart', async () => {
    const c = await startCluster();
    const cl = clientsFor(c);
    const node = c.broker('broker-a');
    await createTopic(cl, c, node.addr, 'Durable', 3);
    const sent = await cl.producer().send({ topic: 'Durable', body: 'kept' });
    const file = JSON.parse(readFileSync(path.join(node.dir, 'store', 'config', 'topics.json'), 'utf8')) as { dataVersion: { counter: number }; topicConfigTable: Record<string, unknown> };
    expect(file.topicConfigTable.Durable).toEqual({ attributes: {}, order: false, perm: 6, readQueueNums: 3, topicFilterType: 'SINGLE_TAG', topicName: 'Durable', topicSysFlag: 0, writeQueueNums: 3 });
    expect(await node.stop()).toBe(0);
    await node.start();
    expect((await cl.brokers.allTopicConfig(node.addr)).topicConfigTable.Durable).toMatchObject({ readQueueNums: 3 });
    const r = await cl.brokers.pull(node.addr, { consumerGroup: 'CG', topic: 'Durable', queueId: sent.messageQueue.queueId, queueOffset: 0 });
    expect(r.status).toBe('FOUND');
  });
});
