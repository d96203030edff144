/**
 * Promises waiting for a monotonically growing offset (written / flushed) to reach a value.
 * Waiters arrive in offset order almost always, so a FIFO that resolves from the head is enough;
 * one timer covers the oldest waiter's deadline.
 */
interface Waiter {
  offset: number;
  deadline: number;
  resolve: (reached: boolean) => void;
}

export class OffsetWaiters {
  private readonly queue: Waiter[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  get size(): number {
    return this.queue.length - this.head;
  }

  /** Resolves true once `advance(≥ offset)` runs, false after `timeoutMs` (Infinity: never). */
  wait(offset: number, timeoutMs = Infinity): Promise<boolean> {
    return new Promise((resolve) => {
      this.queue.push({ offset, deadline: Date.now() + timeoutMs, resolve });
      if (timeoutMs !== Infinity) this.arm();
    });
  }

  /** The smallest offset anyone waits for (undefined when none). */
  get lowest(): number | undefined {
    return this.size > 0 ? this.queue[this.head]!.offset : undefined;
  }

  advance(reached: number): void {
    while (this.head < this.queue.length && this.queue[this.head]!.offset <= reached) this.queue[this.head++]!.resolve(true);
    // a rare out-of-order waiter behind an unsatisfied head: look a little further
    for (let i = this.head + 1; i < Math.min(this.queue.length, this.head + 64); i++) {
      const w = this.queue[i]!;
      if (w.offset <= reached && w.deadline !== -1) {
        w.resolve(true);
        w.deadline = -1;
      }
    }
    this.compact();
  }

  /** Resolves every waiter with false (shutdown, write failure). */
  failAll(): void {
    const all = this.queue.splice(this.head);
    this.head = 0;
    this.queue.length = 0;
    for (const w of all) if (w.deadline !== -1) w.resolve(false);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private compact(): void {
    while (this.head < this.queue.length && this.queue[this.head]!.deadline === -1) this.head++;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  private arm(): void {
    if (this.timer || this.size === 0) return;
    const first = this.queue[this.head]!;
    if (!Number.isFinite(first.deadline)) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const now = Date.now();
      while (this.head < this.queue.length && this.queue[this.head]!.deadline <= now) {
        const w = this.queue[this.head++]!;
        if (w.deadline !== -1) w.resolve(false);
      }
      this.compact();
      if (this.size > 0 && this.queue[this.head]!.deadline !== Infinity) this.arm();
    }, Math.max(0, first.deadline - Date.now()) + 1);
    this.timer.unref();
  }
}
