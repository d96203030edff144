import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord, hostAddress } from '../../../src/protocol/message/index.js';
import { MessageStore, StoreCorruptionError } from '../../../src/broker/store/index.js';
import { tmpDir } from '../../support/tmp.js';
import { SMALL_STORE, message, openStore } from '../../support/store.js';
import { writeCheckpoint } from '../../../src/broker/store/checkpoint.js';
import { createLogger } from '../../../src/util/log.js';

const segment0 = (dir: string) => path.join(dir, 'commitlog', '00000000000000000000');

/** Fills a store, closes it cleanly, and returns what it stored. */
async function filled(dir: string, n: number, over = {}): Promise<{ maxPhys: number; ends: number[] }> {
  const s = await MessageStore.open({ storePathRootDir: dir, ...SMALL_STORE, ...over });
  const ends: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await s.put(message('Rec', 0, `body-${i}`, { KEYS: `k${i}` }));
    ends.push(r.appended!.physicalOffset + r.appended!.wroteBytes);
  }
  const maxPhys = s.maxPhysOffset;
  await s.close();
  return { maxPhys, ends };
}

/** What a crash leaves behind: the abort marker of a store that did not close. */
const markCrashed = (dir: string) => fs.writeFileSync(path.join(dir, 'abort'), '1\n');

async function bodies(store: MessageStore, topic = 'Rec', queueId = 0): Promise<string[]> {
  const got = await store.getMessage(topic, queueId, store.getMinOffsetInQueue(topic, queueId), 100_000, 1 << 30);
  return got.records.map((b) => decodeRecord(b).body.toString());
}

describe('recovery after a crash', () => {
  it('truncates a torn record at the tail and keeps everything before it', async () => {
    const dir = tmpDir();
    const { maxPhys } = await filled(dir, 20);
    // a write cut short: the first 60 bytes of a record that belonged at maxPhys
    const torn = encodeRecord({
      queueId: 0, flag: 0, queueOffset: 20, physicalOffset: maxPhys, sysFlag: 0, bornTimestamp: 1, bornHost: hostAddress('127.0.0.1', 1),
      storeTimestamp: 2, storeHost: hostAddress('127.0.0.1', 2), reconsumeTimes: 0, preparedTransactionOffset: 0, body: Buffer.alloc(500, 1), topic: 'Rec', properties: '',
    }).subarray(0, 60);
    const fd = fs.openSync(segment0(dir), 'r+');
    fs.writeSync(fd, torn, 0, torn.length, maxPhys);
    fs.closeSync(fd);
    markCrashed(dir);

    const store = await openStore(dir);
    expect(store.maxPhysOffset).toBe(maxPhys);
    expect(await bodies(store)).toEqual(Array.from({ length: 20 }, (_, i) => `body-${i}`));
    const r = await store.put(message('Rec', 0, 'after crash'));
    expect(r.appended).toMatchObject({ physicalOffset: maxPhys, queueOffset: 20 });
    // the torn bytes were zeroed, not left to be misread later
    await store.close();
    const again = await openStore(dir);
    expect((await bodies(again)).at(-1)).toBe('after crash');
  });

  it('truncates a record torn inside its properties (body CRC intact: a kill -9 cut the write at a page boundary)', async () => {
    // A SIGKILL during a multi-page pwritev cuts the write at a page boundary; if the cut falls in
    // the properties, the body CRC still matches and the record used to be served with its
    // properties zeroed — a message nobody sent (the crash test's one-off failure).
    const dir = tmpDir();
    const { maxPhys } = await filled(dir, 20);
    const whole = encodeRecord({
      queueId: 0, flag: 0, queueOffset: 20, physicalOffset: maxPhys, sysFlag: 0, bornTimestamp: 1, bornHost: hostAddress('127.0.0.1', 1),
      storeTimestamp: 2, storeHost: hostAddress('127.0.0.1', 2), reconsumeTimes: 0, preparedTransactionOffset: 0, body: Buffer.alloc(500, 7), topic: 'Rec',
      properties: 'seq\u0001123\u0002UNIQ_KEY\u0001AC1100010000\u0002',
    });
    for (const missing of [1, 10, 30]) {
      const cut = Buffer.from(whole);
      cut.fill(0, whole.length - missing); // the last bytes (30: all of the properties) never reached the file
      const fd = fs.openSync(segment0(dir), 'r+');
      fs.writeSync(fd, cut, 0, cut.length, maxPhys);
      fs.closeSync(fd);
      markCrashed(dir);
      const store = await openStore(dir);
      expect(store.maxPhysOffset).toBe(maxPhys);
      expect(await bodies(store)).toEqual(Array.from({ length: 20 }, (_, i) => `body-${i}`));
      await store.close();
    }
  });

  it('a write cut short anywhere in the last record: recovery serves the earlier records and never a part of it (property)', async () => {
    const template = tmpDir();
    const { maxPhys } = await filled(template, 5);
    const earlier = Array.from({ length: 5 }, (_, i) => `body-${i}`);
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 0, maxLength: 300 }),
        fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[ -~]{0,20}$/), { maxKeys: 4 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (body, props, where) => {
          const dir = tmpDir();
          fs.cpSync(template, dir, { recursive: true });
          const properties = Object.entries(props).map(([k, v]) => `${k}\u0001${v}\u0002`).join('');
          const whole = encodeRecord({
            queueId: 0, flag: 0, queueOffset: 5, physicalOffset: maxPhys, sysFlag: 0, bornTimestamp: 1, bornHost: hostAddress('127.0.0.1', 1),
            storeTimestamp: 2, storeHost: hostAddress('127.0.0.1', 2), reconsumeTimes: 0, preparedTransactionOffset: 0, body: Buffer.from(body), topic: 'Rec', properties,
          });
          const keep = Math.floor(where * (whole.length - 1)); // at least the last byte is missing
          const cut = Buffer.alloc(whole.length);
          whole.copy(cut, 0, 0, keep);
          const fd = fs.openSync(segment0(dir), 'r+');
          fs.writeSync(fd, cut, 0, cut.length, maxPhys);
          fs.closeSync(fd);
          markCrashed(dir);
          const store = await MessageStore.open({ storePathRootDir: dir, ...SMALL_STORE });
          try {
            // the bytes that never arrived may all have been zeros anyway: then the record is whole
            const intact = cut.equals(whole);
            expect(await bodies(store)).toEqual(intact ? [...earlier, Buffer.from(body).toString()] : earlier);
            expect(store.maxPhysOffset).toBe(intact ? maxPhys + whole.length : maxPhys);
          } finally {
            await store.close();
            fs.rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('refuses properties holding a NUL byte at put time (so a stored record can never look torn)', async () => {
    const dir = tmpDir();
    const store = await openStore(dir);
    const r = await store.put(message('Rec', 0, 'nul', { a: 'x\u0000y' }));
    expect(r.status).toBe('MESSAGE_ILLEGAL');
    expect(r.remark).toMatch(/NUL/);
  });

  it('drops consume-queue entries that point past the recovered end of the log', async () => {
    const dir = tmpDir();
    const { ends } = await filled(dir, 20);
    // the last two records never reached the disk (zeros), and no checkpoint covers them
    const fd = fs.openSync(segment0(dir), 'r+');
    fs.writeSync(fd, Buffer.alloc(ends[19]! - ends[17]!), 0, ends[19]! - ends[17]!, ends[17]!);
    fs.closeSync(fd);
    fs.rmSync(path.join(dir, 'checkpoint'));
    markCrashed(dir);

    const store = await openStore(dir);
    expect(store.maxPhysOffset).toBe(ends[17]);
    expect(store.getMaxOffsetInQueue('Rec', 0)).toBe(18);
    expect((await store.put(message('Rec', 0, 'next'))).appended!.queueOffset).toBe(18);
    expect(await store.queryMessage('Rec', 'k19', 5)).toEqual([]); // index entries went too
    expect((await store.queryMessage('Rec', 'k3', 5)).length).toBe(1);
  });

  it('refuses to open on a flipped byte in fsync\'ed data it re-reads, naming the file and position', async () => {
    const dir = tmpDir();
    const { ends, maxPhys } = await filled(dir, 30);
    const victim = ends[9]!; // record 10 starts here
    const fd = fs.openSync(segment0(dir), 'r+');
    const b = Buffer.alloc(1);
    const inBody = ends[10]! - 2 - 9 - 1 - 3 - 4; // a byte of "body-10" (it ends before topic 1+3 and properties 2+9)
    fs.readSync(fd, b, 0, 1, inBody);
    b[0]! ^= 0x40;
    fs.writeSync(fd, b, 0, 1, inBody);
    fs.closeSync(fd);
    // the queues were durable only up to record 5 (a crash while they lagged): recovery re-reads the log from there
    await writeCheckpoint(path.join(dir, 'checkpoint'), { commitLogFlushed: maxPhys, logicsDurable: ends[4]!, indexDurable: ends[4]!, writtenAt: Date.now() });
    markCrashed(dir);

    const err = await MessageStore.open({ storePathRootDir: dir, ...SMALL_STORE }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreCorruptionError);
    expect((err as Error).message).toMatch(new RegExp(`00000000000000000000 at byte ${victim}: body CRC mismatch`));
    expect((err as Error).message).toMatch(/was not opened/);
    // nothing was changed and the lock was released: the same answer again, not "in use"
    await expect(MessageStore.open({ storePathRootDir: dir, ...SMALL_STORE })).rejects.toThrow(StoreCorruptionError);
    expect(fs.statSync(segment0(dir)).size).toBe(SMALL_STORE.mappedFileSizeCommitLog);
  });

  it('refuses a bad record past the checkpoint when valid records follow it (corruption, not a torn write)', async () => {
    const dir = tmpDir();
    const { ends } = await filled(dir, 30);
    fs.rmSync(path.join(dir, 'checkpoint')); // nothing known durable: only the shape of the damage decides
    markCrashed(dir);
    const fd = fs.openSync(segment0(dir), 'r+');
    fs.writeSync(fd, Buffer.from([0xff]), 0, 1, ends[20]! - 25);
    fs.closeSync(fd);
    await expect(MessageStore.open({ storePathRootDir: dir, ...SMALL_STORE })).rejects.toThrow(/valid records follow it/);
  });

  it('rebuilds a truncated consume queue from the commit log', async () => {
    const dir = tmpDir();
    await filled(dir, 30);
    const cqFile = path.join(dir, 'consumequeue', 'Rec', '0', '00000000000000000000');
    fs.truncateSync(cqFile, 10 * 20 + 7); // 10 whole units and a torn one
    const store = await openStore(dir);
    expect(store.getMaxOffsetInQueue('Rec', 0)).toBe(30);
    expect(await bodies(store)).toEqual(Array.from({ length: 30 }, (_, i) => `body-${i}`));
  });

  it('rebuilds a lost key index from the commit log', async () => {
    const dir = tmpDir();
    await filled(dir, 30);
    fs.rmSync(path.join(dir, 'index'), { recursive: true });
    const store = await openStore(dir);
    expect((await store.queryMessage('Rec', 'k7', 5)).map((b) => decodeRecord(b).body.toString())).toEqual(['body-7']);
  });

  it('refuses when a middle segment is missing', async () => {
    const dir = tmpDir();
    const s = await MessageStore.open({ storePathRootDir: dir, ...SMALL_STORE });
    for (let i = 0; i < 200; i++) await s.put(message('Big', 0, Buffer.alloc(1000)));
    await s.close();
    const segs = fs.readdirSync(path.join(dir, 'commitlog')).sort();
    expect(segs.length).toBeGreaterThan(2);
    fs.rmSync(path.join(dir, 'commitlog', segs[1]!));
    await expect(MessageStore.open({ storePathRootDir: dir, ...SMALL_STORE })).rejects.toThrow(/segment missing before this one/);
  });
});

describe('configuration mismatches', () => {
  it('refuses to open with another segment size than the store was created with, saying so', async () => {
    const dir = tmpDir();
    const s = await MessageStore.open({ storePathRootDir: dir, ...SMALL_STORE });
    for (let i = 0; i < 100; i++) await s.put(message('Cfg', 0, Buffer.alloc(1000)));
    await s.close();
    await expect(MessageStore.open({ storePathRootDir: dir, ...SMALL_STORE, mappedFileSizeCommitLog: 32 * 1024 })).rejects.toThrow(
      /segment is 65536 bytes but mappedFileSizeCommitLog is 32768.*created with another segment size/,
    );
    await expect(MessageStore.open({ storePathRootDir: dir, ...SMALL_STORE, consumeQueueUnitsPerFile: 48 })).rejects.toThrow(/consumeQueueUnitsPerFile changed/);
  });

  it('refuses a one-segment store opened with a smaller segment size instead of cutting its data', async () => {
    const dir = tmpDir();
    const s = await MessageStore.open({ storePathRootDir: dir, ...SMALL_STORE });
    for (let i = 0; i < 20; i++) await s.put(message('Cfg', 0, Buffer.alloc(1000)));
    await s.close();
    await expect(MessageStore.open({ storePathRootDir: dir, ...SMALL_STORE, mappedFileSizeCommitLog: 8 * 1024 })).rejects.toThrow(/segment is 65536 bytes/);
    const again = await openStore(dir);
    expect(again.getMaxOffsetInQueue('Cfg', 0)).toBe(20);
  });

  it('rejects invalid options with every problem listed', async () => {
    await expect(MessageStore.open({ storePathRootDir: tmpDir(), mappedFileSizeCommitLog: 100, flushDiskType: 'SOMETIMES' as never, deleteWhen: '25' })).rejects.toThrow(
      /mappedFileSizeCommitLog must be at least 4096[\s\S]*flushDiskType must be ASYNC_FLUSH or SYNC_FLUSH[\s\S]*deleteWhen must be hours/,
    );
  });
});

describe('how much a restart re-reads (issue #21, finding 8)', () => {
  /** Opens the store with a logger that keeps its lines; returns the store and the `store open` fields. */
  async function openCounting(dir: string): Promise<{ store: MessageStore; lines: string[]; verifiedBytes: number }> {
    const lines: string[] = [];
    const store = await openStore(dir, {}, { logger: createLogger('store', { level: 'info', write: (l) => lines.push(l) }) });
    const open = lines.find((l) => l.includes('store open'));
    const m = /verifiedBytes=(\d+)/.exec(open ?? '');
    if (!m) throw new Error(`no verifiedBytes in ${open}`);
    return { store, lines, verifiedBytes: Number(m[1]) };
  }

  it('a clean restart re-reads nothing before the checkpoint', async () => {
    const dir = tmpDir();
    const { maxPhys } = await filled(dir, 30);
    const { store, verifiedBytes } = await openCounting(dir);
    expect(verifiedBytes).toBe(0);
    expect(store.maxPhysOffset).toBe(maxPhys);
    expect(await bodies(store)).toEqual(Array.from({ length: 30 }, (_, i) => `body-${i}`));
  });

  it('after a crash it verifies from the checkpoint’s durable point to the end', async () => {
    const dir = tmpDir();
    const { ends, maxPhys } = await filled(dir, 30);
    await writeCheckpoint(path.join(dir, 'checkpoint'), { commitLogFlushed: ends[19]!, logicsDurable: ends[19]!, indexDurable: ends[19]!, writtenAt: Date.now() });
    markCrashed(dir);
    const { store, verifiedBytes } = await openCounting(dir);
    expect(verifiedBytes).toBe(maxPhys - ends[19]!);
    expect(await bodies(store)).toEqual(Array.from({ length: 30 }, (_, i) => `body-${i}`));
  });

  it('a checkpoint that does not point at a record boundary falls back to verifying its whole segment', async () => {
    const dir = tmpDir();
    const { ends, maxPhys } = await filled(dir, 30);
    await writeCheckpoint(path.join(dir, 'checkpoint'), { commitLogFlushed: ends[19]! + 5, logicsDurable: ends[19]! + 5, indexDurable: ends[19]! + 5, writtenAt: Date.now() });
    const { store, lines, verifiedBytes } = await openCounting(dir);
    expect(lines.some((l) => /WARN .*the checkpoint does not point at a record boundary/.test(l))).toBe(true);
    expect(verifiedBytes).toBe(maxPhys);
    expect(await bodies(store)).toEqual(Array.from({ length: 30 }, (_, i) => `body-${i}`));
  });

  it('a checkpoint past the end of the data is refused (fsync’ed data lost), not taken as the end', async () => {
    const dir = tmpDir();
    const { maxPhys } = await filled(dir, 30);
    await writeCheckpoint(path.join(dir, 'checkpoint'), { commitLogFlushed: maxPhys + 1000, logicsDurable: maxPhys + 1000, indexDurable: maxPhys + 1000, writtenAt: Date.now() });
    await expect(MessageStore.open({ storePathRootDir: dir, ...SMALL_STORE })).rejects.toThrow(/the log ends here, but the checkpoint says everything up to \d+ had been fsync'ed/);
  });
});
