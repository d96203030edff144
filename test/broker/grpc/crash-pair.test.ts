/**
 * #15: `kill -9` of broker-a's master inside a 2-master, 2-slave SYNC cluster while the official v5
 * Producer sends continuously and a SimpleConsumer receives and acks, then its restart (same ports).
 *
 * Checked from the logs the test keeps: every send the client saw answered OK is acked by the
 * consumer in the end (none lost); no stored message whose ack was answered OK is delivered again;
 * every one received and not acked comes back with a higher delivery attempt; broker-b keeps
 * serving sends and receives while broker-a's master is down. A stored message is a body at a
 * broker and queue offset: the client retries a send whose answer the kill cut off on another
 * broker, so one body can be stored twice (counted and printed, not a loss or a redelivery).
 */
import { describe, expect, it } from 'vitest';
import type { MessageView } from 'rocketmq-client-nodejs';
import { startCluster } from '../../support/cluster.js';
import { clientsFor, createTopic } from '../../support/clients.js';
import { waitFor } from '../../support/wait.js';
import { grpcBroker, v5Producer, v5SimpleConsumer } from '../../support/v5.js';

const TOPIC = 'CrashPairT';
const SYNC_MASTER = { brokerRole: 'SYNC_MASTER', inSyncReplicas: 2, totalReplicas: 2 };

interface Delivery {
  attempt: number;
  at: number;
}

describe('v5 clients across kill -9 of a master in 2m-2s-sync', () => {
  it('acked sends all consumed, answered acks never delivered again, unacked come back; broker-b serves on', { timeout: 300_000 }, async () => {
    const specs = [
      await grpcBroker('broker-a', SYNC_MASTER),
      await grpcBroker('broker-b', SYNC_MASTER),
      await grpcBroker('broker-a', {}, 1),
      await grpcBroker('broker-b', {}, 1),
    ];
    const c = await startCluster({ namesrvs: 2, brokers: specs });
    const cl = clientsFor(c);
    for (const g of ['broker-a', 'broker-b']) await createTopic(cl, c, c.broker(g).addr, TOPIC, 4);
    // the client's bootstrap endpoint (it takes one): broker-b's master, which stays up; routes name both masters
    const endpoints = `127.0.0.1:${specs[1]!.grpcPort}`;
    const producer = await v5Producer({ endpoints, topic: TOPIC });
    const consumer = await v5SimpleConsumer({ endpoints, consumerGroup: 'G_CRASH_PAIR', subscriptions: new Map([[TOPIC, '*']]), awaitDuration: 1_000 });

    // the producer: one send at a time, each answered OK logged with its time
    const acked = new Map<string, number>();
    let sendErrors = 0;
    let seq = 0;
    let producing = true;
    const produced = (async () => {
      while (producing) {
        const body = `m${seq++}`;
        try {
          await producer.send({ topic: TOPIC, body: Buffer.from(body) });
          acked.set(body, Date.now());
        } catch {
          sendErrors++; // not acknowledged: may or may not be stored, never counted as lost
        }
      }
    })();

    // the consumer: even messages acked at once; odd ones left in flight the first time, acked when they come back
    const deliveries = new Map<string, Delivery[]>();
    const ackAnswered = new Map<string, number>(); // stored copy → when its ack was answered
    const consumedBodies = new Set<string>();
    // an ack that failed (the broker died, or its answer came too late) may or may not have been
    // applied: its copy either comes back (then acked again) or is gone — never lost
    const ackUnanswered = new Map<string, number>();
    const deliveredAfterAck: string[] = [];
    let consuming = true;
    const consumed = (async () => {
      while (consuming) {
        let batch: MessageView[] = [];
        try {
          batch = await consumer.receive(32, 4_000);
        } catch {
          continue; // a broker is down or the channel reconnects
        }
        for (const m of batch) {
          const body = m.body.toString();
          const copy = `${body}@${m.endpoints.facade}#${m.offset ?? '?'}`;
          const seen = deliveries.get(copy) ?? [];
          seen.push({ attempt: m.deliveryAttempt ?? 0, at: Date.now() });
          deliveries.set(copy, seen);
          if (ackAnswered.has(copy)) {
            deliveredAfterAck.push(copy);
            continue;
          }
          if (Number(body.slice(1)) % 2 === 1 && seen.length === 1) continue;
          try {
            await consumer.ack(m);
            ackAnswered.set(copy, Date.now());
            consumedBodies.add(body);
          } catch {
            ackUnanswered.set(copy, Date.now());
          }
        }
      }
    })();

    try {
      await waitFor(() => acked.size >= 300 && ackAnswered.size >= 100, { timeout: 60_000, what: 'traffic before the kill' });
      await c.broker('broker-a').kill9();
      const killedAt = Date.now();
      // broker-b carries sends and receives while broker-a has no master
      await waitFor(() => [...acked.values()].filter((t) => t > killedAt + 1_000).length >= 100, { timeout: 60_000, what: 'sends acknowledged while broker-a-0 is down' });
      await waitFor(() => [...ackAnswered.values()].filter((t) => t > killedAt + 1_000).length >= 50, { timeout: 60_000, what: 'acks answered while broker-a-0 is down' });
      await c.broker('broker-a').start();
      const restartedAt = Date.now();
      await waitFor(() => [...acked.values()].filter((t) => t > restartedAt).length >= 200, { timeout: 60_000, what: 'traffic after the restart' });
      producing = false;
      await produced;

      // every acknowledged send consumed and acked; every message received is acked in the end
      await waitFor(
        () => {
          const settled = (c: string) => ackAnswered.has(c) || (ackUnanswered.has(c) && ackUnanswered.get(c)! >= deliveries.get(c)!.at(-1)!.at);
          const bodyDone = new Set([...deliveries.keys()].filter(settled).map((c) => c.slice(0, c.indexOf('@'))));
          const missing = [...[...acked.keys()].filter((b) => !bodyDone.has(b)), ...[...deliveries.keys()].filter((c) => !settled(c))];
          if (missing.length > 0) throw new Error(`${missing.length} not acked yet, e.g. ${missing.slice(0, 8).join(', ')}`);
          // an unanswered ack that was not applied shows up again within the invisible time (4 s)
          const lastUnanswered = Math.max(0, ...ackUnanswered.values());
          if (Date.now() < lastUnanswered + 10_000) throw new Error('waiting out the invisible time after the last unanswered ack');
          return true;
        },
        { timeout: 120_000, interval: 250, what: 'every acknowledged send consumed and every received message acked' },
      );
    } finally {
      producing = false;
      consuming = false;
      await produced;
      await consumed;
    }

    expect(deliveredAfterAck, 'messages delivered again after their ack was answered').toEqual([]);
    const bodyOf = (copy: string) => copy.slice(0, copy.indexOf('@'));
    for (const [copy, seen] of deliveries) {
      const attempts = seen.map((d) => d.attempt);
      // attempts rise with every delivery (an in-flight receive cut by the kill may skip one)
      for (let i = 1; i < attempts.length; i++) expect(attempts[i]!, `${copy}: attempts ${attempts.join(',')}`).toBeGreaterThan(attempts[i - 1]!);
      if (Number(bodyOf(copy).slice(1)) % 2 === 1) expect(seen.length, `${copy}: left in flight once, so delivered again`).toBeGreaterThanOrEqual(2);
    }
    // nothing consumed that was never sent
    for (const copy of deliveries.keys()) expect(Number(bodyOf(copy).slice(1)), copy).toBeLessThan(seq);
    const storedTwice = [...deliveries.keys()].length - new Set([...deliveries.keys()].map(bodyOf)).size;
    console.log(`crash-pair: ${acked.size} sends acknowledged, ${sendErrors} failed, ${consumedBodies.size} bodies consumed, ${ackUnanswered.size} acks unanswered, ${storedTwice} stored twice (a send retried after the kill), ${[...deliveries.values()].filter((d) => d.length > 1).length} delivered more than once`);
  });
});
