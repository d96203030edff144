/**
 * One assigned queue's messages between pull and consumption (Java `ProcessQueue`): what was pulled
 * and not yet consumed, by queue offset. The offset a consumer may commit is the smallest offset
 * still in flight — or, with nothing in flight, how far it has pulled — so a message is never
 * committed past before it was consumed (at-least-once).
 *
 * Flow control reads `count`, `bytes` and `span` (largest minus smallest offset in flight); the
 * pull loop waits on `whenBelow` instead of polling. A queue taken away by a rebalance, or reset
 * by the broker, is `dropped`: its in-flight messages may finish but no longer move its offset.
 */
import { IntKeyTable } from '../../util/int-key-table.js';
import type { ConsumedMessage } from './consumed-message.js';

export class ProcessQueue {
  /** By queue offset; not a Map: one insert and one delete per message (see IntKeyTable). */
  private readonly inFlight = new IntKeyTable<ConsumedMessage>();
  /** Offsets in flight, ascending (messages arrive in offset order, so appends keep it sorted). */
  private offsets: number[] = [];
  private head = 0;
  private totalBytes = 0;
  /** Next offset after everything handed to this queue (pulled, kept or filtered out). */
  private pulledTo: number;
  private waiters: { check: () => boolean; resolve: () => void }[] = [];
  private changeWaiters: (() => void)[] = [];
  dropped = false;
  lastPullTimestamp = Date.now();
  lastConsumeTimestamp = Date.now();
  /** Orderly consumption: the broker lock is held, and when it was last renewed. */
  locked = false;
  lastLockTimestamp = 0;

  constructor(startOffset: number) {
    this.pulledTo = startOffset;
  }

  get count(): number {
    return this.inFlight.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** Largest minus smallest offset in flight (Java getMaxSpan). */
  get span(): number {
    if (this.inFlight.size === 0) return 0;
    return (this.offsets[this.offsets.length - 1] as number) - this.firstOffset();
  }

  /** Adds pulled messages; `nextOffset` is the pull's nextBeginOffset. */
  put(msgs: readonly ConsumedMessage[], nextOffset: number): void {
    for (const m of msgs) {
      if (this.inFlight.has(m.queueOffset)) continue;
      this.inFlight.set(m.queueOffset, m);
      this.offsets.push(m.queueOffset);
      this.totalBytes += m.body.length;
    }
    if (nextOffset > this.pulledTo) this.pulledTo = nextOffset;
    this.changed();
  }

  /** Moves the pulled position past messages that were filtered out (nothing to consume there). */
  advance(nextOffset: number): void {
    if (nextOffset > this.pulledTo) this.pulledTo = nextOffset;
  }

  /** Marks messages consumed; returns the offset that may now be committed. */
  remove(msgs: readonly ConsumedMessage[]): number {
    for (const m of msgs) {
      if (!this.inFlight.delete(m.queueOffset)) continue;
      this.totalBytes -= m.body.length;
    }
    this.lastConsumeTimestamp = Date.now();
    this.compact();
    this.wake();
    this.changed();
    return this.commitOffset();
  }

  /** The smallest offset in flight, or the pulled position when nothing is. */
  commitOffset(): number {
    return this.inFlight.size === 0 ? this.pulledTo : this.firstOffset();
  }

  /** In-flight messages in offset order (orderly consumption takes them from the front). */
  pending(max = Number.POSITIVE_INFINITY): ConsumedMessage[] {
    const out: ConsumedMessage[] = [];
    for (let i = this.head; i < this.offsets.length && out.length < max; i++) {
      const m = this.inFlight.get(this.offsets[i] as number);
      if (m !== undefined) out.push(m);
    }
    return out;
  }

  /** Resolves once `check` holds (checked whenever messages are consumed), or the queue is dropped. */
  whenBelow(check: () => boolean): Promise<void> {
    if (check() || this.dropped) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ check, resolve }));
  }

  /** Resolves at the next put, remove or drop. */
  nextChange(): Promise<void> {
    if (this.dropped) return Promise.resolve();
    return new Promise((resolve) => this.changeWaiters.push(resolve));
  }

  drop(): void {
    this.dropped = true;
    this.wake();
    this.changed();
  }

  private changed(): void {
    const w = this.changeWaiters;
    this.changeWaiters = [];
    for (const r of w) r();
  }

  private firstOffset(): number {
    this.compact();
    return this.offsets[this.head] as number;
  }

  private compact(): void {
    while (this.head < this.offsets.length && !this.inFlight.has(this.offsets[this.head] as number)) this.head++;
    if (this.head > 1024 && this.head * 2 > this.offsets.length) {
      this.offsets = this.offsets.slice(this.head);
      this.head = 0;
    }
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (this.dropped || w.check()) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }
}
