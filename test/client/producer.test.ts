/**
 * The producer's routing against a real two-broker cluster: round robin over both groups, retry on
 * the other group when a broker is gone (killed) or answers a retryable code, staying away from the
 * failed broker, and the client-side checks that refuse a bad message before any network call.
 */
import { describe, expect, it } from 'vitest';
import { InvalidMessageError } from '../../src/client/message.js';
import { SendError } from '../../src/client/producer.js';
import { BrokerFaults, TopicPublishInfo } from '../../src/client/publish-info.js';
import type { TopicRouteData } from '../../src/protocol/route.js';
import { startCluster } from '../support/cluster.js';
import { clientsFor, createTopic } from '../support/clients.js';

describe('producer', () => {
  it('spreads over both broker groups, and when one is killed every send still succeeds on the other', async () => {
    const c = await startCluster({ brokers: [{ name: 'broker-a' }, { name: 'broker-b' }] });
    const cl = clientsFor(c);
    for (const b of ['broker-a', 'broker-b']) await createTopic(cl, c, c.broker(b).addr, 'Spread', 2);
    await waitForBothRouted(cl);
    const p = cl.producer({ faultIsolationMillis: 60_000 });
    const before = await Promise.all(Array.from({ length: 40 }, (_, i) => p.send({ topic: 'Spread', body: `m${i}` })));
    const perBroker = (rs: { messageQueue: { brokerName: string } }[]) => rs.reduce<Record<string, number>>((m, r) => ({ ...m, [r.messageQueue.brokerName]: (m[r.messageQueue.brokerName] ?? 0) + 1 }), {});
    // round robin over the four queues (a slow answer on a loaded machine may steer a few sends away for a moment)
    expect(perBroker(before)['broker-a']).toBeGreaterThanOrEqual(10);
    expect(perBroker(before)['broker-b']).toBeGreaterThanOrEqual(10);

    await c.broker('broker-a').kill9();
    // the producer still has the old route: attempts on broker-a fail and are retried on broker-b
    const after = [];
    for (let i = 0; i < 20; i++) after.push(await p.send({ topic: 'Spread', body: `n${i}` }));
    expect(perBroker(after)).toEqual({ 'broker-b': 20 });
  });

  it('retries a retryable answer (TOPIC_NOT_EXIST) on another broker group; a non-retryable one fails at once', async () => {
    const c = await startCluster({ brokers: [{ name: 'broker-a', properties: { autoCreateTopicEnable: false, maxMessageSize: 2048 } }, { name: 'broker-b', properties: { maxMessageSize: 2048 } }] });
    const cl = clientsFor(c);
    for (const b of ['broker-a', 'broker-b']) await createTopic(cl, c, c.broker(b).addr, 'Retry', 1);
    await waitForBothRouted(cl, 'Retry');
    // broker-a forgets the topic; the NameServer keeps routing to it (as Java's does until told)
    await cl.brokers.deleteTopic(c.broker('broker-a').addr, 'Retry');
    const p = cl.producer({ maxMessageSize: 1024 * 1024 });
    for (let i = 0; i < 6; i++) expect((await p.send({ topic: 'Retry', body: 'x' })).messageQueue.brokerName).toBe('broker-b');
    // MESSAGE_ILLEGAL is not retried: one attempt, the broker's remark in the error
    const err = await p.send({ topic: 'Retry', body: Buffer.alloc(4000) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SendError);
    expect((err as SendError).responseCode).toBe(13);
    expect((err as SendError).attempts).toHaveLength(1);
    expect((err as Error).message).toMatch(/exceeds maxMessageSize 2048/);
  });

  it('checks messages before sending, as the Java client does', async () => {
    const c = await startCluster();
    const p = clientsFor(c).producer();
    await expect(p.send({ topic: 'bad topic', body: 'x' })).rejects.toBeInstanceOf(InvalidMessageError);
    await expect(p.send({ topic: 'T', body: '' })).rejects.toThrow(/body is empty/);
    await expect(p.send({ topic: 'T', body: 'x', properties: { KEYS: 'k' } })).rejects.toThrow(/used by RocketMQ itself/);
    await expect(p.send({ topic: 'T', body: 'x', properties: { 'a\u0001b': 'v' } })).rejects.toThrow(/separate properties/);
    await expect(p.send({ topic: 'T', body: 'x', keys: ['has space'] })).rejects.toThrow(/contains a space/);
    await expect(p.sendBatch([{ topic: 'A', body: 'x' }, { topic: 'B', body: 'y' }])).rejects.toThrow(/a batch takes one topic/);
    await expect(p.send({ topic: 'NoSuchTopicAnywhere', body: 'x' }, 2_000)).resolves.toMatchObject({ sendStatus: 'SEND_OK' }); // created through TBW102
  });
});

async function waitForBothRouted(cl: ReturnType<typeof clientsFor>, topic = 'Spread'): Promise<void> {
  const { waitFor } = await import('../support/wait.js');
  await waitFor(async () => (await cl.admin.topicRoute(topic))?.queueDatas.length === 2, { what: `${topic} routed on both brokers` });
}

describe('queue selection (TopicPublishInfo, BrokerFaults)', () => {
  const route: TopicRouteData = {
    queueDatas: [
      { brokerName: 'b', readQueueNums: 2, writeQueueNums: 2, perm: 6, topicSysFlag: 0 },
      { brokerName: 'a', readQueueNums: 2, writeQueueNums: 2, perm: 6, topicSysFlag: 0 },
      { brokerName: 'ro', readQueueNums: 2, writeQueueNums: 2, perm: 4, topicSysFlag: 0 },
      { brokerName: 'nomaster', readQueueNums: 2, writeQueueNums: 2, perm: 6, topicSysFlag: 0 },
    ],
    brokerDatas: [
      { cluster: 'C', brokerName: 'a', brokerAddrs: { '0': 'a:1' }, enableActingMaster: false },
      { cluster: 'C', brokerName: 'b', brokerAddrs: { '0': 'b:1' }, enableActingMaster: false },
      { cluster: 'C', brokerName: 'ro', brokerAddrs: { '0': 'ro:1' }, enableActingMaster: false },
      { cluster: 'C', brokerName: 'nomaster', brokerAddrs: { '1': 'n:1' }, enableActingMaster: false },
    ],
    filterServerTable: {},
  };

  it('takes writable queues of groups with a master, sorted by broker name, round robin; caps queues through TBW102', () => {
    const info = TopicPublishInfo.fromRoute('T', route);
    expect(info.queues.map((q) => `${q.brokerName}/${q.queueId}`)).toEqual(['a/0', 'a/1', 'b/0', 'b/1']);
    const picks = Array.from({ length: 8 }, () => info.select(() => false));
    expect(new Set(picks.map((q) => `${q.brokerName}/${q.queueId}`)).size).toBe(4);
    expect(TopicPublishInfo.fromRoute('T', route, 1).queues.map((q) => `${q.brokerName}/${q.queueId}`)).toEqual(['a/0', 'b/0']);
    // avoiding a broker: only the other one, unless nothing else is left
    expect(Array.from({ length: 6 }, () => info.select((b) => b === 'a').brokerName)).toEqual(Array(6).fill('b'));
    expect(info.select(() => true).brokerName).toMatch(/^[ab]$/);
  });

  it('avoids a failed broker for its isolation time, a slow one for a time that grows with the latency', () => {
    let now = 1_000;
    const f = new BrokerFaults(10_000, () => now);
    f.failed('a');
    expect(f.isAvoided('a')).toBe(true);
    now += 10_001;
    expect(f.isAvoided('a')).toBe(false);
    f.latency('b', 600);
    expect(f.isAvoided('b')).toBe(true);
    now += 2_001;
    expect(f.isAvoided('b')).toBe(false);
    f.latency('b', 20);
    expect(f.isAvoided('b')).toBe(false);
  });
});
