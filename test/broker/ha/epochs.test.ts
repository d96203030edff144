/** The epoch history of a commit log (ha/epochs.ts): the last common point of two logs, and the file. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EpochHistory, lastCommonOffset, type EpochStart } from '../../../src/broker/ha/epochs.js';
import { tmpDir } from '../../support/tmp.js';

const e = (epoch: number, startOffset: number): EpochStart => ({ epoch, startOffset });

describe('lastCommonOffset', () => {
  it('is the end of the last epoch both logs share, the shorter end of it', () => {
    // a former master (epoch 1 up to 5000) and the slave that took over at 4000 (epoch 2)
    expect(lastCommonOffset({ epochs: [e(0, 0), e(1, 0)], end: 5000 }, { epochs: [e(0, 0), e(1, 0), e(2, 4000)], end: 9000 })).toBe(4000);
    // the same epoch: the shorter log's end
    expect(lastCommonOffset({ epochs: [e(0, 0), e(1, 100)], end: 300 }, { epochs: [e(0, 0), e(1, 100)], end: 800 })).toBe(300);
    // logs without any failover: epoch 0 on both
    expect(lastCommonOffset({ epochs: [e(0, 0)], end: 700 }, { epochs: [e(0, 0)], end: 500 })).toBe(500);
    // an empty epoch (a master that wrote nothing) counts as a point of its own
    expect(lastCommonOffset({ epochs: [e(0, 0), e(1, 100), e(2, 100)], end: 150 }, { epochs: [e(0, 0), e(1, 100), e(3, 120)], end: 400 })).toBe(100);
  });

  it('is undefined for logs that never were one (the same epoch from another start)', () => {
    expect(lastCommonOffset({ epochs: [e(0, 0), e(1, 50)], end: 100 }, { epochs: [e(0, 0), e(1, 60)], end: 100 })).toBeUndefined();
  });
});

describe('EpochHistory', () => {
  it('begins newer epochs only, takes a master’s history, cuts epochs after an offset, and keeps it on disk', async () => {
    const dir = tmpDir();
    const h = await EpochHistory.load(dir);
    expect(h.current).toEqual(e(0, 0));
    await h.begin(1, 0, { node: 'a-0', at: 1 });
    await expect(h.begin(1, 10)).rejects.toThrow(/not newer/);
    await h.begin(2, 500, { node: 'a-1' });
    expect((await EpochHistory.load(dir)).entries.map((x) => x.epoch)).toEqual([0, 1, 2]);
    await h.truncate(400);
    expect(h.entries.map((x) => x.epoch)).toEqual([0, 1]);
    expect(await h.adopt([e(0, 0), e(1, 0), e(3, 900)])).toBe(true);
    expect(await h.adopt([e(0, 0), e(1, 0), e(3, 900)])).toBe(false);
    expect(JSON.parse(readFileSync(path.join(dir, 'epochs.json'), 'utf8')).epochs).toHaveLength(3);
  });

  it('refuses a damaged file, naming it', async () => {
    const dir = tmpDir();
    writeFileSync(path.join(dir, 'epochs.json'), '{"epochs":[{"epoch":2,"startOffset":10},{"epoch":1,"startOffset":20}]}');
    await expect(EpochHistory.load(dir)).rejects.toThrow(/epochs\.json: epochs\[1\] does not follow/);
  });
});
