/**
 * bench/stages — where the time of bench/compare's rows 3 and 4 goes, for rmqd alone (binary
 * headers, the compare's consumer: tailTopic, one pull of 32 per queue, 2 queues).
 *   latency: produce at a fixed rate while reading; per message the stages
 *            scheduled → send call (client lateness), send call → ack, send call → arrival, and
 *            from the broker's store timestamp (ms clock) to arrival; per pull: round trip and
 *            messages per answer; GC pauses of this process (PerformanceObserver) and of the broker
 *            (--trace-gc, parsed).
 *   backlog: fill N, read them all; per pull round trip and messages per answer, read msg/s.
 */
import { appendFileSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { BrokerApi } from '../../src/client/broker-api.js';
import { Producer } from '../../src/client/producer.js';
import { tailTopic } from '../../src/ops/topic-tail.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { LatencyHistogram } from '../../src/util/histogram.js';
import { startBenchCluster, until } from '../rmqd-cluster.js';

const line = (h: LatencyHistogram, unit = 'ms') => {
  const f = (us: number) => (unit === 'ms' ? (us / 1000).toFixed(2) : String(Math.round(us)));
  return `n ${h.count}  p50 ${f(h.percentile(0.5))}  p90 ${f(h.percentile(0.9))}  p99 ${f(h.percentile(0.99))}  p999 ${f(h.percentile(0.999))}  max ${f(h.maxMicros)} ${unit}`;
};

const USAGE = `usage: bench/stages [options]   (rmqd alone: where rows 3 and 4 of bench/compare spend their time)
  --mode latency|backlog   row 3 (fixed-rate produce while reading) or row 4 (fill, then read) (default latency)
  --rate N --seconds N     latency mode: msg/s and measured seconds (default 5000, 20)
  --count N                backlog mode: messages (default 300000)
  --window N --size N      publishes in flight, body bytes (default 64, 1024)
  --queues N --batch N     queues of the topic, messages per pull (default 2, 32)
  --props k=v,k=v          extra broker properties
  --restart                backlog mode: read from a freshly restarted broker
  --client-prof FILE       CPU profile of this (client) process, written to FILE
  --attribute              latency mode: which of the slowest 1 % of acks and arrivals overlapped a GC
                           pause of this process or of the broker (bench/gc-timeline.cjs on the broker);
                           with RMQ_STAGES_STALLS=FILE, the stalls that overlapped neither are appended
                           to FILE as "startUs endUs messages" on the monotonic clock of V8's CPU profiles`;

export async function main(argv: string[], rmqd: string): Promise<void> {
  if (argv.includes('--help')) {
    console.log(USAGE);
    return;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        mode: { type: 'string', default: 'latency' },
        rate: { type: 'string', default: '5000' },
        seconds: { type: 'string', default: '20' },
        count: { type: 'string', default: '300000' },
        window: { type: 'string', default: '64' },
        size: { type: 'string', default: '1024' },
        queues: { type: 'string', default: '2' },
        batch: { type: 'string', default: '32' },
        props: { type: 'string', default: '' },
        restart: { type: 'boolean', default: false },
        'client-prof': { type: 'string' },
        attribute: { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    console.error(`bench/stages: ${(e as Error).message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const a = parsed.values;
  const window = Number(a.window);
  const size = Number(a.size);
  const queues = Number(a.queues);
  const extraProps = Object.fromEntries(
    (a.props ?? '')
      .split(',')
      .filter(Boolean)
      .map((kv) => kv.split('=') as [string, string]),
  );
  const timelineFile = a.attribute ? path.join(os.tmpdir(), `rmq-stages-gc-${process.pid}.txt`) : undefined;
  if (timelineFile) process.env.RMQ_GC_TIMELINE = timelineFile;
  const timelineArgs = timelineFile ? ['--require', path.join(path.dirname(path.dirname(rmqd)), 'bench', 'gc-timeline.cjs')] : [];
  const cluster = await startBenchCluster(rmqd, [{ brokerName: 'bench-a', properties: { flushDiskType: 'ASYNC_FLUSH', ...extraProps }, nodeArgs: ['--trace-gc', ...timelineArgs] }]);
  const topic = 'BenchStages';
  const api = new BrokerApi(cluster.remoting);
  const master = cluster.brokers[0]!;
  await api.createTopic(master.addr, { topicName: topic, readQueueNums: queues, writeQueueNums: queues, perm: 6 });
  await until(async () => ((await cluster.admin.topicRoute(topic))?.queueDatas.length ? true : undefined), 'the topic route');
  const producer = new Producer({ namesrvAddrs: [cluster.namesrvAddr], producerGroup: 'bench_stages', serializeType: 'ROCKETMQ' });
  await producer.route(topic);
  const consumerRemoting = new RemotingClient({ serializeType: 'ROCKETMQ' });
  const gcHist = new LatencyHistogram();
  const clientGc: GcPause[] = [];
  const obs = new PerformanceObserver((l) => {
    for (const e of l.getEntries()) {
      gcHist.record(e.duration * 1000);
      clientGc.push({ start: performance.timeOrigin + e.startTime, duration: e.duration });
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  const rtt = new LatencyHistogram();
  const perPull = new LatencyHistogram();
  const pulls = { found: 0, empty: 0 };
  const ac = new AbortController();
  let onRecord: (body: Buffer, storeTs: number) => void = () => {};
  const origPull = BrokerApi.prototype.pull;
  const brokers = new BrokerApi(consumerRemoting);
  brokers.pull = async function (addr, r) {
    const t = performance.now();
    const res = await origPull.call(this, addr, r);
    rtt.record((performance.now() - t) * 1000);
    return res;
  };
  const consuming = a.mode === 'backlog' ? Promise.resolve() : tailTopic(
    { admin: cluster.admin, brokers },
    {
      topic,
      from: 'beginning',
      consumerGroup: 'bench_stages',
      signal: ac.signal,
      maxMsgNums: Number(a.batch),
      onMessage: (rec) => onRecord(rec.body, rec.storeTimestamp),
      onPull: (_q, _s, r) => {
        if (r.status === 'FOUND') {
          pulls.found++;
          perPull.record(r.body === undefined ? 0 : Math.round(r.body.length / (size + 150)));
        } else pulls.empty++;
      },
    },
  );
  try {
    if (a.mode === 'backlog') {
      const count = Number(a.count);
      const body = Buffer.alloc(size, 0x61);
      let sent = 0;
      await new Promise<void>((resolve, reject) => {
        let out = 0;
        const pump = () => {
          while (out < 256 && sent < count) {
            sent++;
            out++;
            producer.send({ topic, body }).then(() => {
              out--;
              if (sent === count && out === 0) resolve();
              else pump();
            }, reject);
          }
        };
        pump();
      });
      if (a.restart) {
        // a fresh broker process on the same store: its CPU profile (RMQ_BENCH_BROKER_NODE_ARGS=--cpu-prof) holds the read alone
        await master.restart('SIGTERM');
        await until(async () => ((await cluster.admin.clusterInfo()).brokerAddrTable['bench-a']?.brokerAddrs['0'] === master.addr ? true : undefined), 'the broker to register again');
        await until(async () => ((await cluster.admin.topicRoute(topic))?.queueDatas.length ? true : undefined), 'the topic route');
      }
      let session: import('node:inspector').Session | undefined;
      if (a['client-prof']) {
        const { Session } = await import('node:inspector');
        session = new Session();
        session.connect();
        const post = (m: string) => new Promise<unknown>((res, rej) => session!.post(m, (e, r) => (e ? rej(e) : res(r))));
        await post('Profiler.enable');
        await post('Profiler.start');
      }
      const rtt2 = new LatencyHistogram();
      const ac2 = new AbortController();
      let got = 0;
      const t0 = performance.now();
      let done!: () => void;
      const all = new Promise<void>((r) => (done = r));
      const per2 = new LatencyHistogram();
      const b2 = new BrokerApi(consumerRemoting);
      b2.pull = async function (addr, r) {
        const t = performance.now();
        const res = await origPull.call(this, addr, r);
        rtt2.record((performance.now() - t) * 1000);
        return res;
      };
      const cpu0 = process.cpuUsage();
      const { cpuSeconds } = await import('../rmqd-cluster.js');
      const b0 = cpuSeconds(master.proc.pid!);
      const reading = tailTopic(
        { admin: cluster.admin, brokers: b2 },
        {
          topic,
          from: 'beginning',
          consumerGroup: 'bench_stages',
          signal: ac2.signal,
          maxMsgNums: Number(a.batch),
          onMessage: () => {
            if (++got === count) done();
          },
          onPull: (_q, _s, r) => per2.record(r.body === undefined ? 0 : Math.round(r.body.length / (size + 150))),
        },
      );
      await all;
      const secs = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(cpu0);
      console.log(`backlog read: ${count} in ${secs.toFixed(2)} s = ${Math.round(count / secs)} msg/s; cores broker ${((cpuSeconds(master.proc.pid!) - b0) / secs).toFixed(2)} client ${((c.user + c.system) / 1e6 / secs).toFixed(2)}`);
      console.log(`pull round trip: ${line(rtt2, 'us')}`);
      console.log(`messages per answer: ${line(per2, 'n')}`);
      ac2.abort();
      await reading.catch(() => {});
      if (session) {
        const { writeFileSync } = await import('node:fs');
        const profile = await new Promise<unknown>((res, rej) => session!.post('Profiler.stop', (e, r) => (e ? rej(e) : res(r.profile))));
        writeFileSync(a['client-prof']!, JSON.stringify(profile));
        session.disconnect();
      }
    } else {
      const rate = Number(a.rate);
      const seconds = Number(a.seconds);
      const warm = rate * 2;
      const total = warm + rate * seconds;
      const late = new LatencyHistogram();
      const ack = new LatencyHistogram();
      const e2e = new LatencyHistogram();
      const sendToArrive = new LatencyHistogram();
      const storeToArrive = new LatencyHistogram();
      // per message, on this process's clock: send call, ack, arrival (for --attribute)
      const sentAt = new Float64Array(total);
      const ackedAt = new Float64Array(total);
      const arrivedAt = new Float64Array(total);
      let received = 0;
      onRecord = (body, storeTs) => {
        const now = performance.now();
        const seq = body.readUInt32LE(8);
        if (seq < warm) return;
        received++;
        e2e.record((now - body.readDoubleLE(0)) * 1000);
        sendToArrive.record((now - body.readDoubleLE(12)) * 1000);
        storeToArrive.record((Date.now() - storeTs) * 1000);
        arrivedAt[seq] = now;
      };
      const period = 1000 / rate;
      const t0 = performance.now() + 10;
      let launched = 0;
      let out = 0;
      await new Promise<void>((resolve) => {
        const pump = () => {
          const now = performance.now();
          const due = Math.min(total, Math.floor((now - t0) / period) + 1);
          while (launched < due && out < window) {
            const seq = launched++;
            const scheduled = t0 + seq * period;
            const b = Buffer.alloc(size, 0x61);
            const sendAt = performance.now();
            b.writeDoubleLE(scheduled, 0);
            b.writeUInt32LE(seq, 8);
            b.writeDoubleLE(sendAt, 12);
            if (seq >= warm) late.record((sendAt - scheduled) * 1000);
            sentAt[seq] = sendAt;
            out++;
            producer.send({ topic, body: b }).then(
              () => {
                const acked = performance.now();
                ackedAt[seq] = acked;
                if (seq >= warm) ack.record((acked - sendAt) * 1000);
                out--;
                if (launched >= total && out === 0) resolve();
              },
              () => {
                out--;
              },
            );
          }
          if (launched < total) setTimeout(pump, Math.max(0, Math.min(t0 + launched * period - performance.now(), 5)));
        };
        pump();
      });
      const deadline = Date.now() + 20_000;
      while (received < total - warm && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      console.log(`e2e (from schedule): ${line(e2e)}`);
      console.log(`send lateness:       ${line(late)}`);
      console.log(`send → ack:          ${line(ack)}`);
      console.log(`send → arrival:      ${line(sendToArrive)}`);
      console.log(`store ts → arrival:  ${line(storeToArrive)} (ms clock)`);
      console.log(`pull round trip:     ${line(rtt)}; found ${pulls.found}, empty ${pulls.empty}`);
      console.log(`msgs per answer:     ${line(perPull, 'n')}`);
      console.log(`client GC pauses:    ${line(gcHist)} total ${(gcHist.sumMicros / 1000).toFixed(0)} ms`);
      if (timelineFile) {
        const brokerGc = readGcTimeline(timelineFile).sort((x, y) => x.start - y.start);
        clientGc.sort((x, y) => x.start - y.start);
        const toWall = (t: number) => performance.timeOrigin + t;
        const spans = (end: Float64Array) => {
          const out: Span[] = [];
          for (let i = warm; i < total; i++) if (end[i]! > 0) out.push({ start: toWall(sentAt[i]!), end: toWall(end[i]!) });
          return out;
        };
        console.log(`slowest 1 % vs GC:   ack ${attribution(spans(ackedAt), clientGc, brokerGc)}`);
        console.log(`                     arrival ${attribution(spans(arrivedAt), clientGc, brokerGc)}`);
      }
    }
    const gcLines = master.output().split('\n').filter((l) => /Scavenge|Mark-Compact|Mark-sweep/.test(l));
    const pauses = new LatencyHistogram();
    let marks = 0;
    for (const l of gcLines) {
      const m = /, ([\d.]+) \/ [\d.]+ ms/.exec(l);
      if (m) pauses.record(Number(m[1]) * 1000);
      if (/Mark-Compact|Mark-sweep/.test(l)) marks++;
    }
    console.log(`broker GC (last 64 KiB of --trace-gc): ${line(pauses)}; mark-compacts ${marks}`);
  } finally {
    obs.disconnect();
    ac.abort();
    await consuming.catch(() => {});
    producer.shutdown();
    consumerRemoting.shutdown();
    await cluster.stop();
    if (timelineFile) rmSync(timelineFile, { force: true });
  }
}

interface GcPause {
  /** Wall clock, ms since the epoch (fractional). */
  start: number;
  duration: number;
}
interface Span {
  start: number;
  end: number;
}

function readGcTimeline(file: string): GcPause[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [start, duration] = l.split(' ');
      return { start: Number(start), duration: Number(duration) };
    });
}

/** Whether [s.start, s.end] overlaps any pause (pauses sorted by start). */
function overlapsAny(s: Span, pauses: readonly GcPause[]): boolean {
  let lo = 0;
  let hi = pauses.length;
  // first pause starting after s.end; pauses before it that end after s.start overlap
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (pauses[mid]!.start <= s.end) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo - 1; i >= 0 && i >= lo - 8; i--) if (pauses[i]!.start + pauses[i]!.duration >= s.start) return true;
  return false;
}

/**
 * Of the slowest 1 % of spans: the share that overlapped a pause of the client, of the broker,
 * and (for scale) the same shares over all spans; slow spans that overlap in time are one stall.
 * Pauses must be sorted by start.
 */
function attribution(spans: Span[], clientGc: readonly GcPause[], brokerGc: readonly GcPause[]): string {
  const byLength = [...spans].sort((x, y) => y.end - y.start - (x.end - x.start));
  const slowCount = Math.max(1, Math.floor(spans.length / 100));
  const threshold = byLength[slowCount - 1]!;
  // each slow span's overlaps, looked up once
  const slow = byLength.slice(0, slowCount).map((s) => ({ ...s, client: overlapsAny(s, clientGc), broker: overlapsAny(s, brokerGc) }));
  const pct = (n: number, of: number) => `${((100 * n) / of).toFixed(0)} %`;
  const count = <T>(set: readonly T[], f: (x: T) => boolean) => set.filter(f).length;
  const events: { start: number; end: number; n: number; client: boolean; broker: boolean }[] = [];
  for (const sp of [...slow].sort((x, y) => x.start - y.start)) {
    const last = events[events.length - 1];
    if (last !== undefined && sp.start <= last.end) {
      last.end = Math.max(last.end, sp.end);
      last.n++;
      last.client ||= sp.client;
      last.broker ||= sp.broker;
    } else events.push({ start: sp.start, end: sp.end, n: 1, client: sp.client, broker: sp.broker });
  }
  const neither = events.filter((e) => !e.client && !e.broker);
  if (process.env.RMQ_STAGES_STALLS) {
    // monotonic µs (V8 CPU profiles' clock) of each stall with no GC pause, for lining up with a broker --cpu-prof
    const monoMinusWall = Number(process.hrtime.bigint() / 1000n) - (performance.timeOrigin + performance.now()) * 1000;
    appendFileSync(process.env.RMQ_STAGES_STALLS, neither.map((e) => `${Math.round(e.start * 1000 + monoMinusWall)} ${Math.round(e.end * 1000 + monoMinusWall)} ${e.n}\n`).join(''));
  }
  return (
    `> ${(threshold.end - threshold.start).toFixed(2)} ms (n ${slow.length}): client GC ${pct(count(slow, (s) => s.client), slow.length)}, broker GC ${pct(count(slow, (s) => s.broker), slow.length)}, ` +
    `either ${pct(count(slow, (s) => s.client || s.broker), slow.length)}, neither ${pct(count(slow, (s) => !s.client && !s.broker), slow.length)}` +
    ` | all: client ${pct(count(spans, (s) => overlapsAny(s, clientGc)), spans.length)}, broker ${pct(count(spans, (s) => overlapsAny(s, brokerGc)), spans.length)}` +
    ` | ${events.length} stalls (client GC ${count(events, (e) => e.client)}, broker GC ${count(events, (e) => e.broker)}, neither ${neither.length}; pauses in the run: client ${clientGc.length}, broker ${brokerGc.length})`
  );
}
