/**
 * `kill -9` of the master while the official v5 SimpleConsumer receives and acks, then a restart
 * (same ports): the client reconnects by itself; no acknowledged send is lost; every message
 * received and not acked is delivered again (attempt 2); no message whose ack was answered is
 * delivered again; in the end every message was acked once.
 */
import { describe, expect, it } from 'vitest';
import type { MessageView } from 'rocketmq-client-nodejs';
import { startCluster } from '../../support/cluster.js';
import { clientsFor, createTopic } from '../../support/clients.js';
import { waitFor } from '../../support/wait.js';
import { grpcBroker, v5Producer, v5SimpleConsumer } from '../../support/v5.js';

describe('v5 clients across kill -9 of the broker', () => {
  it('acked stays acked, unacked comes back, nothing acknowledged is lost', { timeout: 180_000 }, async () => {
    const a = await grpcBroker('broker-a', { flushDiskType: 'SYNC_FLUSH' });
    const c = await startCluster({ brokers: [a] });
    const cl = clientsFor(c);
    await createTopic(cl, c, c.broker('broker-a').addr, 'CrashT', 4);
    const endpoints = `127.0.0.1:${a.grpcPort}`;
    const producer = await v5Producer({ endpoints, topic: 'CrashT' });
    const consumer = await v5SimpleConsumer({ endpoints, consumerGroup: 'G_CRASH', subscriptions: new Map([['CrashT', '*']]), awaitDuration: 1_000 });
    const sent: string[] = [];
    for (let i = 0; i < 200; i++) {
      await producer.send({ topic: 'CrashT', body: Buffer.from(`m${i}`) });
      sent.push(`m${i}`); // answered OK: acknowledged (SYNC_FLUSH: on disk)
    }
    // receive everything; ack the even ones, keep the odd ones in flight (invisible 4 s)
    const acked = new Set<string>();
    const inFlight = new Set<string>();
    const deliveries = new Map<string, number[]>();
    const note = (m: MessageView) => deliveries.set(m.body.toString(), [...(deliveries.get(m.body.toString()) ?? []), m.deliveryAttempt ?? 0]);
    await waitFor(async () => {
      for (const m of await consumer.receive(32, 4_000)) {
        note(m);
        const n = Number(m.body.toString().slice(1));
        if (n % 2 === 0) {
          await consumer.ack(m);
          acked.add(m.body.toString());
        } else inFlight.add(m.body.toString());
      }
      return acked.size + inFlight.size >= 200;
    }, { timeout: 60_000, what: '200 received' });

    await c.broker('broker-a').kill9();
    await c.broker('broker-a').start();

    // after the restart: only the unacked ones come back (attempt 2); ack them
    await waitFor(async () => {
      try {
        for (const m of await consumer.receive(32, 10_000)) {
          note(m);
          if (acked.has(m.body.toString())) continue; // counted below as a redelivery of an acked message
          await consumer.ack(m);
          acked.add(m.body.toString());
          inFlight.delete(m.body.toString());
        }
      } catch {
        // the client's channel is reconnecting
      }
      return inFlight.size === 0;
    }, { timeout: 90_000, interval: 200, what: 'every unacked message delivered again' });

    expect([...acked].sort()).toEqual([...sent].sort());
    for (const [body, attempts] of deliveries) {
      const n = Number(body.slice(1));
      expect(attempts, body).toEqual(n % 2 === 0 ? [1] : [1, 2]);
    }
    // and no message is left for the group
    expect(await consumer.receive(32, 10_000)).toEqual([]);
  });
});
