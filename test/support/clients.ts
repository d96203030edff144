/**
 * Our own clients against a test cluster, closed when the test finishes: a producer, the broker
 * API, the admin client, and a helper that pulls a queue until it has read `count` messages.
 */
import { onTestFinished } from 'vitest';
import { AdminClient } from '../../src/client/admin.js';
import { BrokerApi, recordsOf, type PullRequest } from '../../src/client/broker-api.js';
import { Producer, type ProducerOptions } from '../../src/client/producer.js';
import { RemotingClient } from '../../src/remoting/client.js';
import type { MessageRecord } from '../../src/protocol/message/record.js';
import type { TestCluster } from './cluster.js';
import { waitFor } from './wait.js';
import type { ClientTls } from '../../src/remoting/tls-config.js';

export interface Clients {
  remoting: RemotingClient;
  brokers: BrokerApi;
  admin: AdminClient;
  producer(opts?: Partial<ProducerOptions>): Producer;
}

export function clientsFor(c: TestCluster, opts: { tls?: ClientTls } = {}): Clients {
  const remoting = new RemotingClient(opts.tls ? { tls: opts.tls } : {});
  const admin = new AdminClient({ namesrvAddrs: c.namesrvAddrs, remoting });
  onTestFinished(() => remoting.shutdown());
  const tls = opts.tls;
  return {
    remoting,
    brokers: new BrokerApi(remoting, 5_000),
    admin,
    producer(popts = {}) {
      const p = new Producer({ namesrvAddrs: c.namesrvAddrs, producerGroup: 'PG_TEST', ...(tls ? { tls } : {}), ...popts });
      onTestFinished(() => p.shutdown());
      return p;
    },
  };
}

/** Creates `topic` on a broker and waits until every NameServer routes it there. */
export async function createTopic(cl: Clients, c: TestCluster, brokerAddr: string, topic: string, queues = 4, perm = 6): Promise<void> {
  await cl.brokers.createTopic(brokerAddr, { topicName: topic, readQueueNums: queues, writeQueueNums: queues, perm });
  for (const ns of c.namesrvAddrs) {
    const one = new AdminClient({ namesrvAddrs: [ns], remoting: cl.remoting });
    await waitFor(async () => ((await one.topicRoute(topic))?.queueDatas.find((q) => q.writeQueueNums === queues || q.readQueueNums === queues) ? true : undefined), { what: `${ns} to route ${topic}` });
  }
}

/** Pulls one queue from `from` until `count` records arrived (or the deadline passes). */
export async function pullAll(cl: Clients, addr: string, req: Omit<PullRequest, 'queueOffset'> & { from?: number }, count: number, timeout = 10_000): Promise<{ records: MessageRecord[]; bodies: Buffer[] }> {
  const records: MessageRecord[] = [];
  const bodies: Buffer[] = [];
  let offset = req.from ?? 0;
  await waitFor(
    async () => {
      const r = await cl.brokers.pull(addr, { ...req, queueOffset: offset });
      if (r.status === 'FOUND' && r.body) {
        bodies.push(r.body);
        records.push(...recordsOf(r.body));
      }
      offset = r.nextBeginOffset;
      return records.length >= count;
    },
    { timeout, interval: 1, what: `${count} records from ${req.topic}/${req.queueId}` },
  );
  return { records, bodies };
}
