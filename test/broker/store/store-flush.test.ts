import { describe, expect, it } from 'vitest';
import { decodeRecord } from '../../../src/protocol/message/index.js';
import { tmpDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';
import { gatedDisk } from '../../support/gated-disk.js';
import { message, openStore } from '../../support/store.js';

describe.each([
  ['write + fdatasync', false],
  ['O_DSYNC writes', true],
])('SYNC_FLUSH (%s)', (_, dsync) => {
  it('acknowledges a put only after an fdatasync covering it, sharing fsyncs between waiting puts', async () => {
    const store = await openStore(tmpDir(), { flushDiskType: 'SYNC_FLUSH', syncFlushWithDsync: dsync });
    const n = 300;
    const covered: boolean[] = [];
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const r = await store.put(message('Sync', i % 4, `m${i}`));
        expect(r.status).toBe('PUT_OK');
        covered.push(store.flushedPhysOffset >= r.appended!.physicalOffset + r.appended!.wroteBytes);
      }),
    );
    expect(covered.every(Boolean)).toBe(true);
    // group commit: 300 concurrent puts needed far fewer than 300 fsyncs
    expect(store.stats.fsyncs).toBeLessThan(n / 4);
    expect(store.stats.fsyncs).toBeGreaterThan(0);
  });

  it('answers FLUSH_DISK_TIMEOUT when the fsync does not finish in syncFlushTimeout — the message is stored', async () => {
    const disk = gatedDisk();
    const store = await openStore(tmpDir(), { flushDiskType: 'SYNC_FLUSH', syncFlushTimeout: 200, syncFlushWithDsync: dsync }, { fdatasync: disk.fdatasync });
    disk.hold();
    try {
      const r = await store.put(message('Slow', 0, 'kept anyway'));
      expect(r.status).toBe('FLUSH_DISK_TIMEOUT');
      expect(r.appended?.queueOffset).toBe(0);
      if (!dsync) {
        // written, only not yet fsync'ed: readable now
        const got = await store.getMessage('Slow', 0, 0, 1, 1 << 20);
        expect(decodeRecord(got.records[0]!).body.toString()).toBe('kept anyway');
        // WAIT=false skips the flush wait altogether (with O_DSYNC the write itself is the flush)
        const noWait = await store.put(message('Slow', 0, 'no wait', { WAIT: 'false' }));
        expect(noWait.status).toBe('PUT_OK');
      }
    } finally {
      disk.release();
    }
    await waitFor(async () => (await store.getMessage('Slow', 0, 0, 1, 1 << 20)).status === 'FOUND', { what: 'the timed-out message to be readable' });
    expect(decodeRecord((await store.getMessage('Slow', 0, 0, 1, 1 << 20)).records[0]!).body.toString()).toBe('kept anyway');
    expect((await store.put(message('Slow', 0, 'disk back'))).status).toBe('PUT_OK');
  });
});

describe('ASYNC_FLUSH', () => {
  it('acknowledges once written and fsyncs periodically', async () => {
    const disk = gatedDisk();
    const store = await openStore(tmpDir(), { flushDiskType: 'ASYNC_FLUSH', flushIntervalCommitLog: 20 }, { fdatasync: disk.fdatasync });
    disk.hold();
    const r = await store.put(message('Async', 0, 'x'));
    expect(r.status).toBe('PUT_OK'); // did not wait for the held fsync
    const end = r.appended!.physicalOffset + r.appended!.wroteBytes;
    expect(store.flushedPhysOffset).toBeLessThan(end);
    disk.release();
    await waitFor(() => store.flushedPhysOffset >= end, { what: 'periodic flush' });
  });
});
