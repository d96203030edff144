/**
 * One consumer group's POP state of one queue — the in-memory index the engine keeps and the
 * journal rebuilds (pure: no I/O, no clock; time comes in as arguments):
 *
 * - `popOffset`: every offset below it was handed out at least once or filtered away;
 * - `entries`: offset -> Entry for each offset below popOffset that still matters — delivered and
 *   not acked (in flight, or expired and waiting to go again), or never delivered but held back
 *   (FIFO: behind an in-flight message of its message group; or a delivery undone because its
 *   client went away). Everything else below popOffset is done (acked, dead-lettered, filtered).
 *   Offsets are added in increasing order only, so the Map's order is offset order and its first
 *   key is the lowest unacked offset, `ackOffset` (the group's consumer offset);
 * - `byVisibility`: a min-heap of (visibleAt, offset, nonce) with lazy deletion — RocketMQ POP v2's
 *   index ordered by visibility time — from which non-FIFO receives take what became visible.
 */

export interface Entry {
  offset: number;
  /** Commit-log offset and size of the stored record. */
  phys: number;
  size: number;
  /** Deliveries so far (0: never delivered). */
  attempt: number;
  /** The current delivery's nonce; 0 when no delivery is in flight (visible now). */
  nonce: number;
  popTime: number;
  invisibleMs: number;
  /** popTime + invisibleMs while a delivery is in flight; 0 when visible. */
  visibleAt: number;
  /** When it was first delivered (0: not yet). */
  firstPopTime: number;
  /** FIFO: the message group (undefined: unordered). */
  msgGroup: string | undefined;
  /** FIFO: the attempt id of the receive that delivered it. */
  attemptId: string | undefined;
}

/** What a journal 'set' item carries: the entry's full new state. */
export type EntryState = Omit<Entry, 'visibleAt'>;

type HeapItem = [visibleAt: number, offset: number, nonce: number];

class VisibilityHeap {
  readonly items: HeapItem[] = [];

  get size(): number {
    return this.items.length;
  }

  push(it: HeapItem): void {
    const a = this.items;
    a.push(it);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((a[p] as HeapItem)[0] <= it[0]) break;
      a[i] = a[p] as HeapItem;
      i = p;
    }
    a[i] = it;
  }

  peek(): HeapItem | undefined {
    return this.items[0];
  }

  pop(): HeapItem | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const r = l + 1;
        const c = r < a.length && (a[r] as HeapItem)[0] < (a[l] as HeapItem)[0] ? r : l;
        if ((a[c] as HeapItem)[0] >= last[0]) break;
        a[i] = a[c] as HeapItem;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }

  clear(): void {
    this.items.length = 0;
  }
}

export class QueueState {
  readonly entries = new Map<number, Entry>();
  private readonly heap = new VisibilityHeap();

  constructor(
    readonly group: string,
    readonly topic: string,
    readonly queueId: number,
    public popOffset: number,
  ) {}

  /** A queue's state as a snapshot holds it: its pop offset and its entries in offset order. */
  static restore(group: string, topic: string, queueId: number, popOffset: number, entries: readonly EntryState[]): QueueState {
    const s = new QueueState(group, topic, queueId, Math.min(popOffset, entries[0]?.offset ?? popOffset));
    for (const e of entries) s.set(e);
    s.advancePopOffset(popOffset);
    return s;
  }

  /** The lowest offset not done yet: the consumer offset of the group for this queue. */
  get ackOffset(): number {
    for (const k of this.entries.keys()) return k;
    return this.popOffset;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Sets an entry's whole state (a delivery, a redelivery, a hold, an undo). New offsets must be ≥ popOffset or already present. */
  set(s: EntryState): Entry {
    const visibleAt = s.nonce === 0 ? 0 : s.popTime + s.invisibleMs;
    let e = this.entries.get(s.offset);
    if (e === undefined) {
      if (s.offset < this.popOffset) throw new RangeError(`entry at ${s.offset} below the pop offset ${this.popOffset} of ${this.topic}/${this.queueId} for ${this.group}`);
      e = { ...s, visibleAt };
      this.entries.set(s.offset, e);
    } else {
      Object.assign(e, s);
      e.visibleAt = visibleAt;
    }
    this.heap.push([visibleAt, e.offset, e.nonce]);
    this.compactHeap();
    return e;
  }

  advancePopOffset(to: number): void {
    if (to > this.popOffset) this.popOffset = to;
  }

  /** Removes the entry when its current delivery is `nonce` (0 removes whatever is there). */
  remove(offset: number, nonce: number): boolean {
    const e = this.entries.get(offset);
    if (e === undefined || (nonce !== 0 && e.nonce !== nonce)) return false;
    this.entries.delete(offset);
    return true;
  }

  /** A new delivery id and invisible time for an in-flight entry (change invisible duration). */
  change(offset: number, nonce: number, newNonce: number, popTime: number, invisibleMs: number): boolean {
    const e = this.entries.get(offset);
    if (e === undefined || e.nonce !== nonce) return false;
    e.nonce = newNonce;
    e.popTime = popTime;
    e.invisibleMs = invisibleMs;
    e.visibleAt = popTime + invisibleMs;
    this.heap.push([e.visibleAt, offset, newNonce]);
    this.compactHeap();
    return true;
  }

  /** Forgets everything and starts again at `offset` (an admin offset reset). */
  reset(offset: number): void {
    this.entries.clear();
    this.heap.clear();
    this.popOffset = offset;
  }

  /** Drops entries below `minOffset` (their messages were deleted by retention) and moves popOffset up to it. */
  dropBelow(minOffset: number): number {
    let n = 0;
    for (const k of this.entries.keys()) {
      if (k >= minOffset) break;
      this.entries.delete(k);
      n++;
    }
    this.advancePopOffset(minOffset);
    return n;
  }

  /**
   * Entries visible at `now` in visibility order (never-delivered/undone first), up to `max`,
   * without changing anything (the caller delivers them with `set`, which re-indexes them).
   */
  visible(now: number, max: number): Entry[] {
    const out: Entry[] = [];
    const seen = new Set<number>();
    const keep: HeapItem[] = [];
    while (out.length < max) {
      const top = this.heap.peek();
      if (top === undefined || top[0] > now) break;
      this.heap.pop();
      const e = this.entries.get(top[1]);
      if (e === undefined || e.nonce !== top[2] || e.visibleAt !== top[0] || seen.has(e.offset)) continue;
      seen.add(e.offset);
      out.push(e);
      keep.push(top);
    }
    // still indexed until the caller re-sets them
    for (const k of keep) this.heap.push(k);
    return out;
  }

  /** The earliest time an in-flight entry becomes visible (Infinity when none; ≤ now when some is already). */
  nextVisibleAt(): number {
    for (;;) {
      const top = this.heap.peek();
      if (top === undefined) return Number.POSITIVE_INFINITY;
      const e = this.entries.get(top[1]);
      if (e !== undefined && e.nonce === top[2] && e.visibleAt === top[0]) return top[0];
      this.heap.pop();
    }
  }

  /**
   * FIFO: the entries a receive may deliver now, in offset order: per message group only its
   * lowest entry, and only when visible; entries without a group when visible. Also returns the
   * groups that have an entry (new messages of those groups must wait behind it).
   */
  fifoCandidates(now: number, max: number): { ready: Entry[]; busyGroups: Set<string> } {
    const ready: Entry[] = [];
    const busyGroups = new Set<string>();
    for (const e of this.entries.values()) {
      const g = e.msgGroup;
      if (g !== undefined) {
        if (busyGroups.has(g)) continue;
        busyGroups.add(g);
      }
      if (ready.length < max && e.visibleAt <= now) ready.push(e);
    }
    return { ready, busyGroups };
  }

  /** Counts for group describe / metrics. */
  counts(now: number): { invisible: number; expired: number; blocked: number } {
    let invisible = 0;
    let expired = 0;
    let blocked = 0;
    for (const e of this.entries.values()) {
      if (e.nonce === 0) blocked++;
      else if (e.visibleAt > now) invisible++;
      else expired++;
    }
    return { invisible, expired, blocked };
  }

  /** The heap keeps stale items (acked, changed) until they surface; rebuild it when they dominate. */
  private compactHeap(): void {
    if (this.heap.size <= 64 || this.heap.size <= 3 * this.entries.size) return;
    this.heap.clear();
    for (const e of this.entries.values()) this.heap.push([e.visibleAt, e.offset, e.nonce]);
  }
}
