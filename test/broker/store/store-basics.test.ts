import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAGIC_BLANK, decodeProperties, decodeRecord, javaStringHashCode, offsetMsgId, parseOffsetMsgId } from '../../../src/protocol/message/index.js';
import { MessageStore, StoreLockedError } from '../../../src/broker/store/index.js';
import type { DispatchEvent } from '../../../src/broker/store/index.js';
import { tmpDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';
import { message, openStore } from '../../support/store.js';

describe('message store: put and read back', () => {
  it('stores records with queue and physical offsets filled in, and serves them as stored', async () => {
    const dir = tmpDir();
    const store = await openStore(dir);
    const r1 = await store.put(message('TopicA', 0, 'first', { TAGS: 'TagA', KEYS: 'k1 k2' }));
    const r2 = await store.put(message('TopicA', 0, 'second'));
    const r3 = await store.put(message('TopicA', 1, 'other queue'));
    expect(r1.status).toBe('PUT_OK');
    expect(r1.appended).toMatchObject({ physicalOffset: 0, queueOffset: 0, count: 1 });
    expect(r2.appended!.queueOffset).toBe(1);
    expect(r2.appended!.physicalOffset).toBe(r1.appended!.wroteBytes);
    expect(r3.appended!.queueOffset).toBe(0);
    expect(store.runtimeInfo()).toMatchObject({ commitLogMinOffset: 0, commitLogMaxOffset: store.maxPhysOffset, putMessageTotal: 3, writable: true });
    expect(parseOffsetMsgId(r2.appended!.msgIds[0]!).commitLogOffset).toBe(r2.appended!.physicalOffset);

    const got = await store.getMessage('TopicA', 0, 0, 32, 1 << 20);
    expect(got).toMatchObject({ status: 'FOUND', nextBeginOffset: 2, minOffset: 0, maxOffset: 2 });
    const recs = got.records.map((b) => decodeRecord(b));
    expect(recs.map((r) => r.body.toString())).toEqual(['first', 'second']);
    expect(recs.map((r) => r.queueOffset)).toEqual([0, 1]);
    expect(recs.map((r) => r.physicalOffset)).toEqual([0, r1.appended!.wroteBytes]);
    expect(decodeProperties(recs[0]!.properties).get('KEYS')).toBe('k1 k2');
    expect(offsetMsgId(recs[1]!.storeHost, recs[1]!.physicalOffset)).toBe(r2.appended!.msgIds[0]);
  });

  it('rolls segments with a blank end record and reads across them; files are named by 20-digit offsets', async () => {
    const dir = tmpDir();
    const store = await openStore(dir); // 64 KiB segments
    const body = Buffer.alloc(1000, 'x');
    for (let i = 0; i < 300; i++) expect((await store.put(message('Roll', i % 2, body, { N: String(i) }))).status).toBe('PUT_OK');
    const files = readdirSync(path.join(dir, 'commitlog')).sort();
    expect(files.length).toBeGreaterThanOrEqual(5);
    expect(files[0]).toBe('00000000000000000000');
    expect(files[1]).toBe(String(64 * 1024).padStart(20, '0'));
    // the byte range at the end of segment 0 holds a blank record that fills it
    const seg0Last = await store.getMessage('Roll', 0, 0, 10_000, 1 << 30);
    const n0 = seg0Last.records.length;
    expect(n0).toBe(150);
    const all = [...seg0Last.records, ...(await store.getMessage('Roll', 1, 0, 10_000, 1 << 30)).records].map((b) => decodeRecord(b));
    expect(all.map((r) => Number(decodeProperties(r.properties).get('N'))).sort((a, b) => a - b)).toEqual([...Array(300).keys()]);
    for (const r of all) expect(Math.floor(r.physicalOffset / 65536)).toBe(Math.floor((r.physicalOffset + r.totalSize - 1) / 65536));
    const raw = await store.readRaw(0, 65536);
    const lastEnd = all.filter((r) => r.physicalOffset < 65536).reduce((m, r) => Math.max(m, r.physicalOffset + r.totalSize), 0);
    expect(raw.readInt32BE(lastEnd + 4)).toBe(MAGIC_BLANK);
    expect(raw.readInt32BE(lastEnd)).toBe(65536 - lastEnd);
  });

  it('serves pulls of queues interleaved in the commit log whole and in order, from disk and across segment ends', async () => {
    // 4 queues written round robin: a pull's records lie apart by the other queues' records, so the
    // store reads them in runs spanning those gaps (and record by record where a run meets a
    // segment's blank end); the 64 KiB memory cache holds only the newest records
    const store = await openStore(tmpDir());
    const bodies = Array.from({ length: 400 }, (_, i) => Buffer.alloc(700 + (i % 5) * 100, String.fromCharCode(97 + (i % 26))));
    for (let i = 0; i < bodies.length; i++) expect((await store.put(message('Gaps', i % 4, bodies[i]!, { N: String(i) }))).status).toBe('PUT_OK');
    for (let q = 0; q < 4; q++) {
      const got: number[] = [];
      for (let offset = 0; offset < 100; ) {
        const r = await store.getMessage('Gaps', q, offset, 32, 1 << 20);
        expect(r.status).toBe('FOUND');
        for (const rec of r.records.map((b) => decodeRecord(b))) {
          const n = Number(decodeProperties(rec.properties).get('N'));
          expect(rec.queueId).toBe(q);
          expect(rec.body.equals(bodies[n]!)).toBe(true);
          got.push(n);
        }
        offset = r.nextBeginOffset;
      }
      expect(got).toEqual(Array.from({ length: 100 }, (_, k) => k * 4 + q));
    }
  });

  it('answers getMessage with the statuses and next offsets of RocketMQ', async () => {
    const store = await openStore(tmpDir());
    expect(await store.getMessage('Nope', 0, 0, 32, 1 << 20)).toMatchObject({ status: 'NO_MATCHED_LOGIC_QUEUE', nextBeginOffset: 0 });
    for (let i = 0; i < 5; i++) await store.put(message('S', 0, `m${i}`));
    expect(await store.getMessage('S', 0, 5, 32, 1 << 20)).toMatchObject({ status: 'OFFSET_OVERFLOW_ONE', nextBeginOffset: 5, minOffset: 0, maxOffset: 5 });
    // past the end of a queue that starts at 0: back to 0 (DefaultMessageStore.getMessage)
    expect(await store.getMessage('S', 0, 9, 32, 1 << 20)).toMatchObject({ status: 'OFFSET_OVERFLOW_BADLY', nextBeginOffset: 0 });
    expect(await store.getMessage('S', 0, 3, 32, 1 << 20)).toMatchObject({ status: 'FOUND', nextBeginOffset: 5 });
    const limited = await store.getMessage('S', 0, 0, 2, 1 << 20);
    expect(limited.records).toHaveLength(2);
    expect(limited.nextBeginOffset).toBe(2);
    const oneByBytes = await store.getMessage('S', 0, 0, 32, 10);
    expect(oneByBytes.records).toHaveLength(1); // at least one record even above maxBytes
  });

  it('filters by tags code, reporting NO_MATCHED_MESSAGE past a scanned range with no match', async () => {
    const store = await openStore(tmpDir());
    for (let i = 0; i < 6; i++) await store.put(message('Tags', 0, `m${i}`, { TAGS: i % 3 === 0 ? 'A' : 'B' }));
    const a = await store.getMessage('Tags', 0, 0, 32, 1 << 20, new Set([javaStringHashCode('A')]));
    expect(a.records.map((r) => decodeRecord(r).body.toString())).toEqual(['m0', 'm3']);
    expect(a.nextBeginOffset).toBe(6);
    const none = await store.getMessage('Tags', 0, 0, 32, 1 << 20, new Set([javaStringHashCode('C')]));
    expect(none).toMatchObject({ status: 'NO_MATCHED_MESSAGE', nextBeginOffset: 6, records: [] });
  });

  it('refuses bad messages with the matching status', async () => {
    const store = await openStore(tmpDir(), { maxMessageSize: 1024 });
    expect((await store.put(message('T', 0, Buffer.alloc(1025)))).status).toBe('MESSAGE_ILLEGAL');
    expect((await store.put(message('bad/topic', 0, 'x')))).toMatchObject({ status: 'MESSAGE_ILLEGAL', remark: expect.stringMatching(/not a valid topic/) });
    expect((await store.put(message('T', 0, 'x', { K: 'v'.repeat(33000) }))).status).toBe('PROPERTIES_SIZE_EXCEEDED');
    expect((await store.put(message('T', -1, 'x'))).status).toBe('MESSAGE_ILLEGAL');
    expect((await store.put({ ...message('T', 0, 'x'), bornHost: { ip: Buffer.alloc(5), port: 1 } })).remark).toMatch(/bornHost/);
    expect((await store.put({ ...message('T', 0, 'x'), flag: 2 ** 40 })).status).toBe('MESSAGE_ILLEGAL');
    // a bad message in a batch refuses the whole batch, storing none of it
    expect((await store.putBatch([message('T', 0, 'ok'), { ...message('T', 0, 'x'), storeHost: { ip: Buffer.alloc(4), port: -1 } }])).status).toBe('MESSAGE_ILLEGAL');
    expect(store.getMaxOffsetInQueue('T', 0)).toBe(0);
  });

  it('keeps everything across a clean restart and continues the offsets', async () => {
    const dir = tmpDir();
    const s1 = await MessageStore.open({ storePathRootDir: dir, mappedFileSizeCommitLog: 64 * 1024, consumeQueueUnitsPerFile: 16 });
    for (let i = 0; i < 100; i++) await s1.put(message('R', i % 3, `body-${i}`, { KEYS: `key-${i}` }));
    const maxPhys = s1.maxPhysOffset;
    await s1.close();
    const s2 = await openStore(dir, { consumeQueueUnitsPerFile: 16 });
    expect(s2.maxPhysOffset).toBe(maxPhys);
    expect([0, 1, 2].map((q) => s2.getMaxOffsetInQueue('R', q))).toEqual([34, 33, 33]);
    const r = await s2.put(message('R', 0, 'after restart', { KEYS: 'key-new' }));
    expect(r.appended!.queueOffset).toBe(34);
    const q0 = await s2.getMessage('R', 0, 0, 100, 1 << 30);
    expect(q0.records.map((b) => decodeRecord(b).body.toString()).slice(-2)).toEqual(['body-99', 'after restart']);
    const byKey = await s2.queryMessage('R', 'key-42', 10);
    expect(byKey.map((b) => decodeRecord(b).body.toString())).toEqual(['body-42']);
    expect((await s2.queryMessage('R', 'key-new', 10)).map((b) => decodeRecord(b).body.toString())).toEqual(['after restart']);
  });

  it('refuses a second store on the same path, in this process and in another', async () => {
    const dir = tmpDir();
    await openStore(dir);
    await expect(MessageStore.open({ storePathRootDir: dir })).rejects.toThrow(StoreLockedError);
    await expect(MessageStore.open({ storePathRootDir: dir })).rejects.toThrow(new RegExp(`in use by pid ${process.pid}`));
  });

  it('notifies dispatch listeners of every new consume-queue entry', async () => {
    const store = await openStore(tmpDir());
    const events: DispatchEvent[] = [];
    store.onDispatch((e) => events.push(e));
    await Promise.all([store.put(message('D', 0, 'a', { TAGS: 'x' })), store.put(message('D', 1, 'b')), store.put(message('D', 0, 'c'))]);
    expect(events.map((e) => [e.queueId, e.queueOffset])).toEqual([[0, 0], [1, 0], [0, 1]]);
    expect(events[0]!.tagsCode).toBe(javaStringHashCode('x'));
  });
});

describe('message store: memory', () => {
  it('hands out records that stay intact while the write blocks they came from are recycled', async () => {
    const store = await openStore(tmpDir()); // 16 KiB blocks, 64 KiB kept in memory
    await store.put(message('Mem', 0, 'keep me'));
    const early = (await store.getMessage('Mem', 0, 0, 1, 1 << 20)).records[0]!;
    const copy = Buffer.from(early);
    for (let i = 0; i < 400; i++) await store.put(message('Mem', 1, Buffer.alloc(900, i)));
    expect(early.equals(copy)).toBe(true);
    expect(decodeRecord(early).body.toString()).toBe('keep me');
  });
});

describe('message store: consume-queue memory', () => {
  it('keeps only a recent window of a long consume-queue file in memory and reads older entries from the file', async () => {
    const dir = tmpDir();
    const over = { consumeQueueUnitsPerFile: 30_000, mappedFileSizeCommitLog: 1 << 20 };
    const store = await openStore(dir, over);
    const n = 12_000; // beyond twice the 4096-unit window, so flushes shrink the mirror
    for (let i = 0; i < n; i += 500) await Promise.all(Array.from({ length: 500 }, (_, j) => store.put(message('Long', 0, `m${i + j}`))));
    await store.flushLogics();
    await store.put(message('Long', 0, `m${n}`));
    await store.flushLogics();
    const bodyAt = async (s: typeof store, o: number) => decodeRecord((await s.getMessage('Long', 0, o, 1, 1 << 20)).records[0]!).body.toString();
    for (const o of [0, 1, 4095, 6000, n - 1, n]) expect(await bodyAt(store, o)).toBe(`m${o}`);
    const span = await store.getMessage('Long', 0, 7_890, 20, 1 << 20); // straddles the window's start (12,000 - 4,096)
    expect(span.records.map((b) => decodeRecord(b).body.toString())).toEqual(Array.from({ length: 20 }, (_, k) => `m${7_890 + k}`));
    await store.close();
    const again = await openStore(dir, over);
    for (const o of [0, 5000, n]) expect(await bodyAt(again, o)).toBe(`m${o}`);
    expect((await again.put(message('Long', 0, 'next'))).appended!.queueOffset).toBe(n + 1);
  });
});

describe('message store: queries', () => {
  it('searches offsets by store time, finds the earliest time, looks up by commit-log offset and by key', async () => {
    const store = await openStore(tmpDir());
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await store.put(message('Q', 0, `m${i}`, { KEYS: `order-${i % 4} batch`, UNIQ_KEY: `U${String(i).padStart(31, '0')}` }));
      times.push(r.appended!.storeTimestamp);
      if (i === 9) await waitFor(() => Date.now() > times[9]! + 5); // a gap in store times between m9 and m10
    }
    expect(await store.getOffsetInQueueByTime('Q', 0, times[10]!)).toBe(times.indexOf(times[10]!));
    expect(await store.getOffsetInQueueByTime('Q', 0, 0)).toBe(0);
    expect(await store.getOffsetInQueueByTime('Q', 0, times[19]! + 1)).toBe(20);
    expect(await store.getOffsetInQueueByTime('Q', 0, times[9]!, 'upper')).toBe(times.lastIndexOf(times[9]!));
    expect(await store.getEarliestMessageTime('Q', 0)).toBe(times[0]);
    expect(await store.getEarliestMessageTime()).toBe(times[0]);

    const got = await store.getMessage('Q', 0, 7, 1, 1 << 20);
    const rec = decodeRecord(got.records[0]!);
    const viewed = await store.lookMessageByOffset(rec.physicalOffset);
    expect(viewed?.equals(got.records[0]!)).toBe(true);
    expect(await store.lookMessageByOffset(rec.physicalOffset + 1)).toBeUndefined(); // not a record start
    expect(await store.lookMessageByOffset(10 ** 12)).toBeUndefined();

    const byKey = await store.queryMessage('Q', 'order-1', 32);
    expect(byKey.map((b) => decodeRecord(b).body.toString()).sort()).toEqual(['m1', 'm13', 'm17', 'm5', 'm9']);
    expect((await store.queryMessage('Q', 'batch', 3)).length).toBe(3);
    const byUniq = await store.queryMessage('Q', `U${String(12).padStart(31, '0')}`, 32);
    expect(byUniq.map((b) => decodeRecord(b).body.toString())).toEqual(['m12']);
    expect(await store.queryMessage('Other', 'order-1', 32)).toEqual([]);
  });
});
