/**
 * Transactions in tests: our TransactionProducer against a test cluster (shut down when the test
 * finishes, heartbeating every second so checks reach it soon), and reads of what a topic holds.
 */
import { onTestFinished } from 'vitest';
import { recordsOf } from '../../src/client/broker-api.js';
import { TransactionProducer, type LocalTransactionState, type TransactionProducerOptions } from '../../src/client/transaction-producer.js';
import type { MessageRecord } from '../../src/protocol/message/record.js';
import type { TestCluster } from './cluster.js';
import type { Clients } from './clients.js';

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

