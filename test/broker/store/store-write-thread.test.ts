/**
 * Where commit-log writes are made: what one event-loop turn appended, up to syncWriteMaxBytes,
 * is written on the store's thread (a copy into the page cache); more than that, and every write
 * of an O_DSYNC segment, through the thread pool. Either way the same bytes land at the same
 * place: a reopened store reads back every message.
 */
import { describe, expect, it } from 'vitest';
import { decodeRecord } from '../../../src/protocol/message/index.js';
import type { MessageStore, StoreConfig } from '../../../src/broker/store/index.js';
import { tmpDir } from '../../support/tmp.js';
import { message, openStore } from '../../support/store.js';

const BODY = 'x'.repeat(1000);
/** Segments and blocks large enough that no turn's write is split at a segment's end. */
const ROOMY: Partial<StoreConfig> = { mappedFileSizeCommitLog: 1 << 20, writeBlockBytes: 256 * 1024, memoryCacheBytes: 1 << 20 };

/** Puts `rounds` waves of `perTurn` concurrent messages (one wave = one turn's appends = one write). */
async function putWaves(store: MessageStore, rounds: number, perTurn: number): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    const results = await Promise.all(Array.from({ length: perTurn }, (_, i) => store.put(message('Where', 0, `${r}.${i}.${BODY}`))));
    expect(results.map((x) => x.status)).toEqual(results.map(() => 'PUT_OK'));
  }
}

async function bodiesAfterReopen(dir: string, over: Partial<StoreConfig>): Promise<string[]> {
  const store = await openStore(dir, over);
  const r = await store.getMessage('Where', 0, 0, 1000, 64 << 20);
  return r.records.map((b) => decodeRecord(b).body.toString());
}

describe('message store: where commit-log writes are made', () => {
  it.each([
    ['ASYNC_FLUSH', {}],
    ['SYNC_FLUSH', { flushDiskType: 'SYNC_FLUSH' }],
  ] as const)('%s: a turn of small appends is written on the store thread, a turn past syncWriteMaxBytes through the pool; the bytes read back the same', async (_, mode) => {
    const dir = tmpDir();
    const store = await openStore(dir, { ...ROOMY, ...mode, syncWriteMaxBytes: 16 * 1024 });
    await putWaves(store, 5, 4); // ~4 KiB per turn
    const small = store.stats;
    expect(small.writes).toBeGreaterThanOrEqual(5);
    expect(small.syncWrites).toBe(small.writes);
    await putWaves(store, 3, 40); // ~40 KiB per turn
    const big = store.stats;
    expect(big.writes - small.writes).toBeGreaterThanOrEqual(3);
    expect(big.syncWrites).toBe(small.syncWrites);
    await store.close();
    const expected = [...Array.from({ length: 5 * 4 }, (_, k) => `${Math.floor(k / 4)}.${k % 4}.${BODY}`), ...Array.from({ length: 3 * 40 }, (_, k) => `${Math.floor(k / 40)}.${k % 40}.${BODY}`)];
    expect(await bodiesAfterReopen(dir, { ...ROOMY, ...mode })).toEqual(expected);
  });

  it('syncWriteMaxBytes=0 sends every write through the pool; O_DSYNC segments always do', async () => {
    for (const over of [{ syncWriteMaxBytes: 0 }, { flushDiskType: 'SYNC_FLUSH', syncFlushWithDsync: true }] as const) {
      const dir = tmpDir();
      const store = await openStore(dir, over);
      await putWaves(store, 4, 2);
      expect(store.stats.writes).toBeGreaterThanOrEqual(4);
      expect(store.stats.syncWrites).toBe(0);
      await store.close();
      expect(await bodiesAfterReopen(dir, over)).toHaveLength(8);
    }
  });

  it('refuses a negative syncWriteMaxBytes, naming it', async () => {
    await expect(openStore(tmpDir(), { syncWriteMaxBytes: -1 })).rejects.toThrow(/syncWriteMaxBytes must be a non-negative integer, got -1/);
  });
});
