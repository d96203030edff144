/**
 * Replication under ACL: a slave's remoting requests to its master (topic/offset sync) are signed
 * with its aclAccessKey and pass the master's check, while the same requests unsigned or from a
 * non-admin are refused. The HA port has no room for credentials (RocketMQ's neither): the master
 * accepts HA connections only from haAllowedAddresses.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { BrokerApi } from '../../src/client/broker-api.js';
import { Producer } from '../../src/client/producer.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { RemoteResponseError } from '../../src/remoting/errors.js';
import { ACL_YAML, ADMIN, PUBSUB } from '../support/acl.js';
import { startCluster } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';

const pair = (haAllowedAddresses: string) => ({
  acl: { yaml: ACL_YAML, nodeAccount: ADMIN },
  brokers: [{ name: 'broker-a', properties: { haAllowedAddresses } }, { name: 'broker-a', id: 1 }],
});

describe('replication with ACL', () => {
  it('the slave syncs topics with signed requests and replicates from an allowed address; unsigned sync requests are refused', async () => {
    const c = await startCluster(pair('127.0.0.1'));
    const master = c.broker('broker-a');
    const slave = c.broker('broker-a', 1);
    const admin = new RemotingClient({ credentials: ADMIN });
    onTestFinished(() => admin.shutdown());
    const api = new BrokerApi(admin, 5_000);
    await api.createTopic(master.addr, { topicName: 'AclTopic', readQueueNums: 2, writeQueueNums: 2, perm: 6 });
    const p = new Producer({ namesrvAddrs: c.namesrvAddrs, producerGroup: 'PID_ACL', credentials: PUBSUB });
    onTestFinished(() => p.shutdown());
    await p.send({ topic: 'AclTopic', body: 'replicate me' });
    await waitFor(async () => (await api.allTopicConfig(slave.addr)).topicConfigTable.AclTopic !== undefined, { timeout: 10_000, what: 'the topic on the slave' });
    await waitFor(async () => (await api.haStatus(slave.addr)).haClientRuntimeInfo.state === 'replicating', { timeout: 10_000, what: 'replication' });
    expect(master.lines.filter((l) => l.includes('request refused by ACL'))).toEqual([]);

    for (const creds of [undefined, PUBSUB]) {
      const other = new RemotingClient(creds ? { credentials: creds } : {});
      onTestFinished(() => other.shutdown());
      const err = await new BrokerApi(other, 5_000).allTopicConfig(master.addr).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RemoteResponseError);
      expect((err as RemoteResponseError).responseCode).toBe(16);
    }
  });

  it('an HA connection from outside haAllowedAddresses is refused', async () => {
    const c = await startCluster(pair('10.9.9.9'));
    const admin = new RemotingClient({ credentials: ADMIN });
    onTestFinished(() => admin.shutdown());
    await waitFor(() => c.broker('broker-a').lines.some((l) => l.includes('HA connection refused: address not in haAllowedAddresses')), { timeout: 10_000, what: 'the master to refuse the slave' });
    expect((await new BrokerApi(admin, 5_000).haStatus(c.broker('broker-a', 1).addr)).haClientRuntimeInfo.state).not.toBe('replicating');
  });
});
