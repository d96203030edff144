/**
 * Promises waiting for a monotonically growing offset (written / flushed) to reach a value.
 * Waiters arrive in offset order almost always, so a FIFO that resolves from the head is enough;
 * one timer covers the oldest waiter's deadline.
 */
import { Fifo } from '../../util/fifo.js';

interface Waiter {
  offset: number;
  /** -1 once resolved out of order (it stays in the queue until it reaches the head). */
  deadline: number;
  resolve: (reached: boolean) => void;
}

export class OffsetWaiters {
  private readonly queue = new Fifo<Waiter>();
  private timer: NodeJS.Timeout | undefined;

  get size(): number {
    return this.queue.size;
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
    return this.queue.peek()?.offset;
  }

  advance(reached: number): void {
    for (let w = this.queue.peek(); w !== undefined && w.offset <= reached; w = this.queue.peek()) {
      this.queue.take();
      if (w.deadline !== -1) w.resolve(true);
    }
    // a rare out-of-order waiter behind an unsatisfied head: look a little further
    for (let i = 1; i < Math.min(this.queue.size, 64); i++) {
      const w = this.queue.peek(i)!;
      if (w.offset <= reached && w.deadline !== -1) {
        w.resolve(true);
        w.deadline = -1;
      }
    }
    this.dropResolvedHead();
  }

  /** Resolves every waiter with false (shutdown, write failure). */
  failAll(): void {
    for (const w of this.queue.takeAll()) if (w.deadline !== -1) w.resolve(false);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private dropResolvedHead(): void {
    while (this.queue.peek()?.deadline === -1) this.queue.take();
  }

  private arm(): void {
    const first = this.queue.peek();
    if (this.timer || first === undefined) return;
    if (!Number.isFinite(first.deadline)) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const now = Date.now();
      for (let w = this.queue.peek(); w !== undefined && w.deadline <= now; w = this.queue.peek()) {
        this.queue.take();
        if (w.deadline !== -1) w.resolve(false);
      }
      this.dropResolvedHead();
      const next = this.queue.peek();
      if (next !== undefined && next.deadline !== Infinity) this.arm();
    }, Math.max(0, first.deadline - Date.now()) + 1);
    this.timer.unref();
  }
}
