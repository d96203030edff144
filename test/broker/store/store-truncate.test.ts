/**
 * Opening a store cut back to an offset (a former master's unreplicated tail, ha/epochs.ts): the
 * commit log, consume queues and key index all end there, the cut is counted, the store takes
 * new writes from there, and the cut survives a reopen; a cut inside a record is refused and
 * changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { openStore, message } from '../../support/store.js';
import { tmpDir } from '../../support/tmp.js';

describe('store: open with truncateTo', () => {
  it('cuts the log, queues and index back to a record boundary, counting what it cut', async () => {
    const dir = tmpDir();
    let s = await openStore(dir);
    const ends: number[] = [];
    for (let i = 0; i < 30; i++) {
      const r = await s.put(message('T', i % 2, `m${i}`, { KEYS: `k${i}` }));
      ends.push(r.appended!.endOffset);
    }
    const cut = ends[19]!; // 20 messages stay
    const end = s.maxPhysOffset;
    await s.close();

    s = await openStore(dir, {}, { truncateTo: cut });
    expect(s.truncated).toMatchObject({ from: end, to: cut, bytes: end - cut, messages: 10 });
    expect(s.maxPhysOffset).toBe(cut);
    expect(s.getMaxOffsetInQueue('T', 0) + s.getMaxOffsetInQueue('T', 1)).toBe(20);
    expect((await s.queryMessage('T', 'k25', 10)).length).toBe(0);
    expect((await s.queryMessage('T', 'k5', 10)).length).toBe(1);
    // writes continue from the cut, with queue offsets following the kept ones
    const next = await s.put(message('T', 0, 'after', { KEYS: 'after' }));
    expect(next.appended!.physicalOffset).toBe(cut);
    expect(next.appended!.queueOffset).toBe(10);
    await s.close();

    s = await openStore(dir);
    expect(s.truncated).toBeUndefined();
    expect(s.maxPhysOffset).toBe(next.appended!.endOffset);
    expect(s.getMaxOffsetInQueue('T', 0)).toBe(11);
  });

  it('refuses a cut inside a record, and the store stays as it was', async () => {
    const dir = tmpDir();
    let s = await openStore(dir);
    const r = await s.put(message('T', 0, 'x'.repeat(100)));
    await s.put(message('T', 0, 'y'));
    const end = s.maxPhysOffset;
    await s.close();
    await expect(openStore(dir, {}, { truncateTo: r.appended!.physicalOffset + 10 })).rejects.toThrow(/not a record boundary/);
    s = await openStore(dir);
    expect(s.maxPhysOffset).toBe(end);
  });
});
