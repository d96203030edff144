/**
 * The official v5 Producer (rocketmq-client-nodejs) against a real `rmqd broker` with a gRPC
 * port: QueryRoute gives each master as its own gRPC endpoint, the Telemetry handshake lets the
 * client start, and what it sends is stored so that a remoting pull reads the same body, tag,
 * keys and properties. FIFO messages of one group land in one queue; delay messages are not
 * delivered early.
 */
import { describe, expect, it } from 'vitest';
import { PropertyKey } from '../../../src/protocol/message/constants.js';
import { decodeProperties } from '../../../src/protocol/message/properties.js';
import { queueOfMessageGroup } from '../../../src/broker/grpc/send.js';
import { startCluster } from '../../support/cluster.js';
import { freePort } from '../../support/ports.js';
import { clientsFor, createTopic, pullAll } from '../../support/clients.js';
import { grpcBroker, rawV5Client, unaryCall, v5Metadata, v5Producer } from '../../support/v5.js';
import type { QueryRouteResponse__Output } from '../../../src/grpc/generated/apache/rocketmq/v2/QueryRouteResponse.js';

describe('v5 Producer against rmqd', () => {
  it('routes every master to its own gRPC endpoint and stores what the Producer sends', async () => {
    const metricsPorts = [await freePort(), await freePort()];
    const a = await grpcBroker('broker-a', { metricsPort: metricsPorts[0]! });
    const b = await grpcBroker('broker-b', { metricsPort: metricsPorts[1]! });
    const c = await startCluster({ brokers: [a, b] });
    const cl = clientsFor(c);
    for (const br of ['broker-a', 'broker-b']) await cl.brokers.createTopic(c.broker(br).addr, { topicName: 'V5Send', readQueueNums: 2, writeQueueNums: 2, perm: 6 });
    await createTopic(cl, c, c.broker('broker-a').addr, 'V5Send', 2);

    // the route, as the client asks for it at any one broker
    const raw = rawV5Client(`127.0.0.1:${a.grpcPort}`);
    const route = await unaryCall<unknown, QueryRouteResponse__Output>(raw, 'QueryRoute', { topic: { name: 'V5Send' }, endpoints: { scheme: 'IPv4', addresses: [{ host: '127.0.0.1', port: a.grpcPort }] } }, v5Metadata());
    expect(route.status?.code).toBe('OK');
    const byBroker = new Map<string, Set<number>>();
    for (const mq of route.messageQueues) {
      expect(mq.permission).toBe('READ_WRITE');
      expect(mq.acceptMessageTypes).toEqual(['NORMAL']);
      const port = mq.broker?.endpoints?.addresses[0]?.port;
      expect(port).toBe(mq.broker?.name === 'broker-a' ? a.grpcPort : b.grpcPort);
      byBroker.set(mq.broker!.name, (byBroker.get(mq.broker!.name) ?? new Set()).add(mq.id));
    }
    expect([...byBroker.keys()].sort()).toEqual(['broker-a', 'broker-b']);
    expect([...byBroker.get('broker-a')!]).toEqual([0, 1]);

    const producer = await v5Producer({ endpoints: `127.0.0.1:${a.grpcPort}`, topic: 'V5Send' });
    const receipts = [];
    for (let i = 0; i < 8; i++) {
      receipts.push(await producer.send({ topic: 'V5Send', tag: `Tag${i % 2}`, keys: [`key-${i}`, 'common'], properties: new Map([['seq', String(i)]]), body: Buffer.from(`v5-body-${i}`) }));
    }
    expect(new Set(receipts.map((r) => r.messageId)).size).toBe(8);
    // every v5 call is in rocketmq_rpc_latency beside the remoting requests: 8 SendMessage answered OK over both brokers
    const grpcCount = async (port: number, rpc: string): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const line = new RegExp(`^rocketmq_rpc_latency_count\\{(?=[^}]*protocol_type="grpc")(?=[^}]*request_code="${rpc}")(?=[^}]*response_code="OK")[^}]*\\} (\\d+)$`, 'm').exec(text);
      return line === null ? 0 : Number(line[1]);
    };
    expect((await grpcCount(metricsPorts[0]!, 'send_message')) + (await grpcCount(metricsPorts[1]!, 'send_message'))).toBe(8);
    expect(await grpcCount(metricsPorts[0]!, 'query_route')).toBeGreaterThanOrEqual(1);

    // read back over remoting from every queue of both brokers
    const got = [];
    for (const br of ['broker-a', 'broker-b']) {
      for (const queueId of [0, 1]) {
        const max = await cl.brokers.maxOffset(c.broker(br).addr, 'V5Send', queueId);
        if (max === 0) continue;
        got.push(...(await pullAll(cl, c.broker(br).addr, { consumerGroup: 'CG', topic: 'V5Send', queueId }, max)).records);
      }
    }
    expect(got.length).toBe(8);
    const ids = new Set(receipts.map((r) => r.messageId));
    for (const rec of got) {
      const props = decodeProperties(rec.properties);
      const seq = Number(props.get('seq'));
      expect(rec.body.toString()).toBe(`v5-body-${seq}`);
      expect(props.get(PropertyKey.TAGS)).toBe(`Tag${seq % 2}`);
      expect(props.get(PropertyKey.KEYS)).toBe(`key-${seq} common`);
      expect(ids.has(props.get(PropertyKey.UNIQ_CLIENT_MESSAGE_ID_KEYIDX)!)).toBe(true);
    }
  });

  it('stores a FIFO message group in the one queue it hashes to, and refuses FIFO on a NORMAL topic with MESSAGE_PROPERTY_CONFLICT_WITH_TYPE', async () => {
    const a = await grpcBroker('broker-a');
    const c = await startCluster({ brokers: [a] });
    const cl = clientsFor(c);
    await cl.brokers.createTopic(c.broker('broker-a').addr, { topicName: 'V5Fifo', readQueueNums: 4, writeQueueNums: 4, perm: 6, attributes: '+message.type=FIFO' });
    await createTopic(cl, c, c.broker('broker-a').addr, 'V5Normal', 4);
    await createTopic(cl, c, c.broker('broker-a').addr, 'V5Fifo', 4);
    const producer = await v5Producer({ endpoints: `127.0.0.1:${a.grpcPort}`, topic: ['V5Fifo', 'V5Normal'] });
    for (let i = 0; i < 6; i++) await producer.send({ topic: 'V5Fifo', messageGroup: `g${i % 3}`, body: Buffer.from(`fifo-${i}`) });
    for (const g of ['g0', 'g1', 'g2']) {
      const q = queueOfMessageGroup(g, 4);
      const { records } = await pullAll(cl, c.broker('broker-a').addr, { consumerGroup: 'CG', topic: 'V5Fifo', queueId: q }, 1);
      expect(records.some((r) => decodeProperties(r.properties).get(PropertyKey.SHARDING_KEY) === g)).toBe(true);
    }
    // the client checks the type itself; a raw request shows the broker's own check
    const raw = rawV5Client(`127.0.0.1:${a.grpcPort}`);
    const res = await unaryCall<unknown, { status: { code: string; message: string } }>(
      raw,
      'SendMessage',
      { messages: [{ topic: { name: 'V5Normal' }, body: Buffer.from('x'), systemProperties: { messageId: 'FIFO-ON-NORMAL-1', messageGroup: 'g', messageType: 'FIFO' } }] },
      v5Metadata(),
    );
    expect(res.status.code).toBe('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE');
    expect(await cl.brokers.maxOffset(c.broker('broker-a').addr, 'V5Normal', 0)).toBe(0);
  });
});
