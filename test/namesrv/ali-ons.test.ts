/**
 * A third-party RocketMQ client (ali-ons 3.12.0, pure JS, from npm) against a real `rmqd namesrv`.
 *
 * The fake broker is a real remoting server that registers with the NameServer exactly as a broker
 * does (REGISTER_BROKER with its topic table). The observation is the honest end-to-end one: ali-ons
 * asks the NameServer for the topic's route and then sends the message to the address the route
 * names, onto a queue the route says exists — which only works if ali-ons understood our route.
 */
import { createRequire } from 'node:module';
import { describe, expect, it, onTestFinished } from 'vitest';
import { RequestCode, ResponseCode } from '../../src/remoting/codes.js';
import { decodeHeader } from '../../src/protocol/header-spec.js';
import { SendMessageRequestHeaderV2, type SendMessageRequestV2 } from '../../src/protocol/headers/broker.js';
import { topicConfig } from '../../src/protocol/topic-config.js';
import { createResponse } from '../../src/remoting/command.js';
import { HandlerTable } from '../../src/remoting/dispatcher.js';
import { FakeBroker, startNamesrvProcess } from '../support/namesrv.js';
import { startServer } from '../support/remoting.js';

interface AliProducer {
  ready(): Promise<void>;
  send(msg: unknown): Promise<{ sendStatus: string; msgId: string; messageQueue: { topic: string; brokerName: string; queueId: number } }>;
  close(): Promise<void>;
}
interface AliOns {
  Producer: new (opts: Record<string, unknown>) => AliProducer;
  Message: new (topic: string, tags: string, body: string | Buffer) => unknown;
}
const require = createRequire(import.meta.url);
const ons = require('ali-ons') as AliOns;

/** A broker's client-facing side, just enough for a producer: heartbeat, send, unregister. */
async function startFakeBrokerServer() {
  const sends: { header: SendMessageRequestV2; body: string; version: number }[] = [];
  const table = new HandlerTable()
    .on(RequestCode.HEART_BEAT, (req) => createResponse(req, ResponseCode.SUCCESS))
    .on(RequestCode.UNREGISTER_CLIENT, (req) => createResponse(req, ResponseCode.SUCCESS))
    .on(RequestCode.SEND_MESSAGE_V2, (req) => {
      const header = decodeHeader(SendMessageRequestHeaderV2, req.extFields);
      sends.push({ header, body: req.body?.toString() ?? '', version: req.version });
      return createResponse(req, ResponseCode.SUCCESS, {
        extFields: { msgId: '7F00000100002A9F0000000000000000', queueId: String(header.e), queueOffset: String(sends.length - 1) },
      });
    });
  const { addr } = await startServer({ dispatcher: table });
  return { addr, sends };
}

function newProducer(nameSrv: string, logs: string[]): AliProducer {
  const logger = { info() {}, debug() {}, warn: (...a: unknown[]) => logs.push(a.map(String).join(' ')), error: (...a: unknown[]) => logs.push(a.map(String).join(' ')) };
  const producer = new ons.Producer({ nameSrv, httpclient: {}, producerGroup: 'PID_RMQCTL_TEST', logger });
  onTestFinished(() => producer.close());
  return producer;
}

describe('ali-ons against rmqd namesrv', () => {
  it('gets the route of a registered topic and sends to the broker it names', async () => {
    const ns = await startNamesrvProcess();
    const server = await startFakeBrokerServer();
    const broker = new FakeBroker({ brokerName: 'broker-a', brokerAddr: server.addr, topics: [topicConfig('AliTopic', { readQueueNums: 3, writeQueueNums: 3 })] });
    await broker.register(ns.addr);

    const logs: string[] = [];
    const producer = newProducer(ns.addr, logs);
    await producer.ready();
    const result = await producer.send(new ons.Message('AliTopic', 'TagA', 'hello from ali-ons'));

    expect(result.sendStatus).toBe('SEND_OK');
    expect(result.messageQueue).toMatchObject({ topic: 'AliTopic', brokerName: 'broker-a' });
    expect(server.sends).toHaveLength(1);
    const [sent] = server.sends;
    expect(sent?.header).toMatchObject({ a: 'PID_RMQCTL_TEST', b: 'AliTopic', c: 'TBW102' });
    // The queue ali-ons picked exists in the route we served (3 write queues on broker-a).
    expect(sent?.header.e).toBeGreaterThanOrEqual(0);
    expect(sent?.header.e).toBeLessThan(3);
    expect(sent?.body).toBe('hello from ali-ons');
    expect(sent?.version).toBe(121);
  });

  it('reports TOPIC_NOT_EXIST for a topic no broker serves', async () => {
    const ns = await startNamesrvProcess();
    const server = await startFakeBrokerServer();
    await new FakeBroker({ brokerName: 'broker-a', brokerAddr: server.addr, topics: [topicConfig('AliTopic')] }).register(ns.addr);

    const logs: string[] = [];
    const producer = newProducer(ns.addr, logs);
    await producer.ready();
    const err = await producer.send(new ons.Message('NoSuchAliTopic', 'TagA', 'x')).then(
      () => undefined,
      (e: unknown) => e as { name: string; code: number; message: string },
    );
    expect(err).toMatchObject({ name: 'MQClientException', code: ResponseCode.TOPIC_NOT_EXIST });
    expect(err?.message).toMatch(/No topic route info in name server for the topic: NoSuchAliTopic/);
    expect(server.sends).toHaveLength(0);
  });
});
