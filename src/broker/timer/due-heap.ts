/**
 * Timer entries handed to delivery, ordered by when they are due — recall markers before the
 * messages due at the same moment, so a marker is seen before the message it cancels — then by
 * timer-log index. A binary min-heap.
 */
export interface DueEntry {
  /** Timer-log / consume-queue index. */
  index: number;
  deliverMs: number;
  /** When to try (deliverMs; later after a failed put). */
  dueAt: number;
  phys: number;
  size: number;
  marker: boolean;
  /** The wheel slot its checkpoint counts it in (the slot of deliverMs). */
  slot: number;
}

function before(a: DueEntry, b: DueEntry): boolean {
  if (a.dueAt !== b.dueAt) return a.dueAt < b.dueAt;
  if (a.marker !== b.marker) return a.marker;
  return a.index < b.index;
}

export class DueHeap {
  private readonly items: DueEntry[] = [];
  /** Entries per slot, so the lowest slot still held is known without a scan. */
  private readonly perSlot = new Map<number, number>();
  private minSlotCache: number | undefined;

  get size(): number {
    return this.items.length;
  }

  peek(): DueEntry | undefined {
    return this.items[0];
  }

  push(e: DueEntry): void {
    const a = this.items;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i] as DueEntry, a[p] as DueEntry)) break;
      [a[i], a[p]] = [a[p] as DueEntry, a[i] as DueEntry];
      i = p;
    }
    this.perSlot.set(e.slot, (this.perSlot.get(e.slot) ?? 0) + 1);
    if (this.minSlotCache !== undefined && e.slot < this.minSlotCache) this.minSlotCache = e.slot;
  }

  pop(): DueEntry | undefined {
    const a = this.items;
    const top = a[0];
    if (top === undefined) return undefined;
    const last = a.pop() as DueEntry;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l] as DueEntry, a[m] as DueEntry)) m = l;
        if (r < a.length && before(a[r] as DueEntry, a[m] as DueEntry)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m] as DueEntry, a[i] as DueEntry];
        i = m;
      }
    }
    const n = (this.perSlot.get(top.slot) ?? 1) - 1;
    if (n === 0) {
      this.perSlot.delete(top.slot);
      if (this.minSlotCache === top.slot) this.minSlotCache = undefined;
    } else this.perSlot.set(top.slot, n);
    return top;
  }

  /** The lowest slot any held entry counts in (undefined: empty). */
  minSlot(): number | undefined {
    if (this.perSlot.size === 0) return undefined;
    if (this.minSlotCache === undefined) for (const s of this.perSlot.keys()) if (this.minSlotCache === undefined || s < this.minSlotCache) this.minSlotCache = s;
    return this.minSlotCache;
  }

  /** Timer-log indexes of the entries held. */
  indexes(): number[] {
    return this.items.map((e) => e.index);
  }

  /** Removes every entry (a master stepping down keeps nothing to deliver). */
  drain(): DueEntry[] {
    const all = this.items.splice(0);
    this.perSlot.clear();
    this.minSlotCache = undefined;
    return all;
  }
}
