/**
 * Our producer and pull against a real `rmqd broker` process registered with a real `rmqd namesrv`:
 * what is sent comes back through PULL_MESSAGE with the same body, tags, keys and properties;
 * the pull statuses and offsets follow docs/design/protocol.md#pull; long polling holds and wakes.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';
import { encodeCommand } from '../../src/remoting/frame-codec.js';
import { PropertyKey } from '../../src/protocol/message/constants.js';
import { formatHostAddress } from '../../src/protocol/message/host.js';
import { parseOffsetMsgId } from '../../src/protocol/message/msg-id.js';
import { decodeProperties } from '../../src/protocol/message/properties.js';
import { sendRequest } from '../../src/client/send-request.js';
import { IO_THREAD_VARIANTS, startCluster } from '../support/cluster.js';
import { clientsFor, createTopic, pullAll } from '../support/clients.js';
import { waitFor } from '../support/wait.js';

describe.each(IO_THREAD_VARIANTS)('send and pull through a real broker (ioThreads=%i)', (ioThreads) => {
  it('stores what the producer sends and serves it back through pull, queue by queue', async () => {
    const c = await startCluster({ brokerProperties: { ioThreads } });
    const cl = clientsFor(c);
    const broker = c.broker('broker-a');
    expect(c.node('broker-a-0').lines.some((l) => l.includes('broker listening') && l.includes(` ioThreads=${ioThreads} `))).toBe(true);
    await createTopic(cl, c, broker.addr, 'SendPull', 2);
    const p = cl.producer();

    const sent = [];
    for (let i = 0; i < 10; i++) {
      const r = await p.send({ topic: 'SendPull', body: `body-${i}`, tags: i % 2 ? 'TagB' : 'TagA', keys: [`k${i}`, 'common'], properties: { seq: String(i) } });
      expect(r.sendStatus).toBe('SEND_OK');
      expect(r.messageQueue.brokerName).toBe('broker-a');
      // offset msgId = the broker's store address + commit-log offset (docs/design/protocol.md#message-ids)
      expect(formatHostAddress(parseOffsetMsgId(r.offsetMsgId).storeHost)).toBe(broker.addr);
      sent.push({ i, r });
    }
    // round robin over both queues, offsets consecutive per queue
    for (const queueId of [0, 1]) {
      const mine = sent.filter((s) => s.r.messageQueue.queueId === queueId);
      expect(mine.length).toBe(5);
      expect(mine.map((s) => s.r.queueOffset)).toEqual([0, 1, 2, 3, 4]);
      const { records } = await pullAll(cl, broker.addr, { consumerGroup: 'CG', topic: 'SendPull', queueId }, 5);
      expect(records.map((r) => r.queueOffset)).toEqual([0, 1, 2, 3, 4]);
      for (const [n, rec] of records.entries()) {
        const s = mine[n]!;
        expect(rec.body.toString()).toBe(`body-${s.i}`);
        expect(rec.topic).toBe('SendPull');
        const props = decodeProperties(rec.properties);
        expect(props.get(PropertyKey.TAGS)).toBe(s.i % 2 ? 'TagB' : 'TagA');
        expect(props.get(PropertyKey.KEYS)).toBe(`k${s.i} common`);
        expect(props.get('seq')).toBe(String(s.i));
        expect(props.get(PropertyKey.UNIQ_CLIENT_MESSAGE_ID_KEYIDX)).toBe(s.r.msgId);
        expect(rec.physicalOffset).toBe(parseOffsetMsgId(s.r.offsetMsgId).commitLogOffset);
      }
    }
  });

  it('filters by tag on the broker, answers the pull statuses (docs/design/protocol.md#pull) with all four header fields', async () => {
    const c = await startCluster({ brokerProperties: { ioThreads } });
    const cl = clientsFor(c);
    const addr = c.broker('broker-a').addr;
    await createTopic(cl, c, addr, 'Statuses', 1);
    const p = cl.producer();
    for (let i = 0; i < 6; i++) await p.send({ topic: 'Statuses', body: `m${i}`, tags: i < 4 ? 'Skip' : 'Want' });

    const pull = (queueOffset: number, subscription = '*') => cl.brokers.pull(addr, { consumerGroup: 'CG', topic: 'Statuses', queueId: 0, queueOffset, subscription });
    const wanted = await pull(0, 'Want || Other');
    expect(wanted).toMatchObject({ status: 'FOUND', nextBeginOffset: 6, minOffset: 0, maxOffset: 6, suggestWhichBrokerId: 0 });
    expect((await pullAll(cl, addr, { consumerGroup: 'CG', topic: 'Statuses', queueId: 0, subscription: 'Want' }, 2)).records.map((r) => r.body.toString())).toEqual(['m4', 'm5']);
    // nothing matches in what is scanned: PULL_RETRY_IMMEDIATELY (20) past the scanned range
    expect(await pull(0, 'Nope')).toMatchObject({ status: 'NO_MATCHED_MSG', nextBeginOffset: 6, minOffset: 0, maxOffset: 6 });
    // at the end: PULL_NOT_FOUND (19), same offset
    expect(await pull(6)).toMatchObject({ status: 'NO_NEW_MSG', nextBeginOffset: 6, remark: 'OFFSET_OVERFLOW_ONE' });
    // past the end: OFFSET_MOVED (21); queue starts at 0 so it is moved to 0
    expect(await pull(9)).toMatchObject({ status: 'OFFSET_ILLEGAL', nextBeginOffset: 0, remark: 'OFFSET_OVERFLOW_BADLY' });
    // a queue never written: 19 at offset 0, 21 back to 0 elsewhere
    await createTopic(cl, c, addr, 'EmptyTopic', 1);
    const empty = (queueOffset: number) => cl.brokers.pull(addr, { consumerGroup: 'CG', topic: 'EmptyTopic', queueId: 0, queueOffset });
    expect(await empty(0)).toMatchObject({ status: 'NO_NEW_MSG', nextBeginOffset: 0, minOffset: 0, maxOffset: 0 });
    expect(await empty(3)).toMatchObject({ status: 'OFFSET_ILLEGAL', nextBeginOffset: 0 });
    // errors: unknown topic 17, queue out of range 29
    await expect(cl.brokers.pull(addr, { consumerGroup: 'CG', topic: 'NoSuchTopic', queueId: 0, queueOffset: 0 })).rejects.toMatchObject({ responseCode: 17 });
    await expect(cl.brokers.pull(addr, { consumerGroup: 'CG', topic: 'Statuses', queueId: 1, queueOffset: 0 })).rejects.toMatchObject({ responseCode: 29 });
    // caps the batch by maxMsgNums
    const two = await cl.brokers.pull(addr, { consumerGroup: 'CG', topic: 'Statuses', queueId: 0, queueOffset: 0, maxMsgNums: 2 });
    expect(two.nextBeginOffset).toBe(2);
  });

  it('holds a pull at the end of the queue until a message arrives (long polling), or until its suspend time ends', async () => {
    const c = await startCluster({ brokerProperties: { ioThreads } });
    const cl = clientsFor(c);
    const addr = c.broker('broker-a').addr;
    await createTopic(cl, c, addr, 'LongPoll', 1);
    const p = cl.producer();
    await p.send({ topic: 'LongPoll', body: 'first' });

    const held = cl.brokers.pull(addr, { consumerGroup: 'CG', topic: 'LongPoll', queueId: 0, queueOffset: 1, suspendTimeoutMillis: 20_000 });
    let settled = false;
    void held.then(() => (settled = true));
    await waitFor(async () => (await cl.brokers.runtimeInfo(addr)).pullHoldRequests === '1', { what: 'the broker to hold the pull' });
    expect(settled).toBe(false);
    // a message on another queue or topic does not wake it
    await createTopic(cl, c, addr, 'OtherTopic', 1);
    await p.send({ topic: 'OtherTopic', body: 'elsewhere' });
    expect(settled).toBe(false);
    await p.send({ topic: 'LongPoll', body: 'second' });
    const r = await held;
    expect(r.status).toBe('FOUND');
    expect(r.nextBeginOffset).toBe(2);

    // a hold whose tag filter the new message does not match keeps waiting until its timeout
    const filtered = cl.brokers.pull(addr, { consumerGroup: 'CG', topic: 'LongPoll', queueId: 0, queueOffset: 2, subscription: 'Wanted', suspendTimeoutMillis: 1_000 });
    await waitFor(async () => (await cl.brokers.runtimeInfo(addr)).pullHoldRequests === '1', { what: 'the filtered hold' });
    await p.send({ topic: 'LongPoll', body: 'unwanted', tags: 'Other' });
    const f = await filtered;
    expect(f.status).not.toBe('FOUND');
    // a short hold with nothing arriving ends NO_NEW_MSG
    const timedOut = await cl.brokers.pull(addr, { consumerGroup: 'CG', topic: 'LongPoll', queueId: 0, queueOffset: 3, suspendTimeoutMillis: 200 });
    expect(timedOut).toMatchObject({ status: 'NO_NEW_MSG', nextBeginOffset: 3 });
  });

  it('batch send: one request, consecutive offsets in one queue, one msgId per message', async () => {
    const c = await startCluster({ brokerProperties: { ioThreads } });
    const cl = clientsFor(c);
    const addr = c.broker('broker-a').addr;
    await createTopic(cl, c, addr, 'Batch', 1);
    const p = cl.producer();
    await p.send({ topic: 'Batch', body: 'before' });
    const r = await p.sendBatch([0, 1, 2].map((i) => ({ topic: 'Batch', body: `b${i}`, keys: `bk${i}` })));
    expect(r.sendStatus).toBe('SEND_OK');
    expect(r.queueOffset).toBe(1);
    expect(r.msgId.split(',')).toHaveLength(3);
    expect(r.offsetMsgId.split(',')).toHaveLength(3);
    const { records } = await pullAll(cl, addr, { consumerGroup: 'CG', topic: 'Batch', queueId: 0 }, 4);
    expect(records.map((x) => x.body.toString())).toEqual(['before', 'b0', 'b1', 'b2']);
    expect(records.slice(1).map((x) => decodeProperties(x.properties).get(PropertyKey.UNIQ_CLIENT_MESSAGE_ID_KEYIDX))).toEqual(r.msgId.split(','));
  });

  it('compresses large bodies (zlib, sysFlag 0x301) and the broker stores them as sent', async () => {
    const c = await startCluster({ brokerProperties: { ioThreads } });
    const cl = clientsFor(c);
    const addr = c.broker('broker-a').addr;
    await createTopic(cl, c, addr, 'Big', 1);
    const body = Buffer.alloc(64 * 1024, 'abcdefgh');
    await cl.producer().send({ topic: 'Big', body });
    const [rec] = (await pullAll(cl, addr, { consumerGroup: 'CG', topic: 'Big', queueId: 0 }, 1)).records;
    expect(rec!.sysFlag & 0x301).toBe(0x301);
    expect(rec!.body.length).toBeLessThan(body.length);
    const { inflateSync } = await import('node:zlib');
    expect(inflateSync(rec!.body).equals(body)).toBe(true);
  });

  it('oneway sends get no answer and are stored all the same', async () => {
    const c = await startCluster({ brokerProperties: { ioThreads } });
    const cl = clientsFor(c);
    const addr = c.broker('broker-a').addr;
    await createTopic(cl, c, addr, 'Oneway', 1);
    const p = cl.producer();
    for (let i = 0; i < 5; i++) await p.sendOneway({ topic: 'Oneway', body: `o${i}` });
    const { records } = await pullAll(cl, addr, { consumerGroup: 'CG', topic: 'Oneway', queueId: 0 }, 5);
    expect(records.map((r) => r.body.toString())).toEqual(['o0', 'o1', 'o2', 'o3', 'o4']);

    // sends of one connection keep their order even when the first has to create the topic
    const sends = Array.from({ length: 20 }, (_, i) =>
      cl.remoting.request(addr, sendRequest({ producerGroup: 'PG', topic: 'AutoOrdered', defaultTopicQueueNums: '1', queueId: 0, sysFlag: 0, bornTimestamp: Date.now(), flag: 0, properties: '', batch: false, body: Buffer.from(`a${i}`) }), 5_000),
    );
    expect((await Promise.all(sends)).map((r) => r.code)).toEqual(Array(20).fill(0));
    const ordered = await pullAll(cl, addr, { consumerGroup: 'CG', topic: 'AutoOrdered', queueId: 0 }, 20);
    expect(ordered.records.map((r) => r.body.toString())).toEqual(Array.from({ length: 20 }, (_, i) => `a${i}`));
  });

  it('a client killed mid-stream (kill -9 while it sends and reads nothing): the broker serves the others and stores whole messages only', async () => {
    const c = await startCluster({ brokerProperties: { ioThreads } });
    const cl = clientsFor(c);
    const addr = c.broker('broker-a').addr;
    await createTopic(cl, c, addr, 'Killed', 1);
    const frame = encodeCommand(sendRequest({ producerGroup: 'PG', topic: 'Killed', defaultTopicQueueNums: '1', queueId: 0, sysFlag: 0, bornTimestamp: Date.now(), flag: 0, properties: '', batch: false, body: Buffer.alloc(1000, 'k') }));
    // another process writes the same send over and over, as fast as its socket takes it
    const script = `const s = require('node:net').connect(${addr.split(':')[1]}, '127.0.0.1');
      const f = Buffer.from(process.argv[1], 'base64'); const many = Buffer.concat(Array(64).fill(f));
      const go = () => { while (s.write(many)); }; s.on('connect', go); s.on('drain', go);`;
    const child = spawn(process.execPath, ['-e', script, frame.toString('base64')], { stdio: 'ignore' });
    onTestFinished(() => void child.kill('SIGKILL'));
    const stored = async () => (await cl.brokers.pull(addr, { consumerGroup: 'CG', topic: 'Killed', queueId: 0, queueOffset: 0, maxMsgNums: 1 })).maxOffset;
    await waitFor(async () => (await stored()) > 200, { what: 'the killed client to store a few hundred messages' });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const p = cl.producer();
    const after = await p.send({ topic: 'Killed', body: 'after the kill' });
    expect(after.sendStatus).toBe('SEND_OK');
    const { records } = await pullAll(cl, addr, { consumerGroup: 'CG', topic: 'Killed', queueId: 0 }, after.queueOffset + 1);
    expect(records.slice(0, -1).every((r) => r.body.length === 1000 && r.body.every((b) => b === 0x6b))).toBe(true);
    expect(records.at(-1)!.body.toString()).toBe('after the kill');
  });
});
