import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fifo } from '../../src/util/fifo.js';

type Op = { op: 'push'; value: number } | { op: 'take' } | { op: 'takeAll' } | { op: 'peek'; i: number };

/** A full garbage collection, from inside a test process that was not started with --expose-gc. */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

describe('Fifo', () => {
  it('behaves as an array queue under any sequence of pushes, takes, peeks and takeAlls', () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 6, arbitrary: fc.record({ op: fc.constant('push' as const), value: fc.integer() }) },
      { weight: 5, arbitrary: fc.constant({ op: 'take' as const }) },
      { weight: 2, arbitrary: fc.record({ op: fc.constant('peek' as const), i: fc.integer({ min: 0, max: 8 }) }) },
      { weight: 1, arbitrary: fc.constant({ op: 'takeAll' as const }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const q = new Fifo<number>();
        const model: number[] = [];
        for (const o of ops) {
          if (o.op === 'push') {
            q.push(o.value);
            model.push(o.value);
          } else if (o.op === 'take') expect(q.take()).toBe(model.shift());
          else if (o.op === 'peek') expect(q.peek(o.i)).toBe(model[o.i]);
          else expect(q.takeAll()).toEqual(model.splice(0));
          expect(q.size).toBe(model.length);
        }
      }),
    );
  });

  it('keeps order through the compaction of a queue that never empties', () => {
    const q = new Fifo<number>();
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 100; i++) q.push(next++);
      // take fewer than were pushed: the queue grows and its head passes the compaction threshold
      for (let i = 0; i < 90; i++) expect(q.take()).toBe(expected++);
    }
    expect(q.size).toBe(next - expected);
    expect(q.peek()).toBe(expected);
    expect(q.takeAll()).toEqual(Array.from({ length: next - expected }, (_, i) => expected + i));
    expect(q.take()).toBeUndefined();
  });

  it('lets a taken item be collected while the queue still holds others', async () => {
    const q = new Fifo<object>();
    const refs: WeakRef<object>[] = [];
    for (let i = 0; i < 3; i++) {
      const item = { i };
      refs.push(new WeakRef(item));
      q.push(item);
    }
    q.take();
    q.take();
    // a WeakRef's target is kept until the job that made it ends
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    expect(refs.map((r) => r.deref() !== undefined)).toEqual([false, false, true]);
    expect(q.size).toBe(1);
  });
});
