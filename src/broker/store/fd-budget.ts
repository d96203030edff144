/**
 * A cap on the consume-queue files a store keeps open. Every queue's tail file used to stay open
 * from its first write (or the store's start) to the end: 10,000 topics of 4 queues are 40,000
 * open files, past the 20,000 the deployed unit allows (LimitNOFILE) — the broker could not
 * restart with them (docs/guide/benchmarks.md#scale). Past the cap, the least recently used file
 * is closed (after the reads and writes in flight on it) and opened again when next needed.
 */
export class FdBudget {
  /** Owners of an open file, least recently used first (a Map keeps insertion order). */
  private readonly open = new Map<object, () => void>();

  constructor(readonly max: number) {}

  get size(): number {
    return this.open.size;
  }

  /** `owner`'s file was just used. */
  touch(owner: object): void {
    const evict = this.open.get(owner);
    if (evict === undefined) return;
    this.open.delete(owner);
    this.open.set(owner, evict);
  }

  /** `owner` opened a file; `evict` closes it. Closes the least recently used ones beyond the cap. */
  add(owner: object, evict: () => void): void {
    this.open.delete(owner);
    this.open.set(owner, evict);
    while (this.open.size > this.max) {
      const [oldest, close] = this.open.entries().next().value as [object, () => void];
      this.open.delete(oldest);
      close();
    }
  }

  /** `owner` closed its file itself. */
  remove(owner: object): void {
    this.open.delete(owner);
  }
}
