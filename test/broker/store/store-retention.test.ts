import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeProperties, decodeRecord, verifyRecordCrc } from '../../../src/protocol/message/index.js';
import { tmpDir } from '../../support/tmp.js';
import { message, openStore } from '../../support/store.js';

const HOUR = 3_600_000;

/** Sets the modification time of every commit-log segment but the newest `keep` to `ageHours` ago. */
function ageSegments(dir: string, ageHours: number, keep = 1): string[] {
  const segs = fs.readdirSync(path.join(dir, 'commitlog')).filter((n) => /^\d{20}$/.test(n)).sort();
  const old = segs.slice(0, segs.length - keep);
  const t = new Date(Date.now() - ageHours * HOUR);
  for (const s of old) fs.utimesSync(path.join(dir, 'commitlog', s), t, t);
  return old;
}

/** A time today at the given local hour. */
const atHour = (h: number) => new Date(new Date().setHours(h, 30, 0, 0)).getTime();

describe('retention', () => {
  it('deletes expired segments at deleteWhen, and consume queues follow: reads below the new minimum get OFFSET_TOO_SMALL', async () => {
    const dir = tmpDir();
    const store = await openStore(dir, { fileReservedTime: 48, deleteWhen: '04' }, { diskUsedRatio: async () => 10 });
    for (let i = 0; i < 300; i++) await store.put(message('Ret', 0, Buffer.alloc(1000, i % 256)));
    await store.flushLogics();
    const aged = ageSegments(dir, 1000, 2); // the newest two stay young: the current one and its neighbour

    expect(await store.runRetention({ now: atHour(13), diskUsedRatio: 10 })).toBe(0); // not the hour, disk fine
    const deleted = await store.runRetention({ now: atHour(4), diskUsedRatio: 10 });
    expect(deleted).toBe(aged.length);
    expect(deleted).toBeGreaterThan(1);
    expect(store.minPhysOffset).toBe(deleted * 64 * 1024);
    for (const f of aged) expect(fs.existsSync(path.join(dir, 'commitlog', f))).toBe(false);

    const min = store.getMinOffsetInQueue('Ret', 0);
    expect(min).toBeGreaterThan(0);
    expect(await store.getMessage('Ret', 0, 0, 32, 1 << 20)).toMatchObject({ status: 'OFFSET_TOO_SMALL', nextBeginOffset: min });
    const first = await store.getMessage('Ret', 0, min, 1, 1 << 20);
    expect(first.status).toBe('FOUND');
    expect(decodeRecord(first.records[0]!).physicalOffset).toBeGreaterThanOrEqual(store.minPhysOffset);
    // consume-queue files wholly below the minimum are gone (64 units per file in tests)
    const cqFiles = fs.readdirSync(path.join(dir, 'consumequeue', 'Ret', '0'));
    expect(Math.min(...cqFiles.map(Number)) / 20).toBeLessThanOrEqual(min);
    expect(Math.min(...cqFiles.map(Number)) / 20).toBeGreaterThan(min - 64);
  });

  it('deletes expired segments at any hour when disk use passes diskMaxUsedSpaceRatio, unexpired ones only above the forcible ratio', async () => {
    const dir = tmpDir();
    const store = await openStore(dir, { fileReservedTime: 48, deleteWhen: '04' });
    for (let i = 0; i < 200; i++) await store.put(message('Disk', 0, Buffer.alloc(1000)));
    const segs = fs.readdirSync(path.join(dir, 'commitlog')).length;
    expect(await store.runRetention({ now: atHour(13), diskUsedRatio: 80 })).toBe(0); // full-ish, but nothing expired
    expect(await store.runRetention({ now: atHour(13), diskUsedRatio: 88 })).toBe(segs - 1); // forcibly: all but the current
    expect(fs.readdirSync(path.join(dir, 'commitlog')).filter((n) => /^\d{20}$/.test(n))).toHaveLength(1);
    expect((await store.put(message('Disk', 0, 'still writable'))).status).toBe('PUT_OK');
  });

  it('serves only whole records to reads racing with segment deletion', async () => {
    const dir = tmpDir();
    const store = await openStore(dir, { fileReservedTime: 1, memoryCacheBytes: 16 * 1024 }, { diskUsedRatio: async () => 10 });
    for (let i = 0; i < 300; i++) await store.put(message('Race', i % 2, Buffer.alloc(900, i % 256), { I: String(i) }));
    await store.flushLogics();
    ageSegments(dir, 1000, 1);
    let stop = false;
    let served = 0;
    const reader = async (q: number) => {
      while (!stop) {
        const min = store.getMinOffsetInQueue('Race', q);
        const got = await store.getMessage('Race', q, Math.max(0, min - 5), 8, 1 << 20);
        for (const b of got.records) {
          const r = decodeRecord(b);
          expect(verifyRecordCrc(r)).toBe(true);
          expect(r.body[0]).toBe(Number(decodeProperties(r.properties).get('I')) % 256);
          served++;
        }
        await new Promise((r) => setImmediate(r)); // reads from memory never yield to I/O on their own
      }
    };
    const readers = [0, 1, 0, 1].map(reader);
    const deleted = await store.runRetention({ now: atHour(4), diskUsedRatio: 10 });
    stop = true;
    await Promise.all(readers);
    expect(deleted).toBeGreaterThan(2);
    expect(served).toBeGreaterThan(0);
  });

  it('never deletes the segment being written, however old', async () => {
    const dir = tmpDir();
    const store = await openStore(dir, { fileReservedTime: 1 });
    await store.put(message('One', 0, 'x'));
    ageSegments(dir, 1000, 0);
    expect(await store.runRetention({ now: atHour(4), diskUsedRatio: 99 })).toBe(0);
    expect((await store.getMessage('One', 0, 0, 1, 1 << 20)).status).toBe('FOUND');
  });

  it('refuses puts while the disk is above diskSpaceWarningLevelRatio, and accepts them again once below', async () => {
    const store = await openStore(tmpDir());
    await store.runRetention({ now: atHour(13), diskUsedRatio: 95 });
    expect(await store.put(message('Full', 0, 'x'))).toMatchObject({ status: 'SERVICE_NOT_AVAILABLE', remark: expect.stringMatching(/disk 95.0% used > diskSpaceWarningLevelRatio 90%/) });
    await store.runRetention({ now: atHour(13), diskUsedRatio: 50 });
    expect((await store.put(message('Full', 0, 'x'))).status).toBe('PUT_OK');
  });

  it('deletes a topic\'s consume queues', async () => {
    const dir = tmpDir();
    const store = await openStore(dir);
    await store.put(message('Gone', 0, 'x'));
    await store.flushLogics();
    await store.deleteTopic('Gone');
    expect(store.getMaxOffsetInQueue('Gone', 0)).toBe(0);
    expect(fs.existsSync(path.join(dir, 'consumequeue', 'Gone'))).toBe(false);
    // and it stays deleted across a restart, though its records are still in the commit log
    await store.close();
    const again = await openStore(dir);
    expect(again.listQueues().filter((q) => q.topic === 'Gone')).toEqual([]);
  });
});
