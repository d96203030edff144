/**
 * Timer messages on a real `rmqd broker` with our remoting clients: 10,000 messages with random
 * delivery times over 60 s all arrive, none before its time (the lateness is printed: it is
 * measured, not asserted); a recalled message never arrives; pending timers survive kill -9 (and a
 * clean restart); a delivery time past timerMaxDelaySec is refused with a clear message; ali-ons'
 * setStartDeliverTime (__STARTDELIVERTIME) is a timer message too, ali-ons' consumer gets it on time.
 *
 * "Never arrives" is shown with a sentinel: a message due after the recalled ones is waited for —
 * delivery goes in time order, so once it is consumed the recalled ones would have been too.
 */
import { describe, expect, it } from 'vitest';
import type { ConsumedMessage } from '../../../src/client/consumer/consumed-message.js';
import { RecallError, SendError, type Producer, type SendResult } from '../../../src/client/producer.js';
import { PropertyKey } from '../../../src/protocol/message/constants.js';
import { decodeRecallHandle, encodeRecallHandle } from '../../../src/protocol/message/recall-handle.js';
import { ResponseCode } from '../../../src/remoting/codes.js';
import { startCluster, type TestCluster } from '../../support/cluster.js';
import { clientsFor, createTopic, type Clients } from '../../support/clients.js';
import { startConsumer } from '../../support/consumers.js';
import { waitFor } from '../../support/wait.js';
import { freePort } from '../../support/ports.js';
import { aliConsumer, aliMessage, aliProducer } from '../../support/ali-ons.js';

const TOPIC = 'TimerT';

async function cluster(properties: Record<string, string | number> = {}): Promise<{ c: TestCluster; cl: Clients; addr: string }> {
  const c = await startCluster({ brokers: [{ name: 'broker-a', properties: { timerFlushIntervalMs: 200, ...properties } }] });
  const cl = clientsFor(c);
  const addr = c.broker('broker-a').addr;
  await createTopic(cl, c, addr, TOPIC, 4);
  return { c, cl, addr };
}

/** Sends with up to `inFlight` sends outstanding; resolves with every result in order. */
async function sendAll(p: Producer, msgs: { body: string; deliverTimeMs: number }[], inFlight = 64): Promise<SendResult[]> {
  const out: SendResult[] = new Array(msgs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < msgs.length) {
        const i = next++;
        const m = msgs[i]!;
        out[i] = await p.send({ topic: TOPIC, body: m.body, deliverTimeMs: m.deliverTimeMs });
      }
    }),
  );
  return out;
}

interface Arrival {
  body: string;
  at: number;
  storeTimestamp: number;
  dequeueMs: number;
}

function recorder(): { arrivals: Arrival[]; handler: (m: ConsumedMessage) => Promise<void> } {
  const arrivals: Arrival[] = [];
  return {
    arrivals,
    handler: async (m) => {
      arrivals.push({ body: m.body.toString(), at: Date.now(), storeTimestamp: m.storeTimestamp, dequeueMs: Number(m.properties.get(PropertyKey.TIMER_DEQUEUE_MS)) });
    },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

describe('timer messages', () => {
  it('10,000 messages with random delivery times over 60 s: every one arrives, none before its time', { timeout: 180_000 }, async () => {
    const { c, cl } = await cluster();
    const count = 10_000;
    const rec = recorder();
    await startConsumer(c, 'G_TIMER_10K', TOPIC, {}, rec.handler);
    const p = cl.producer();
    const start = Date.now() + 2_000;
    const msgs = Array.from({ length: count }, (_, i) => ({ body: `m${i}`, deliverTimeMs: start + Math.floor(Math.random() * 60_000) }));
    const due = new Map(msgs.map((m) => [m.body, m.deliverTimeMs]));
    const sent = await sendAll(p, msgs);
    const sentBy = Date.now();
    expect(sent.every((r) => r.sendStatus === 'SEND_OK' && r.recallHandle !== undefined)).toBe(true);
    await waitFor(() => new Set(rec.arrivals.map((a) => a.body)).size >= count, { timeout: 120_000, interval: 200, what: `${count} timer messages consumed` });

    const early = rec.arrivals.filter((a) => a.at < due.get(a.body)! || a.storeTimestamp < due.get(a.body)!);
    expect(early).toEqual([]);
    const consumerLate = rec.arrivals.map((a) => a.at - due.get(a.body)!).sort((x, y) => x - y);
    const brokerLate = rec.arrivals.map((a) => a.dequeueMs - due.get(a.body)!).sort((x, y) => x - y);
    const dups = rec.arrivals.length - new Set(rec.arrivals.map((a) => a.body)).size;
    console.log(
      `timer 10k: sent in ${((sentBy - (start - 2_000)) / 1000).toFixed(1)} s; lateness at the broker (TIMER_DEQUEUE_MS − due) p50 ${percentile(brokerLate, 50)} ms, p99 ${percentile(brokerLate, 99)} ms, max ${brokerLate.at(-1)} ms; ` +
        `at the consumer p50 ${percentile(consumerLate, 50)} ms, p99 ${percentile(consumerLate, 99)} ms, max ${consumerLate.at(-1)} ms; duplicates ${dups}`,
    );
    expect(dups).toBe(0);
  });

  it('a recalled message never arrives; a recall too late, of another topic or with a bad handle is refused; the timer metrics count it', { timeout: 60_000 }, async () => {
    const metricsPort = await freePort();
    const { c, cl } = await cluster({ metricsPort });
    const metric = async (name: string): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const m = new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(text);
      if (m === null) throw new Error(`${name} not in /metrics`);
      return Number(m[1]);
    };
    const rec = recorder();
    await startConsumer(c, 'G_TIMER_RECALL', TOPIC, {}, rec.handler);
    const p = cl.producer();
    const due = Date.now() + 4_000;
    const sent = await sendAll(p, Array.from({ length: 20 }, (_, i) => ({ body: `r${i}`, deliverTimeMs: due + i * 10 })));
    await waitFor(async () => (await metric('rocketmq_timing_messages')) === 20, { timeout: 10_000, what: '20 timing messages in /metrics' });
    expect(await metric('rocketmq_timer_enqueue_lag')).toBe(0);
    expect(await metric('rocketmq_timer_dequeue_lag')).toBeLessThan(2_000);
    const recalled = sent.filter((_, i) => i % 2 === 0);
    for (const r of recalled) expect(await p.recallMessage(TOPIC, r.recallHandle!)).toBe(r.msgId);
    // recalling twice is harmless
    expect(await p.recallMessage(TOPIC, recalled[0]!.recallHandle!)).toBe(recalled[0]!.msgId);
    // the handle says topic, broker, time + 1 and message id (RocketMQ's v1 format)
    const h = decodeRecallHandle(sent[1]!.recallHandle!);
    expect(h).toEqual({ topic: TOPIC, brokerName: 'broker-a', timestamp: due + 10 + 1, messageId: sent[1]!.msgId });
    // refused: a handle of no pending message, a forged one, a past one
    const unknown = encodeRecallHandle({ ...h, messageId: '0A0000000000000000000000000000FF' });
    await expect(p.recallMessage(TOPIC, unknown)).rejects.toMatchObject({ responseCode: ResponseCode.QUERY_NOT_FOUND });
    await expect(p.recallMessage(TOPIC, 'not a handle')).rejects.toThrow(/Base64/);
    await expect(p.recallMessage('OtherTopic', sent[1]!.recallHandle!)).rejects.toThrow(/for topic TimerT, not OtherTopic/);
    const past = encodeRecallHandle({ ...h, timestamp: Date.now() - 1_000 });
    await expect(p.recallMessage(TOPIC, past)).rejects.toSatisfy((e: unknown) => e instanceof RecallError && e.responseCode === ResponseCode.ILLEGAL_OPERATION && /delivered/.test(e.message));

    const sentinel = await p.send({ topic: TOPIC, body: 'sentinel', deliverTimeMs: due + 1_500 });
    expect(sentinel.recallHandle).toBeDefined();
    await waitFor(() => rec.arrivals.some((a) => a.body === 'sentinel'), { timeout: 20_000, what: 'the sentinel' });
    const bodies = new Set(rec.arrivals.map((a) => a.body));
    for (let i = 0; i < 20; i++) expect([`r${i}`, bodies.has(`r${i}`)]).toEqual([`r${i}`, i % 2 === 1]);
    // 20 messages, 10 recall markers (the repeated recall found its message already cancelled), the sentinel
    await waitFor(async () => (await metric('rocketmq_timer_dequeue_total')) === 11, { timeout: 5_000, what: '11 delivered in /metrics' });
    expect(await metric('rmq_timer_recalled_total')).toBe(10);
    expect(await metric('rocketmq_timer_enqueue_total')).toBeGreaterThanOrEqual(31);
    expect(await metric('rocketmq_timing_messages')).toBe(0);
    // too late now
    await expect(p.recallMessage(TOPIC, sent[1]!.recallHandle!)).rejects.toThrow(/delivered/);
  });

  it('pending timers (and recalls) survive kill -9 and a clean restart: all arrive, none early, recalled ones never', { timeout: 90_000 }, async () => {
    const { c, cl } = await cluster();
    const p = cl.producer();
    const base = Date.now();
    // due over 0.5–10 s, so some are delivered before the kill, some in between, most after the restart
    const msgs = Array.from({ length: 500 }, (_, i) => ({ body: `k${i}`, deliverTimeMs: base + 500 + Math.floor((i / 500) * 9_500) }));
    const sent = await sendAll(p, msgs);
    const recalledIdx = new Set(msgs.map((_, i) => i).filter((i) => i % 25 === 7 && msgs[i]!.deliverTimeMs > Date.now() + 1_500));
    for (const i of recalledIdx) await p.recallMessage(TOPIC, sent[i]!.recallHandle!);
    const node = c.node('broker-a-0');
    await node.kill9();
    await node.start();
    // a clean restart too, while timers are still pending
    const far = await p.send({ topic: TOPIC, body: 'after-clean-restart', deliverTimeMs: Date.now() + 4_000 });
    expect(far.sendStatus).toBe('SEND_OK');
    await node.restart();
    const rec = recorder();
    await startConsumer(c, 'G_TIMER_KILL', TOPIC, {}, rec.handler);
    await p.send({ topic: TOPIC, body: 'sentinel', deliverTimeMs: Math.max(base + 11_000, Date.now() + 500) });
    await waitFor(() => rec.arrivals.some((a) => a.body === 'sentinel') && rec.arrivals.some((a) => a.body === 'after-clean-restart'), { timeout: 40_000, what: 'the sentinel' });
    const due = new Map(msgs.map((m) => [m.body, m.deliverTimeMs]));
    const got = new Map<string, number>();
    for (const a of rec.arrivals) got.set(a.body, (got.get(a.body) ?? 0) + 1);
    const missing = msgs.filter((m, i) => !recalledIdx.has(i) && !got.has(m.body)).map((m) => m.body);
    expect(missing).toEqual([]);
    expect([...recalledIdx].filter((i) => got.has(`k${i}`))).toEqual([]);
    expect(rec.arrivals.filter((a) => due.has(a.body) && a.storeTimestamp < due.get(a.body)!)).toEqual([]);
    const dups = [...got.values()].filter((n) => n > 1).length;
    console.log(`timer kill -9: ${msgs.length} sent, ${recalledIdx.size} recalled, ${got.size - 2} distinct delivered, ${dups} delivered more than once`);
  });

  it('refuses a delivery time beyond timerMaxDelaySec; a past one is an ordinary message', async () => {
    const { cl } = await cluster({ timerMaxDelaySec: 60 });
    const p = cl.producer();
    const refusal = (e: unknown) => (e as SendError).attempts?.at(-1)?.error ?? String(e);
    await expect(p.send({ topic: TOPIC, body: 'x', deliverTimeMs: Date.now() + 120_000 }).catch(refusal)).resolves.toMatch(/more than this broker's timerMaxDelaySec \(60 s\)/);
    await expect(p.send({ topic: TOPIC, body: 'x', delayMillis: 61_000 }).catch(refusal)).resolves.toMatch(/timerMaxDelaySec/);
    // a delivery time in the past is an ordinary message (no recall handle)
    const now = await p.send({ topic: TOPIC, body: 'x', deliverTimeMs: Date.now() - 1_000 });
    expect(now.recallHandle).toBeUndefined();
    const ok = await p.send({ topic: TOPIC, body: 'x', delayMillis: 30_000 });
    expect(ok.recallHandle).toBeDefined();
  });

  it('with autoBatch on, timer messages are never batched: each is timed (a recall handle) and none arrives early', { timeout: 60_000 }, async () => {
    const { c, cl } = await cluster();
    const rec = recorder();
    await startConsumer(c, 'G_TIMER_AB', TOPIC, {}, rec.handler);
    const p = cl.producer({ autoBatch: { whenInFlight: 0, maxMessages: 16 } });
    await p.send({ topic: TOPIC, body: 'route' }); // the route known: autoBatch gathers from here on
    const due = Date.now() + 2_000;
    const msgs = Array.from({ length: 64 }, (_, i) => ({ body: `ab${i}`, deliverTimeMs: due + (i % 8) * 50 }));
    const sent = await sendAll(p, msgs, 64);
    expect(sent.filter((r) => r.recallHandle === undefined)).toEqual([]);
    await waitFor(() => new Set(rec.arrivals.map((a) => a.body)).size >= msgs.length, { timeout: 30_000, what: 'the 64 timer messages' });
    const dueOf = new Map(msgs.map((m) => [m.body, m.deliverTimeMs]));
    expect(rec.arrivals.filter((a) => a.storeTimestamp < dueOf.get(a.body)!)).toEqual([]);
  });

  it("ali-ons' setStartDeliverTime is a timer message: its consumer gets it no earlier than due", { timeout: 60_000 }, async () => {
    const { c } = await cluster();
    const producer = aliProducer(c.namesrvAddr, 'PID_ALI_TIMER');
    await producer.ready();
    const due = new Map<string, number>();
    for (let i = 0; i < 5; i++) {
      const at = Date.now() + 2_000 + i * 500;
      const m = aliMessage(TOPIC, 'TagT', `ali-${i}`) as ReturnType<typeof aliMessage> & { setStartDeliverTime(ms: number): void };
      m.setStartDeliverTime(at);
      due.set(`ali-${i}`, at);
      expect((await producer.send(m)).sendStatus).toBe('SEND_OK');
    }
    const { consumer } = aliConsumer(c.namesrvAddr, 'CID_ALI_TIMER'); // its boot noise (no offset yet, no retry topic yet) is not the point here
    const got: { body: string; at: number }[] = [];
    consumer.subscribe(TOPIC, '*', async (msg) => {
      got.push({ body: msg.body.toString(), at: Date.now() });
    });
    await consumer.ready();
    try {
      await waitFor(() => got.length >= 5, { timeout: 30_000, what: 'the 5 ali-ons timer messages' });
      for (const g of got) expect(g.at).toBeGreaterThanOrEqual(due.get(g.body)!);
    } finally {
      await consumer.close();
      await producer.close();
    }
  });
});
