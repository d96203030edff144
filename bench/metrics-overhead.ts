/**
 * What metrics cost on the send path: the broker end to end (our producer -> rmqd broker, 1 KB,
 * 64 in flight, ASYNC_FLUSH) with metricsPort off, and on with a scraper fetching /metrics every
 * second during the measured window (Prometheus's usual interval is 15 s: this is the harsh
 * case). The hot-path counters and the request timing run in both (they feed runtime info and
 * the admin calls too); what "on" adds is the HTTP endpoint and the collection work per scrape.
 * Bundled and run by bench/run.mjs (`npm run bench -- --only metrics`).
 */
import net from 'node:net';
import { brokerThroughput, type BrokerRun } from './broker-throughput.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ port: 0, host: '127.0.0.1' }, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Scrapes every `everyMs` until stopped; reports scrapes done and the mean scrape time and size. */
function scraper(addr: string, everyMs: number): { stop(): Promise<string> } {
  let stopped = false;
  let n = 0;
  let totalMs = 0;
  let bytes = 0;
  const loop = (async () => {
    while (!stopped) {
      const t0 = performance.now();
      const text = await (await fetch(`http://${addr}/metrics`)).text();
      totalMs += performance.now() - t0;
      bytes = text.length;
      n++;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return `${n} scrapes, ${(totalMs / Math.max(1, n)).toFixed(1)} ms and ${(bytes / 1024).toFixed(0)} KiB each`;
    },
  };
}

export async function metricsRun(rmqd: string, on: boolean, seconds: number): Promise<BrokerRun> {
  if (!on) return brokerThroughput({ rmqd, flush: 'ASYNC_FLUSH', seconds });
  const port = await freePort();
  return brokerThroughput({ rmqd, flush: 'ASYNC_FLUSH', seconds, properties: { metricsPort: port }, during: () => scraper(`127.0.0.1:${port}`, 1_000) });
}

/**
 * The always-on part, measured in this process: a request through the TimedDispatcher (two clock
 * reads, bucket counters) plus BrokerStats.recordPut and the message-type check, against the
 * same request dispatched bare. Reported in ns per request, to set against the broker's CPU per
 * message of the same run.
 */
export async function hotPathCost(): Promise<{ bareNs: number; timedNs: number; statsNs: number }> {
  const { TimedDispatcher } = await import('../src/remoting/timed-dispatcher.js');
  const { BrokerStats } = await import('../src/broker/stats.js');
  const { messageTypeOf } = await import('../src/broker/metrics/message-type.js');
  const { RequestCode } = await import('../src/remoting/codes.js');
  const res = { code: 0 } as never;
  const inner = { dispatch: () => res };
  const stats = new BrokerStats();
  const timed = new TimedDispatcher(inner, (code, ms) => {
    if (code === RequestCode.SEND_MESSAGE_V2) stats.recordPutLatency(ms);
  });
  const req = { code: RequestCode.SEND_MESSAGE_V2, extFields: {} } as never;
  const props = 'KEYS\u0001k1\u0002UNIQ_KEY\u0001AC1100010000000000000000000000\u0002WAIT\u0001true\u0002TAGS\u0001TagA\u0002';
  const N = 2_000_000;
  const time = (f: () => void) => {
    for (let i = 0; i < 200_000; i++) f();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) f();
    return Number(process.hrtime.bigint() - t0) / N;
  };
  const bareNs = time(() => inner.dispatch());
  const timedNs = time(() => timed.dispatch(req, undefined as never));
  const statsNs = time(() => stats.recordPut('BenchE2E', 1, 1200, messageTypeOf(props)));
  return { bareNs, timedNs, statsNs };
}
