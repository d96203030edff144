/**
 * Our PushConsumer against real `rmqd namesrv` + `rmqd broker` processes: a CLUSTERING group of two
 * shares the queues and gets every message exactly once (body, tags, keys intact); a failing
 * handler gets the message again with reconsumeTimes ≥ 1, and the DLQ takes it after
 * maxReconsumeTimes; BROADCASTING consumers each get everything; a restarted consumer resumes from
 * its committed offsets; tag filtering; consume-from first/last/timestamp for a new group; flow
 * control holds pulls while the handler is behind; orderly mode keeps each queue's order.
 */
import { describe, expect, it } from 'vitest';
import { GroupApi } from '../../src/client/group-api.js';
import { PullConsumer } from '../../src/client/consumer/pull-consumer.js';
import { startCluster } from '../support/cluster.js';
import { clientsFor, createTopic } from '../support/clients.js';
import { countBodies, startConsumer, waitBalanced } from '../support/consumers.js';
import { waitFor } from '../support/wait.js';

const FAST_LEVELS = '1s 1s 1s 1s 1s 1s';

describe('PushConsumer', () => {
  it('CLUSTERING: two consumers share the queues and receive every message exactly once, with body, tags and keys intact', async () => {
    const c = await startCluster();
    const cl = clientsFor(c);
    await createTopic(cl, c, c.broker('broker-a').addr, 'Shared', 4);
    const a = await startConsumer(c, 'G_SHARED', 'Shared');
    const b = await startConsumer(c, 'G_SHARED', 'Shared');
    await waitBalanced([a.consumer, b.consumer], 'Shared', 4);

    const p = cl.producer();
    const sent = new Map<string, { tags: string; keys: string[] }>();
    for (let i = 0; i < 200; i++) {
      const body = `msg-${i}`;
      const tags = i % 2 === 0 ? 'Even' : 'Odd';
      const keys = [`k${i}`, `order-${i % 7}`];
      await p.send({ topic: 'Shared', body, tags, keys });
      sent.set(body, { tags, keys });
    }
    await waitFor(() => a.received.length + b.received.length >= 200, { timeout: 20_000, what: '200 messages between the two consumers' });
    const counts = countBodies(a.received, b.received);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(counts.keys())).toEqual(new Set(sent.keys()));
    expect(a.received.length).toBeGreaterThan(0);
    expect(b.received.length).toBeGreaterThan(0);
    for (const m of [...a.received, ...b.received]) {
      const s = sent.get(m.body.toString())!;
      expect(m.tags).toBe(s.tags);
      expect(m.keys).toEqual(s.keys);
      expect(m.topic).toBe('Shared');
      expect(m.reconsumeTimes).toBe(0);
    }
    // the group's offsets reach the broker: nothing left to consume
    const groups = new GroupApi(cl.remoting);
    await waitFor(async () => {
      const stats = await groups.consumeStats(c.broker('broker-a').addr, 'G_SHARED', 'Shared');
      return stats.queues.length === 4 && stats.queues.every((q) => q.consumerOffset === q.brokerOffset);
    }, { what: 'the committed offsets to catch up' });
    const conns = await groups.consumerConnections(c.broker('broker-a').addr, 'G_SHARED');
    expect(conns?.connectionSet.map((x) => x.clientId).sort()).toEqual([a.consumer.clientId, b.consumer.clientId].sort());
  });

  it('retries a message whose handler fails (reconsumeTimes ≥ 1, RETRY_TOPIC hidden), and dead-letters it after maxReconsumeTimes', async () => {
    const c = await startCluster({ brokers: [{ name: 'broker-a', properties: { messageDelayLevel: FAST_LEVELS } }] });
    const cl = clientsFor(c);
    await createTopic(cl, c, c.broker('broker-a').addr, 'Flaky', 2);
    const attempts = new Map<string, number[]>();
    const r = await startConsumer(c, 'G_RETRY', 'Flaky', { maxReconsumeTimes: 2 }, (msg) => {
      const body = msg.body.toString();
      attempts.set(body, [...(attempts.get(body) ?? []), msg.reconsumeTimes]);
      if (body === 'fail-once' && msg.reconsumeTimes === 0) throw new Error('first try fails');
      if (body === 'always-fails') return 'RECONSUME_LATER';
      return undefined;
    });
    const p = cl.producer();
    const sent = await p.send({ topic: 'Flaky', body: 'fail-once', tags: 'T', keys: ['retry-key'] });
    await p.send({ topic: 'Flaky', body: 'always-fails' });
    await p.send({ topic: 'Flaky', body: 'fine' });
    await waitFor(() => (attempts.get('fail-once')?.length ?? 0) >= 2, { timeout: 20_000, what: 'the failed message to come back' });
    expect(attempts.get('fail-once')).toEqual([0, 1]);
    const again = r.received.filter((m) => m.body.toString() === 'fail-once')[1]!;
    expect(again.topic).toBe('Flaky'); // delivered under its own topic, pulled from %RETRY%G_RETRY
    expect(again.queue.topic).toBe('%RETRY%G_RETRY');
    expect(again.msgId).toBe(sent.msgId);
    expect(again.tags).toBe('T');
    expect(again.keys).toEqual(['retry-key']);
    expect(attempts.get('fine')).toEqual([0]);
    // max 2: delivered with reconsumeTimes 0, 1, 2, then the broker moves it to %DLQ%G_RETRY
    await waitFor(() => (attempts.get('always-fails')?.length ?? 0) >= 3, { timeout: 20_000, what: 'three deliveries of the failing message' });
    const reader = new PullConsumer({ namesrvAddrs: c.namesrvAddrs, consumerGroup: 'DLQ_READER' });
    const dead = await waitFor(async () => {
      const [mq] = await reader.queues('%DLQ%G_RETRY').catch(() => []);
      if (mq === undefined) return undefined;
      const got = await reader.pull(mq, { offset: 0 });
      return got.messages.length > 0 && got.messages;
    }, { timeout: 10_000, what: 'the message in %DLQ%G_RETRY' });
    reader.shutdown();
    expect(dead.map((m) => m.body.toString())).toEqual(['always-fails']);
    expect(attempts.get('always-fails')).toEqual([0, 1, 2]);
    expect(r.consumer.stats.sentBack).toBeGreaterThanOrEqual(4);
  });

  it('BROADCASTING: every consumer gets every message; offsets are its own (a local file)', async () => {
    const c = await startCluster();
    const cl = clientsFor(c);
    await createTopic(cl, c, c.broker('broker-a').addr, 'News', 2);
    const { tmpDir } = await import('../support/tmp.js');
    const dir = tmpDir();
    const a = await startConsumer(c, 'G_BCAST', 'News', { messageModel: 'BROADCASTING', localOffsetStoreDir: `${dir}/a` });
    const b = await startConsumer(c, 'G_BCAST', 'News', { messageModel: 'BROADCASTING', localOffsetStoreDir: `${dir}/b` });
    // broadcasting consumers have no %RETRY% subscription: just the topic's two queues
    await waitFor(() => a.consumer.assignedQueues().length === 2 && b.consumer.assignedQueues().length === 2, { what: 'both consumers on both queues' });
    const p = cl.producer();
    for (let i = 0; i < 20; i++) await p.send({ topic: 'News', body: `news-${i}` });
    await waitFor(() => a.received.length >= 20 && b.received.length >= 20, { timeout: 15_000, what: 'both consumers to get all 20' });
    expect([...countBodies(a.received).values()].every((n) => n === 1)).toBe(true);
    expect([...countBodies(b.received).values()].every((n) => n === 1)).toBe(true);
    await a.consumer.shutdown();
    const { readFileSync } = await import('node:fs');
    const saved = JSON.parse(readFileSync(`${dir}/a/G_BCAST/offsets.json`, 'utf8')) as { offsets: { offset: number }[] };
    expect(saved.offsets.reduce((n, o) => n + o.offset, 0)).toBe(20);
  });

  it('a restarted consumer resumes from its committed offsets (nothing from the start again); a new group starts at first/last/timestamp', async () => {
    const c = await startCluster();
    const cl = clientsFor(c);
    await createTopic(cl, c, c.broker('broker-a').addr, 'Resume', 2);
    const p = cl.producer();
    for (let i = 0; i < 10; i++) await p.send({ topic: 'Resume', body: `first-${i}` });
    const one = await startConsumer(c, 'G_RESUME', 'Resume');
    await waitFor(() => one.received.length >= 10, { what: 'the first 10' });
    await one.consumer.shutdown(); // commits
    for (let i = 0; i < 5; i++) await p.send({ topic: 'Resume', body: `second-${i}` });
    const two = await startConsumer(c, 'G_RESUME', 'Resume');
    await waitFor(() => two.received.length >= 5, { what: 'the 5 new ones' });
    expect(two.received.map((m) => m.body.toString()).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `second-${i}`));

    // new groups: LAST skips what is there, FIRST reads it all, TIMESTAMP from that store time
    const last = await startConsumer(c, 'G_NEW_LAST', 'Resume', { consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET' });
    const first = await startConsumer(c, 'G_NEW_FIRST', 'Resume', { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    const cut = two.received.reduce((t, m) => Math.max(t, m.storeTimestamp), 0) + 1;
    const byTime = await startConsumer(c, 'G_NEW_TIME', 'Resume', { consumeFromWhere: 'CONSUME_FROM_TIMESTAMP', consumeTimestamp: cut });
    const resumeQueues = (x: typeof last) => x.consumer.assignedQueues().filter((q) => q.topic === 'Resume').length;
    await waitFor(() => resumeQueues(last) === 2 && resumeQueues(byTime) === 2, { what: 'the new groups to take their queues' });
    await p.send({ topic: 'Resume', body: 'third' });
    await waitFor(() => first.received.length >= 16 && last.received.length >= 1 && byTime.received.length >= 1, { what: 'the new groups to consume' });
    expect(last.received.map((m) => m.body.toString())).toEqual(['third']);
    expect(byTime.received.map((m) => m.body.toString())).toEqual(['third']);
    expect(first.received).toHaveLength(16);
  });

  it('filters by tag expression; holds pulls while the handler is behind (flow control); orderly mode keeps each queue in order', async () => {
    const c = await startCluster();
    const cl = clientsFor(c);
    const addr = c.broker('broker-a').addr;
    await createTopic(cl, c, addr, 'Mixed', 1);
    const p = cl.producer();
    for (let i = 0; i < 30; i++) await p.send({ topic: 'Mixed', body: `m-${i}`, tags: ['A', 'B', 'C'][i % 3] });
    const tagged = await startConsumer(c, 'G_TAGS', { Mixed: 'A || C' });
    await waitFor(() => tagged.received.length >= 20, { what: 'the A and C messages' });
    expect(tagged.received.every((m) => m.tags === 'A' || m.tags === 'C')).toBe(true);

    // flow control: a handler that does not return; at most pullThresholdForQueue (+ one batch) are pulled
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const slow = await startConsumer(c, 'G_SLOW', 'Mixed', { pullThresholdForQueue: 5, pullBatchSize: 4, consumeConcurrency: 2 }, () => gate);
    await waitFor(() => slow.received.length === 2, { what: 'two handlers to start' });
    const groups = new GroupApi(cl.remoting);
    const pulledBefore = slow.consumer.stats.pulls;
    const stats = await groups.consumeStats(addr, 'G_SLOW', 'Mixed');
    expect(stats.queues[0]!.pullOffset).toBeLessThanOrEqual(5 + 4 + 1);
    expect(slow.consumer.stats.pulls).toBe(pulledBefore); // no pull while over the threshold
    release();
    await waitFor(() => slow.received.length >= 30, { what: 'the slow group to finish once released' });

    // orderly: one queue consumed strictly in order, even with a handler that takes its time
    const order: number[] = [];
    await startConsumer(c, 'G_ORDER', 'Mixed', { orderly: true }, async (msg) => {
      order.push(Number(msg.body.toString().slice(2)));
      await new Promise((r) => setTimeout(r, 1));
    });
    await waitFor(() => order.length >= 30, { what: 'the orderly consumer' });
    expect(order.slice(0, 30)).toEqual([...Array(30).keys()]);
  });
});
