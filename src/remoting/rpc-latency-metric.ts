/** `rocketmq_rpc_latency` from a TimedDispatcher's counts, for the broker's and the NameServer's metrics. */
import type { Registry } from 'prom-client';
import { scrapedHistogram, type Labels } from '../util/prom-metrics.js';
import { requestCodeLabel } from './codes.js';
import { RPC_LATENCY_BUCKETS_MS, type TimedDispatcher } from './timed-dispatcher.js';

/** `SEND_MESSAGE_V2(310)` → `send_message_v2`; codes without a name stay numbers. */
function requestCodeName(code: number): string {
  return requestCodeLabel(code).replace(/\(\d+\)$/, '').toLowerCase();
}

/** Series of another protocol in the same histogram (the broker's gRPC calls), labels given. */
export interface ExtraLatencySeries {
  labels: Labels;
  counts: Float64Array;
  sum: number;
  count: number;
}

export function registerRpcLatency(registry: Registry, rpc: TimedDispatcher, base: Labels, extra?: () => Iterable<ExtraLatencySeries>): void {
  scrapedHistogram(registry, 'rocketmq_rpc_latency', 'Request handling time in ms, request in to answer out (RemotingMetricsManager buckets).', RPC_LATENCY_BUCKETS_MS, function* () {
    for (const s of rpc.series()) {
      const labels = { ...base, protocol_type: 'remoting', request_code: requestCodeName(s.requestCode), response_code: s.responseCode < 0 ? '' : String(s.responseCode), is_long_polling: String(s.isLongPolling), result: s.result };
      yield { labels, counts: s.counts, sum: s.sumMillis, count: s.count };
    }
    if (extra !== undefined) for (const s of extra()) yield { ...s, labels: { ...base, ...s.labels } };
  });
}
