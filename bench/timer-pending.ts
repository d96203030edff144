/**
 * Memory of pending timer messages: two rmqd brokers of one cluster, each sent `count` messages
 * of `bodyBytes` by our producer (`inFlight` outstanding) — broker "plain" ordinary messages (the
 * baseline: the same store, the same bytes), broker "timer" timer messages due 1–2 days ahead, so
 * all of them are pending in its timer index. Reports each broker's RSS idle, after the sends, and
 * the ratio timer/plain; the timer broker's pending count (runtime info timerCongestNum); then, with
 * the million pending, how late 1,000 near timers (due 2–10 s ahead) are delivered; then both
 * brokers are killed (SIGKILL) and started again: how long until the timer broker has its index
 * back (every pending message still pending), and each broker's RSS then — a fresh process, so no
 * garbage left from the sends. RSS is also sampled at every quarter of the sends (growth with the
 * count is what would matter). Bundled and run by bench/run.mjs (`--only timer`, `--count N`: not
 * in the default run, it stores 2 × N messages).
 */
import { readFileSync } from 'node:fs';
import { BrokerApi } from '../src/client/broker-api.js';
import { Producer } from '../src/client/producer.js';
import { PushConsumer } from '../src/client/consumer/push-consumer.js';
import { PropertyKey } from '../src/protocol/message/constants.js';
import { startBenchCluster, until } from './rmqd-cluster.js';

export interface TimerPendingRun {
  count: number;
  sendSeconds: { plain: number; timer: number };
  rssMB: { plainIdle: number; timerIdle: number; plain: number; timer: number };
  /** RSS (MB) after each quarter of the sends: [sent, plain broker, timer broker]. */
  rssSamples: [number, number, number][];
  pending: number;
  /** After kill -9 and a restart of both brokers. */
  crash: { timerLoadSeconds: number; pendingAfter: number; rssMB: { plain: number; timer: number } };
  /** The timer broker's timer figures from runtime info after the sends. */
  timerInfo: Record<string, string>;
  /** Lateness of the near timers (ms): at the consumer, and at the broker (TIMER_DEQUEUE_MS − due). */
  near: { count: number; p50: number; p99: number; max: number; early: number; broker: { p50: number; p99: number; max: number } };
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

const TOPIC = 'BenchTimer';

export async function timerPending(o: { rmqd: string; count: number; bodyBytes?: number; inFlight?: number; log?: (l: string) => void }): Promise<TimerPendingRun> {
  const log = o.log ?? (() => undefined);
  const cluster = await startBenchCluster(o.rmqd, [{ brokerName: 'plain' }, { brokerName: 'timer' }]);
  const producer = new Producer({ namesrvAddrs: [cluster.namesrvAddr], producerGroup: 'bench', sendTimeoutMillis: 30_000, autoCreateTopic: false });
  const api = new BrokerApi(cluster.remoting, 10_000);
  try {
    const [plain, timer] = cluster.brokers as [(typeof cluster.brokers)[0], (typeof cluster.brokers)[0]];
    // one topic on each broker only: BenchTimer_plain on "plain", BenchTimer_timer on "timer"
    for (const [b, kind] of [[plain, 'plain'], [timer, 'timer']] as const) {
      await api.createTopic(b.addr, { topicName: `${TOPIC}_${kind}`, readQueueNums: 8, writeQueueNums: 8, perm: 6 });
      await until(() => cluster.admin.topicRoute(`${TOPIC}_${kind}`), 'the topic routes');
    }
    const rss = (b: typeof plain) => rssBytes(b.proc.pid!) / 1048576;
    const plainIdle = rss(plain);
    const timerIdle = rss(timer);
    const body = Buffer.alloc(o.bodyBytes ?? 128, 120);
    const inFlight = o.inFlight ?? 256;
    const quarter = Math.max(1, Math.floor(o.count / 4));
    const samples = new Map<number, [number, number, number]>();
    const sendAll = async (topic: string, timed: boolean): Promise<number> => {
      const t0 = Date.now();
      let next = 0;
      let done = 0;
      const day = 86_400_000;
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          while (next < o.count) {
            const i = next++;
            await producer.send({ topic, body, ...(timed ? { deliverTimeMs: Date.now() + day + Math.floor(Math.random() * day) } : {}) });
            done++;
            if (done % quarter === 0) {
              const row = samples.get(done) ?? [done, NaN, NaN];
              row[timed ? 2 : 1] = timed ? rss(timer) : rss(plain);
              samples.set(done, row);
            }
            if (i % 100_000 === 0 && i > 0) log(`    ${topic}: ${i.toLocaleString('en-US')} sent`);
          }
        }),
      );
      return (Date.now() - t0) / 1000;
    };
    const plainSeconds = await sendAll(`${TOPIC}_plain`, false);
    const timerSeconds = await sendAll(`${TOPIC}_timer`, true);
    // the index catches up with what was stored, then settle a moment for the RSS reading
    const pending = await until(async () => {
      const info = await api.runtimeInfo(timer.addr);
      return Number(info.timerOffsetBehind) === 0 ? Number(info.timerCongestNum) : undefined;
    }, 'the timer index to catch up', 120_000);
    const timerInfo = Object.fromEntries(Object.entries(await api.runtimeInfo(timer.addr)).filter(([k]) => k.startsWith('timer') || k === 'putMessageTimesTotal'));
    const rssPlain = rss(plain);
    const rssTimer = rss(timer);

    // near timers while the million wait
    const due = new Map<string, number>();
    const late: number[] = [];
    const brokerLate: number[] = [];
    const seen = new Set<string>();
    let early = 0;
    const consumer = new PushConsumer({ namesrvAddrs: [cluster.namesrvAddr], consumerGroup: 'bench-near', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    consumer.subscribe(`${TOPIC}_timer`, '*');
    await consumer.start(async (m) => {
      const body = m.body.toString();
      const want = due.get(body);
      if (want === undefined || seen.has(body)) return; // a redelivery counts once
      seen.add(body);
      const d = Number(m.properties.get(PropertyKey.TIMER_DEQUEUE_MS)) - want;
      if (d < 0) early++;
      brokerLate.push(d);
      late.push(Date.now() - want);
    });
    const near = 1_000;
    await Promise.all(
      Array.from({ length: near }, async (_, i) => {
        const at = Date.now() + 2_000 + Math.floor(Math.random() * 8_000);
        due.set(`near-${i}`, at);
        await producer.send({ topic: `${TOPIC}_timer`, body: Buffer.from(`near-${i}`), deliverTimeMs: at });
      }),
    );
    await until(async () => (late.length >= near ? true : undefined), 'the near timers', 60_000);
    consumer.shutdown();
    late.sort((a, b) => a - b);
    brokerLate.sort((a, b) => a - b);

    // a crash with the million pending: both brokers killed and started again
    await plain.restart('SIGKILL');
    const t0 = Date.now();
    await timer.restart('SIGKILL');
    const pendingAfter = await until(async () => {
      const info = await api.runtimeInfo(timer.addr);
      return Number(info.timerOffsetBehind) === 0 && Number(info.timerCongestNum) >= pending ? Number(info.timerCongestNum) : undefined;
    }, 'the restarted timer broker to have its index back', 300_000);
    const timerLoadSeconds = (Date.now() - t0) / 1000;
    await until(() => api.runtimeInfo(plain.addr), 'the restarted plain broker', 120_000);
    const pct = (p: number, of = late) => of[Math.min(of.length - 1, Math.ceil((p / 100) * of.length) - 1)] ?? NaN;
    return {
      count: o.count,
      sendSeconds: { plain: plainSeconds, timer: timerSeconds },
      rssMB: { plainIdle, timerIdle, plain: rssPlain, timer: rssTimer },
      rssSamples: [...samples.values()].sort((a, b) => a[0] - b[0]),
      pending,
      crash: { timerLoadSeconds, pendingAfter, rssMB: { plain: rss(plain), timer: rss(timer) } },
      timerInfo,
      near: { count: late.length, p50: pct(50), p99: pct(99), max: late.at(-1) ?? NaN, early, broker: { p50: pct(50, brokerLate), p99: pct(99, brokerLate), max: brokerLate.at(-1) ?? NaN } },
    };
  } finally {
    producer.shutdown();
    await cluster.stop();
  }
}
