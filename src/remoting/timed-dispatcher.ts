/**
 * Request latency per request code and response code, as RocketMQ 5 measures it
 * (RemotingMetricsManager: `rocketmq_rpc_latency`, milliseconds, buckets 1 3 5 7 10 100 1000
 * 2000 3000). A dispatcher wrapper: the hot path reads the clock twice and adds to plain
 * counters; a metrics collector reads `series()` at scrape time.
 */
import { performance } from 'node:perf_hooks';
import { RequestCode } from './codes.js';
import type { RemotingCommand } from './command.js';
import type { Connection } from './connection.js';
import type { HandlerResult, RequestDispatcher } from './dispatcher.js';

/** Bucket upper bounds in ms (RemotingMetricsManager rpcCostTimeBuckets). */
export const RPC_LATENCY_BUCKETS_MS = [1, 3, 5, 7, 10, 100, 1000, 2000, 3000] as const;

export type RpcResult = 'success' | 'oneway' | 'process_request_failed';

/** One label set's histogram: counts per bucket (last: above every bound), sum and count. */
export interface RpcLatencySeries {
  requestCode: number;
  /** The answer's code; -1 for oneway or failed requests. */
  responseCode: number;
  isLongPolling: boolean;
  result: RpcResult;
  readonly counts: Float64Array;
  sumMillis: number;
  count: number;
}

/** A latency histogram in RPC_LATENCY_BUCKETS_MS: counts per bucket (last: above every bound), sum, count. */
export interface LatencyHistogram {
  readonly counts: Float64Array;
  sumMillis: number;
  count: number;
}

export function newLatencyCounts(): Float64Array {
  return new Float64Array(RPC_LATENCY_BUCKETS_MS.length + 1);
}

export function addLatency(h: LatencyHistogram, millis: number): void {
  let i = 0;
  while (i < RPC_LATENCY_BUCKETS_MS.length && millis > (RPC_LATENCY_BUCKETS_MS[i] as number)) i++;
  h.counts[i] = (h.counts[i] as number) + 1;
  h.sumMillis += millis;
  h.count++;
}

const RESULTS: readonly RpcResult[] = ['success', 'oneway', 'process_request_failed'];

/** PullSysFlag.SUSPEND: the pull may be held (long polling). */
const SUSPEND = 0x2;

export class TimedDispatcher implements RequestDispatcher {
  /** By a numeric key of the label values (cheaper than building a string per request). */
  private readonly table = new Map<number, RpcLatencySeries>();

  /** `observe(code, ms)` is told every request's latency too (the broker feeds send latencies to its stats). */
  constructor(
    private readonly inner: RequestDispatcher,
    private readonly observe?: (requestCode: number, millis: number) => void,
  ) {}

  dispatch(req: RemotingCommand, conn: Connection): HandlerResult | Promise<HandlerResult> {
    const started = performance.now();
    let r: HandlerResult | Promise<HandlerResult>;
    try {
      r = this.inner.dispatch(req, conn);
    } catch (e) {
      this.failed(req, started);
      throw e;
    }
    // a side branch: the caller awaits the handler's own promise, not one a tick later
    if (r instanceof Promise) r.then((res) => this.answered(req, res, started), () => this.failed(req, started));
    else this.answered(req, r, started);
    return r;
  }

  /**
   * For a caller that already waits on every request (the broker's stop gate) and times it
   * itself, saving a promise per request: `performance.now()` when it starts, then one of these.
   */
  answered(req: RemotingCommand, res: HandlerResult, started: number): void {
    this.record(req, res, started, res ? 'success' : 'oneway');
  }

  failed(req: RemotingCommand, started: number): void {
    this.record(req, undefined, started, 'process_request_failed');
  }

  /** The handlers timed by `answered`/`failed` instead of `dispatch`. */
  get handlers(): RequestDispatcher {
    return this.inner;
  }

  /** Every label set seen so far. */
  series(): IterableIterator<RpcLatencySeries> {
    return this.table.values();
  }

  private record(req: RemotingCommand, res: HandlerResult, started: number, result: RpcResult): void {
    const millis = performance.now() - started;
    const responseCode = res ? res.code : -1;
    const longPolling = req.code === RequestCode.PULL_MESSAGE && (Number(req.extFields?.sysFlag ?? 0) & SUSPEND) !== 0;
    const key = ((req.code * 16_384 + (responseCode + 8_192)) * 2 + (longPolling ? 1 : 0)) * 4 + RESULTS.indexOf(result);
    let s = this.table.get(key);
    if (s === undefined) {
      s = { requestCode: req.code, responseCode, isLongPolling: longPolling, result, counts: newLatencyCounts(), sumMillis: 0, count: 0 };
      this.table.set(key, s);
    }
    addLatency(s, millis);
    this.observe?.(req.code, millis);
  }
}
