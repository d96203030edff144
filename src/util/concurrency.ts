/** Bounded concurrency: a counting semaphore, and a map over items with at most N at once. */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
  }

  /** Takes a slot, waiting for one when all are taken; pair with `release`. */
  acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise<void>((r) => this.waiting.push(r));
  }

  /** Hands the slot straight to the next waiter (active stays the same), or frees it. */
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }

  /** Runs fn in a slot; with a slot free, fn starts synchronously (no extra turn). */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active < this.limit) this.active++;
    else await new Promise<void>((r) => this.waiting.push(r));
    try {
      return await fn();
    } finally {
      this.release();
    }
  }
}

export interface Settled<I, T> {
  item: I;
  ok: boolean;
  value?: T;
  error?: unknown;
}

/** Runs fn over every item, at most `limit` at once; never rejects — each result says ok or error. */
export async function mapSettled<I, T>(items: readonly I[], limit: number, fn: (item: I, index: number) => Promise<T>): Promise<Settled<I, T>[]> {
  const sem = new Semaphore(limit);
  return Promise.all(
    items.map((item, i) =>
      sem.run(async () => {
        try {
          return { item, ok: true, value: await fn(item, i) };
        } catch (error) {
          return { item, ok: false, error };
        }
      }),
    ),
  );
}
