import { describe, expect, it } from 'vitest';
import { decodeRecord } from '../../../src/protocol/message/index.js';
import type { MessageStore } from '../../../src/broker/store/index.js';
import { tmpDir } from '../../support/tmp.js';
import { message, openStore } from '../../support/store.js';

/** Copies the master's commit log to the slave in chunks of `chunk` bytes, as HA transfer does. */
async function replicate(master: MessageStore, slave: MessageStore, chunk: number): Promise<void> {
  while (slave.rawAppendOffset < master.maxPhysOffset) {
    const from = slave.rawAppendOffset;
    const data = await master.readRaw(from, chunk);
    if (data.length === 0) break;
    await slave.appendRaw(from, data);
  }
}

describe('replication API (raw commit-log bytes)', () => {
  it('a slave appending raw chunks that split records ends with the same log, queues and index', async () => {
    const master = await openStore(tmpDir());
    const slave = await openStore(tmpDir());
    for (let i = 0; i < 150; i++) await master.put(message('Rep', i % 3, Buffer.alloc(700 + i, i), { KEYS: `key${i}`, TAGS: `t${i % 2}` }));
    await replicate(master, slave, 1000); // 1000-byte chunks: most records arrive in two pieces
    expect(slave.maxPhysOffset).toBe(master.maxPhysOffset);
    for (let q = 0; q < 3; q++) {
      expect(slave.getMaxOffsetInQueue('Rep', q)).toBe(master.getMaxOffsetInQueue('Rep', q));
      const a = await master.getMessage('Rep', q, 0, 1000, 1 << 30);
      const b = await slave.getMessage('Rep', q, 0, 1000, 1 << 30);
      expect(Buffer.concat(b.records).equals(Buffer.concat(a.records))).toBe(true);
    }
    const byKey = await slave.queryMessage('Rep', 'key77', 5);
    expect(byKey.map((r) => decodeRecord(r).body.length)).toEqual([777]);
    // and the slave's own log is readable raw, as it would be for a further replica
    expect((await slave.readRaw(0, 4096)).equals(await master.readRaw(0, 4096))).toBe(true);
  });

  it('any chunking gives the same log: pieces shorter than a size field, than a record, and spanning several', async () => {
    const master = await openStore(tmpDir());
    for (let i = 0; i < 30; i++) await master.put(message('Rep', i % 2, Buffer.alloc(300 + 37 * i, i), { KEYS: `k${i}` }));
    const all = await master.readRaw(0, master.maxPhysOffset);
    for (const chunk of [3, 7, 333, 4093]) {
      const slave = await openStore(tmpDir());
      await replicate(master, slave, chunk);
      expect(slave.maxPhysOffset, `chunks of ${chunk}`).toBe(master.maxPhysOffset);
      expect((await slave.readRaw(0, slave.maxPhysOffset)).equals(all), `chunks of ${chunk}`).toBe(true);
      expect(slave.getMaxOffsetInQueue('Rep', 1)).toBe(15);
    }
  });

  it('refuses bytes at the wrong offset and bytes that are not records, storing nothing of them', async () => {
    const master = await openStore(tmpDir());
    const slave = await openStore(tmpDir());
    for (let i = 0; i < 5; i++) await master.put(message('Rep', 0, `m${i}`));
    const data = await master.readRaw(0, 1 << 20);
    await expect(slave.appendRaw(100, data)).rejects.toThrow(/continues at 0/);
    const bad = Buffer.from(data);
    bad[100]! ^= 0xff;
    await expect(slave.appendRaw(0, bad)).rejects.toThrow(/not a valid record/);
    expect(slave.maxPhysOffset).toBeLessThan(data.length);
    const good = await slave.getMessage('Rep', 0, 0, 32, 1 << 20);
    for (const r of good.records) expect(decodeRecord(r).body.toString()).toMatch(/^m\d$/);
  });

  it('refuses a master whose segment size differs (records would land at other offsets)', async () => {
    const master = await openStore(tmpDir(), { mappedFileSizeCommitLog: 64 * 1024 });
    const slave = await openStore(tmpDir(), { mappedFileSizeCommitLog: 32 * 1024 });
    for (let i = 0; i < 60; i++) await master.put(message('Geo', 0, Buffer.alloc(1000)));
    await expect(replicate(master, slave, 1 << 20)).rejects.toThrow(/same mappedFileSizeCommitLog/);
    const got = await slave.getMessage('Geo', 0, 0, 1000, 1 << 30);
    for (const b of got.records) expect(decodeRecord(b).physicalOffset).toBeLessThan(32 * 1024);
  });

  it('an empty slave starts its log where its master’s begins (a segment boundary) and keeps it across a restart', async () => {
    const master = await openStore(tmpDir(), { mappedFileSizeCommitLog: 32 * 1024 });
    for (let i = 0; i < 100; i++) await master.put(message('Start', 0, Buffer.alloc(900, i)));
    const from = 2 * 32 * 1024; // as if the master's first two segments were deleted
    const dir = tmpDir();
    const slave = await openStore(dir, { mappedFileSizeCommitLog: 32 * 1024 });
    expect(() => slave.startEmptyAt(from + 1)).toThrow(/segment boundary/);
    slave.startEmptyAt(from);
    while (slave.rawAppendOffset < master.maxPhysOffset) {
      const at = slave.rawAppendOffset;
      await slave.appendRaw(at, await master.readRaw(at, 1 << 20));
    }
    expect(slave.minPhysOffset).toBe(from);
    const firstQueueOffset = slave.getMinOffsetInQueue('Start', 0);
    expect(firstQueueOffset).toBeGreaterThan(0);
    await slave.close();
    const again = await openStore(dir, { mappedFileSizeCommitLog: 32 * 1024 });
    expect([again.minPhysOffset, again.maxPhysOffset]).toEqual([from, master.maxPhysOffset]);
    const got = await again.getMessage('Start', 0, firstQueueOffset, 1000, 1 << 30);
    expect(got.records.map((r) => decodeRecord(r).queueOffset)).toEqual(Array.from({ length: 100 - firstQueueOffset }, (_, i) => firstQueueOffset + i));
    expect(() => again.startEmptyAt(0)).toThrow(/only an empty store/);
  });
});
