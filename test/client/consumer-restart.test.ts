/**
 * Restart tolerance: a consumer group of two PushConsumers reads a topic served by two broker
 * groups while a producer keeps sending; mid-stream broker-a is restarted cleanly and later
 * broker-b is killed with -9 and started again. The group carries on, and every message the
 * producer got an acknowledgement for is delivered at least once. Duplicates (re-deliveries of
 * what was consumed after the last committed offset) are counted and printed, not forbidden.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { startCluster } from '../support/cluster.js';
import { clientsFor, createTopic } from '../support/clients.js';
import { startConsumer, waitBalanced } from '../support/consumers.js';
import { waitFor } from '../support/wait.js';

describe('consumer group across broker restarts', () => {
  // several phases, each bounded by its own waitFor deadline: the default 60 s is too short on a loaded machine
  it('continues through a clean restart and a kill -9; every acknowledged message is delivered at least once', { timeout: 360_000 }, async () => {
    const c = await startCluster({
      brokers: [{ name: 'broker-a' }, { name: 'broker-b' }],
      brokerProperties: { flushConsumerOffsetInterval: 1_000 },
    });
    const cl = clientsFor(c);
    for (const b of ['broker-a', 'broker-b']) await createTopic(cl, c, c.broker(b).addr, 'Stream', 2);
    await waitFor(async () => (await cl.admin.topicRoute('Stream'))?.queueDatas.length === 2, { what: 'both broker groups in the route' });
    const x = await startConsumer(c, 'G_STREAM', 'Stream');
    const y = await startConsumer(c, 'G_STREAM', 'Stream');
    await waitBalanced([x.consumer, y.consumer], 'Stream', 4);

    const producer = cl.producer({ sendTimeoutMillis: 3_000 });
    const acked = new Set<string>();
    let failedSends = 0;
    let stop = false;
    // ends the sender also when the test fails (hooks run last-registered first: before the producer shuts down)
    onTestFinished(() => {
      stop = true;
    });
    const sending = (async () => {
      for (let i = 0; !stop; i++) {
        try {
          await producer.send({ topic: 'Stream', body: `s-${i}` });
          acked.add(`s-${i}`);
        } catch {
          failedSends++;
          // a send refused at once must not become a microtask loop that starves the event loop
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    })();

    const deliveries = () => x.received.length + y.received.length;
    /** The group keeps consuming: more deliveries than at the fault, including messages sent after it. */
    const consumingAfter = async (what: string) => {
      const before = deliveries();
      const sentBefore = acked.size;
      await waitFor(() => deliveries() >= before + 100 && [...x.received, ...y.received].slice(before).some((m) => Number(m.body.toString().slice(2)) >= sentBefore), {
        timeout: 60_000,
        what: `the group to keep consuming ${what}`,
      });
    };

    await waitFor(() => acked.size >= 300, { timeout: 30_000, what: '300 acknowledged sends' });
    await c.broker('broker-a').restart();
    await consumingAfter('after the clean restart of broker-a');
    await waitFor(() => acked.size >= 900, { timeout: 60_000, what: '900 acknowledged sends after the clean restart' });
    await c.broker('broker-b').kill9();
    await waitFor(() => acked.size >= 1200, { timeout: 60_000, what: 'sends to go on with broker-b down' });
    await consumingAfter('with broker-b killed');
    await c.broker('broker-b').start();
    await waitFor(() => acked.size >= 1800, { timeout: 60_000, what: 'sends after broker-b is back' });
    await consumingAfter('after broker-b is back');
    stop = true;
    await sending;

    const received = () => [...x.received, ...y.received].map((m) => m.body.toString());
    await waitFor(
      () => {
        const got = new Set(received());
        for (const b of acked) if (!got.has(b)) return false;
        return true;
      },
      { timeout: 60_000, what: `all ${acked.size} acknowledged messages to be consumed` },
    );
    const all = received();
    const distinct = new Set(all).size;
    console.log(
      `restart tolerance: ${acked.size} acknowledged (${failedSends} failed sends), ${all.length} deliveries, ${distinct} distinct, ${all.length - distinct} duplicate(s); ` +
        `consumer x ${x.received.length}, y ${y.received.length}`,
    );
    expect(x.received.length).toBeGreaterThan(0);
    expect(y.received.length).toBeGreaterThan(0);
  });
});
