/**
 * Our client classes against an ACL-enforcing NameServer and broker (real rmqd processes): each
 * one (PullConsumer, PushConsumer, Producer, AdminClient) signs every request with its
 * `credentials` and is served; without them, or with a wrong secret, it is refused. Credentials
 * next to a shared RemotingClient would be dropped silently, so that is refused up front.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { AdminClient } from '../../src/client/admin.js';
import { BrokerApi } from '../../src/client/broker-api.js';
import type { ConsumedMessage } from '../../src/client/consumer/consumed-message.js';
import { PullConsumer } from '../../src/client/consumer/pull-consumer.js';
import { PushConsumer } from '../../src/client/consumer/push-consumer.js';
import { Producer } from '../../src/client/producer.js';
import { RemotingClient } from '../../src/remoting/client.js';
import type { Credentials } from '../../src/remoting/acl-signature.js';
import { RemoteResponseError } from '../../src/remoting/errors.js';
import { ACL_YAML, ADMIN, PUBSUB, SECRETS } from '../support/acl.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { captureLogger } from '../support/remoting.js';
import { waitFor } from '../support/wait.js';

const NO_PERMISSION = 16;
const WRONG_SECRET: Credentials = { accessKey: PUBSUB.accessKey, secretKey: 'not-the-secret' };
const SUB_ONLY: Credentials = { accessKey: 'app-sub', secretKey: SECRETS.sub };

let c: TestCluster;

beforeAll(async () => {
  c = await startCluster({ cleanup: 'manual', acl: { yaml: ACL_YAML, nodeAccount: ADMIN } });
  const admin = new RemotingClient({ credentials: ADMIN });
  try {
    await new BrokerApi(admin, 5_000).createTopic(c.broker('broker-a').addr, { topicName: 'AclTopic', readQueueNums: 2, writeQueueNums: 2, perm: 6 });
  } finally {
    admin.shutdown();
  }
}, 60_000);
afterAll(() => c?.stop());

function producer(credentials?: Credentials): Producer {
  const p = new Producer({ namesrvAddrs: c.namesrvAddrs, producerGroup: 'PID_ACL', ...(credentials ? { credentials } : {}) });
  onTestFinished(() => p.shutdown());
  return p;
}

function pullConsumer(credentials?: Credentials): PullConsumer {
  const pc = new PullConsumer({ namesrvAddrs: c.namesrvAddrs, consumerGroup: 'GID_ACL_PULL', timeoutMillis: 5_000, ...(credentials ? { credentials } : {}) });
  onTestFinished(() => pc.shutdown());
  return pc;
}

async function refusal(p: Promise<unknown>): Promise<{ code: number; remark: string | undefined }> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(RemoteResponseError);
  return { code: (e as RemoteResponseError).responseCode, remark: (e as RemoteResponseError).remark };
}

describe('PullConsumer with credentials', () => {
  it('signs every request: routes, pulls, offsets (commit and read back), min/max/search offsets', async () => {
    const bodies = ['pull-1', 'pull-2', 'pull-3', 'pull-4'];
    const p = producer(PUBSUB);
    for (const body of bodies) await p.send({ topic: 'AclTopic', body });

    const pc = pullConsumer(PUBSUB);
    const queues = await pc.queues('AclTopic');
    expect(queues).toHaveLength(2);
    const got: string[] = [];
    for (const mq of queues) {
      const from = await pc.minOffset(mq);
      const r = await pc.pull(mq, { offset: from, maxNums: 32 });
      got.push(...r.messages.map((m) => m.body.toString()));
      expect(r.nextBeginOffset).toBe(await pc.maxOffset(mq));
      await pc.commit(mq, r.nextBeginOffset);
      expect(await pc.committedOffset(mq)).toBe(r.nextBeginOffset);
      expect(await pc.searchOffset(mq, 0)).toBe(from);
    }
    expect(got.filter((b) => bodies.includes(b)).sort()).toEqual(bodies);
    expect(c.broker('broker-a').lines.filter((l) => l.includes('request refused by ACL') && l.includes(PUBSUB.accessKey))).toEqual([]);
  });

  it('a SUB-only account reads the topic it may subscribe to', async () => {
    await producer(PUBSUB).send({ topic: 'AclTopic', body: 'for the sub-only reader' });
    const pc = pullConsumer(SUB_ONLY);
    const seen: string[] = [];
    for (const mq of await pc.queues('AclTopic')) seen.push(...(await pc.pull(mq, { offset: 0 })).messages.map((m) => m.body.toString()));
    expect(seen).toContain('for the sub-only reader');
  });

  it('without credentials, or with a wrong secret, it is refused', async () => {
    expect(await refusal(pullConsumer().queues('AclTopic'))).toEqual({ code: NO_PERMISSION, remark: 'No accessKey is configured' });
    const wrong = await refusal(pullConsumer(WRONG_SECRET).queues('AclTopic'));
    expect(wrong.code).toBe(NO_PERMISSION);
    expect(wrong.remark).toMatch(/Check signature failed for accessKey=app-pubsub/);
  });
});

describe('the other client classes', () => {
  it('PushConsumer: consumes when signed; refused unsigned', async () => {
    const received: ConsumedMessage[] = [];
    const signed = new PushConsumer({ namesrvAddrs: c.namesrvAddrs, consumerGroup: 'GID_ACL_PUSH', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', credentials: PUBSUB });
    onTestFinished(() => signed.shutdown());
    await signed.subscribe('AclTopic').start((m) => {
      received.push(m);
    });
    await producer(PUBSUB).send({ topic: 'AclTopic', body: 'for the push consumer' });
    await waitFor(() => received.some((m) => m.body.toString() === 'for the push consumer'), { timeout: 20_000, what: 'the signed push consumer to get the message' });

    const log = captureLogger('push');
    const anon = new PushConsumer({ namesrvAddrs: c.namesrvAddrs, consumerGroup: 'GID_ACL_PUSH_ANON', logger: log.logger });
    onTestFinished(() => anon.shutdown());
    await anon.subscribe('AclTopic').start(() => undefined);
    await waitFor(() => log.lines.some((l) => l.includes('route refresh failed') && l.includes('No accessKey is configured')), { timeout: 10_000, what: 'the unsigned push consumer to be refused its route' });
    expect(anon.assignedQueues()).toEqual([]);
  });

  it('Producer and AdminClient: served signed, refused unsigned', async () => {
    expect((await producer(PUBSUB).send({ topic: 'AclTopic', body: 'signed send' })).sendStatus).toBe('SEND_OK');
    expect((await refusal(producer().send({ topic: 'AclTopic', body: 'unsigned send' }))).code).toBe(NO_PERMISSION);

    const signedAdmin = new AdminClient({ namesrvAddrs: c.namesrvAddrs, credentials: PUBSUB });
    onTestFinished(() => signedAdmin.close());
    expect((await signedAdmin.topicRoute('AclTopic'))?.queueDatas.length).toBeGreaterThan(0);
    const anonAdmin = new AdminClient({ namesrvAddrs: c.namesrvAddrs });
    onTestFinished(() => anonAdmin.close());
    expect(await refusal(anonAdmin.topicRoute('AclTopic'))).toEqual({ code: NO_PERMISSION, remark: 'No accessKey is configured' });
  });

  it('credentials or tls next to a shared RemotingClient are refused (they would be ignored)', () => {
    const shared = new RemotingClient();
    onTestFinished(() => shared.shutdown());
    const namesrvAddrs = ['127.0.0.1:9876'];
    expect(() => new PullConsumer({ namesrvAddrs, consumerGroup: 'G', remoting: shared, credentials: PUBSUB })).toThrow(/PullConsumer: credentials and tls belong on the shared RemotingClient/);
    expect(() => new Producer({ namesrvAddrs, producerGroup: 'P', remoting: shared, credentials: PUBSUB })).toThrow(/Producer: credentials and tls belong/);
    expect(() => new AdminClient({ namesrvAddrs, remoting: shared, tls: { policy: 'require' } })).toThrow(/AdminClient: credentials and tls belong/);
  });
});
