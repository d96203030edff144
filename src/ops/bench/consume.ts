/**
 * The consume benchmark behind `rmqctl bench consume` (RocketMQ's example/benchmark/Consumer
 * vocabulary): a PushConsumer of a group reads a topic; every interval reports the consume TPS and
 * the born-to-consume (B2C) and store-to-consume (S2C) latency, average and max; at the end the
 * totals with percentiles. B2C uses the producer host's clock and S2C the broker's: across hosts they
 * include the clock skew.
 */
import { LatencyHistogram } from '../../util/histogram.js';
import type { PushConsumer } from '../../client/consumer/push-consumer.js';

export interface BenchConsumeOptions {
  /** Stop after this many messages. */
  count?: number;
  /** Stop after this long (seconds). */
  durationSeconds?: number;
  reportIntervalMillis?: number;
  onInterval?: (r: ConsumeIntervalReport) => void;
  signal?: AbortSignal;
}

export interface ConsumeIntervalReport {
  time: string;
  consumeTps: number;
  avgB2cMillis: number;
  avgS2cMillis: number;
  maxB2cMillis: number;
  maxS2cMillis: number;
}

export interface BenchConsumeSummary {
  consumed: number;
  bytes: number;
  seconds: number;
  consumeTps: number;
  mbPerSec: number;
  b2cMillis: { avg: number; p50: number; p99: number; max: number };
  s2cMillis: { avg: number; p50: number; p99: number; max: number };
  intervals: ConsumeIntervalReport[];
}

/** Starts `consumer` (subscribed already) and consumes until count, duration or abort; shuts it down. */
export async function benchConsume(consumer: PushConsumer, o: BenchConsumeOptions): Promise<BenchConsumeSummary> {
  const b2c = new LatencyHistogram();
  const s2c = new LatencyHistogram();
  const intervals: ConsumeIntervalReport[] = [];
  let iv = { n: 0, b2c: 0, s2c: 0, maxB2c: 0, maxS2c: 0, started: performance.now() };
  let consumed = 0;
  let bytes = 0;
  let maxB2c = 0;
  let maxS2c = 0;
  const started = performance.now();
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const limit = o.count ?? Number.POSITIVE_INFINITY;

  const report = () => {
    const now = performance.now();
    const secs = (now - iv.started) / 1000;
    const r: ConsumeIntervalReport = {
      time: new Date().toISOString(),
      consumeTps: Math.round(iv.n / Math.max(secs, 1e-3)),
      avgB2cMillis: iv.n === 0 ? 0 : iv.b2c / iv.n,
      avgS2cMillis: iv.n === 0 ? 0 : iv.s2c / iv.n,
      maxB2cMillis: iv.maxB2c,
      maxS2cMillis: iv.maxS2c,
    };
    intervals.push(r);
    o.onInterval?.(r);
    iv = { n: 0, b2c: 0, s2c: 0, maxB2c: 0, maxS2c: 0, started: now };
  };
  const timer = setInterval(report, o.reportIntervalMillis ?? 1000);
  const deadline = o.durationSeconds === undefined ? undefined : setTimeout(finish, o.durationSeconds * 1000);
  const onAbort = () => finish();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await consumer.start((m) => {
      const now = Date.now();
      const bc = Math.max(0, now - m.bornTimestamp);
      const sc = Math.max(0, now - m.storeTimestamp);
      b2c.record(bc * 1000);
      s2c.record(sc * 1000);
      iv.n++;
      iv.b2c += bc;
      iv.s2c += sc;
      iv.maxB2c = Math.max(iv.maxB2c, bc);
      iv.maxS2c = Math.max(iv.maxS2c, sc);
      maxB2c = Math.max(maxB2c, bc);
      maxS2c = Math.max(maxS2c, sc);
      bytes += m.body.length;
      if (++consumed >= limit) finish();
    });
    if (o.signal?.aborted) finish();
    await finished;
  } finally {
    clearInterval(timer);
    if (deadline !== undefined) clearTimeout(deadline);
    o.signal?.removeEventListener('abort', onAbort);
    await consumer.shutdown();
  }
  const seconds = (performance.now() - started) / 1000;
  const ms = (h: LatencyHistogram, p: number) => h.percentile(p) / 1000;
  return {
    consumed,
    bytes,
    seconds,
    consumeTps: Math.round(consumed / Math.max(seconds, 1e-3)),
    mbPerSec: bytes / 1024 / 1024 / Math.max(seconds, 1e-3),
    b2cMillis: { avg: b2c.meanMicros / 1000, p50: ms(b2c, 0.5), p99: ms(b2c, 0.99), max: maxB2c },
    s2cMillis: { avg: s2c.meanMicros / 1000, p50: ms(s2c, 0.5), p99: ms(s2c, 0.99), max: maxS2c },
    intervals,
  };
}
