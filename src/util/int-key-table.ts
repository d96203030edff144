/**
 * A hash table from integer keys (safe integers) to values, for tables that see an insert and a
 * delete per message (requests waiting for their responses by opaque, pulled messages by queue offset).
 *
 * Why not a Map: with deletes as frequent as inserts, a Map rebuilds its hash table every few
 * inserts (to drop deleted entries), and V8 links each old table to its successor so that live
 * iterators can follow. Once one old table has been promoted to the old generation, it keeps every
 * newer table — and whatever their entries reach: the waiting requests' promises, closures and
 * messages — alive through every scavenge until the next mark-compact. In the client of `bench/compare`
 * row 3 that promoted ~0.7 MB per scavenge and forced a mark-compact about every second (see
 * docs/guide/benchmarks.md, "Row 3's tail"). Open addressing with linear probing and backward-shift
 * deletion allocates only when the table grows and keeps no link between generations.
 */
export class IntKeyTable<V> {
  private keys: Float64Array;
  /** `undefined` marks a free slot (values are never undefined). */
  private vals: (V | undefined)[];
  private mask: number;
  /** 32 - log2(capacity): homeOf keeps the top bits of the hash. */
  private shift: number;
  private count = 0;

  constructor(initialCapacity = 16) {
    let cap = 8;
    while (cap < initialCapacity) cap *= 2;
    this.keys = new Float64Array(cap);
    this.vals = new Array<V | undefined>(cap).fill(undefined);
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
  }

  get size(): number {
    return this.count;
  }

  get(key: number): V | undefined {
    const i = this.slotOf(key);
    return i < 0 ? undefined : this.vals[i];
  }

  has(key: number): boolean {
    return this.slotOf(key) >= 0;
  }

  /** Adds or replaces the value under `key` (a safe integer). */
  set(key: number, value: V): void {
    if (value === undefined) throw new TypeError('IntKeyTable values must not be undefined');
    if (!Number.isSafeInteger(key)) throw new RangeError(`IntKeyTable keys are safe integers, got ${key}`);
    if ((this.count + 1) * 2 > this.vals.length) this.resize(this.vals.length * 2);
    const { keys, vals, mask } = this;
    let i = homeOf(key, this.shift);
    while (vals[i] !== undefined) {
      if (keys[i] === key) {
        vals[i] = value;
        return;
      }
      i = (i + 1) & mask;
    }
    keys[i] = key;
    vals[i] = value;
    this.count++;
  }

  /** Removes `key` and returns its value (undefined if absent). */
  take(key: number): V | undefined {
    let i = this.slotOf(key);
    if (i < 0) return undefined;
    const { keys, vals, mask } = this;
    const value = vals[i];
    vals[i] = undefined;
    this.count--;
    // backward shift: pull later entries of the same probe run into the gap, so lookups need no tombstones
    for (let j = (i + 1) & mask; vals[j] !== undefined; j = (j + 1) & mask) {
      const home = homeOf(keys[j]!, this.shift);
      // the entry at j may move to i only if its home slot is not cyclically inside (i, j]
      const homeInGap = i <= j ? home > i && home <= j : home > i || home <= j;
      if (homeInGap) continue;
      keys[i] = keys[j]!;
      vals[i] = vals[j];
      vals[j] = undefined;
      i = j;
    }
    return value;
  }

  delete(key: number): boolean {
    return this.take(key) !== undefined;
  }

  /** Calls `fn` for every entry; `fn` must not change the table (collect keys, then take them). */
  forEach(fn: (value: V, key: number) => void): void {
    const { keys, vals } = this;
    for (let i = 0; i < vals.length; i++) {
      const v = vals[i];
      if (v !== undefined) fn(v, keys[i]!);
    }
  }

  /** The values, as a new array. */
  values(): V[] {
    const out: V[] = [];
    this.forEach((v) => out.push(v));
    return out;
  }

  clear(): void {
    this.vals.fill(undefined);
    this.count = 0;
  }

  private slotOf(key: number): number {
    const { keys, vals, mask } = this;
    for (let i = homeOf(key, this.shift); vals[i] !== undefined; i = (i + 1) & mask) if (keys[i] === key) return i;
    return -1;
  }

  private resize(cap: number): void {
    const { keys, vals } = this;
    this.keys = new Float64Array(cap);
    this.vals = new Array<V | undefined>(cap).fill(undefined);
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
    this.count = 0;
    for (let i = 0; i < vals.length; i++) {
      const v = vals[i];
      if (v !== undefined) this.set(keys[i]!, v);
    }
  }
}

/**
 * Fibonacci hashing of the key's two 32-bit halves: consecutive keys (opaques, queue offsets) land
 * far apart. With the identity they would form one probe run as long as the table's contents, and
 * each deletion's backward shift would walk all of it.
 */
function homeOf(key: number, shift: number): number {
  const hi = (key / 4294967296) | 0;
  return Math.imul((key | 0) ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> shift;
}
