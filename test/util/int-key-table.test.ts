import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IntKeyTable } from '../../src/util/int-key-table.js';

type Op = { op: 'set'; key: number; value: number } | { op: 'take'; key: number } | { op: 'clear' };

describe('IntKeyTable', () => {
  it('behaves as a Map under any sequence of sets, takes and clears (colliding keys included)', () => {
    // keys from a small set and from multiples of the capacity, so probe runs form, wrap and get shifted
    const key = fc.oneof(fc.integer({ min: -4, max: 40 }), fc.integer({ min: -3, max: 3 }).map((k) => k * 16 + 5), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.maxSafeInteger().map((k) => k - (k % 16) + 3));
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), key, value: fc.integer() }) },
      { weight: 5, arbitrary: fc.record({ op: fc.constant('take' as const), key }) },
      { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const table = new IntKeyTable<number>(8);
        const model = new Map<number, number>();
        for (const o of ops) {
          if (o.op === 'set') {
            table.set(o.key, o.value);
            model.set(o.key, o.value);
          } else if (o.op === 'take') {
            expect(table.take(o.key)).toBe(model.get(o.key));
            model.delete(o.key);
          } else {
            table.clear();
            model.clear();
          }
          expect(table.size).toBe(model.size);
        }
        for (const [k, v] of model) expect(table.get(k)).toBe(v);
        const seen = new Map<number, number>();
        table.forEach((v, k) => seen.set(k, v));
        expect(seen).toEqual(model);
        expect(table.values().sort((a, b) => a - b)).toEqual([...model.values()].sort((a, b) => a - b));
      }),
      { numRuns: 500 },
    );
  });

  it('tells keys apart that agree modulo 2^32 (queue offsets past int32), and refuses non-integer keys', () => {
    const table = new IntKeyTable<string>();
    table.set(1, 'one');
    table.set(2 ** 32 + 1, 'far');
    expect(table.get(1)).toBe('one');
    expect(table.get(2 ** 32 + 1)).toBe('far');
    expect(table.get(1.5)).toBeUndefined();
    expect(table.take(1)).toBe('one');
    expect(table.get(2 ** 32 + 1)).toBe('far');
    expect(() => table.set(1.5, 'x')).toThrow(RangeError);
    expect(() => table.set(2 ** 53, 'x')).toThrow(RangeError);
    expect(() => table.set(1, undefined as unknown as string)).toThrow(TypeError);
  });

  it('keeps working across growth with requests coming and going (the connection pattern)', () => {
    const table = new IntKeyTable<{ opaque: number }>(8);
    let next = 2 ** 31 - 50; // across the int32 wrap the counter takes
    const live: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const opaque = next;
      next = (next + 1) & 0x7fffffff;
      table.set(opaque, { opaque });
      live.push(opaque);
      if (live.length > 5 + (i % 37)) {
        const gone = live.splice(i % live.length, 1)[0]!;
        expect(table.take(gone)?.opaque).toBe(gone);
      }
    }
    expect(table.size).toBe(live.length);
    for (const o of live) expect(table.get(o)?.opaque).toBe(o);
  });
});
