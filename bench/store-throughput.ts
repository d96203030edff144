/**
 * Store-only throughput: 1 KB puts, 64 in flight, straight into MessageStore (no network), with
 * ASYNC_FLUSH and with SYNC_FLUSH (group commit), the latter with and without segment preallocation.
 * Bundled and run by bench/run.mjs.
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MessageStore, type FlushDiskType } from '../src/broker/store/index.js';
import { hostAddress } from '../src/protocol/message/host.js';

export interface StoreRun {
  name: string;
  msgs: number;
  seconds: number;
  msgPerSec: number;
  mbPerSec: number;
  fsyncs: number;
  writes: number;
  p50ms: number;
  p99ms: number;
}

export async function storeThroughput(opts: { flush: FlushDiskType; seconds: number; inFlight?: number; bodyBytes?: number; preallocate?: boolean; dsync?: boolean; segmentBytes?: number; name: string }): Promise<StoreRun> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rmq-bench-store-'));
  const store = await MessageStore.open({
    storePathRootDir: dir,
    flushDiskType: opts.flush,
    preallocateSegments: opts.preallocate ?? false,
    syncFlushWithDsync: opts.dsync ?? false,
    mappedFileSizeCommitLog: opts.segmentBytes ?? 1024 * 1024 * 1024,
  });
  const body = Buffer.alloc(opts.bodyBytes ?? 1024, 0x61);
  const born = hostAddress('127.0.0.1', 50000);
  const storeHost = hostAddress('127.0.0.1', 10911);
  const lat: number[] = [];
  let msgs = 0;
  let bytes = 0;
  let seq = 0;
  const end = performance.now() + opts.seconds * 1000;
  const t0 = performance.now();
  const before = store.stats;
  async function worker(): Promise<void> {
    while (performance.now() < end) {
      const i = seq++;
      const t = performance.now();
      const r = await store.put({
        topic: 'BenchTopic',
        queueId: i % 8,
        flag: 0,
        body,
        properties: `TAGS\u0001TagA\u0002KEYS\u0001k${i}\u0002UNIQ_KEY\u00017F00000100002A9F0000000000${String(i % 1e6).padStart(6, '0')}\u0002`,
        sysFlag: 0,
        bornTimestamp: Date.now(),
        bornHost: born,
        storeHost,
        reconsumeTimes: 0,
        preparedTransactionOffset: 0,
      });
      if (r.status !== 'PUT_OK') throw new Error(`put failed: ${r.status} ${r.remark ?? ''}`);
      lat.push(performance.now() - t);
      msgs++;
      bytes += r.appended!.wroteBytes;
    }
  }
  await Promise.all(Array.from({ length: opts.inFlight ?? 64 }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const after = store.stats;
  await store.close();
  await fsp.rm(dir, { recursive: true, force: true });
  lat.sort((a, b) => a - b);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] ?? 0;
  return {
    name: opts.name,
    msgs,
    seconds,
    msgPerSec: msgs / seconds,
    mbPerSec: bytes / seconds / 1e6,
    fsyncs: after.fsyncs - before.fsyncs,
    writes: after.writes - before.writes,
    p50ms: pct(0.5),
    p99ms: pct(0.99),
  };
}
