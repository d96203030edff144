/**
 * How long a store takes to open again (its recovery) with a large, nearly full commit-log segment:
 * after a clean close, and after a crash whose checkpoint lags the log (kill -9 between two
 * checkpoints). Store-level (MessageStore.open), so it times recovery alone. Bundled and run by
 * bench/run.mjs (`--only restart`).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeCheckpoint } from '../src/broker/store/checkpoint.js';
import { MessageStore, type PutMessage } from '../src/broker/store/index.js';
import { hostAddress } from '../src/protocol/message/host.js';

export interface RestartRun {
  segmentBytes: number;
  logBytes: number;
  /** ms to open after a clean close, each run. */
  cleanMs: number[];
  /** ms to open after a crash whose checkpoint lags by lagBytes, each run. */
  crashMs: number[];
  lagBytes: number;
}

export async function restartRecovery(opts: { segmentBytes?: number; fillBytes?: number; lagBytes?: number; runs?: number } = {}): Promise<RestartRun> {
  const segmentBytes = opts.segmentBytes ?? 1024 * 1024 * 1024;
  const fillBytes = opts.fillBytes ?? Math.floor(segmentBytes * 0.9);
  const lagBytes = opts.lagBytes ?? 64 * 1024 * 1024;
  const runs = opts.runs ?? 3;
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rmq-bench-restart-'));
  const config = { storePathRootDir: dir, mappedFileSizeCommitLog: segmentBytes };
  try {
    const store = await MessageStore.open(config);
    const body = Buffer.alloc(1024, 0x61);
    const born = hostAddress('127.0.0.1', 50000);
    const storeHost = hostAddress('127.0.0.1', 10911);
    const m = (queueId: number): PutMessage => ({ topic: 'Restart', queueId, flag: 0, body, properties: '', sysFlag: 0, bornTimestamp: Date.now(), bornHost: born, storeHost, reconsumeTimes: 0, preparedTransactionOffset: 0 });
    let lagPoint = 0;
    for (let q = 0; store.maxPhysOffset < fillBytes; q = (q + 1) % 8) {
      const r = await store.putBatch(Array.from({ length: 64 }, () => m(q)));
      if (r.status !== 'PUT_OK') throw new Error(`put: ${r.status} ${r.remark ?? ''}`);
      if (store.maxPhysOffset <= fillBytes - lagBytes) lagPoint = r.appended!.endOffset;
    }
    const logBytes = store.maxPhysOffset;
    await store.close();
    const timeOpen = async () => {
      const t = performance.now();
      const s = await MessageStore.open(config);
      const ms = performance.now() - t;
      await s.close();
      return ms;
    };
    const cleanMs: number[] = [];
    for (let i = 0; i < runs; i++) cleanMs.push(await timeOpen());
    const crashMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      // what a kill -9 leaves: the abort marker, a checkpoint from before the last lagBytes were written
      await writeCheckpoint(path.join(dir, 'checkpoint'), { commitLogFlushed: lagPoint, logicsDurable: lagPoint, indexDurable: lagPoint, writtenAt: Date.now() });
      fs.writeFileSync(path.join(dir, 'abort'), '1\n');
      crashMs.push(await timeOpen());
    }
    return { segmentBytes, logBytes, cleanMs, crashMs, lagBytes: logBytes - lagPoint };
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}
