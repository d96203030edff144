/**
 * Reads of data behind the in-memory write blocks: inside the in-memory window
 * (accessMessageInMemoryMaxRatio of RAM behind the commit log's end) a sequential reader's
 * consume-queue units and records are read with synchronous preads — no thread-pool round trip —
 * and outside it (ratio 0 here) through the thread pool; both serve the same records.
 */
import { describe, expect, it } from 'vitest';
import { decodeRecord } from '../../../src/protocol/message/index.js';
import type { MessageStore } from '../../../src/broker/store/index.js';
import { tmpDir } from '../../support/tmp.js';
import { message, openStore } from '../../support/store.js';
import { joinRecords } from '../../../src/broker/handlers/pull.js';

const COUNT = 3_000;

/** Reads queue 0 of `Window` in pulls of 32; per pull whether a setImmediate queued before it ran before it resolved. */
async function readAll(store: MessageStore): Promise<{ bodies: string[]; leftTheTurn: boolean[] }> {
  const bodies: string[] = [];
  const leftTheTurn: boolean[] = [];
  let offset = 0;
  const end = store.getMaxOffsetInQueue('Window', 0);
  while (offset < end) {
    let ran = false;
    const imm = setImmediate(() => (ran = true));
    const r = await store.getMessage('Window', 0, offset, 32, 1 << 20);
    leftTheTurn.push(ran);
    clearImmediate(imm);
    expect(r.status).toBe('FOUND');
    for (const b of r.records) bodies.push(decodeRecord(b).body.toString());
    offset = r.nextBeginOffset;
  }
  return { bodies, leftTheTurn };
}

describe('message store: reads behind the write blocks', () => {
  it('reads in-window data with synchronous preads and older data through the thread pool, the same records either way', async () => {
    const dir = tmpDir();
    // 64 KiB of blocks in memory, 64 units per consume-queue file: nearly everything is read from files
    let store = await openStore(dir);
    for (let i = 0; i < COUNT; i++) expect((await store.put(message('Window', i % 2 === 0 ? 0 : 1, `m${i}`.padEnd(200, '.')))).status).toBe('PUT_OK');
    // both queues interleaved: every pull's records lie apart in the commit log
    for (let i = COUNT; i < 2 * COUNT; i++) await store.put(message('Window', 0, `m${i}`.padEnd(200, '.')));
    await store.flushLogics();
    const expected = [...Array.from({ length: COUNT / 2 }, (_, k) => `m${2 * k}`), ...Array.from({ length: COUNT }, (_, k) => `m${COUNT + k}`)].map((s) => s.padEnd(200, '.'));

    const inWindow = await readAll(store);
    expect(inWindow.bodies).toEqual(expected);
    // the first pull learns where the reader is (through the thread pool); every later one completes within the turn
    expect(inWindow.leftTheTurn.slice(1).filter(Boolean)).toEqual([]);
    await store.close();

    store = await openStore(dir, { accessMessageInMemoryMaxRatio: 0 });
    const outside = await readAll(store);
    expect(outside.bodies).toEqual(expected);
    // nothing counts as in memory: every pull that reads files waits for the thread pool
    expect(outside.leftTheTurn.filter((x) => !x)).toEqual([]);
  });

  it('copies records of the write blocks back to back into one buffer that later puts leave alone, and a pull body is a view of it', async () => {
    const store = await openStore(tmpDir());
    // two queues interleaved: queue 0's records lie apart in the commit log
    for (let i = 0; i < 20; i++) await store.put(message('Tail', i % 2, `t${i}`.padEnd(300, '.')));
    const r = await store.getMessage('Tail', 0, 0, 8, 1 << 20);
    expect(r.status).toBe('FOUND');
    expect(r.records.map((b) => decodeRecord(b).body.toString().trimEnd().replace(/\.+$/, ''))).toEqual(['t0', 't2', 't4', 't6', 't8', 't10', 't12', 't14']);
    const copies = r.records.map((b) => Buffer.from(b));
    const body = joinRecords(r.records, r.bufferTotalSize);
    // back to back in one buffer, and the body is that buffer, not a copy
    expect(r.records.slice(1).map((b, i) => b.buffer === r.records[0]!.buffer && b.byteOffset === r.records[i]!.byteOffset + r.records[i]!.length)).toEqual(copies.slice(1).map(() => true));
    expect(body.buffer).toBe(r.records[0]!.buffer);
    expect(body.byteOffset).toBe(r.records[0]!.byteOffset);
    expect(body.equals(Buffer.concat(copies))).toBe(true);
    // 64 KiB of blocks: these puts recycle every block the records were copied from
    for (let i = 0; i < 600; i++) await store.put(message('Tail', 1, `u${i}`.padEnd(300, '.')));
    expect(r.records.map((b, i) => b.equals(copies[i]!))).toEqual(copies.map(() => true));
  });

  it('joins records that are not back to back by copying them', () => {
    const a = Buffer.from('first');
    const b = Buffer.from('second');
    const joined = joinRecords([a, b], a.length + b.length);
    expect(joined.toString()).toBe('firstsecond');
    expect(joinRecords([a], a.length)).toBe(a);
    const one = Buffer.from('abcdef');
    expect(joinRecords([one.subarray(0, 2), one.subarray(3)], 5).toString()).toBe('abdef');
  });

  it('refuses an accessMessageInMemoryMaxRatio outside 0-100', async () => {
    await expect(openStore(tmpDir(), { accessMessageInMemoryMaxRatio: 101 })).rejects.toThrow(/accessMessageInMemoryMaxRatio must be a percentage in \[0, 100\], got 101/);
  });
});
