/**
 * The cost of POP consumption against plain pull, on the same rmqd broker process in the same run:
 * a topic of 8 queues is filled with `messages` 1 KB messages, then read to the end by
 *   - pull: 8 loops, one per queue, PULL_MESSAGE 32 at a time with the offset commit piggy-backed
 *     (what our PushConsumer does);
 *   - pop + batch ack: `loops` loops of POP_MESSAGE (32, any queue) then one BATCH_ACK_MESSAGE for the 32;
 *   - pop + ack each: the same with one ACK_MESSAGE per message (what a SimpleConsumer does per message);
 * each by its own consumer group from offset 0. Reports msg/s, the broker's CPU µs per message and
 * the journal bytes the broker wrote per message (commit-log growth while consuming: nothing else
 * writes then), and prints pop/pull ratios. Bundled and run by bench/run.mjs (`--only pop`).
 */
import { BrokerApi, recordsOf } from '../src/client/broker-api.js';
import { PopApi } from '../src/client/pop-api.js';
import { GroupApi } from '../src/client/group-api.js';
import { Producer } from '../src/client/producer.js';
import { readFileSync } from 'node:fs';
import { cpuSeconds, startBenchCluster, until } from './rmqd-cluster.js';

export interface PopRun {
  mode: string;
  msgs: number;
  seconds: number;
  msgPerSec: number;
  /** Broker CPU µs per message consumed. */
  brokerCpuUs: number;
  /** Commit-log bytes the broker appended per message consumed (the POP journal; 0 for pull). */
  journalBytesPerMsg: number;
}

export interface PopBenchOptions {
  rmqd: string;
  flush: 'ASYNC_FLUSH' | 'SYNC_FLUSH';
  messages: number;
  loops?: number;
  /** Run the broker under `node --cpu-prof` (profile written to this directory when it stops). */
  cpuProfDir?: string;
  /** Only these modes (default all). */
  modes?: string[];
}

const QUEUES = 8;
const TOPIC = 'BenchPop';

export async function popThroughput(o: PopBenchOptions): Promise<PopRun[]> {
  const nodeArgs = o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`, `--cpu-prof-name=broker-pop-${o.flush}.cpuprofile`] : [];
  const cluster = await startBenchCluster(o.rmqd, [{ brokerName: 'bench-a', properties: { flushDiskType: o.flush }, nodeArgs }]);
  const producer = new Producer({ namesrvAddrs: [cluster.namesrvAddr], producerGroup: 'bench' });
  try {
    const broker = cluster.brokers[0]!;
    const addr = broker.addr;
    const api = new BrokerApi(cluster.remoting, 10_000);
    const pop = new PopApi(cluster.remoting, 10_000);
    const groups = new GroupApi(cluster.remoting, 10_000);
    await api.createTopic(addr, { topicName: TOPIC, readQueueNums: QUEUES, writeQueueNums: QUEUES, perm: 6 });
    await until(() => cluster.admin.topicRoute(TOPIC), 'the topic route');
    const body = Buffer.alloc(1024, 120);
    for (let i = 0; i < o.messages; i += 256) await Promise.all(Array.from({ length: Math.min(256, o.messages - i) }, () => producer.send({ topic: TOPIC, body })));

    const measure = async (mode: string, run: () => Promise<number>): Promise<PopRun> => {
      const log0 = Number((await api.runtimeInfo(addr)).commitLogMaxOffset);
      const cpu0 = cpuSeconds(broker.proc.pid!);
      const t0 = performance.now();
      const msgs = await run();
      const seconds = (performance.now() - t0) / 1000;
      const cpu = cpuSeconds(broker.proc.pid!) - cpu0;
      const log1 = Number((await api.runtimeInfo(addr)).commitLogMaxOffset);
      return { mode, msgs, seconds, msgPerSec: msgs / seconds, brokerCpuUs: (cpu * 1e6) / msgs, journalBytesPerMsg: (log1 - log0) / msgs };
    };

    const want = (m: string) => o.modes === undefined || o.modes.includes(m);
    const out: PopRun[] = [];
    if (want('pull')) out.push(await measure('pull', async () => {
      let n = 0;
      await Promise.all(
        Array.from({ length: QUEUES }, async (_, queueId) => {
          let offset = 0;
          for (;;) {
            const r = await api.pull(addr, { consumerGroup: 'BENCH_PULL', topic: TOPIC, queueId, queueOffset: offset, maxMsgNums: 32, commitOffset: offset });
            if (r.status !== 'FOUND') break;
            n += recordsOf(r.body).length;
            offset = r.nextBeginOffset;
          }
        }),
      );
      return n;
    }));

    const popRun = (group: string, batch: boolean) => async (): Promise<number> => {
      let n = 0;
      await Promise.all(
        Array.from({ length: o.loops ?? QUEUES }, async () => {
          for (;;) {
            const r = await pop.pop(addr, { group, topic: TOPIC, invisibleMillis: 60_000, maxMessages: 32, initMode: 'first' });
            if (r.status !== 'FOUND') {
              if (n >= o.messages) break;
              continue;
            }
            n += r.messages.length;
            if (batch) {
              const a = await pop.batchAck(addr, group, TOPIC, r.messages.map((m) => m.extraInfo));
              if (!a.ok) throw new Error(a.remark);
            } else {
              for (const m of r.messages) {
                const a = await pop.ack(addr, group, TOPIC, m.extraInfo);
                if (!a.ok) throw new Error(a.remark);
              }
            }
          }
        }),
      );
      // everything acked: the group's offsets reach the queues' ends
      const stats = await groups.consumeStats(addr, group, TOPIC);
      const left = stats.queues.reduce((x, q) => x + q.brokerOffset - q.consumerOffset, 0);
      if (left !== 0) throw new Error(`${group}: ${left} messages not acked at the end`);
      return n;
    };
    if (want('pop + batch ack')) out.push(await measure('pop + batch ack', popRun('BENCH_POP_BATCH', true)));
    if (want('pop + ack each')) out.push(await measure('pop + ack each', popRun('BENCH_POP_EACH', false)));
    return out;
  } finally {
    producer.shutdown();
    await cluster.stop();
  }
}

export interface PollersRun {
  parked: number;
  refused: number;
  /** Broker resident memory growth per parked receive (bytes), and the broker's RSS with all of them parked (MB). */
  bytesPerPoller: number;
  rssMB: number;
  /** ms from sending one message to a parked receive answering with it. */
  wakeMs: number;
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

/**
 * `receives` concurrent long-polling POP receives (20 s) against a broker whose maxPopPollingSize is
 * `limit`: how many park, how many are refused POLLING_FULL, the broker's memory per parked receive,
 * and how fast one arriving message answers one of them.
 */
export async function popPollers(o: { rmqd: string; receives: number; limit: number }): Promise<PollersRun> {
  const cluster = await startBenchCluster(o.rmqd, [{ brokerName: 'bench-a', properties: { maxPopPollingSize: o.limit } }]);
  const producer = new Producer({ namesrvAddrs: [cluster.namesrvAddr], producerGroup: 'bench' });
  try {
    const broker = cluster.brokers[0]!;
    const addr = broker.addr;
    const api = new BrokerApi(cluster.remoting, 10_000);
    const pop = new PopApi(cluster.remoting, 30_000);
    await api.createTopic(addr, { topicName: TOPIC, readQueueNums: QUEUES, writeQueueNums: QUEUES, perm: 6 });
    await until(() => cluster.admin.topicRoute(TOPIC), 'the topic route');
    await pop.pop(addr, { group: 'BENCH_POLL', topic: TOPIC, invisibleMillis: 60_000 });
    const rss0 = rssBytes(broker.proc.pid!);
    let refused = 0;
    let answered = 0;
    let woken = -1;
    const all = Array.from({ length: o.receives }, () =>
      pop.pop(addr, { group: 'BENCH_POLL', topic: TOPIC, invisibleMillis: 60_000, pollMillis: 20_000, maxMessages: 1 }).then((r) => {
        if (r.status === 'POLLING_FULL') refused++;
        else answered++;
        if (r.status === 'FOUND' && woken < 0) woken = performance.now();
      }),
    );
    const parked = Math.min(o.receives, o.limit);
    await until(async () => (Number((await api.runtimeInfo(addr)).popPollingRequests) >= parked && refused >= o.receives - parked ? true : undefined), `${parked} parked receives`);
    const rss1 = rssBytes(broker.proc.pid!);
    const t0 = performance.now();
    await producer.send({ topic: TOPIC, body: 'wake' });
    await until(async () => (woken >= 0 ? true : undefined), 'a parked receive to get the message');
    await Promise.all(all);
    return { parked, refused, bytesPerPoller: (rss1 - rss0) / parked, rssMB: rss1 / 1024 / 1024, wakeMs: woken - t0 };
  } finally {
    producer.shutdown();
    await cluster.stop();
  }
}
