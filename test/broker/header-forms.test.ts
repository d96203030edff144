/**
 * The two header forms of the remoting protocol against a real `rmqd broker` and `rmqd namesrv`,
 * at the same time: ali-ons (JSON only: it JSON.parses every header it reads) and our client set
 * to the binary ROCKETMQ form both send and read back, and each gets answers it can read — the
 * broker answers every request in the form it came in (docs/design/protocol.md#binary-header).
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { BrokerApi, recordsOf } from '../../src/client/broker-api.js';
import { Producer } from '../../src/client/producer.js';
import { sendRequest } from '../../src/client/send-request.js';
import { PropertyKey } from '../../src/protocol/message/constants.js';
import { findProperty } from '../../src/protocol/message/properties.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { RequestCode } from '../../src/remoting/codes.js';
import { createRequest } from '../../src/remoting/command.js';
import { aliMessage, aliProducer } from '../support/ali-ons.js';
import { clientsFor, createTopic, pullAll } from '../support/clients.js';
import { startCluster } from '../support/cluster.js';

describe('JSON and binary (ROCKETMQ) headers against one broker', () => {
  it('ali-ons and a binary-header client both send, read back, and get answers in their own form', async () => {
    const c = await startCluster();
    const cl = clientsFor(c);
    const broker = c.broker('broker-a');
    await createTopic(cl, c, broker.addr, 'Forms', 2);

    const binary = new RemotingClient({ serializeType: 'ROCKETMQ' });
    onTestFinished(() => binary.shutdown());
    const ali = aliProducer(c.namesrvAddr, 'PID_FORMS');
    onTestFinished(() => void ali.close().catch(() => {}));
    await ali.ready();
    const ours = new Producer({ namesrvAddrs: c.namesrvAddrs, producerGroup: 'PG_FORMS', remoting: binary });
    onTestFinished(() => ours.shutdown());

    // interleaved on the same broker: ali-ons' JSON frames and our binary ones
    const sent: { who: string; body: string; queueId: number; offset: number; msgId: string }[] = [];
    for (let i = 0; i < 6; i++) {
      const a = await ali.send(aliMessage('Forms', 'TagA', `ali ${i} ünïcödé`));
      expect(a.sendStatus).toBe('SEND_OK');
      sent.push({ who: 'ali', body: `ali ${i} ünïcödé`, queueId: Number(a.messageQueue.queueId), offset: a.queueOffset, msgId: a.msgId });
      const o = await ours.send({ topic: 'Forms', body: Buffer.from(`bin ${i} ✓`), tags: 'TagB', keys: [`k${i}`] });
      expect(o.sendStatus).toBe('SEND_OK');
      sent.push({ who: 'bin', body: `bin ${i} ✓`, queueId: o.messageQueue.queueId, offset: o.queueOffset, msgId: o.msgId });
    }
    // every send got its own place in its queue
    const places = new Set(sent.map((s) => `${s.queueId}/${s.offset}`));
    expect(places.size).toBe(sent.length);

    // read back: the JSON client (clientsFor) and the binary one see the same records
    const binApi = new BrokerApi(binary, 5_000);
    for (const s of sent) {
      const viaJson = await pullAll(cl, broker.addr, { consumerGroup: 'CG_FORMS', topic: 'Forms', queueId: s.queueId, from: s.offset, maxMsgNums: 1 }, 1);
      expect(viaJson.records[0]?.body.toString()).toBe(s.body);
      const r = await binApi.pull(broker.addr, { consumerGroup: 'CG_FORMS', topic: 'Forms', queueId: s.queueId, queueOffset: s.offset, maxMsgNums: 1 });
      expect(r.status).toBe('FOUND');
      const rec = recordsOf(r.body!)[0]!;
      expect(rec.body.toString()).toBe(s.body);
      expect(findProperty(rec.properties, PropertyKey.TAGS)).toBe(s.who === 'ali' ? 'TagA' : 'TagB');
    }

    // the raw answers: binary in, binary out (a send, a refusal with a remark, an unknown code); JSON in, JSON out
    const send = sendRequest({ producerGroup: 'PG_RAW', topic: 'Forms', defaultTopicQueueNums: '4', queueId: 0, sysFlag: 0, bornTimestamp: Date.now(), flag: 0, properties: 'TAGS\u0001raw\u0002', batch: false, body: Buffer.from('raw') });
    const bin = await binary.request(broker.addr, send, 5_000);
    expect(bin).toMatchObject({ code: 0, serializeType: 'ROCKETMQ' });
    expect(bin.extFields).toMatchObject({ queueId: '0', MSG_REGION: 'DefaultRegion', TRACE_ON: 'true' });
    expect(bin.extFields?.msgId).toMatch(/^[0-9A-F]{32}$/);
    const json = await cl.remoting.request(broker.addr, { ...send, opaque: send.opaque + 1, serializeType: undefined }, 5_000);
    expect(json).toMatchObject({ code: 0, serializeType: 'JSON' });
    expect(Number(json.extFields?.queueOffset)).toBe(Number(bin.extFields?.queueOffset) + 1);
    const refused = await binary.request(broker.addr, sendRequest({ producerGroup: 'PG_RAW', topic: 'Forms', defaultTopicQueueNums: '4', queueId: 99, sysFlag: 0, bornTimestamp: 0, flag: 0, properties: '', batch: false, body: Buffer.from('x') }), 5_000);
    expect(refused).toMatchObject({ code: 29, serializeType: 'ROCKETMQ' });
    expect(refused.remark).toMatch(/queueId\[99\] is illegal/);
    const unknown = await binary.request(broker.addr, createRequest(4242), 5_000);
    expect(unknown).toMatchObject({ code: 3, serializeType: 'ROCKETMQ' });
    // and the NameServer answers the binary route request in binary
    const route = await binary.request(c.namesrvAddr, createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { extFields: { topic: 'Forms' } }), 5_000);
    expect(route).toMatchObject({ code: 0, serializeType: 'ROCKETMQ' });
    expect(JSON.parse(route.body!.toString()).queueDatas[0].brokerName).toBe('broker-a');
  });
});
