/**
 * The POP index and its journal records: the state a sequence of records builds is the same
 * whether applied live or replayed onto a snapshot taken part way (what a restart does).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QueueState, type EntryState } from '../../../src/broker/pop/queue-state.js';
import { applyRecord, decodeRecords, entryOf, queueKey, setItem, type JournalRecord, type StateTable } from '../../../src/broker/pop/records.js';

class Table implements StateTable {
  readonly states = new Map<string, QueueState>();
  get(g: string, t: string, q: number) {
    return this.states.get(queueKey(g, t, q));
  }
  create(g: string, t: string, q: number, po: number) {
    const s = new QueueState(g, t, q, po);
    this.states.set(queueKey(g, t, q), s);
    return s;
  }
  drop(g: string | undefined, t: string | undefined) {
    for (const [k, s] of this.states) if ((g === undefined || s.group === g) && (t === undefined || s.topic === t)) this.states.delete(k);
  }
  /** What a snapshot holds. */
  dump() {
    return [...this.states.values()].map((s) => ({ g: s.group, t: s.topic, q: s.queueId, po: s.popOffset, e: [...s.entries.values()].map(setItem) }));
  }
  static fromDump(d: ReturnType<Table['dump']>) {
    const t = new Table();
    for (const q of d) t.states.set(queueKey(q.g, q.t, q.q), QueueState.restore(q.g, q.t, q.q, q.po, q.e.map(entryOf)));
    return t;
  }
}

const st = (offset: number, over: Partial<EntryState> = {}): EntryState => ({ offset, phys: offset * 100, size: 100, attempt: 1, nonce: 7 + offset, popTime: 1000, invisibleMs: 500, firstPopTime: 1000, msgGroup: undefined, attemptId: undefined, ...over });

describe('QueueState', () => {
  it('ackOffset is the lowest unacked offset, else the pop offset', () => {
    const s = new QueueState('g', 't', 0, 0);
    for (let o = 0; o < 5; o++) s.set(st(o));
    s.advancePopOffset(5);
    expect(s.ackOffset).toBe(0);
    expect(s.remove(0, 999)).toBe(false); // wrong nonce: nothing
    expect(s.remove(0, 7)).toBe(true);
    expect(s.remove(2, 9)).toBe(true);
    expect(s.ackOffset).toBe(1);
    s.remove(1, 8);
    expect(s.ackOffset).toBe(3);
    s.remove(3, 10);
    s.remove(4, 11);
    expect(s.ackOffset).toBe(5);
  });

  it('visible() gives what is visible at a time, by visibility; change() moves a delivery; stale heap items are skipped', () => {
    const s = new QueueState('g', 't', 0, 0);
    s.set(st(0, { popTime: 1000, invisibleMs: 300 })); // visible at 1300
    s.set(st(1, { popTime: 1000, invisibleMs: 100 })); // 1100
    s.set(st(2, { popTime: 1000, invisibleMs: 900 })); // 1900
    s.advancePopOffset(3);
    expect(s.visible(1050, 10)).toEqual([]);
    expect(s.nextVisibleAt()).toBe(1100);
    expect(s.visible(1300, 10).map((e) => e.offset)).toEqual([1, 0]);
    expect(s.change(1, 8, 77, 1300, 1000)).toBe(true); // now visible at 2300
    expect(s.change(1, 8, 78, 1300, 1000)).toBe(false); // old nonce
    expect(s.visible(2000, 10).map((e) => e.offset)).toEqual([0, 2]);
    s.remove(0, 7);
    expect(s.visible(2000, 10).map((e) => e.offset)).toEqual([2]);
    expect(s.visible(2000, 1).map((e) => e.offset)).toEqual([2]);
    expect(s.nextVisibleAt()).toBe(1900);
  });

  it('FIFO candidates: only the lowest entry of each message group, when visible; ungrouped ones freely', () => {
    const s = new QueueState('g', 't', 0, 0);
    s.set(st(0, { msgGroup: 'a', popTime: 1000, invisibleMs: 500 })); // in flight
    s.set(st(1, { msgGroup: 'a', nonce: 0, attempt: 0, popTime: 0, invisibleMs: 0 })); // held behind 0
    s.set(st(2, { msgGroup: 'b', nonce: 0, attempt: 0, popTime: 0, invisibleMs: 0 })); // head of b, visible
    s.set(st(3, { msgGroup: 'b', nonce: 0, attempt: 0, popTime: 0, invisibleMs: 0 }));
    s.set(st(4, { popTime: 1000, invisibleMs: 100 })); // ungrouped, visible at 1100
    s.advancePopOffset(5);
    let c = s.fifoCandidates(1200, 10);
    expect(c.ready.map((e) => e.offset)).toEqual([2, 4]);
    expect([...c.busyGroups].sort()).toEqual(['a', 'b']);
    s.remove(0, 7);
    c = s.fifoCandidates(1200, 10);
    expect(c.ready.map((e) => e.offset)).toEqual([1, 2, 4]);
    expect(s.counts(1200)).toEqual({ invisible: 0, expired: 1, blocked: 3 });
  });

  it('dropBelow (retention) removes entries under the queue start and moves the pop offset', () => {
    const s = new QueueState('g', 't', 0, 0);
    for (let o = 0; o < 4; o++) s.set(st(o));
    s.advancePopOffset(4);
    expect(s.dropBelow(2)).toBe(2);
    expect(s.ackOffset).toBe(2);
    expect(s.dropBelow(10)).toBe(2);
    expect(s.popOffset).toBe(10);
  });

  it('refuses a new entry below the pop offset', () => {
    const s = new QueueState('g', 't', 0, 10);
    expect(() => s.set(st(3))).toThrow(RangeError);
  });
});

describe('journal records', () => {
  /** A random but well-formed history of one group on two queues: deliveries, acks, changes, resets. */
  const history = fc
    .array(fc.tuple(fc.constantFrom('pop', 'ack', 'chg', 'rst', 'redeliver'), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 1, max: 5 })), { minLength: 1, maxLength: 120 })
    .map((ops) => {
      const t = new Table();
      const recs: JournalRecord[] = [];
      let nonce = 1;
      for (const [op, q, rnd, n] of ops) {
        const s = t.get('g', 't', q);
        let r: JournalRecord | undefined;
        if (op === 'pop' || s === undefined) {
          const po = s?.popOffset ?? 0;
          const m = Array.from({ length: n }, (_, i) => setItem(st(po + i, { nonce: nonce++, popTime: rnd })));
          r = { k: 'set', g: 'g', t: 't', q, po: po + n + (rnd % 3), m };
        } else if (s.entries.size > 0) {
          const list = [...s.entries.values()];
          const e = list[rnd % list.length]!;
          if (op === 'ack') r = { k: 'ack', g: 'g', t: 't', q, m: [[e.offset, rnd % 4 === 0 ? 12345678 : e.nonce]] };
          else if (op === 'chg') r = { k: 'chg', g: 'g', t: 't', q, o: e.offset, n: e.nonce, nn: nonce++, pt: rnd, it: n * 100 };
          else if (op === 'redeliver') r = { k: 'set', g: 'g', t: 't', q, po: s.popOffset, m: [setItem({ ...st(e.offset), attempt: e.attempt + 1, nonce: nonce++, popTime: rnd })] };
          else r = { k: 'rst', g: 'g', t: 't', q, o: s.popOffset + n };
        }
        if (r !== undefined) {
          applyRecord(t, r);
          recs.push(r);
        }
      }
      return { recs, final: t.dump() };
    });

  it('replaying after a snapshot taken at any point gives the same state as applying live', () => {
    fc.assert(
      fc.property(history, fc.nat(), ({ recs, final }, cut) => {
        const at = cut % (recs.length + 1);
        const live = new Table();
        for (const r of recs.slice(0, at)) applyRecord(live, r);
        const restored = Table.fromDump(JSON.parse(JSON.stringify(live.dump())));
        for (const r of decodeRecords(Buffer.from(JSON.stringify(recs.slice(at))))) applyRecord(restored, r);
        expect(restored.dump()).toEqual(final);
      }),
      { numRuns: 300 },
    );
  });

  it('replaying the same records twice onto a snapshot that already has them changes nothing (a snapshot may overlap the journal)', () => {
    fc.assert(
      fc.property(history, ({ recs, final }) => {
        const t = Table.fromDump(final);
        for (const r of recs) if (r.k === 'ack' || r.k === 'chg') applyRecord(t, r);
        expect(t.dump()).toEqual(final);
      }),
      { numRuns: 100 },
    );
  });

  it('decodeRecords refuses malformed journal messages with a reason', () => {
    for (const bad of ['{}', '[{"k":"set"}]', '[{"k":"ack","g":"g","t":"t","q":0,"m":[[1]]}]', '[{"k":"nope","g":"g","t":"t","q":0}]', '[{"k":"set","g":"g","t":"t","q":0,"po":1,"m":[[1,2,3]]}]', 'not json']) {
      expect(() => decodeRecords(Buffer.from(bad)), bad).toThrow();
    }
  });
});
