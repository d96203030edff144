/**
 * The time wheel: for each slot of `precisionMs` that lies ahead, the newest timer-log unit placed
 * in it (the head of its list) and how many there are. A circular array indexed by slot number
 * modulo its size, each cell tagged with the slot it holds, so a cell left over from a slot long
 * past reads as empty. Slots are never more than `size − 1` ahead of the first slot not yet taken
 * (farther messages roll: see timer-service.ts), so two live slots never share a cell. Fixed
 * memory: 20 bytes per slot (172,800 slots of 1 s — two days — are 3.5 MB), whatever the number
 * of pending messages.
 */
export class TimerWheel {
  private readonly slotOf: Float64Array;
  private readonly heads: Float64Array;
  private readonly counts: Uint32Array;
  /** Units linked into slots (not yet taken). */
  pending = 0;

  constructor(readonly size: number) {
    this.slotOf = new Float64Array(size).fill(-1);
    this.heads = new Float64Array(size).fill(-1);
    this.counts = new Uint32Array(size);
  }

  private cell(slot: number): number {
    return slot % this.size;
  }

  /** Head unit and count of a slot (-1 / 0 when empty). */
  peek(slot: number): { head: number; count: number } {
    const c = this.cell(slot);
    return this.slotOf[c] === slot ? { head: this.heads[c] as number, count: this.counts[c] as number } : { head: -1, count: 0 };
  }

  /** Links unit `index` into `slot`; returns the previous head (the unit's prev link). */
  link(slot: number, index: number): number {
    const c = this.cell(slot);
    if (this.slotOf[c] !== slot) {
      // a cell still holding an older slot: that slot was taken or skipped, its entries elsewhere
      if (this.slotOf[c] !== -1) this.pending -= this.counts[c] as number;
      this.slotOf[c] = slot;
      this.heads[c] = -1;
      this.counts[c] = 0;
    }
    const prev = this.heads[c] as number;
    this.heads[c] = index;
    this.counts[c] = (this.counts[c] as number) + 1;
    this.pending++;
    return prev;
  }

  /** Empties a slot, returning what it held. */
  take(slot: number): { head: number; count: number } {
    const c = this.cell(slot);
    if (this.slotOf[c] !== slot) return { head: -1, count: 0 };
    const out = { head: this.heads[c] as number, count: this.counts[c] as number };
    this.pending -= out.count;
    this.slotOf[c] = -1;
    this.heads[c] = -1;
    this.counts[c] = 0;
    return out;
  }

  /** Restores a slot from a snapshot. */
  restore(slot: number, head: number, count: number): void {
    const c = this.cell(slot);
    if (this.slotOf[c] !== -1) this.pending -= this.counts[c] as number;
    this.slotOf[c] = slot;
    this.heads[c] = head;
    this.counts[c] = count;
    this.pending += count;
  }

  /** Non-empty slots at or after `fromSlot`, in cell order. */
  *slots(fromSlot: number): Iterable<{ slot: number; head: number; count: number }> {
    for (let c = 0; c < this.size; c++) {
      const slot = this.slotOf[c] as number;
      if (slot >= fromSlot && (this.counts[c] as number) > 0) yield { slot, head: this.heads[c] as number, count: this.counts[c] as number };
    }
  }

  /** Drops every slot before `slot` (on a slave: the master delivered them). */
  dropBefore(slot: number): void {
    for (let c = 0; c < this.size; c++) {
      const s = this.slotOf[c] as number;
      if (s !== -1 && s < slot) {
        this.pending -= this.counts[c] as number;
        this.slotOf[c] = -1;
        this.heads[c] = -1;
        this.counts[c] = 0;
      }
    }
  }

  /** Entries due within [fromSlot, toSlot) (RocketMQ's congestion figures). */
  countBetween(fromSlot: number, toSlot: number): number {
    let n = 0;
    if (toSlot - fromSlot < this.size) {
      for (let s = fromSlot; s < toSlot; s++) n += this.peek(s).count;
      return n;
    }
    for (const e of this.slots(fromSlot)) if (e.slot < toSlot) n += e.count;
    return n;
  }
}
