/**
 * The commit log's write path under ASYNC_FLUSH: a small write (a few puts of one event-loop turn)
 * is a writev on the event loop's thread, so a put is acknowledged — and its consume-queue entry
 * becomes visible to a held pull — without a thread-pool round trip; a large one goes through the
 * thread pool. Shown by occupying every thread of the pool (blocking opens of FIFOs) while putting.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SYNC_WRITE_MAX_BYTES } from '../../../src/broker/store/commit-log.js';
import type { DispatchEvent } from '../../../src/broker/store/index.js';
import { tmpDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';
import { message, openStore } from '../../support/store.js';

/** Occupies every libuv pool thread with an open() of a FIFO nobody writes to; `release` opens the write ends. */
function occupyThreadPool(dir: string): { release: () => Promise<void> } {
  const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const fifos = Array.from({ length: threads }, (_, i) => path.join(dir, `fifo-${i}`));
  for (const f of fifos) execFileSync('mkfifo', [f]);
  const opened = fifos.map((f) => fs.promises.open(f, 'r'));
  return {
    release: async () => {
      // O_NONBLOCK write ends succeed once a reader is waiting, which frees each pool thread
      const writers = fifos.map((f) => fs.openSync(f, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
      for (const h of await Promise.all(opened)) await h.close();
      for (const w of writers) fs.closeSync(w);
    },
  };
}

describe('message store: the write path', () => {
  it('acknowledges small puts and makes them visible while every thread-pool thread is busy; a large write waits for the pool', async () => {
    const dir = tmpDir();
    const store = await openStore(dir, { mappedFileSizeCommitLog: 4 * 1024 * 1024, writeBlockBytes: 1024 * 1024, memoryCacheBytes: 4 * 1024 * 1024 });
    // the segment file is opened by the first write (through the pool): before the pool is taken
    expect((await store.put(message('Path', 0, 'first'))).status).toBe('PUT_OK');
    const seen: DispatchEvent[] = [];
    store.onDispatch((e) => seen.push(e));

    const pool = occupyThreadPool(dir);
    try {
      for (let i = 0; i < 20; i++) {
        const r = await store.put(message('Path', 0, Buffer.alloc(1000, i)));
        expect(r.status).toBe('PUT_OK');
      }
      // every put above is written and its entry visible, with no pool thread free
      expect(store.getMaxOffsetInQueue('Path', 0)).toBe(21);
      expect(seen.map((e) => e.queueOffset)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      const got = await store.getMessage('Path', 0, 1, 32, 1 << 20);
      expect(got.records).toHaveLength(20);

      // one turn's puts over SYNC_WRITE_MAX_BYTES: one write through the pool, which is busy
      const big = Array.from({ length: Math.ceil(SYNC_WRITE_MAX_BYTES / 1000) + 8 }, () => store.put(message('Path', 1, Buffer.alloc(1000, 7))));
      let done = false;
      void Promise.all(big).then(() => (done = true));
      // the writer starts on the next turn (setImmediate) and hands its writev to the pool, where it waits
      for (let turn = 0; turn < 3; turn++) await new Promise((r) => setImmediate(r));
      expect(done).toBe(false);
      await pool.release();
      await waitFor(async () => done, { what: 'the large write once the pool is free' });
      expect((await Promise.all(big)).every((r) => r.status === 'PUT_OK')).toBe(true);
    } finally {
      await pool.release().catch(() => {});
    }
  });
});
