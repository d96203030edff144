/**
 * Transactions in tests: our TransactionProducer against a test cluster (shut down when the test
 * finishes, heartbeating every second so checks reach it soon), and reads of what a topic holds.
 */
import { onTestFinished } from 'vitest';
import { recordsOf } from '../../src/client/broker-api.js';
import { TransactionProducer, type LocalTransactionState, type TransactionProducerOptions } from '../../src/client/transaction-producer.js';
import type { MessageRecord } from '../../src/protocol/message/record.js';
import { startCluster, type ClusterNode, type PropertyValue, type TestCluster } from './cluster.js';
import { clientsFor, createTopic, type Clients } from './clients.js';
import { waitFor } from './wait.js';

export function txProducer(c: TestCluster, group: string, checker: (msgId: string, body: string) => LocalTransactionState, opts: Partial<TransactionProducerOptions> = {}): TransactionProducer {
  const p = new TransactionProducer({
    namesrvAddrs: c.namesrvAddrs,
    producerGroup: group,
    checkLocalTransaction: (m) => checker(m.msgId, m.body.toString()),
    heartbeatBrokerIntervalMillis: 1_000,
    ...opts,
  });
  onTestFinished(() => p.shutdown());
  return p;
}

/** Messages stored in every queue of `topic` on `addr` (max offsets summed). */
export async function storedCount(cl: Clients, addr: string, topic: string, queues: number): Promise<number> {
  let n = 0;
  for (let q = 0; q < queues; q++) n += await cl.brokers.maxOffset(addr, topic, q);
  return n;
}

/**
 * Every record of `topic` on `addr`, all queues. Throws on any answer but FOUND or "no new
 * message" — a slave that has not yet noticed its master is gone sends readers to the master — so
 * a partial read cannot pass for the whole topic (wrap it in waitFor to wait for the slave).
 */
export async function readAll(cl: Clients, addr: string, topic: string, queues: number): Promise<MessageRecord[]> {
  const out: MessageRecord[] = [];
  for (let q = 0; q < queues; q++) {
    let offset = 0;
    for (;;) {
      const r = await cl.brokers.pull(addr, { consumerGroup: 'TX_TEST_READER', topic, queueId: q, queueOffset: offset });
      if (r.status === 'NO_NEW_MSG') break;
      if (r.status !== 'FOUND') throw new Error(`pull ${topic}/${q} at ${offset} from ${addr}: ${r.status} (${r.remark ?? ''})`);
      out.push(...recordsOf(r.body));
      offset = r.nextBeginOffset;
    }
  }
  return out;
}


/** SYNC_MASTER waiting 30 s for its slave: a loaded machine must not turn a slow acknowledgement into FLUSH_SLAVE_TIMEOUT / SLAVE_NOT_AVAILABLE. */
const PATIENT_SYNC_MASTER = { brokerRole: 'SYNC_MASTER', inSyncReplicas: 2, totalReplicas: 2, slaveTimeout: 30_000, haSlaveOutOfSyncMillis: 30_000 };

/** A 1m-1s SYNC pair (broker-a) with `topic` created on the master and known to the slave. */
export async function syncPairWithTopic(topic: string, brokerProperties: Record<string, PropertyValue>): Promise<{ c: TestCluster; cl: Clients; master: ClusterNode; slave: ClusterNode }> {
  const c = await startCluster({ brokerProperties, brokers: [{ name: 'broker-a', properties: PATIENT_SYNC_MASTER }, { name: 'broker-a', id: 1 }] });
  const cl = clientsFor(c);
  const master = c.broker('broker-a');
  const slave = c.broker('broker-a', 1);
  await createTopic(cl, c, master.addr, topic, 2);
  await waitFor(async () => (await cl.brokers.allTopicConfig(slave.addr)).topicConfigTable[topic] !== undefined, { timeout: 20_000, what: 'the slave to have the topic' });
  return { c, cl, master, slave };
}
