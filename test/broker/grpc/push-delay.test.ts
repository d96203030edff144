/**
 * The official v5 PushConsumer and delay messages against real brokers' gRPC ports: two push
 * consumers of one group over two brokers share the work and together get every message exactly
 * once; one shut down, the other takes over. A delay message (delivery_timestamp 5 s ahead) is not
 * delivered before its time and carries its delivery timestamp; FIFO messages of three
 * interleaved message groups arrive in order per group.
 */
import { describe, expect, it } from 'vitest';
import { ConsumeResult, type MessageView } from 'rocketmq-client-nodejs';
import { GroupApi } from '../../../src/client/group-api.js';
import { subscriptionGroupConfig } from '../../../src/protocol/group-config.js';
import { startCluster } from '../../support/cluster.js';
import { clientsFor, createTopic } from '../../support/clients.js';
import { waitFor } from '../../support/wait.js';
import { grpcBroker, v5Producer, v5PushConsumer, v5SimpleConsumer } from '../../support/v5.js';

describe('v5 PushConsumer, delay and FIFO', () => {
  it('two PushConsumers of one group get every message exactly once; one shut down, the other takes over', { timeout: 120_000 }, async () => {
    const a = await grpcBroker('broker-a');
    const b = await grpcBroker('broker-b');
    const c = await startCluster({ brokers: [a, b] });
    const cl = clientsFor(c);
    await cl.brokers.createTopic(c.broker('broker-b').addr, { topicName: 'PushT', readQueueNums: 2, writeQueueNums: 2, perm: 6 });
    await createTopic(cl, c, c.broker('broker-a').addr, 'PushT', 2);
    const endpoints = `127.0.0.1:${a.grpcPort}`;
    const seen = new Map<string, string[]>();
    // each consumer works 30 ms per message and caches one message per broker, so neither can take
    // everything (POP consumers compete for the same queues: the faster one would)
    const listener = (name: string) => ({
      async consume(m: MessageView) {
        seen.set(m.body.toString(), [...(seen.get(m.body.toString()) ?? []), name]);
        await new Promise((r) => setTimeout(r, 30));
        return ConsumeResult.SUCCESS;
      },
    });
    const opts = { endpoints, consumerGroup: 'G_PUSH', subscriptions: new Map([['PushT', '*']]), maxCacheMessageCount: 2, longPollingTimeout: 3_000 };
    const c1 = await v5PushConsumer({ ...opts, messageListener: listener('c1') });
    const c2 = await v5PushConsumer({ ...opts, messageListener: listener('c2') });
    const producer = await v5Producer({ endpoints, topic: 'PushT' });
    for (let i = 0; i < 40; i++) await producer.send({ topic: 'PushT', body: Buffer.from(`m${i}`) });
    await waitFor(() => seen.size >= 40, { timeout: 60_000, what: '40 messages consumed' });
    const byConsumer = { c1: 0, c2: 0 };
    for (const who of seen.values()) {
      expect(who.length).toBe(1); // exactly once
      byConsumer[who[0] as 'c1' | 'c2']++;
    }
    expect(byConsumer.c1 + byConsumer.c2).toBe(40);
    expect(byConsumer.c1).toBeGreaterThan(0);
    expect(byConsumer.c2).toBeGreaterThan(0);
    // both are members of the group on both brokers
    const groups = new GroupApi(cl.remoting, 5_000);
    for (const br of ['broker-a', 'broker-b']) expect((await groups.consumerConnections(c.broker(br).addr, 'G_PUSH'))?.connectionSet.length).toBe(2);

    await c1.shutdown();
    for (let i = 40; i < 60; i++) await producer.send({ topic: 'PushT', body: Buffer.from(`m${i}`) });
    await waitFor(() => seen.size >= 60, { timeout: 60_000, what: 'c2 to take over' });
    for (let i = 40; i < 60; i++) expect(seen.get(`m${i}`)).toEqual(['c2']);
    await c2.shutdown();
  });

  it('a delay message is not delivered before its time; FIFO groups keep their order', { timeout: 120_000 }, async () => {
    const a = await grpcBroker('broker-a');
    const c = await startCluster({ brokers: [a] });
    const cl = clientsFor(c);
    const addr = c.broker('broker-a').addr;
    await cl.brokers.createTopic(addr, { topicName: 'DelayT', readQueueNums: 2, writeQueueNums: 2, perm: 6, attributes: '+message.type=DELAY' });
    await cl.brokers.createTopic(addr, { topicName: 'FifoT', readQueueNums: 4, writeQueueNums: 4, perm: 6, attributes: '+message.type=FIFO' });
    await createTopic(cl, c, addr, 'DelayT', 2);
    await createTopic(cl, c, addr, 'FifoT', 4);
    await new GroupApi(cl.remoting, 5_000).createSubscriptionGroup(addr, subscriptionGroupConfig('G_FIFO', { consumeMessageOrderly: true }));
    const endpoints = `127.0.0.1:${a.grpcPort}`;
    const producer = await v5Producer({ endpoints, topic: ['DelayT', 'FifoT'] });

    const due = Date.now() + 5_500;
    await producer.send({ topic: 'DelayT', deliveryTimestamp: new Date(due), body: Buffer.from('later') });
    const delayed = await v5SimpleConsumer({ endpoints, consumerGroup: 'G_DELAY', subscriptions: new Map([['DelayT', '*']]), awaitDuration: 1_000 });
    let got: MessageView[] = [];
    await waitFor(async () => {
      got = await delayed.receive(1, 10_000);
      return got.length > 0;
    }, { timeout: 30_000, what: 'the delay message' });
    const arrived = Date.now();
    expect(arrived).toBeGreaterThanOrEqual(due);
    expect(got[0]!.body.toString()).toBe('later');
    expect(got[0]!.deliveryTimestamp?.getTime()).toBe(due);
    await delayed.ack(got[0]!);

    // FIFO: 3 message groups interleaved, 5 each; a FIFO consumer group gets each group in order
    for (let i = 0; i < 15; i++) await producer.send({ topic: 'FifoT', messageGroup: `g${i % 3}`, body: Buffer.from(`g${i % 3}-${Math.floor(i / 3)}`) });
    const fifo = await v5SimpleConsumer({ endpoints, consumerGroup: 'G_FIFO', subscriptions: new Map([['FifoT', '*']]), awaitDuration: 1_000 });
    const order = new Map<string, number[]>();
    await waitFor(async () => {
      for (const m of await fifo.receive(32, 10_000)) {
        const [g, n] = m.body.toString().split('-');
        order.set(g!, [...(order.get(g!) ?? []), Number(n)]);
        expect(m.messageGroup).toBe(g);
        await fifo.ack(m);
      }
      return [...order.values()].reduce((x, v) => x + v.length, 0) >= 15;
    }, { timeout: 30_000, what: '15 FIFO messages' });
    for (const g of ['g0', 'g1', 'g2']) expect(order.get(g)).toEqual([0, 1, 2, 3, 4]);
  });
});
