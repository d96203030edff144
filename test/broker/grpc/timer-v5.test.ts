/**
 * Timer messages with the official v5 Node client (`rocketmq-client-nodejs`) against two brokers'
 * gRPC ports: delay messages (delivery_timestamp) arrive no earlier than due and carry their
 * delivery timestamp; each send receipt has a recall handle; `Producer.recallMessage` (sent to the
 * client's access point, broker-a, which forwards broker-b's handles to broker-b) recalls them and
 * they never arrive; a delivery time past timerMaxDelaySec is refused ILLEGAL_DELIVERY_TIME.
 */
import { describe, expect, it } from 'vitest';
import type { MessageView, SendReceipt } from 'rocketmq-client-nodejs';
import { decodeRecallHandle } from '../../../src/protocol/message/recall-handle.js';
import { startCluster } from '../../support/cluster.js';
import { clientsFor, createTopic } from '../../support/clients.js';
import { waitFor } from '../../support/wait.js';
import { grpcBroker, v5Producer, v5SimpleConsumer } from '../../support/v5.js';

describe('v5 timer messages and recall', () => {
  it('delay messages arrive no earlier than due; recalled ones never; too far ahead is refused', { timeout: 120_000 }, async () => {
    const a = await grpcBroker('broker-a', { timerMaxDelaySec: 3600 });
    const b = await grpcBroker('broker-b', { timerMaxDelaySec: 3600 });
    const c = await startCluster({ brokers: [a, b] });
    const cl = clientsFor(c);
    for (const br of ['broker-a', 'broker-b']) {
      await cl.brokers.createTopic(c.broker(br).addr, { topicName: 'V5Timer', readQueueNums: 2, writeQueueNums: 2, perm: 6, attributes: '+message.type=DELAY' });
    }
    await createTopic(cl, c, c.broker('broker-a').addr, 'V5Timer', 2);
    const endpoints = `127.0.0.1:${a.grpcPort}`;
    const producer = await v5Producer({ endpoints, topic: 'V5Timer' });
    const consumer = await v5SimpleConsumer({ endpoints, consumerGroup: 'G_V5_TIMER', subscriptions: new Map([['V5Timer', '*']]), awaitDuration: 2_000 });

    const base = Date.now() + 3_000;
    const due = new Map<string, number>();
    const receipts: [string, SendReceipt][] = [];
    for (let i = 0; i < 40; i++) {
      const at = base + Math.floor(Math.random() * 4_000);
      due.set(`t${i}`, at);
      receipts.push([`t${i}`, await producer.send({ topic: 'V5Timer', deliveryTimestamp: new Date(at), body: Buffer.from(`t${i}`) })]);
    }
    const brokers = new Set(receipts.map(([, r]) => decodeRecallHandle(r.recallHandle).brokerName));
    expect([...brokers].sort()).toEqual(['broker-a', 'broker-b']);
    // recall every fourth: through broker-a, whichever broker holds it
    const recalled = new Set<string>();
    for (const [body, r] of receipts.filter((_, i) => i % 4 === 0)) {
      expect((await producer.recallMessage('V5Timer', r.recallHandle)).messageId).toBe(r.messageId);
      recalled.add(body);
    }
    await expect(producer.recallMessage('V5Timer', 'bm90IGEgaGFuZGxl')).rejects.toThrow(/recall handle is invalid/);
    await expect(producer.send({ topic: 'V5Timer', deliveryTimestamp: new Date(Date.now() + 2 * 3600_000), body: Buffer.from('too far') })).rejects.toThrow(/timerMaxDelaySec/);
    due.set('sentinel', base + 5_000);
    await producer.send({ topic: 'V5Timer', deliveryTimestamp: new Date(base + 5_000), body: Buffer.from('sentinel') });

    const got: { m: MessageView; at: number }[] = [];
    await waitFor(async () => {
      for (const m of await consumer.receive(16, 30_000)) {
        got.push({ m, at: Date.now() });
        await consumer.ack(m);
      }
      return got.some((g) => g.m.body.toString() === 'sentinel') && got.length >= 40 - recalled.size + 1;
    }, { timeout: 60_000, interval: 10, what: 'every timer message not recalled, and the sentinel' });
    const bodies = got.map((g) => g.m.body.toString());
    expect(bodies.filter((x) => recalled.has(x))).toEqual([]);
    expect(new Set(bodies).size).toBe(40 - recalled.size + 1);
    for (const { m, at } of got) {
      const want = due.get(m.body.toString())!;
      expect(at).toBeGreaterThanOrEqual(want);
      expect(m.deliveryTimestamp?.getTime()).toBe(want);
    }
    const late = got.map(({ m, at }) => at - due.get(m.body.toString())!).sort((x, y) => x - y);
    console.log(`v5 timer: ${got.length} received, lateness at the SimpleConsumer p50 ${late[Math.floor(late.length / 2)]} ms, max ${late.at(-1)} ms`);
  });
});
