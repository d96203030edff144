import { describe, expect, it } from 'vitest';
import { mapSettled, Semaphore } from '../../src/util/concurrency.js';

describe('bounded parallelism', () => {
  it('never runs more than the limit at once, and runs everything', async () => {
    let active = 0;
    let peak = 0;
    const gates: (() => void)[] = [];
    const results = mapSettled([...Array(10).keys()], 3, async (i) => {
      active++;
      peak = Math.max(peak, active);
      await new Promise<void>((r) => gates.push(r));
      active--;
      if (i === 4) throw new Error('four');
      return i * 2;
    });
    // release work as it queues up: each released task lets exactly one more start
    while (gates.length || active) {
      await new Promise((r) => setImmediate(r));
      gates.shift()?.();
    }
    const r = await results;
    expect(peak).toBe(3);
    expect(r.filter((x) => x.ok).map((x) => x.value)).toEqual([0, 2, 4, 6, 10, 12, 14, 16, 18]);
    expect((r[4]!.error as Error).message).toBe('four');
  });

  it('rejects a nonsense limit', () => {
    expect(() => new Semaphore(0)).toThrow(/positive integer/);
  });
});
