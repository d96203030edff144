/**
 * The produce benchmark behind `rmqctl bench produce` and bench/ (RocketMQ's
 * example/benchmark/Producer vocabulary): `threads` senders each waiting for its send (sync), or
 * with `async` sends fired without waiting while at most `inFlight` are outstanding; fixed-size
 * bodies, optional keys and tags; a report per interval (send TPS, max and average RT, failures)
 * and at the end the totals, RT percentiles and MB/s.
 */
import { LatencyHistogram } from '../../util/histogram.js';
import type { Message } from '../../client/message.js';
import type { Producer } from '../../client/producer.js';

export interface BenchProduceOptions {
  topic: string;
  /** Concurrent senders (sync), default 64. */
  threads: number;
  /** Fire without waiting, at most this many outstanding (async mode). */
  async?: boolean;
  inFlight?: number;
  messageSize: number;
  /** Stop after this many sends (0 / undefined: no limit). */
  count?: number;
  /** Stop after this long (seconds). */
  durationSeconds?: number;
  keys?: boolean;
  /** Tags `tag0`…`tag{n-1}` (0: no tag). */
  tagCount?: number;
  reportIntervalMillis?: number;
  onInterval?: (s: IntervalReport) => void;
  signal?: AbortSignal;
}

export interface IntervalReport {
  time: string;
  seconds: number;
  sendTps: number;
  maxRtMillis: number;
  avgRtMillis: number;
  /** Sends that failed (exception: no broker accepted the message). */
  sendFailed: number;
  /** Sends answered with a status other than SEND_OK (e.g. FLUSH_DISK_TIMEOUT). */
  responseFailed: number;
}

export interface BenchProduceSummary {
  topic: string;
  messageSize: number;
  threads: number;
  async: boolean;
  sendTotal: number;
  sendFailed: number;
  responseFailed: number;
  seconds: number;
  sendTps: number;
  mbPerSec: number;
  rtMillis: { avg: number; p50: number; p99: number; p999: number; max: number };
  intervals: IntervalReport[];
}

export async function benchProduce(producer: Producer, o: BenchProduceOptions): Promise<BenchProduceSummary> {
  const body = Buffer.alloc(o.messageSize, 0x61);
  const total = new LatencyHistogram();
  const intervals: IntervalReport[] = [];
  let iv = { n: 0, sum: 0, max: 0, sendFailed: 0, responseFailed: 0, started: performance.now() };
  let sent = 0;
  let launched = 0;
  let sendFailed = 0;
  let responseFailed = 0;
  const started = performance.now();
  const deadline = o.durationSeconds !== undefined ? started + o.durationSeconds * 1000 : Number.POSITIVE_INFINITY;
  const limit = o.count !== undefined && o.count > 0 ? o.count : Number.POSITIVE_INFINITY;
  const more = () => launched < limit && !(o.signal?.aborted ?? false) && (deadline === Number.POSITIVE_INFINITY || performance.now() < deadline);

  const message = (seq: number): Message => {
    const m: Message = { topic: o.topic, body };
    if (o.keys) m.keys = `key${seq}`;
    if (o.tagCount && o.tagCount > 0) m.tags = `tag${seq % o.tagCount}`;
    return m;
  };
  const done = (t0: number, ok: boolean, status?: string) => {
    const us = (performance.now() - t0) * 1000;
    if (ok) {
      sent++;
      total.record(us);
      iv.n++;
      iv.sum += us;
      if (us > iv.max) iv.max = us;
      if (status !== 'SEND_OK') {
        responseFailed++;
        iv.responseFailed++;
      }
    } else {
      sendFailed++;
      iv.sendFailed++;
    }
  };
  const report = () => {
    const now = performance.now();
    const secs = (now - iv.started) / 1000;
    const r: IntervalReport = {
      time: new Date().toISOString(),
      seconds: secs,
      sendTps: secs > 0 ? Math.round(iv.n / secs) : 0,
      maxRtMillis: iv.max / 1000,
      avgRtMillis: iv.n > 0 ? iv.sum / iv.n / 1000 : 0,
      sendFailed: iv.sendFailed,
      responseFailed: iv.responseFailed,
    };
    intervals.push(r);
    o.onInterval?.(r);
    iv = { n: 0, sum: 0, max: 0, sendFailed: 0, responseFailed: 0, started: now };
  };
  const intervalMillis = o.reportIntervalMillis ?? 1000;
  const timer = setInterval(report, intervalMillis);

  try {
    if (o.async) {
      const window = Math.max(1, o.inFlight ?? o.threads);
      await new Promise<void>((resolve) => {
        let outstanding = 0;
        const pump = () => {
          while (outstanding < window && more()) {
            const seq = launched++;
            outstanding++;
            const t0 = performance.now();
            producer.send(message(seq)).then(
              (r) => {
                outstanding--;
                done(t0, true, r.sendStatus);
                pump();
              },
              () => {
                outstanding--;
                done(t0, false);
                pump();
              },
            );
          }
          if (outstanding === 0) resolve();
        };
        pump();
      });
    } else {
      const sender = async () => {
        while (more()) {
          const seq = launched++;
          const t0 = performance.now();
          try {
            const r = await producer.send(message(seq));
            done(t0, true, r.sendStatus);
          } catch {
            done(t0, false);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, o.threads) }, sender));
    }
  } finally {
    clearInterval(timer);
  }
  // the last, partial interval only when it is long enough to mean something (a 1 ms tail would
  // report an absurd TPS); the summary counts every send either way
  if ((iv.n > 0 || iv.sendFailed > 0) && performance.now() - iv.started >= intervalMillis / 2) report();
  const seconds = (performance.now() - started) / 1000;
  const ms = (us: number) => Math.round(us) / 1000;
  return {
    topic: o.topic,
    messageSize: o.messageSize,
    threads: o.threads,
    async: o.async ?? false,
    sendTotal: sent,
    sendFailed,
    responseFailed,
    seconds,
    sendTps: seconds > 0 ? Math.round(sent / seconds) : 0,
    mbPerSec: seconds > 0 ? (sent * o.messageSize) / seconds / 1e6 : 0,
    rtMillis: { avg: ms(total.meanMicros), p50: ms(total.percentile(0.5)), p99: ms(total.percentile(0.99)), p999: ms(total.percentile(0.999)), max: ms(total.maxMicros) },
    intervals,
  };
}
