/**
 * POP consumption against a real broker process, through the remoting POP codes (PopApi):
 * receive/ack exactly once; redelivery after the invisible time with the attempt counted; change
 * of invisible time; max attempts to %DLQ%<group>; bad handles refused without changing anything;
 * FIFO per message group under concurrent receivers; long polling woken by arrival, bounded.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GroupApi } from '../../../src/client/group-api.js';
import { PopApi, type PoppedRecord } from '../../../src/client/pop-api.js';
import { sendRequest } from '../../../src/client/send-request.js';
import { recordsOf } from '../../../src/client/broker-api.js';
import { subscriptionGroupConfig } from '../../../src/protocol/group-config.js';
import { NAME_VALUE_SEPARATOR as NV, PROPERTY_SEPARATOR as PS } from '../../../src/protocol/message/constants.js';
import { decodeProperties } from '../../../src/protocol/message/properties.js';
import { ResponseCode } from '../../../src/remoting/codes.js';
import { startCluster, type PropertyValue } from '../../support/cluster.js';
import { clientsFor, createTopic, type Clients } from '../../support/clients.js';
import { waitFor } from '../../support/wait.js';

async function setup(queues = 4, props: Record<string, PropertyValue> = {}) {
  const c = await startCluster({ brokerProperties: props });
  const cl = clientsFor(c);
  const addr = c.broker('broker-a').addr;
  await createTopic(cl, c, addr, 'PopT', queues);
  const pop = new PopApi(cl.remoting, 5_000);
  const producer = cl.producer();
  return { c, cl, addr, pop, producer };
}

/** Sends straight to one queue with raw properties (a FIFO message group is property __SHARDINGKEY). */
async function sendRaw(cl: Clients, addr: string, topic: string, queueId: number, body: string, props: Record<string, string>): Promise<void> {
  let p = '';
  for (const [k, v] of Object.entries(props)) p += k + NV + v + PS;
  const res = await cl.remoting.request(addr, sendRequest({ producerGroup: 'PG_RAW', topic, defaultTopicQueueNums: '4', queueId, sysFlag: 0, bornTimestamp: Date.now(), flag: 0, properties: p, batch: false, body: Buffer.from(body) }), 5_000);
  expect(res.code).toBe(ResponseCode.SUCCESS);
}

/** Pops until `n` messages came (each popped message is returned, none acked). */
async function popN(pop: PopApi, addr: string, group: string, n: number, invisibleMillis: number, extra: { order?: boolean; topic?: string; expression?: string; expressionType?: 'TAG' | 'SQL92' } = {}): Promise<PoppedRecord[]> {
  const got: PoppedRecord[] = [];
  await waitFor(
    async () => {
      const r = await pop.pop(addr, { group, topic: extra.topic ?? 'PopT', invisibleMillis, maxMessages: Math.min(32, n - got.length), initMode: 'first', pollMillis: 1_000, ...(extra.order ? { order: true } : {}), ...(extra.expression === undefined ? {} : { expression: extra.expression, expressionType: extra.expressionType ?? 'TAG' }) });
      if (r.status === 'FOUND') got.push(...r.messages);
      return got.length >= n;
    },
    { what: `${n} messages popped by ${group}`, timeout: 20_000 },
  );
  return got;
}

describe('POP over remoting', () => {
  it('every message is received once and acked; nothing comes back; the group offset reaches the end', async () => {
    const { cl, addr, pop, producer } = await setup();
    const sent = new Set<string>();
    for (let i = 0; i < 100; i++) {
      await producer.send({ topic: 'PopT', body: `m${i}` });
      sent.add(`m${i}`);
    }
    const got: string[] = [];
    await waitFor(
      async () => {
        const r = await pop.pop(addr, { group: 'G1', topic: 'PopT', invisibleMillis: 60_000, maxMessages: 32, initMode: 'first' });
        if (r.status === 'FOUND') {
          // half acked one by one, half in one batch ack
          const [one, rest] = [r.messages.filter((_, i) => i % 2 === 0), r.messages.filter((_, i) => i % 2 === 1)];
          for (const m of one) expect(await pop.ack(addr, 'G1', 'PopT', m.extraInfo)).toEqual({ ok: true });
          if (rest.length > 0) expect(await pop.batchAck(addr, 'G1', 'PopT', rest.map((m) => m.extraInfo))).toEqual({ ok: true });
          for (const m of r.messages) {
            got.push(m.record.body.toString());
            expect(m.deliveryAttempt).toBe(1);
          }
        }
        return got.length >= 100;
      },
      { what: '100 messages popped' },
    );
    expect(got.length).toBe(100);
    expect(new Set(got)).toEqual(sent);
    expect((await pop.pop(addr, { group: 'G1', topic: 'PopT', invisibleMillis: 60_000, pollMillis: 300 })).status).toBe('NOT_FOUND');
    // the group's consumer offset is the end of every queue: no lag
    const stats = await new GroupApi(cl.remoting).consumeStats(addr, 'G1', 'PopT');
    for (const q of stats.queues) expect(q.consumerOffset).toBe(q.brokerOffset);
  });

  it('an unacked message comes back after its invisible time with attempt 2; the group offset stays on it', async () => {
    const { cl, addr, pop, producer } = await setup(1);
    await producer.send({ topic: 'PopT', body: 'a' });
    await producer.send({ topic: 'PopT', body: 'b' });
    const [first, second] = await popN(pop, addr, 'G2', 2, 1_500);
    expect(first!.record.body.toString()).toBe('a');
    expect((await pop.ack(addr, 'G2', 'PopT', second!.extraInfo)).ok).toBe(true);
    const stats = await new GroupApi(cl.remoting).consumeStats(addr, 'G2', 'PopT');
    expect(stats.queues[0]).toMatchObject({ consumerOffset: 0, brokerOffset: 2, inflight: 1 }); // 'a' is not acked: lag 2, one in flight
    const [again] = await popN(pop, addr, 'G2', 1, 30_000);
    expect(again!.record.body.toString()).toBe('a');
    expect(again!.deliveryAttempt).toBe(2);
    expect(again!.record.reconsumeTimes).toBe(1);
    expect(Date.now()).toBeGreaterThanOrEqual(first!.record.storeTimestamp); // sanity
    expect(Number(again!.extraInfo.split(' ')[1])).toBeGreaterThanOrEqual(Number(first!.extraInfo.split(' ')[1]) + 1_500);
    // the first delivery's handle is dead now; the new one works
    expect((await pop.ack(addr, 'G2', 'PopT', first!.extraInfo)).ok).toBe(false);
    expect((await pop.ack(addr, 'G2', 'PopT', again!.extraInfo)).ok).toBe(true);
    await waitFor(async () => (await new GroupApi(cl.remoting).consumeStats(addr, 'G2', 'PopT')).queues[0]!.consumerOffset === 2, { what: 'offset 2 committed' });
  });

  it('change invisible time postpones redelivery and replaces the handle', async () => {
    const { addr, pop, producer } = await setup(1);
    await producer.send({ topic: 'PopT', body: 'x' });
    const [m] = await popN(pop, addr, 'G3', 1, 1_000);
    const changed = await pop.changeInvisibleTime(addr, 'G3', 'PopT', m!.extraInfo, 4_000);
    if (!changed.ok) throw new Error(changed.remark);
    // the old handle is invalid from now on, the new one is what the Java client rebuilds
    expect((await pop.ack(addr, 'G3', 'PopT', m!.extraInfo)).ok).toBe(false);
    expect((await pop.changeInvisibleTime(addr, 'G3', 'PopT', m!.extraInfo, 1_000)).ok).toBe(false);
    // not visible during the new invisible time (a long poll over the old expiry finds nothing)
    const during = await pop.pop(addr, { group: 'G3', topic: 'PopT', invisibleMillis: 10_000, pollMillis: 2_000 });
    expect(during.status).toBe('NOT_FOUND');
    const [again] = await popN(pop, addr, 'G3', 1, 10_000);
    expect(again!.record.body.toString()).toBe('x');
    expect(again!.deliveryAttempt).toBe(2);
    expect(Number(again!.extraInfo.split(' ')[1])).toBeGreaterThanOrEqual(changed.popTime + 4_000);
    // the changed handle died with the redelivery
    expect((await pop.ack(addr, 'G3', 'PopT', changed.extraInfo)).ok).toBe(false);
    expect((await pop.ack(addr, 'G3', 'PopT', again!.extraInfo)).ok).toBe(true);
  });

  it('past the group\'s max attempts the message goes to %DLQ%<group>, readable there', async () => {
    const { cl, addr, pop, producer } = await setup(1);
    await new GroupApi(cl.remoting).createSubscriptionGroup(addr, subscriptionGroupConfig('GD', { retryMaxTimes: 2 })); // 3 attempts
    await producer.send({ topic: 'PopT', body: 'poison', keys: 'k-poison' });
    for (let attempt = 1; attempt <= 3; attempt++) {
      const [m] = await popN(pop, addr, 'GD', 1, 30_000);
      expect(m!.deliveryAttempt).toBe(attempt);
      expect((await pop.changeInvisibleTime(addr, 'GD', 'PopT', m!.extraInfo, 0)).ok).toBe(true); // nack
    }
    expect((await pop.pop(addr, { group: 'GD', topic: 'PopT', invisibleMillis: 30_000, pollMillis: 500 })).status).toBe('NOT_FOUND');
    const r = await cl.brokers.pull(addr, { consumerGroup: 'DLQ_READER', topic: '%DLQ%GD', queueId: 0, queueOffset: 0, maxMsgNums: 32 });
    expect(r.status).toBe('FOUND');
    const [d] = recordsOf(r.body);
    expect(d!.body.toString()).toBe('poison');
    const props = decodeProperties(d!.properties);
    expect(props.get('KEYS')).toBe('k-poison');
    expect(props.get('DLQ_ORIGIN_TOPIC')).toBe('PopT');
    expect(d!.reconsumeTimes).toBe(3);
    // and it left the group: its offset moved past it
    expect((await new GroupApi(cl.remoting).consumeStats(addr, 'GD', 'PopT')).queues[0]!.consumerOffset).toBe(1);
  });

  it('forged, expired, acked and other groups\' handles are refused and change nothing', async () => {
    const { addr, pop, producer } = await setup(1);
    await producer.send({ topic: 'PopT', body: 'h1' });
    await producer.send({ topic: 'PopT', body: 'h2' });
    const [m1, m2] = await popN(pop, addr, 'GH', 2, 2_000);
    const f = m1!.extraInfo.split(' ');
    const forged = [
      [...f.slice(0, 3), String((Number(f[3]) % 1000) + 1), ...f.slice(4)].join(' '), // another nonce
      [f[0], String(Number(f[1]) + 1), ...f.slice(2)].join(' '), // another pop time
      [...f.slice(0, 5), 'broker-x', ...f.slice(6)].join(' '), // another broker
      'garbage',
      '',
      `${f.join(' ')} extra`,
    ];
    for (const h of forged) {
      expect((await pop.ack(addr, 'GH', 'PopT', h)).ok, h).toBe(false);
      expect((await pop.changeInvisibleTime(addr, 'GH', 'PopT', h, 0)).ok, h).toBe(false);
    }
    // another group's: refused for that group, and the owner's still works afterwards
    expect((await pop.ack(addr, 'OTHER', 'PopT', m1!.extraInfo)).ok).toBe(false);
    expect((await pop.changeInvisibleTime(addr, 'OTHER', 'PopT', m1!.extraInfo, 0)).ok).toBe(false);
    expect((await pop.ack(addr, 'GH', 'PopT', m1!.extraInfo)).ok).toBe(true);
    // acked: refused the second time
    expect((await pop.ack(addr, 'GH', 'PopT', m1!.extraInfo)).ok).toBe(false);
    // expired: refused, and the message still comes back (attempt 2)
    await waitFor(() => Date.now() > Number(m2!.extraInfo.split(' ')[1]) + 2_000, { what: 'the handle to expire' });
    const expired = await pop.ack(addr, 'GH', 'PopT', m2!.extraInfo);
    expect(expired.ok).toBe(false);
    expect(expired.ok ? '' : expired.remark).toMatch(/EXPIRED/);
    const [again] = await popN(pop, addr, 'GH', 1, 30_000);
    expect(again!.record.body.toString()).toBe('h2');
    expect(again!.deliveryAttempt).toBe(2);
    // m1 (acked) never came back
    expect((await pop.pop(addr, { group: 'GH', topic: 'PopT', invisibleMillis: 30_000, pollMillis: 300 })).status).toBe('NOT_FOUND');
  });

  it('FIFO: per message group in order, the next only after the previous is acked, under concurrent receivers', async () => {
    const { cl, addr, pop } = await setup(2);
    const groups = ['ga', 'gb', 'gc'];
    const PER = 12;
    // interleaved sends; a group always to the same queue
    for (let i = 0; i < PER; i++) for (const [gi, g] of groups.entries()) await sendRaw(cl, addr, 'PopT', gi % 2, `${g}:${i}`, { __SHARDINGKEY: g, UNIQ_KEY: `${g}-${i}` });
    const acked = new Map(groups.map((g) => [g, -1]));
    const log: string[] = [];
    let nacked = 0;
    const receiver = async (id: number) => {
      while ([...acked.values()].some((v) => v < PER - 1)) {
        const r = await pop.pop(addr, { group: 'GF', topic: 'PopT', invisibleMillis: 20_000, maxMessages: 8, order: true, initMode: 'first', pollMillis: 500 });
        if (r.status !== 'FOUND') continue;
        for (const m of r.messages) {
          const [g, seq] = m.record.body.toString().split(':') as [string, string];
          // the previous message of its group was acked before this one was handed out
          expect(acked.get(g), `${g}:${seq} delivered to receiver ${id} before ${g}:${Number(seq) - 1} was acked`).toBe(Number(seq) - 1);
          log.push(`${id} ${g}:${seq} #${m.deliveryAttempt}`);
          // now and then a receiver gives a message back (nack): it must come again before its successor
          if (Number(seq) % 5 === 2 && m.deliveryAttempt === 1) {
            nacked++;
            expect((await pop.changeInvisibleTime(addr, 'GF', 'PopT', m.extraInfo, 0)).ok).toBe(true);
            continue;
          }
          acked.set(g, Number(seq));
          expect((await pop.ack(addr, 'GF', 'PopT', m.extraInfo)).ok).toBe(true);
        }
      }
    };
    await Promise.all([0, 1, 2, 3].map(receiver));
    for (const g of groups) expect(acked.get(g)).toBe(PER - 1);
    expect(nacked).toBeGreaterThan(0);
  }, 90_000);

  it('FIFO: a receive repeated with the same attempt id gets the same in-flight batch, with new handles', async () => {
    const { cl, addr, pop } = await setup(1);
    for (let i = 0; i < 3; i++) await sendRaw(cl, addr, 'PopT', 0, `g${i}`, { __SHARDINGKEY: `k${i}` });
    const first = await pop.pop(addr, { group: 'GA', topic: 'PopT', invisibleMillis: 30_000, order: true, attemptId: 'att-1', initMode: 'first' });
    const second = await pop.pop(addr, { group: 'GA', topic: 'PopT', invisibleMillis: 30_000, order: true, attemptId: 'att-1', initMode: 'first' });
    if (first.status !== 'FOUND' || second.status !== 'FOUND') throw new Error('expected messages');
    expect(second.messages.map((m) => m.record.queueOffset)).toEqual(first.messages.map((m) => m.record.queueOffset));
    expect(second.messages.map((m) => m.deliveryAttempt)).toEqual(first.messages.map(() => 1));
    expect((await pop.ack(addr, 'GA', 'PopT', first.messages[0]!.extraInfo)).ok).toBe(false);
    for (const m of second.messages) expect((await pop.ack(addr, 'GA', 'PopT', m.extraInfo)).ok).toBe(true);
    // another attempt id while nothing is visible: nothing
    expect((await pop.pop(addr, { group: 'GA', topic: 'PopT', invisibleMillis: 30_000, order: true, attemptId: 'att-2' })).status).toBe('NOT_FOUND');
  });

  it('a long poll is answered by a message arriving; past maxPopPollingSize receives get POLLING_FULL', async () => {
    const { addr, pop, producer } = await setup(4, { maxPopPollingSize: 20 });
    // the group starts at the queues' current ends: one receive first
    expect((await pop.pop(addr, { group: 'GL', topic: 'PopT', invisibleMillis: 30_000 })).status).toBe('NOT_FOUND');
    const status: (string | undefined)[] = Array.from({ length: 30 }, () => undefined);
    const polls = Array.from({ length: 30 }, (_, i) =>
      pop.pop(addr, { group: 'GL', topic: 'PopT', invisibleMillis: 30_000, pollMillis: 8_000, maxMessages: 1 }).then((r) => {
        status[i] = r.status;
        return r;
      }),
    );
    // 10 of the 30 could not wait
    await waitFor(() => status.filter((s) => s === 'POLLING_FULL').length === 10, { what: '10 POLLING_FULL answers' });
    expect(status.filter((s) => s !== undefined).length).toBe(10);
    for (let i = 0; i < 5; i++) await producer.send({ topic: 'PopT', body: `lp${i}` });
    const results = await Promise.all(polls);
    const found = results.filter((r) => r.status === 'FOUND');
    expect(found.flatMap((r) => (r.status === 'FOUND' ? r.messages.map((m) => m.record.body.toString()) : [])).sort()).toEqual(['lp0', 'lp1', 'lp2', 'lp3', 'lp4']);
    expect(results.filter((r) => r.status === 'POLLING_FULL').length).toBe(10);
    expect(results.filter((r) => r.status === 'NOT_FOUND').length).toBe(15);
  }, 60_000);
  it('handles stay valid across a restart; without a snapshot the journal alone rebuilds the state (a promoted slave has no snapshot)', async () => {
    const { c, cl, addr, pop, producer } = await setup(2);
    for (let i = 0; i < 4; i++) await producer.send({ topic: 'PopT', body: `r${i}` });
    const ms = await popN(pop, addr, 'GR', 4, 60_000);
    expect((await pop.ack(addr, 'GR', 'PopT', ms[0]!.extraInfo)).ok).toBe(true);
    const changed = await pop.changeInvisibleTime(addr, 'GR', 'PopT', ms[1]!.extraInfo, 50_000);
    if (!changed.ok) throw new Error(changed.remark);
    const broker = c.broker('broker-a');
    for (const dropSnapshot of [false, true]) {
      await broker.stop();
      if (dropSnapshot) rmSync(path.join(broker.dir, 'store', 'pop', 'state.json'));
      await broker.start();
      // nothing visible: three still in flight, one acked
      expect((await pop.pop(addr, { group: 'GR', topic: 'PopT', invisibleMillis: 60_000, pollMillis: 300 })).status).toBe('NOT_FOUND');
      const stats = await new GroupApi(cl.remoting).consumeStats(addr, 'GR', 'PopT');
      expect(stats.queues.reduce((n, q) => n + (q.inflight ?? 0), 0)).toBe(3);
      // the old handle of the changed one is still dead, the others still refused when stale
      expect((await pop.ack(addr, 'GR', 'PopT', ms[1]!.extraInfo)).ok).toBe(false);
      expect((await pop.ack(addr, 'GR', 'PopT', ms[0]!.extraInfo)).ok).toBe(false);
    }
    // the live handles from before both restarts still work
    for (const h of [changed.extraInfo, ms[2]!.extraInfo, ms[3]!.extraInfo]) expect((await pop.ack(addr, 'GR', 'PopT', h)).ok, h).toBe(true);
    const stats = await new GroupApi(cl.remoting).consumeStats(addr, 'GR', 'PopT');
    for (const q of stats.queues) expect(q.consumerOffset).toBe(q.brokerOffset);
  });

  it('a slave refuses POP (the master serves it) and holds the journal the master wrote', async () => {
    const c = await startCluster({ brokers: [{ name: 'broker-a' }, { name: 'broker-a', id: 1 }] });
    const cl = clientsFor(c);
    const master = c.broker('broker-a').addr;
    await createTopic(cl, c, master, 'PopT', 1);
    const pop = new PopApi(cl.remoting, 5_000);
    await cl.producer().send({ topic: 'PopT', body: 's' });
    const [m] = await popN(pop, master, 'GS', 1, 60_000);
    expect((await pop.ack(master, 'GS', 'PopT', m!.extraInfo)).ok).toBe(true);
    const slave = c.node('broker-a-1').addr;
    await expect(pop.pop(slave, { group: 'GS', topic: 'PopT', invisibleMillis: 60_000 })).rejects.toThrow(/slave/);
    // the journal (pop + ack) reached the slave like any message
    await waitFor(async () => (await cl.brokers.maxOffset(slave, 'rmq_sys_POP_JOURNAL', 0)) >= 2, { what: 'the POP journal on the slave' });
  });
  it('filters: TAG and SQL92 (enablePropertyFilter); messages the filter does not take are done for the group', async () => {
    const { cl, addr, pop, producer } = await setup(2, { enablePropertyFilter: true });
    for (let i = 0; i < 20; i++) await producer.send({ topic: 'PopT', body: `f${i}`, tags: i % 2 === 0 ? 'even' : 'odd', properties: { n: String(i) } });
    const sql = await popN(pop, addr, 'GQ', 7, 60_000, { expressionType: 'SQL92', expression: 'n >= 10 AND n < 17' });
    expect(sql.map((m) => m.record.body.toString()).sort()).toEqual(['f10', 'f11', 'f12', 'f13', 'f14', 'f15', 'f16']);
    for (const m of sql) expect((await pop.ack(addr, 'GQ', 'PopT', m.extraInfo)).ok).toBe(true);
    expect((await pop.pop(addr, { group: 'GQ', topic: 'PopT', invisibleMillis: 60_000, expressionType: 'SQL92', expression: 'n >= 10 AND n < 17', pollMillis: 300 })).status).toBe('NOT_FOUND');
    await waitFor(async () => (await new GroupApi(cl.remoting).consumeStats(addr, 'GQ', 'PopT')).queues.every((q) => q.consumerOffset === q.brokerOffset), { what: 'GQ at the queue ends' });
    const tag = await popN(pop, addr, 'GT', 10, 60_000, { expression: 'even' });
    expect(tag.every((m) => m.properties.get('TAGS') === 'even')).toBe(true);
    await expect(pop.pop(addr, { group: 'GQ', topic: 'PopT', invisibleMillis: 60_000, expressionType: 'SQL92', expression: 'n >>> 1' })).rejects.toThrow(/SUBSCRIPTION_PARSE_FAILED|parse/);
  });
});
