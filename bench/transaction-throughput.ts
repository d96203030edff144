/**
 * The cost of transactional sends against plain sends, same rmqd broker process, same run: 1 KB
 * messages, `inFlight` at a time, for `seconds` each, runs interleaved plain-tx-tx-plain so load
 * drift hits both alike.
 *   - plain: Producer.send (one SEND_MESSAGE_V2, one record);
 *   - tx:    TransactionProducer.sendMessageInTransaction committing at once: the half message
 *            (SEND_MESSAGE_V2, a record in RMQ_SYS_TRANS_HALF_TOPIC), then END_TRANSACTION (the
 *            message on its topic plus the op record) — two round trips, three records.
 * Reports messages per second (a transactional message counts once, when its commit is answered),
 * latency percentiles of the whole send, the broker's CPU µs and commit-log bytes per message.
 * Bundled and run by bench/run.mjs (`--only tx`).
 */
import { BrokerApi } from '../src/client/broker-api.js';
import { Producer } from '../src/client/producer.js';
import { TransactionProducer } from '../src/client/transaction-producer.js';
import { cpuSeconds, startBenchCluster, until } from './rmqd-cluster.js';

export interface TxRun {
  mode: 'plain' | 'tx';
  msgs: number;
  seconds: number;
  msgPerSec: number;
  p50ms: number;
  p99ms: number;
  brokerCpuUs: number;
  logBytesPerMsg: number;
}

const TOPIC = 'BenchTx';
const QUEUES = 8;

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number);
}

export async function transactionThroughput(o: { rmqd: string; flush: 'ASYNC_FLUSH' | 'SYNC_FLUSH'; seconds: number; inFlight?: number; order?: ('plain' | 'tx')[] }): Promise<TxRun[]> {
  const cluster = await startBenchCluster(o.rmqd, [{ brokerName: 'bench-a', properties: { flushDiskType: o.flush } }]);
  const namesrvAddrs = [cluster.namesrvAddr];
  const plain = new Producer({ namesrvAddrs, producerGroup: 'bench_plain' });
  const tx = new TransactionProducer({ namesrvAddrs, producerGroup: 'bench_tx', checkLocalTransaction: () => 'COMMIT_MESSAGE', topics: [TOPIC] });
  try {
    const broker = cluster.brokers[0]!;
    const api = new BrokerApi(cluster.remoting, 10_000);
    await api.createTopic(broker.addr, { topicName: TOPIC, readQueueNums: QUEUES, writeQueueNums: QUEUES, perm: 6 });
    await until(() => cluster.admin.topicRoute(TOPIC), 'the topic route');
    await tx.start();
    const body = Buffer.alloc(1024, 120);
    const sendOne: Record<TxRun['mode'], () => Promise<unknown>> = {
      plain: () => plain.send({ topic: TOPIC, body }),
      tx: async () => {
        const r = await tx.sendMessageInTransaction({ topic: TOPIC, body }, () => 'COMMIT_MESSAGE');
        if (r.endTransactionError !== undefined) throw new Error(r.endTransactionError);
      },
    };
    const run = async (mode: TxRun['mode'], seconds: number): Promise<TxRun> => {
      const lat: number[] = [];
      const log0 = Number((await api.runtimeInfo(broker.addr)).commitLogMaxOffset);
      const cpu0 = cpuSeconds(broker.proc.pid!);
      const t0 = performance.now();
      const end = t0 + seconds * 1000;
      await Promise.all(
        Array.from({ length: o.inFlight ?? 64 }, async () => {
          while (performance.now() < end) {
            const s = performance.now();
            await sendOne[mode]();
            lat.push(performance.now() - s);
          }
        }),
      );
      const secs = (performance.now() - t0) / 1000;
      const cpu = cpuSeconds(broker.proc.pid!) - cpu0;
      const log1 = Number((await api.runtimeInfo(broker.addr)).commitLogMaxOffset);
      lat.sort((a, b) => a - b);
      return { mode, msgs: lat.length, seconds: secs, msgPerSec: lat.length / secs, p50ms: percentile(lat, 50), p99ms: percentile(lat, 99), brokerCpuUs: (cpu * 1e6) / lat.length, logBytesPerMsg: (log1 - log0) / lat.length };
    };
    // warm both paths (connections, JIT) before measuring
    await run('plain', 1);
    await run('tx', 1);
    const out: TxRun[] = [];
    for (const mode of o.order ?? ['plain', 'tx', 'tx', 'plain']) out.push(await run(mode, o.seconds));
    const state = await api.transactionState(broker.addr);
    if (state.pendingTotal !== 0) throw new Error(`${state.pendingTotal} half messages left pending after the runs`);
    return out;
  } finally {
    plain.shutdown();
    tx.shutdown();
    await cluster.stop();
  }
}
