/**
 * The stock `ali-ons` client (3.12.0 from npm, pure JS) against real `rmqd namesrv` + `rmqd broker`
 * processes, as an application would use it: an ali-ons Producer sends messages with tags and
 * keys; two ali-ons consumers of one group get every message exactly once between them; a
 * handler that throws gets the message again with reconsumeTimes ≥ 1; a broadcasting consumer
 * gets everything; a consumer restarted after committing resumes where it was. And across
 * clients: our PushConsumer reads what ali-ons sent, an ali-ons consumer what our producer sent.
 * The broker runs with 1 s delay levels so retries come back within seconds.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { IO_THREAD_VARIANTS, startCluster, type TestCluster } from '../support/cluster.js';
import { aliConsumer as newAliConsumer, aliMessage, aliProducer as newAliProducer, type AliConsumer, type AliProducer, type AliReceived as AliMessage } from '../support/ali-ons.js';
import { clientsFor, createTopic } from '../support/clients.js';
import { countBodies, startConsumer } from '../support/consumers.js';
import { waitFor } from '../support/wait.js';

const FAST_LEVELS = '1s 1s 1s 1s 1s 1s';

function aliProducer(c: TestCluster): AliProducer {
  const p = newAliProducer(c.namesrvAddr, 'PID_ALI');
  onTestFinished(() => p.close().catch(() => {}));
  return p;
}

/** An ali-ons consumer with its own client instance (instanceName), fast rebalance and offset commits. */
async function aliConsumer(c: TestCluster, group: string, instanceName: string, topic: string, handler: (m: AliMessage) => Promise<unknown>, opts: Record<string, unknown> = {}): Promise<{ consumer: AliConsumer; received: AliMessage[]; errors: Error[] }> {
  // instanceName: its own client instance, so two consumers in one process are two group members
  const { consumer, errors } = newAliConsumer(c.namesrvAddr, group, { instanceName, ...opts });
  onTestFinished(() => consumer.close().catch(() => {}));
  await consumer.ready();
  const received: AliMessage[] = [];
  consumer.subscribe(topic, '*', async (m) => {
    received.push(m);
    return handler(m);
  });
  return { consumer, received, errors };
}

const queuesOf = (c: AliConsumer, topic: string) => [...c.processQueueTable.values()].filter((v) => v.messageQueue.topic === topic).map((v) => v.messageQueue.queueId);

// generous deadlines: on a loaded machine ali-ons' 1 s rebalance and route periods stretch a lot
describe('ali-ons consumers against rmqd', { timeout: 180_000 }, () => {
  it('two ali-ons consumers in one group get every message exactly once with body, tags, keys; a throwing handler gets it back with reconsumeTimes ≥ 1; our consumer reads what ali-ons sent', async () => {
    const c = await startCluster({ brokers: [{ name: 'broker-a', properties: { messageDelayLevel: FAST_LEVELS } }] });
    const cl = clientsFor(c);
    await createTopic(cl, c, c.broker('broker-a').addr, 'AliShared', 4);
    const seenBoom: number[] = [];
    const handler = async (m: AliMessage) => {
      if (m.body.toString() === 'boom') {
        seenBoom.push(m.reconsumeTimes);
        if (m.reconsumeTimes === 0) throw new Error('boom on first delivery');
      }
    };
    const a = await aliConsumer(c, 'CID_ALI', 'ali-a', 'AliShared', handler);
    const b = await aliConsumer(c, 'CID_ALI', 'ali-b', 'AliShared', handler);
    // our consumer in a group of its own reads the same topic
    const ours = await startConsumer(c, 'G_OURS_READS_ALI', 'AliShared');
    await waitFor(
      () => {
        const qa = queuesOf(a.consumer, 'AliShared');
        const qb = queuesOf(b.consumer, 'AliShared');
        return qa.length > 0 && qb.length > 0 && new Set([...qa, ...qb]).size === 4 && qa.length + qb.length === 4;
      },
      { timeout: 45_000, what: 'the two ali-ons consumers to share the 4 queues' },
    );

    const producer = aliProducer(c);
    await producer.ready();
    const N = 100;
    for (let i = 0; i < N; i++) {
      const msg = aliMessage('AliShared', `Tag${i % 3}`, `ali-${i}`);
      msg.keys = [`key-${i}`];
      expect((await producer.send(msg)).sendStatus).toBe('SEND_OK');
    }
    const boom = aliMessage('AliShared', 'Boom', 'boom');
    boom.keys = ['boom-key'];
    await producer.send(boom);

    await waitFor(() => a.received.length + b.received.length >= N + 2, { timeout: 30_000, what: `${N} messages and the retried one between the ali-ons consumers` });
    const counts = countBodies(a.received, b.received);
    for (let i = 0; i < N; i++) expect(counts.get(`ali-${i}`), `ali-${i}`).toBe(1);
    expect(a.received.length).toBeGreaterThan(0);
    expect(b.received.length).toBeGreaterThan(0);
    for (const m of [...a.received, ...b.received].filter((x) => x.body.toString().startsWith('ali-'))) {
      const i = Number(m.body.toString().slice(4));
      expect(m.tags).toBe(`Tag${i % 3}`);
      expect(m.keys).toBe(`key-${i}`);
      expect(m.reconsumeTimes).toBe(0);
    }
    // the throwing handler: delivered again, through %RETRY%CID_ALI, with reconsumeTimes ≥ 1
    expect(seenBoom[0]).toBe(0);
    expect(seenBoom.slice(1).every((n) => n >= 1)).toBe(true);
    expect(seenBoom.length).toBeGreaterThanOrEqual(2);
    const again = [...a.received, ...b.received].filter((m) => m.body.toString() === 'boom').at(-1)!;
    expect(again.topic).toBe('AliShared');
    expect(again.keys).toBe('boom-key');

    // our consumer read what ali-ons sent: all of it, tags and keys intact
    await waitFor(() => ours.received.length >= N + 1, { timeout: 45_000, what: 'our consumer to read the ali-ons messages' });
    expect([...countBodies(ours.received).values()].every((n) => n === 1)).toBe(true);
    const m7 = ours.received.find((m) => m.body.toString() === 'ali-7')!;
    expect(m7.tags).toBe('Tag1');
    expect(m7.keys).toEqual(['key-7']);
  });

  it.each(IO_THREAD_VARIANTS)('a broadcasting ali-ons consumer gets every message; an ali-ons consumer reads what our producer sent (ioThreads=%i)', async (ioThreads) => {
    const c = await startCluster({ brokerProperties: { ioThreads } });
    const cl = clientsFor(c);
    await createTopic(cl, c, c.broker('broker-a').addr, 'AliFanout', 2);
    const b1 = await aliConsumer(c, 'CID_ALI_BCAST', 'bcast-1', 'AliFanout', async () => undefined, { isBroadcast: true });
    const b2 = await aliConsumer(c, 'CID_ALI_BCAST', 'bcast-2', 'AliFanout', async () => undefined, { isBroadcast: true });
    await waitFor(() => queuesOf(b1.consumer, 'AliFanout').length === 2 && queuesOf(b2.consumer, 'AliFanout').length === 2, { timeout: 45_000, what: 'both broadcasting consumers on both queues' });
    const p = cl.producer();
    for (let i = 0; i < 20; i++) await p.send({ topic: 'AliFanout', body: `ours-${i}`, tags: 'FromUs', keys: [`our-key-${i}`], properties: { origin: 'rmqctl' } });
    await waitFor(() => b1.received.length >= 20 && b2.received.length >= 20, { timeout: 45_000, what: 'both broadcasting consumers to get all 20' });
    for (const r of [b1.received, b2.received]) expect([...countBodies(r).values()].every((n) => n === 1)).toBe(true);
    const m = b1.received.find((x) => x.body.toString() === 'ours-3')!;
    expect(m.tags).toBe('FromUs');
    expect(m.keys).toBe('our-key-3');
    expect(m.properties.origin).toBe('rmqctl');
  });

  // Was flaky (2 of 5 runs): ali-ons' close() does not wait for a heartbeat it has in flight (its retry-topic subscribe
  // sends one) before UNREGISTER_CLIENT, and its connection stays open for the inner producer. Our broker handled the
  // two concurrently and applied the heartbeat last, so the closed instance stayed a member and the restarted one got
  // one queue of two until channelExpiredTimeout. Fixed in the broker (ClientManager arrival tickets); the exact race
  // is pinned by test/broker/consumer-groups.test.ts ('a heartbeat still in flight …').
  it('an ali-ons consumer restarted after committing offsets resumes where it was, not at the start', async () => {
    const c = await startCluster();
    const cl = clientsFor(c);
    await createTopic(cl, c, c.broker('broker-a').addr, 'AliResume', 2);
    const p = cl.producer();
    for (let i = 0; i < 10; i++) await p.send({ topic: 'AliResume', body: `before-${i}` });
    const first = await aliConsumer(c, 'CID_ALI_RESUME', 'resume-1', 'AliResume', async () => undefined);
    await waitFor(() => first.received.length >= 10, { timeout: 45_000, what: 'the first 10' });
    await first.consumer.close(); // persists its offsets (UPDATE_CONSUMER_OFFSET)
    for (let i = 0; i < 5; i++) await p.send({ topic: 'AliResume', body: `after-${i}` });
    const second = await aliConsumer(c, 'CID_ALI_RESUME', 'resume-2', 'AliResume', async () => undefined);
    await waitFor(() => second.received.length >= 5, { timeout: 45_000, what: 'the 5 sent while it was down' });
    expect(second.received.map((m) => m.body.toString()).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `after-${i}`));
  });
});
