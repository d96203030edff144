/**
 * Delayed messages and retries on a real `rmqd broker`: a message with a delay level is held in
 * SCHEDULE_TOPIC_XXXX and delivered to its topic no earlier than its level's delay, also across a
 * clean restart and a kill -9 (delay offsets in config/delayOffset.json); CONSUMER_SEND_MSG_BACK
 * puts a failed message on %RETRY%<group> with RocketMQ's delay (3 + reconsumeTimes) and retry
 * properties, and on %DLQ%<group> after maxReconsumeTimes; a client's own send to %RETRY% past the
 * maximum goes to the DLQ too. The broker runs with short levels (messageDelayLevel=1s 2s 3s …).
 */
import { describe, expect, it } from 'vitest';
import { recordsOf } from '../../src/client/broker-api.js';
import { GroupApi } from '../../src/client/group-api.js';
import { RequestCode, ResponseCode } from '../../src/remoting/codes.js';
import { PropertyKey } from '../../src/protocol/message/constants.js';
import { offsetMsgId } from '../../src/protocol/message/msg-id.js';
import { decodeProperties } from '../../src/protocol/message/properties.js';
import type { MessageRecord } from '../../src/protocol/message/record.js';
import { createRequest } from '../../src/remoting/command.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { clientsFor, createTopic, type Clients } from '../support/clients.js';
import { waitFor } from '../support/wait.js';

const LEVELS = '1s 2s 3s 4s 5s';

/** Every record of a queue from `from` on, pulled now (no waiting). */
async function readQueue(cl: Clients, addr: string, topic: string, queueId = 0, from = 0): Promise<MessageRecord[]> {
  const out: MessageRecord[] = [];
  let offset = from;
  for (;;) {
    let r;
    try {
      r = await cl.brokers.pull(addr, { consumerGroup: 'READER', topic, queueId, queueOffset: offset, maxMsgNums: 32 });
    } catch (e) {
      if ((e as { responseCode?: number }).responseCode === ResponseCode.TOPIC_NOT_EXIST) return out;
      throw e;
    }
    if (r.status !== 'FOUND') return out;
    out.push(...recordsOf(r.body));
    offset = r.nextBeginOffset;
  }
}

const props = (r: MessageRecord) => decodeProperties(r.properties);

async function cluster(extra: Record<string, string | number> = {}): Promise<{ c: TestCluster; cl: Clients; addr: string }> {
  const c = await startCluster({ brokers: [{ name: 'broker-a', properties: { messageDelayLevel: LEVELS, flushDelayOffsetInterval: 200, ...extra } }] });
  const cl = clientsFor(c);
  const addr = c.broker('broker-a').addr;
  await createTopic(cl, c, addr, 'Delayed', 1);
  return { c, cl, addr };
}

describe('delayed messages', () => {
  it('holds a message in SCHEDULE_TOPIC_XXXX and delivers it to its topic no earlier than its level (1 s, 2 s), without DELAY', async () => {
    const { cl, addr } = await cluster();
    const p = cl.producer();
    const sentAt = Date.now();
    const one = await p.send({ topic: 'Delayed', body: 'after 1 s', tags: 'T1', keys: ['k1'], delayTimeLevel: 1 });
    const two = await p.send({ topic: 'Delayed', body: 'after 2 s', delayTimeLevel: 2 });
    expect(one.sendStatus).toBe('SEND_OK');
    // parked: queue level-1 of the schedule topic, real topic and queue in properties
    const parked = await readQueue(cl, addr, 'SCHEDULE_TOPIC_XXXX', 0);
    expect(parked.map((r) => r.body.toString())).toEqual(['after 1 s']);
    expect(props(parked[0]!).get(PropertyKey.REAL_TOPIC)).toBe('Delayed');
    expect(props(parked[0]!).get(PropertyKey.REAL_QUEUE_ID)).toBe('0');
    expect((await readQueue(cl, addr, 'Delayed')).map((r) => r.body.toString())).not.toContain('after 2 s');

    const delivered = await waitFor(async () => {
      const got = await readQueue(cl, addr, 'Delayed');
      return got.length === 2 && got;
    }, { timeout: 15_000, what: 'both delayed messages in their topic' });
    const byBody = new Map(delivered.map((r) => [r.body.toString(), r]));
    const d1 = byBody.get('after 1 s')!;
    const d2 = byBody.get('after 2 s')!;
    // no earlier than the level's delay after the original was stored
    expect(d1.storeTimestamp - parked[0]!.storeTimestamp).toBeGreaterThanOrEqual(1_000);
    expect(d2.storeTimestamp - sentAt).toBeGreaterThanOrEqual(2_000 - 50);
    expect(props(d1).get(PropertyKey.DELAY_TIME_LEVEL)).toBeUndefined();
    expect(props(d1).get(PropertyKey.TAGS)).toBe('T1');
    expect(props(d1).get(PropertyKey.KEYS)).toBe('k1');
    expect(props(d1).get(PropertyKey.UNIQ_CLIENT_MESSAGE_ID_KEYIDX)).toBe(one.msgId);
    expect(props(d2).get(PropertyKey.UNIQ_CLIENT_MESSAGE_ID_KEYIDX)).toBe(two.msgId);
    const offsets = await new GroupApi(cl.remoting).allDelayOffsets(addr);
    expect(offsets.offsetTable.get(1)).toBe(1);
    expect(offsets.offsetTable.get(2)).toBe(1);
  });

  it('delivers what was pending across a clean restart and a kill -9 (at least once; duplicates counted)', async () => {
    const { c, cl, addr } = await cluster();
    const broker = c.broker('broker-a');
    const p = cl.producer();
    await p.send({ topic: 'Delayed', body: 'before clean stop', delayTimeLevel: 3 });
    await broker.restart();
    await waitFor(async () => (await readQueue(cl, addr, 'Delayed')).some((r) => r.body.toString() === 'before clean stop'), { timeout: 15_000, what: 'the message pending at the clean stop' });

    await p.send({ topic: 'Delayed', body: 'before kill', delayTimeLevel: 3 });
    await broker.kill9();
    await broker.start();
    const after = await waitFor(async () => {
      const got = await readQueue(cl, addr, 'Delayed');
      return got.some((r) => r.body.toString() === 'before kill') && got;
    }, { timeout: 15_000, what: 'the message pending at the kill' });
    const dups = after.length - new Set(after.map((r) => r.body.toString())).size;
    console.log(`delayed delivery across restarts: ${after.length} deliveries, ${dups} duplicate(s)`);
    expect(new Set(after.map((r) => r.body.toString()))).toEqual(new Set(['before clean stop', 'before kill']));
  });
});

describe('retry and dead-letter queues', () => {
  it('sends a failed message back to %RETRY%<group> with delay 3 + reconsumeTimes, then to %DLQ%<group> after maxReconsumeTimes', async () => {
    const { cl, addr } = await cluster();
    const groups = new GroupApi(cl.remoting, 5_000);
    const p = cl.producer();
    const sent = await p.send({ topic: 'Delayed', body: 'fails', tags: 'Bad', keys: ['order-7'] });
    const [orig] = await readQueue(cl, addr, 'Delayed');
    const sentBackAt = Date.now();
    await groups.sendBack(addr, { commitLogOffset: orig!.physicalOffset, group: 'RG', delayLevel: 0, originTopic: 'Delayed', maxReconsumeTimes: 1 });
    // level 3 (3 s here) for a first failure
    const [retry] = await waitFor(async () => {
      const got = await readQueue(cl, addr, '%RETRY%RG');
      return got.length === 1 && got;
    }, { timeout: 15_000, what: 'the message on %RETRY%RG' });
    expect(retry!.storeTimestamp - sentBackAt).toBeGreaterThanOrEqual(3_000 - 50);
    expect(retry!.reconsumeTimes).toBe(1);
    expect(retry!.body.toString()).toBe('fails');
    const rp = props(retry!);
    expect(rp.get(PropertyKey.RETRY_TOPIC)).toBe('Delayed');
    expect(rp.get(PropertyKey.ORIGIN_MESSAGE_ID)).toBe(offsetMsgId(orig!.storeHost, orig!.physicalOffset));
    expect(rp.get(PropertyKey.UNIQ_CLIENT_MESSAGE_ID_KEYIDX)).toBe(sent.msgId);
    expect(rp.get(PropertyKey.TAGS)).toBe('Bad');

    // it failed again and has been consumed maxReconsumeTimes (1) times: dead letter, at once
    await groups.sendBack(addr, { commitLogOffset: retry!.physicalOffset, group: 'RG', delayLevel: 0, originTopic: 'Delayed', maxReconsumeTimes: 1 });
    const [dead] = await readQueue(cl, addr, '%DLQ%RG');
    expect(dead!.reconsumeTimes).toBe(2);
    expect(props(dead!).get(PropertyKey.ORIGIN_MESSAGE_ID)).toBe(rp.get(PropertyKey.ORIGIN_MESSAGE_ID));
    expect(props(dead!).get(PropertyKey.DELAY_TIME_LEVEL)).toBeUndefined();

    // delayLevel < 0: straight to the DLQ
    await groups.sendBack(addr, { commitLogOffset: orig!.physicalOffset, group: 'RG', delayLevel: -1, maxReconsumeTimes: 16 });
    expect(await readQueue(cl, addr, '%DLQ%RG')).toHaveLength(2);
    await expect(groups.sendBack(addr, { commitLogOffset: 123_456_789, group: 'RG', delayLevel: 0 })).rejects.toMatchObject({ responseCode: ResponseCode.SYSTEM_ERROR });
  });

  it('puts a client’s own send to %RETRY%<group> past maxReconsumeTimes on %DLQ%<group> (ali-ons’ fallback path)', async () => {
    const { cl, addr } = await cluster();
    // SEND_MESSAGE_V2 as ali-ons sends its fallback retry: j = reconsumeTimes, l = maxReconsumeTimes, version 121
    const send = (reconsumeTimes: number) => {
      const req = createRequest(RequestCode.SEND_MESSAGE_V2, {
        extFields: { a: 'PG', b: '%RETRY%FG', c: 'TBW102', d: '4', e: '0', f: '0', g: String(Date.now()), h: '0', i: `RETRY_TOPIC\u0001Delayed\u0002`, j: String(reconsumeTimes), k: 'false', l: '3' },
        body: Buffer.from(`try ${reconsumeTimes}`),
      });
      req.version = 121;
      return cl.remoting.request(addr, req, 5_000);
    };
    expect((await send(2)).code).toBe(ResponseCode.SUCCESS);
    expect((await send(4)).code).toBe(ResponseCode.SUCCESS);
    expect((await readQueue(cl, addr, '%RETRY%FG')).map((r) => r.body.toString())).toEqual(['try 2']);
    expect((await readQueue(cl, addr, '%DLQ%FG')).map((r) => r.body.toString())).toEqual(['try 4']);
  });
});
