/**
 * Latency of v5 calls for `rocketmq_rpc_latency` (protocol_type="grpc"): per RPC, answer code and
 * result, in the remoting histogram's buckets so both protocols sit in one metric. Counted in plain
 * arrays on the call path, read at scrape time.
 */
import { performance } from 'node:perf_hooks';
import { addLatency, newLatencyCounts, type LatencyHistogram, type RpcResult } from '../../remoting/timed-dispatcher.js';

export interface GrpcLatencySeries extends LatencyHistogram {
  /** The RPC's name as the service defines it (`SendMessage`). */
  rpc: string;
  /** The v2 status code name answered (`OK`, `FORBIDDEN`, …). */
  code: string;
  /** ReceiveMessage holds until messages arrive or its long-polling time passes. */
  isLongPolling: boolean;
  result: Exclude<RpcResult, 'oneway'>;
}

const LONG_POLLING_RPCS = new Set(['ReceiveMessage']);

export class GrpcCallLatency {
  private readonly table = new Map<string, GrpcLatencySeries>();

  /** A timestamp for `record`. */
  start(): number {
    return performance.now();
  }

  record(rpc: string, code: string, started: number, result: GrpcLatencySeries['result'] = 'success'): void {
    const millis = performance.now() - started;
    const key = `${rpc}\u0000${code}\u0000${result}`;
    let s = this.table.get(key);
    if (s === undefined) {
      s = { rpc, code, isLongPolling: LONG_POLLING_RPCS.has(rpc), result, counts: newLatencyCounts(), sumMillis: 0, count: 0 };
      this.table.set(key, s);
    }
    addLatency(s, millis);
  }

  series(): IterableIterator<GrpcLatencySeries> {
    return this.table.values();
  }
}

/** `SendMessage` → `send_message` (the remoting codes' label style). */
export function rpcLabel(rpc: string): string {
  return rpc.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}
