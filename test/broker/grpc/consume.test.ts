/**
 * The official v5 SimpleConsumer (rocketmq-client-nodejs) against a real broker's gRPC port, over
 * the broker's POP engine: every message received and acked once; an unacked one comes back after
 * its invisible duration with delivery attempt 2; change-invisible-duration postpones it; past the
 * group's max attempts it is in %DLQ%<group>. The consumer is in the broker's client tables.
 * Cross-protocol: a v5 Producer's messages read by an ali-ons consumer, an ali-ons producer's read
 * by a v5 SimpleConsumer, with equal body, tag, keys and properties.
 */
import { describe, expect, it } from 'vitest';
import type { MessageView } from 'rocketmq-client-nodejs';
import { GroupApi } from '../../../src/client/group-api.js';
import { subscriptionGroupConfig } from '../../../src/protocol/group-config.js';
import { startCluster } from '../../support/cluster.js';
import { clientsFor, createTopic } from '../../support/clients.js';
import { aliConsumer, aliMessage, aliProducer, type AliReceived } from '../../support/ali-ons.js';
import { waitFor } from '../../support/wait.js';
import { grpcBroker, rawV5Client, unaryCall, v5Metadata, v5Producer, v5SimpleConsumer } from '../../support/v5.js';

describe('v5 SimpleConsumer against rmqd', () => {
  it('receives every message once; an unacked one comes back as attempt 2; change-invisible postpones it; past max attempts it is dead-lettered', async () => {
    const a = await grpcBroker('broker-a');
    const c = await startCluster({ brokers: [a] });
    const cl = clientsFor(c);
    const addr = c.broker('broker-a').addr;
    await createTopic(cl, c, addr, 'V5Pop', 2);
    const groups = new GroupApi(cl.remoting, 5_000);
    await groups.createSubscriptionGroup(addr, subscriptionGroupConfig('G_V5', { retryMaxTimes: 1 })); // 2 attempts
    const endpoints = `127.0.0.1:${a.grpcPort}`;
    const producer = await v5Producer({ endpoints, topic: 'V5Pop' });
    const consumer = await v5SimpleConsumer({ endpoints, consumerGroup: 'G_V5', subscriptions: new Map([['V5Pop', '*']]), awaitDuration: 2_000 });
    for (let i = 0; i < 6; i++) await producer.send({ topic: 'V5Pop', tag: 'T', keys: [`k${i}`], body: Buffer.from(`pop-${i}`) });

    // the consumer is in the group's table, as a remoting consumer would be
    const conns = await groups.consumerConnections(addr, 'G_V5');
    expect(conns?.connectionSet.map((x) => x.language)).toEqual(['HTTP']);

    const got: MessageView[] = [];
    await waitFor(async () => {
      got.push(...(await consumer.receive(16, 20_000)));
      return got.length >= 6;
    }, { timeout: 20_000, what: '6 messages received' });
    expect(got.map((m) => m.body.toString()).sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `pop-${i}`));
    expect(got.every((m) => m.deliveryAttempt === 1 && m.tag === 'T' && m.topic === 'V5Pop')).toBe(true);
    const kept = got.find((m) => m.body.toString() === 'pop-0')!;
    for (const m of got) if (m !== kept) await consumer.ack(m);
    expect(await consumer.receive(16, 1_000)).toEqual([]); // nothing else visible while pop-0 is in flight

    // pop-0 was received with 20 s; make it 1 s: it comes back as attempt 2
    await consumer.changeInvisibleDuration(kept, 1_000);
    const again: MessageView[] = [];
    await waitFor(async () => {
      again.push(...(await consumer.receive(16, 2_000)));
      return again.length > 0;
    }, { timeout: 15_000, what: 'pop-0 again' });
    expect(again.map((m) => [m.body.toString(), m.deliveryAttempt])).toEqual([['pop-0', 2]]);
    // not acked within its 2 s: attempt 3 would pass the group's 2 attempts, so it goes to %DLQ%G_V5
    await waitFor(async () => {
      await consumer.receive(16, 1_000);
      return (await cl.brokers.maxOffset(addr, '%DLQ%G_V5', 0).catch(() => 0)) > 0;
    }, { timeout: 20_000, what: 'pop-0 in %DLQ%G_V5' });
    const records = (await cl.brokers.pull(addr, { consumerGroup: 'CG_DLQ', topic: '%DLQ%G_V5', queueId: 0, queueOffset: 0 })).body;
    expect(records?.includes(Buffer.from('pop-0'))).toBe(true);

    // a forged handle and another group's handle are refused, nothing changes
    const raw = rawV5Client(endpoints);
    const forged = await unaryCall<unknown, { status: { code: string } }>(raw, 'AckMessage', { group: { name: 'G_V5' }, topic: { name: 'V5Pop' }, entries: [{ messageId: 'x', receiptHandle: '1 2 3 0 0 broker-a 0 0 0' }] }, v5Metadata());
    expect(forged.status.code).toBe('INVALID_RECEIPT_HANDLE');
    await producer.send({ topic: 'V5Pop', body: Buffer.from('late') });
    const late: MessageView[] = [];
    await waitFor(async () => {
      late.push(...(await consumer.receive(1, 10_000)));
      return late.length > 0;
    }, { timeout: 15_000, what: 'late received' });
    const other = await unaryCall<unknown, { status: { code: string } }>(raw, 'ChangeInvisibleDuration', { group: { name: 'G_OTHER' }, topic: { name: 'V5Pop' }, receiptHandle: late[0]!.receiptHandle, invisibleDuration: { seconds: 0 }, messageId: late[0]!.messageId }, v5Metadata());
    expect(other.status.code).toBe('INVALID_RECEIPT_HANDLE');
    await consumer.ack(late[0]!); // still valid: the refused call changed nothing
  });

  it('cross-protocol: v5 Producer → ali-ons consumer and ali-ons producer → v5 SimpleConsumer see equal messages', async () => {
    const a = await grpcBroker('broker-a');
    const c = await startCluster({ brokers: [a] });
    const cl = clientsFor(c);
    await createTopic(cl, c, c.broker('broker-a').addr, 'Cross', 2);
    const endpoints = `127.0.0.1:${a.grpcPort}`;

    // v5 → ali-ons
    const producer = await v5Producer({ endpoints, topic: 'Cross' });
    await producer.send({ topic: 'Cross', tag: 'FromV5', keys: ['ka', 'kb'], properties: new Map([['color', 'blue'], ['n', '1']]), body: Buffer.from('hello from v5') });
    const received: AliReceived[] = [];
    const { consumer: ali } = aliConsumer(c.namesrvAddr, 'CID_CROSS');
    ali.subscribe('Cross', 'FromV5', async (m) => void received.push(m));
    await ali.ready();
    try {
      await waitFor(() => received.length > 0, { timeout: 30_000, what: 'ali-ons to receive the v5 message' });
    } finally {
      await ali.close();
    }
    const m = received[0]!;
    expect(m.body.toString()).toBe('hello from v5');
    expect(m.tags).toBe('FromV5');
    expect(m.keys).toBe('ka kb');
    expect(m.properties.color).toBe('blue');
    expect(m.properties.n).toBe('1');

    // ali-ons → v5
    const consumer = await v5SimpleConsumer({ endpoints, consumerGroup: 'G_CROSS', subscriptions: new Map([['Cross', 'FromAli']]), awaitDuration: 2_000 });
    const ap = aliProducer(c.namesrvAddr, 'PG_ALI');
    await ap.ready();
    const msg = aliMessage('Cross', 'FromAli', 'hello from ali-ons');
    msg.keys = ['k1', 'k2'];
    msg.properties.shape = 'square';
    const sent = await ap.send(msg);
    await ap.close();
    expect(sent.sendStatus).toBe('SEND_OK');
    const got: MessageView[] = [];
    await waitFor(async () => {
      got.push(...(await consumer.receive(16, 20_000)));
      return got.length > 0;
    }, { timeout: 20_000, what: 'the v5 consumer to receive the ali-ons message' });
    expect(got.length).toBe(1); // the v5 message (tag FromV5) is filtered out
    const v = got[0]!;
    expect(v.body.toString()).toBe('hello from ali-ons');
    expect(v.tag).toBe('FromAli');
    expect(v.keys).toEqual(['k1', 'k2']);
    expect(v.properties.get('shape')).toBe('square');
    expect(v.messageId).toMatch(/^[0-9A-F]{32}$/); // its UNIQ_KEY (the offset msgId is a remoting notion)
    await consumer.ack(v);
  });
});
