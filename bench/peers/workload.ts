/**
 * The workloads of bench/compare, the same for every system (only Endpoint.publish / consume
 * differ):
 *   produce  — `count` publishes of `size`-byte bodies, at most `window` unacknowledged; msg/s and
 *              the acknowledgement latency of each publish.
 *   latency  — publishes at a fixed rate (at most `window` unacknowledged) while a consumer reads;
 *              end-to-end latency = arrival − the message's *scheduled* send time (so a sender that
 *              falls behind is charged for it: no coordinated omission). A warm-up is not counted.
 *   backlog  — fills the destination with `count` messages, then times one consumer reading them all.
 * CPU use of the server processes and of this process (the client) is reported per second of wall
 * time (1.0 = one core busy), so a result says which side was the bottleneck.
 */
import { LatencyHistogram } from '../../src/util/histogram.js';
import { GcMeter, type GcCounts } from '../gc-meter.js';
import type { CpuSeconds } from './processes.js';
import type { Endpoint } from './system.js';

export interface Measured {
  msgs: number;
  seconds: number;
  msgPerSec: number;
  mbPerSec: number;
  /** Latency percentiles in ms (acknowledgement latency, or end to end for the latency row). */
  p50ms?: number;
  p99ms?: number;
  p999ms?: number;
  /** Cores busy on average: the server processes, this (client) process; and the server's kernel-mode part of it. */
  serverCpu: number;
  clientCpu: number;
  serverSysCpu: number;
  /** Anything the reader should know (messages missing, publishes failed…). */
  notes: string[];
}

export type Progress = (done: number, total: number) => void;

/** No acknowledgement or delivery for this long: the run is stuck, give up on it. */
const STALL_MILLIS = 30_000;

type CpuLoad = Pick<Measured, 'serverCpu' | 'clientCpu' | 'serverSysCpu'>;

class CpuMeter {
  private readonly t0 = performance.now();
  private readonly client0 = process.cpuUsage();
  private readonly server0: CpuSeconds;
  constructor(private readonly ep: Endpoint) {
    this.server0 = ep.serverCpu();
  }
  read(): CpuLoad {
    const wall = (performance.now() - this.t0) / 1000;
    const c = process.cpuUsage(this.client0);
    const s = this.ep.serverCpu();
    return { serverCpu: (s.total - this.server0.total) / wall, clientCpu: (c.user + c.system) / 1e6 / wall, serverSysCpu: (s.system - this.server0.system) / wall };
  }
}

/** The latency row's note on this (client) process's GC: a client that promotes what it allocates per message shows as mark-compacts here, and in row 3's tail. */
function gcNote(c: GcCounts): string {
  return `client GC while measured: ${c.minor} scavenges (${c.minorMs.toFixed(0)} ms), ${c.major} mark-compacts (${c.majorMs.toFixed(0)} ms)`;
}

const ms = (us: number) => us / 1000;

/**
 * The latency row's stages, p50 / p99 ms: scheduled → publish call (this process's timer and event
 * loop — the same harness for every system), publish → acknowledgement (the produce path), publish
 * → arrival at the consumer. A system whose tail is on its produce path shows it in the second.
 */
function stagesNote(s: { lateness: LatencyHistogram; ack: LatencyHistogram; arrival: LatencyHistogram }): string {
  const f = (h: LatencyHistogram) => `${ms(h.percentile(0.5)).toFixed(2)} / ${ms(h.percentile(0.99)).toFixed(2)}`;
  return `stages p50 / p99 ms: scheduled → publish ${f(s.lateness)}, publish → ack ${f(s.ack)}, publish → arrival ${f(s.arrival)}`;
}

function percentiles(h: LatencyHistogram): Pick<Measured, 'p50ms' | 'p99ms' | 'p999ms'> {
  return { p50ms: ms(h.percentile(0.5)), p99ms: ms(h.percentile(0.99)), p999ms: ms(h.percentile(0.999)) };
}

/** Rejects when `progress()` has not moved for STALL_MILLIS. */
function watchdog(what: string, progress: () => number): { stalled: Promise<never>; stop: () => void } {
  let last = progress();
  let lastAt = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      const now = progress();
      if (now !== last) {
        last = now;
        lastAt = Date.now();
      } else if (Date.now() - lastAt > STALL_MILLIS) {
        reject(new Error(`${what} stalled: no progress for ${STALL_MILLIS / 1000} s (at ${now})`));
      }
    }, 1_000);
  });
  stalled.catch(() => {});
  return { stalled, stop: () => clearInterval(timer) };
}

/**
 * Publishes `count` messages with at most `window` in flight — or, with `seconds`, as many as it can
 * in that time (a warm-up: the same time for every system, whatever its speed).
 */
export async function produceRun(ep: Endpoint, o: { count: number; seconds?: number; window: number; size: number; onProgress?: Progress }): Promise<Measured> {
  const body = Buffer.alloc(o.size, 0x61);
  const hist = new LatencyHistogram();
  let launched = 0;
  let acked = 0;
  let failed = 0;
  let firstError: Error | undefined;
  const cpu = new CpuMeter(ep);
  const t0 = performance.now();
  const stopAt = o.seconds === undefined ? Infinity : t0 + o.seconds * 1000;
  const wd = watchdog('produce', () => acked + failed);
  const progress = setInterval(() => o.onProgress?.(acked, o.count), 2_000);
  try {
    await Promise.race([
      wd.stalled,
      new Promise<void>((resolve) => {
        let outstanding = 0;
        const pump = () => {
          while (outstanding < o.window && launched < o.count && (stopAt === Infinity || performance.now() < stopAt)) {
            launched++;
            outstanding++;
            const s = performance.now();
            ep.publish(body).then(
              () => {
                hist.record((performance.now() - s) * 1000);
                acked++;
                outstanding--;
                pump();
              },
              (e: unknown) => {
                failed++;
                firstError ??= e as Error;
                outstanding--;
                pump();
              },
            );
          }
          if (outstanding === 0 && (launched >= o.count || performance.now() >= stopAt)) resolve();
        };
        pump();
      }),
    ]);
  } finally {
    wd.stop();
    clearInterval(progress);
  }
  const seconds = (performance.now() - t0) / 1000;
  const notes: string[] = [];
  if (failed > 0) notes.push(`${failed} publishes failed (first: ${firstError?.message})`);
  if (failed > launched / 100) throw new Error(`${failed} of ${launched} publishes failed; first: ${firstError?.message}`);
  return { msgs: acked, seconds, msgPerSec: acked / seconds, mbPerSec: (acked * o.size) / seconds / 1e6, ...percentiles(hist), ...cpu.read(), notes };
}

/** A publish this much later than scheduled counts as the sender falling behind. */
const LATE_MILLIS = 5;

/**
 * A latency-row body: when it was due (float64 LE, ms of performance.now(), byte 0), its sequence
 * number (uint32 LE, byte 8) and how late the publish call came (uint32 LE µs, byte 12) — so its
 * stages need no table per message (a 30-minute soak sends 60 million).
 */
function stamped(size: number, seq: number, scheduledMs: number, publishedMs: number): Buffer {
  const b = Buffer.alloc(size, 0x61);
  b.writeDoubleLE(scheduledMs, 0);
  b.writeUInt32LE(seq, 8);
  b.writeUInt32LE(Math.min(0xffffffff, Math.max(0, Math.round((publishedMs - scheduledMs) * 1000))), 12);
  return b;
}

/** What a latency run reports every `interval.millis` (bench/soak): that interval alone. */
export interface IntervalStats {
  /** Intervals reported so far, this one included. */
  n: number;
  received: number;
  p50ms: number;
  p99ms: number;
  p999ms: number;
  /** Publish → acknowledgement latency of the publishes acknowledged in this interval: a slow
   * broker shows here, a slow consumer only in the end-to-end figures above. */
  sendP50ms: number;
  sendP99ms: number;
  /** Cores busy in the server processes and in this process during the interval; the server's kernel-mode part. */
  serverCpu: number;
  clientCpu: number;
  serverSysCpu: number;
}

export async function latencyRun(
  ep: Endpoint,
  o: { rate: number; seconds: number; warmupSeconds: number; window: number; size: number; onProgress?: Progress; interval?: { millis: number; report: (s: IntervalStats) => void } },
): Promise<Measured> {
  const warm = Math.round(o.rate * o.warmupSeconds);
  const total = warm + Math.round(o.rate * o.seconds);
  const seen = new Uint8Array(total);
  const hist = new LatencyHistogram();
  // where the end-to-end time goes, for every system alike (see stagesNote)
  const stages = { lateness: new LatencyHistogram(), ack: new LatencyHistogram(), arrival: new LatencyHistogram() };
  let interval: { hist: LatencyHistogram; acks: LatencyHistogram; received: number; n: number; cpu: CpuMeter | undefined } | undefined;
  let intervalTimer: NodeJS.Timeout | undefined;
  let received = 0;
  let measuredReceived = 0;
  let duplicates = 0;
  const ac = new AbortController();
  const consuming = ep.consume((body) => {
    const now = performance.now();
    const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
    const scheduled = dv.getFloat64(0, true);
    const seq = dv.getUint32(8, true);
    if (seq >= total) return;
    if (seen[seq]) {
      duplicates++;
      return;
    }
    seen[seq] = 1;
    received++;
    if (seq >= warm) {
      measuredReceived++;
      hist.record((now - scheduled) * 1000);
      stages.arrival.record(Math.max(0, (now - scheduled) * 1000 - dv.getUint32(12, true)));
      if (interval !== undefined) {
        interval.hist.record((now - scheduled) * 1000);
        interval.received++;
      }
    }
  }, ac.signal);
  consuming.catch(() => {});

  let launched = 0;
  let acked = 0;
  let failed = 0;
  let behind = 0;
  let cpu: CpuMeter | undefined;
  let gc: GcMeter | undefined;
  let tMeasure = 0;
  const period = 1000 / o.rate;
  const wd = watchdog('latency run', () => acked + failed + received);
  const progress = setInterval(() => o.onProgress?.(received, total), 2_000);
  try {
    const t0 = performance.now() + 10;
    await Promise.race([
      wd.stalled,
      consuming.then(() => {
        throw new Error('the consumer stopped early');
      }),
      new Promise<void>((resolve) => {
        let outstanding = 0;
        const pump = () => {
          const now = performance.now();
          const due = Math.min(total, Math.floor((now - t0) / period) + 1);
          while (launched < due && outstanding < o.window) {
            const seq = launched++;
            if (seq === warm) {
              cpu = new CpuMeter(ep);
              gc = new GcMeter();
              tMeasure = now;
              const every = o.interval;
              if (every !== undefined) {
                interval = { hist: new LatencyHistogram(), acks: new LatencyHistogram(), received: 0, n: 0, cpu: new CpuMeter(ep) };
                intervalTimer = setInterval(() => {
                  const i = interval!;
                  i.n++;
                  const e2e = percentiles(i.hist) as { p50ms: number; p99ms: number; p999ms: number };
                  const send = percentiles(i.acks) as { p50ms: number; p99ms: number };
                  every.report({ n: i.n, received: i.received, ...e2e, sendP50ms: send.p50ms, sendP99ms: send.p99ms, ...i.cpu!.read() });
                  i.hist = new LatencyHistogram();
                  i.acks = new LatencyHistogram();
                  i.received = 0;
                  i.cpu = new CpuMeter(ep);
                }, every.millis);
              }
            }
            const scheduled = t0 + seq * period;
            if (seq >= warm && now - scheduled > LATE_MILLIS) behind++;
            outstanding++;
            const sentAt = now;
            if (seq >= warm) stages.lateness.record((now - scheduled) * 1000);
            ep.publish(stamped(o.size, seq, scheduled, now)).then(
              () => {
                const tookMicros = (performance.now() - sentAt) * 1000;
                interval?.acks.record(tookMicros);
                if (seq >= warm) stages.ack.record(tookMicros);
                acked++;
                outstanding--;
                if (launched >= total && outstanding === 0) resolve();
              },
              () => {
                failed++;
                outstanding--;
                if (launched >= total && outstanding === 0) resolve();
              },
            );
          }
          if (launched < total) {
            const next = t0 + launched * period - performance.now();
            setTimeout(pump, Math.max(0, Math.min(next, 5)));
          }
        };
        pump();
      }),
    ]);
    const sendSeconds = (performance.now() - tMeasure) / 1000;
    // everything published after the warm-up must arrive; wait for it with a deadline
    const deadline = Date.now() + 20_000;
    while (measuredReceived < total - warm - failed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const load: CpuLoad = cpu?.read() ?? { serverCpu: 0, clientCpu: 0, serverSysCpu: 0 };
    const measured = total - warm;
    const notes: string[] = [];
    notes.push(stagesNote(stages));
    if (gc !== undefined) notes.push(gcNote(gc.stop()));
    gc = undefined;
    if (measuredReceived < measured) notes.push(`${measured - measuredReceived} of ${measured} messages did not arrive within 20 s`);
    if (failed > 0) notes.push(`${failed} publishes failed`);
    if (duplicates > 0) notes.push(`${duplicates} duplicate deliveries`);
    if (behind > measured / 100) notes.push(`${behind} of ${measured} messages went out more than ${LATE_MILLIS} ms after their scheduled time (window full or event loop busy); their latency counts from the schedule`);
    return { msgs: measuredReceived, seconds: sendSeconds, msgPerSec: measured / sendSeconds, mbPerSec: (measured * o.size) / sendSeconds / 1e6, ...percentiles(hist), ...load, notes };
  } finally {
    gc?.stop();
    wd.stop();
    clearInterval(progress);
    clearInterval(intervalTimer);
    ac.abort();
    await consuming.catch(() => {});
  }
}

/** Fills the destination with `count` messages (not timed), then times reading them all. */
export async function backlogRun(ep: Endpoint, o: { count: number; fillWindow: number; size: number; onProgress?: Progress; onFilled?: (m: Measured) => void }): Promise<Measured> {
  const fill = await produceRun(ep, { count: o.count, window: o.fillWindow, size: o.size, onProgress: o.onProgress });
  o.onFilled?.(fill);
  let received = 0;
  let bytes = 0;
  const ac = new AbortController();
  const cpu = new CpuMeter(ep);
  const t0 = performance.now();
  let t1 = 0;
  let done!: () => void;
  const allRead = new Promise<void>((r) => (done = r));
  const consuming = ep.consume((body) => {
    received++;
    bytes += body.byteLength;
    if (received === o.count) {
      t1 = performance.now();
      done();
    }
  }, ac.signal);
  const wd = watchdog('backlog read', () => received);
  const progress = setInterval(() => o.onProgress?.(received, o.count), 2_000);
  try {
    await Promise.race([
      allRead,
      wd.stalled,
      consuming.then(() => {
        throw new Error('the consumer stopped early');
      }),
    ]);
  } finally {
    wd.stop();
    clearInterval(progress);
    ac.abort();
    await consuming.catch(() => {});
  }
  const load = cpu.read();
  const seconds = (t1 - t0) / 1000;
  const notes: string[] = [];
  if (bytes !== received * o.size) notes.push(`bodies were ${bytes} bytes in all, expected ${received * o.size}`);
  return { msgs: received, seconds, msgPerSec: received / seconds, mbPerSec: bytes / seconds / 1e6, ...load, notes };
}
