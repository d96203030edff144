/**
 * A first-in first-out queue on an array with a moving head, for queues that see a push and a take
 * per message (store waiters, entries waiting to become visible).
 *
 * Why not `array[head++]` alone: a taken item left in its slot stays reachable from the array,
 * which lives in the old generation, so every scavenge copies it and the second promotes it — in
 * the broker at 5,000 msg/s that was ~0.8 s of taken entries (and the send state their promises
 * reach) copied by each scavenge: 250–370 KB survived per scavenge instead of ~67 KB, and 1.5 ms
 * pauses instead of 0.85 (docs/guide/benchmarks.md, "Row 3: what the broker's scavenges copied").
 * Here a taken slot is cleared at once, the indices go back to 0 whenever the queue empties, and
 * the slots are kept (no new backing store per burst).
 */
export class Fifo<T> {
  private readonly items: (T | undefined)[] = [];
  private head = 0;
  private tail = 0;

  get size(): number {
    return this.tail - this.head;
  }

  push(item: T): void {
    if (this.tail === this.items.length) this.items.push(item);
    else this.items[this.tail] = item;
    this.tail++;
  }

  /** The item `i` places behind the head (0: the head); undefined past the end. */
  peek(i = 0): T | undefined {
    return i < this.size ? this.items[this.head + i] : undefined;
  }

  take(): T | undefined {
    if (this.head === this.tail) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.tail) {
      this.head = 0;
      this.tail = 0;
    } else if (this.head > 1024 && this.head * 2 > this.tail) {
      // a queue that never empties: move the waiting items to the front now and then
      this.items.copyWithin(0, this.head, this.tail);
      this.items.fill(undefined, this.tail - this.head, this.tail);
      this.tail -= this.head;
      this.head = 0;
    }
    return item;
  }

  /** Takes every waiting item, in order. */
  takeAll(): T[] {
    const all = this.items.slice(this.head, this.tail) as T[];
    this.items.fill(undefined, this.head, this.tail);
    this.head = 0;
    this.tail = 0;
    return all;
  }
}
