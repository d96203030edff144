import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeRecord } from '../../../src/protocol/message/index.js';
import { tmpDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';
import { gatedDisk } from '../../support/gated-disk.js';
import { message, openStore } from '../../support/store.js';
import { readCheckpoint } from '../../../src/broker/store/checkpoint.js';
import type { MessageStore } from '../../../src/broker/store/index.js';

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

describe('consume-queue flush with many queues', () => {
  it('writes every dirty queue (several at once); one that cannot be written fails the flush, stays dirty with those not reached, and a later flush writes them', async () => {
    const dir = tmpDir();
    // no periodic flush: the test's flushes are the only ones
    const over = { flushIntervalConsumeQueue: 3_600_000 };
    const store = await openStore(dir, over);
    // the blocked queue's directory is taken by a file: its first flush cannot create it
    fs.mkdirSync(`${dir}/consumequeue/Blocked`, { recursive: true });
    fs.writeFileSync(`${dir}/consumequeue/Blocked/0`, 'not a directory');
    await store.put(message('Blocked', 0, 'blocked'));
    const topics = Array.from({ length: 50 }, (_, i) => `Many${i}`);
    for (const t of topics) for (let q = 0; q < 4; q++) await store.put(message(t, q, `${t}/${q}`));
    await expect(store.flushLogics()).rejects.toThrow();
    fs.rmSync(`${dir}/consumequeue/Blocked/0`);
    await store.flushLogics();
    for (const t of topics) for (let q = 0; q < 4; q++) expect(fs.statSync(`${dir}/consumequeue/${t}/${q}/00000000000000000000`).size).toBe(20);
    expect(fs.statSync(`${dir}/consumequeue/Blocked/0/00000000000000000000`).size).toBe(20);
    await store.close();
    const again = await openStore(dir, over);
    const body = async (t: string, q: number) => decodeRecord((await again.getMessage(t, q, 0, 1, 1 << 20)).records[0]!).body.toString();
    expect(await body('Blocked', 0)).toBe('blocked');
    for (const t of topics) for (let q = 0; q < 4; q++) expect(await body(t, q)).toBe(`${t}/${q}`);
  });
});

describe('consume-queue open files', () => {
  /** Files of the store's consume queues this process holds open now (/proc/self/fd). */
  const openQueueFiles = (dir: string) =>
    fs.readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith(`${dir}/consumequeue/`);
      } catch {
        return false; // closed meanwhile
      }
    }).length;

  it('keeps at most the cap of queue files open — writing, flushing, reading and reopening 100 queues with a cap of 16 — and every entry stays readable', async () => {
    const dir = tmpDir();
    const cap = { consumeQueueOpenFiles: 16 };
    const over = { flushIntervalConsumeQueue: 3_600_000 };
    const store = await openStore(dir, over, cap);
    const topics = Array.from({ length: 25 }, (_, i) => `Fd${i}`);
    for (let round = 0; round < 2; round++) {
      for (const t of topics) for (let q = 0; q < 4; q++) await store.put(message(t, q, `${t}/${q}/${round}`));
      await store.flushLogics();
      expect(openQueueFiles(dir)).toBeLessThanOrEqual(16);
    }
    await store.close();
    expect(openQueueFiles(dir)).toBe(0);
    const again = await openStore(dir, over, cap);
    expect(openQueueFiles(dir)).toBeLessThanOrEqual(16);
    for (const t of topics) {
      for (let q = 0; q < 4; q++) {
        const got = await again.getMessage(t, q, 0, 2, 1 << 20);
        expect(got.records.map((r) => decodeRecord(r).body.toString())).toEqual([`${t}/${q}/0`, `${t}/${q}/1`]);
      }
    }
    // a third write to every queue after the reopen: files closed by the cap are opened again to be written
    for (const t of topics) for (let q = 0; q < 4; q++) await again.put(message(t, q, `${t}/${q}/2`));
    await again.flushLogics();
    expect(openQueueFiles(dir)).toBeLessThanOrEqual(16);
    for (const t of topics) for (let q = 0; q < 4; q++) expect(fs.statSync(`${dir}/consumequeue/${t}/${q}/00000000000000000000`).size).toBe(60);
  });
});

describe('key index flush period', () => {
  const checkpointOf = async (dir: string) => {
    const c = await readCheckpoint(path.join(dir, 'checkpoint'));
    if (c === undefined) throw new Error(`no checkpoint in ${dir}`);
    return c;
  };
  const bodiesOf = async (store: MessageStore, key: string) => (await store.queryMessage('Keyed', key, 5)).map((b) => decodeRecord(b).body.toString());

  it('writes the index less often than the consume queues; after a crash the entries it had not written are rebuilt from the commit log', async () => {
    const dir = tmpDir();
    const store = await openStore(dir, { flushIntervalConsumeQueue: 20, flushIntervalIndex: 3_600_000 });
    const start = (await checkpointOf(dir)).indexDurable; // opening wrote the index
    let end = 0;
    for (let i = 0; i < 20; i++) {
      const r = await store.put(message('Keyed', 0, `body-${i}`, { KEYS: `k${i}` }));
      end = r.appended!.physicalOffset + r.appended!.wroteBytes;
    }
    // the periodic flushes wrote the consume queue and a checkpoint, but not the index
    const c = await waitFor(async () => {
      const now = await checkpointOf(dir);
      return now.logicsDurable >= end ? now : undefined;
    }, { what: 'a checkpoint covering the puts' });
    expect(c.indexDurable).toBe(start);
    expect(c.indexDurable).toBeLessThan(end);

    // a crash now: the files as the process left them (the copy has no lock and keeps the abort marker)
    const crashed = tmpDir();
    fs.cpSync(dir, crashed, { recursive: true });
    expect(fs.existsSync(path.join(crashed, 'abort'))).toBe(true);
    const recovered = await openStore(crashed);
    expect(await bodiesOf(recovered, 'k7')).toEqual(['body-7']);
    expect(await bodiesOf(recovered, 'k19')).toEqual(['body-19']);
    expect((await checkpointOf(crashed)).indexDurable).toBe(end); // re-indexed and written on open
    await recovered.close();

    // an explicit flush (and close) writes the index whatever the period
    await store.flushLogics();
    expect((await checkpointOf(dir)).indexDurable).toBe(end);
    await store.close();
  });
});
