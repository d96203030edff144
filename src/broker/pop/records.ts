/**
 * The POP journal's records and how they change the state (applied the same way live and when a
 * restart replays the journal, so the two cannot disagree). One stored message of the journal
 * topic carries a JSON array of records (the writer batches what was changed in one turn).
 *
 * - `set`: entries' whole new states (a delivery, redelivery, hold or undo) and the queue's new pop
 *   offset — one per queue a receive touched;
 * - `ack`: entries removed if still on the given delivery (ack, dead-letter, message gone);
 * - `chg`: a delivery's new nonce and invisible time (change invisible duration);
 * - `rst`: the queue starts again at an offset (admin reset);
 * - `drop`: a group's (and/or topic's) state goes (group or topic deleted).
 */
import type { EntryState, QueueState } from './queue-state.js';

/** offset, phys, size, attempt, nonce, popTime, invisibleMs, firstPopTime, msgGroup, attemptId */
export type SetItem = [number, number, number, number, number, number, number, number, string | null, string | null];

export type JournalRecord =
  | { k: 'set'; g: string; t: string; q: number; po: number; m: SetItem[] }
  | { k: 'ack'; g: string; t: string; q: number; m: [offset: number, nonce: number][] }
  | { k: 'chg'; g: string; t: string; q: number; o: number; n: number; nn: number; pt: number; it: number }
  | { k: 'rst'; g: string; t: string; q: number; o: number }
  | { k: 'drop'; g?: string; t?: string };

export function setItem(s: EntryState): SetItem {
  return [s.offset, s.phys, s.size, s.attempt, s.nonce, s.popTime, s.invisibleMs, s.firstPopTime, s.msgGroup ?? null, s.attemptId ?? null];
}

export function entryOf(i: SetItem): EntryState {
  return {
    offset: i[0],
    phys: i[1],
    size: i[2],
    attempt: i[3],
    nonce: i[4],
    popTime: i[5],
    invisibleMs: i[6],
    firstPopTime: i[7],
    msgGroup: i[8] ?? undefined,
    attemptId: i[9] ?? undefined,
  };
}

export const queueKey = (group: string, topic: string, queueId: number): string => `${group}\u0000${topic}\u0000${queueId}`;

/** The states a record may touch, by key; `create` makes a queue's state when it has none. */
export interface StateTable {
  get(group: string, topic: string, queueId: number): QueueState | undefined;
  create(group: string, topic: string, queueId: number, popOffset: number): QueueState;
  drop(group: string | undefined, topic: string | undefined): void;
}

/** Applies one record. Records for entries that moved on (another nonce) change nothing. */
export function applyRecord(table: StateTable, r: JournalRecord): QueueState | undefined {
  switch (r.k) {
    case 'set': {
      const lowest = r.m.reduce((n, i) => Math.min(n, i[0]), r.po);
      const s = table.get(r.g, r.t, r.q) ?? table.create(r.g, r.t, r.q, lowest);
      for (const i of r.m) {
        const e = s.entries.get(i[0]);
        // an offset below the pop offset that is not an entry any more was done meanwhile (replay only)
        if (e === undefined && i[0] < s.popOffset) continue;
        s.set(entryOf(i));
      }
      s.advancePopOffset(r.po);
      return s;
    }
    case 'ack': {
      const s = table.get(r.g, r.t, r.q);
      if (s !== undefined) for (const [o, n] of r.m) s.remove(o, n);
      return s;
    }
    case 'chg': {
      const s = table.get(r.g, r.t, r.q);
      s?.change(r.o, r.n, r.nn, r.pt, r.it);
      return s;
    }
    case 'rst': {
      const s = table.get(r.g, r.t, r.q) ?? table.create(r.g, r.t, r.q, r.o);
      s.reset(r.o);
      return s;
    }
    case 'drop':
      table.drop(r.g, r.t);
      return undefined;
  }
}

const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
const isStr = (v: unknown): v is string => typeof v === 'string';

/** Parses a journal message body; throws with what is wrong (a damaged journal record is skipped by the caller, loudly). */
export function decodeRecords(body: Buffer): JournalRecord[] {
  const v: unknown = JSON.parse(body.toString('utf8'));
  if (!Array.isArray(v)) throw new TypeError('a journal message must hold an array of records');
  return v.map((r: unknown, i) => {
    const o = r as Record<string, unknown>;
    const bad = (why: string) => new TypeError(`record ${i} (${JSON.stringify(o?.k)}): ${why}`);
    if (typeof o !== 'object' || o === null) throw bad('not an object');
    if (o.k === 'drop') {
      if ((o.g !== undefined && !isStr(o.g)) || (o.t !== undefined && !isStr(o.t))) throw bad('g/t must be strings');
      return o as JournalRecord;
    }
    if (!isStr(o.g) || !isStr(o.t) || !isInt(o.q)) throw bad('g, t, q expected');
    switch (o.k) {
      case 'set':
        if (!isInt(o.po) || !Array.isArray(o.m)) throw bad('po, m expected');
        for (const it of o.m as unknown[]) {
          if (!Array.isArray(it) || it.length !== 10 || !it.slice(0, 8).every(isInt) || !(it[8] === null || isStr(it[8])) || !(it[9] === null || isStr(it[9]))) throw bad('malformed item');
        }
        return o as JournalRecord;
      case 'ack':
        if (!Array.isArray(o.m) || !(o.m as unknown[]).every((x) => Array.isArray(x) && x.length === 2 && isInt(x[0]) && isInt(x[1]))) throw bad('m must be [offset, nonce] pairs');
        return o as JournalRecord;
      case 'chg':
        if (![o.o, o.n, o.nn, o.pt, o.it].every(isInt)) throw bad('o, n, nn, pt, it expected');
        return o as JournalRecord;
      case 'rst':
        if (!isInt(o.o)) throw bad('o expected');
        return o as JournalRecord;
      default:
        throw bad('unknown kind');
    }
  });
}
