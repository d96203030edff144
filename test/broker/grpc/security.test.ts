/**
 * The gRPC port's security against a real broker: ACL with the same accounts as the remoting port
 * (right keys work through the official client; missing or wrong keys are refused UNAUTHORIZED; a
 * SUB-only account cannot send: FORBIDDEN), and TLS and plain text on one port
 * (tls.server.mode=permissive): the official client in plain text and a TLS client that trusts
 * the CA both work; with mode disabled a TLS client is refused at once.
 */
import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BrokerApi } from '../../../src/client/broker-api.js';
import { RemotingClient } from '../../../src/remoting/client.js';
import { GroupApi } from '../../../src/client/group-api.js';
import { subscriptionGroupConfig } from '../../../src/protocol/group-config.js';
import { ACL_YAML, ADMIN, PUBSUB, SECRETS } from '../../support/acl.js';
import { makeTestCerts } from '../../support/certs.js';
import { startCluster } from '../../support/cluster.js';
import { clientsFor, createTopic } from '../../support/clients.js';
import { tmpDir } from '../../support/tmp.js';
import { grpcBroker, rawV5Client, unaryCall, v5Metadata, v5Producer, v5SimpleConsumer } from '../../support/v5.js';

type StatusOnly = { status: { code: string; message: string } };
const SUB_ONLY = { accessKey: 'app-sub', secretKey: SECRETS.sub };
const sendReq = (topic: string, id: string) => ({ messages: [{ topic: { name: topic }, body: Buffer.from('x'), systemProperties: { messageId: id, messageType: 'NORMAL' } }] });

describe('gRPC port security', () => {
  it('ACL: right keys send and receive; missing or wrong keys are UNAUTHORIZED; a SUB-only account gets FORBIDDEN on send', async () => {
    const a = await grpcBroker('broker-a');
    const c = await startCluster({ brokers: [a], acl: { yaml: ACL_YAML, nodeAccount: ADMIN } });
    const addr = c.broker('broker-a').addr;
    const admin = new RemotingClient({ credentials: ADMIN });
    try {
      await new BrokerApi(admin, 5_000).createTopic(addr, { topicName: 'AclTopic', readQueueNums: 2, writeQueueNums: 2, perm: 6 });
      await new GroupApi(admin, 5_000).createSubscriptionGroup(addr, subscriptionGroupConfig('G_ACL'));
    } finally {
      admin.shutdown();
    }
    const endpoints = `127.0.0.1:${a.grpcPort}`;
    const producer = await v5Producer({ endpoints, topic: 'AclTopic', sessionCredentials: { accessKey: PUBSUB.accessKey, accessSecret: PUBSUB.secretKey } });
    await producer.send({ topic: 'AclTopic', body: Buffer.from('signed') });
    const consumer = await v5SimpleConsumer({ endpoints, consumerGroup: 'G_ACL', subscriptions: new Map([['AclTopic', '*']]), awaitDuration: 2_000, sessionCredentials: { accessKey: SUB_ONLY.accessKey, accessSecret: SUB_ONLY.secretKey } });
    let got: Awaited<ReturnType<typeof consumer.receive>> = [];
    for (let i = 0; i < 10 && got.length === 0; i++) got = await consumer.receive(1, 10_000);
    expect(got.map((m) => m.body.toString())).toEqual(['signed']);
    await consumer.ack(got[0]!);

    const raw = rawV5Client(endpoints);
    const none = await unaryCall<unknown, StatusOnly>(raw, 'SendMessage', sendReq('AclTopic', 'A1'), v5Metadata());
    expect(none.status.code).toBe('UNAUTHORIZED');
    const wrong = await unaryCall<unknown, StatusOnly>(raw, 'SendMessage', sendReq('AclTopic', 'A2'), v5Metadata('c1', { accessKey: PUBSUB.accessKey, secretKey: 'not-the-secret' }));
    expect(wrong.status.code).toBe('UNAUTHORIZED');
    expect(wrong.status.message).not.toContain(SECRETS.pubsub);
    const unknown = await unaryCall<unknown, StatusOnly>(raw, 'QueryRoute', { topic: { name: 'AclTopic' } }, v5Metadata('c1', { accessKey: 'nobody-here', secretKey: 'whatever1' }));
    expect(unknown.status.code).toBe('UNAUTHORIZED');
    const subOnly = await unaryCall<unknown, StatusOnly>(raw, 'SendMessage', sendReq('AclTopic', 'A3'), v5Metadata('c1', SUB_ONLY));
    expect(subOnly.status.code).toBe('FORBIDDEN');
    // the official client with SUB-only keys fails its send with the broker's refusal
    const subProducer = await v5Producer({ endpoints, sessionCredentials: { accessKey: SUB_ONLY.accessKey, accessSecret: SUB_ONLY.secretKey }, maxAttempts: 1 });
    await expect(subProducer.send({ topic: 'AclTopic', body: Buffer.from('no') })).rejects.toThrow(/FORBIDDEN|40300|permission/i);
    // only the signed send was stored
    const check = new RemotingClient({ credentials: ADMIN });
    try {
      const api = new BrokerApi(check, 5_000);
      expect((await api.maxOffset(addr, 'AclTopic', 0)) + (await api.maxOffset(addr, 'AclTopic', 1))).toBe(1);
    } finally {
      check.shutdown();
    }
  });

  it('TLS permissive: plain text and TLS on the same port; disabled: a TLS hello is closed at once', async () => {
    const certs = makeTestCerts(tmpDir());
    const tlsProps = { 'tls.server.mode': 'permissive', 'tls.server.certPath': certs.serverCert, 'tls.server.keyPath': certs.serverKey };
    const a = await grpcBroker('broker-a', tlsProps);
    const c = await startCluster({ brokers: [a] }); // permissive: the remoting port takes plain text too
    const cl = clientsFor(c);
    await createTopic(cl, c, c.broker('broker-a').addr, 'TlsTopic', 1);
    const endpoints = `127.0.0.1:${a.grpcPort}`;
    // the official Node client speaks plain text by default
    const producer = await v5Producer({ endpoints, topic: 'TlsTopic' });
    await producer.send({ topic: 'TlsTopic', body: Buffer.from('plain') });
    // a TLS client (what the Java/Go/C# clients default to) on the same port
    const tlsClient = rawV5Client(endpoints, grpc.credentials.createSsl(readFileSync(certs.caCert)));
    const route = await unaryCall<unknown, StatusOnly>(tlsClient, 'QueryRoute', { topic: { name: 'TlsTopic' } }, v5Metadata());
    expect(route.status.code).toBe('OK');
    const sent = await unaryCall<unknown, StatusOnly>(tlsClient, 'SendMessage', sendReq('TlsTopic', 'TLS-1'), v5Metadata());
    expect(sent.status.code).toBe('OK');
    expect(await cl.brokers.maxOffset(c.broker('broker-a').addr, 'TlsTopic', 0)).toBe(2);

    // a plain-only gRPC port: a TLS client is refused (UNAVAILABLE), not left to its deadline (DEADLINE_EXCEEDED)
    const b = await grpcBroker('broker-b');
    const c2 = await startCluster({ brokers: [b] });
    expect(c2.brokers.length).toBe(1);
    const tlsToPlain = rawV5Client(`127.0.0.1:${b.grpcPort}`, grpc.credentials.createSsl(readFileSync(certs.caCert)));
    await expect(unaryCall(tlsToPlain, 'QueryRoute', { topic: { name: 'TlsTopic' } }, v5Metadata(), 8_000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });
});
