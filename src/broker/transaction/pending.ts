/**
 * The half messages a broker knows to be pending — neither committed, rolled back nor given up —
 * indexed by half queue offset (RocketMQ's tranStateTableOffset), commit-log offset (what a
 * remoting END_TRANSACTION names) and UNIQ_KEY (what a v5 EndTransaction names), plus a bounded
 * memory of recent outcomes so a repeated END_TRANSACTION is answered as the first one was.
 */
import type { HalfInfo } from './records.js';

export interface PendingHalf extends HalfInfo {
  /** Queue offset in RMQ_SYS_TRANS_HALF_TOPIC. */
  halfOffset: number;
  /** Commit-log offset of the half record. */
  phys: number;
  storeTimestamp: number;
  /** Checks sent (or due with no producer online) so far. */
  checks: number;
  /** When it was last checked (ms), 0 never. */
  lastCheckAt: number;
}

export type Outcome = 'commit' | 'rollback' | 'discard' | 'lost';

const REMEMBERED_OUTCOMES = 100_000;

export class PendingHalves {
  private readonly byOffset = new Map<number, PendingHalf>();
  private readonly byPhys = new Map<number, PendingHalf>();
  private readonly byUniq = new Map<string, PendingHalf[]>();
  /** Recent outcomes by `p:<phys>` and `u:<uniqKey>`. */
  private readonly outcomes = new Map<string, Outcome>();

  get size(): number {
    return this.byOffset.size;
  }

  values(): IterableIterator<PendingHalf> {
    return this.byOffset.values();
  }

  atOffset(halfOffset: number): PendingHalf | undefined {
    return this.byOffset.get(halfOffset);
  }

  atPhys(phys: number): PendingHalf | undefined {
    return this.byPhys.get(phys);
  }

  /** Pending halves with this UNIQ_KEY, oldest first (a producer's retried send stores the same message twice). */
  withUniq(uniqKey: string): readonly PendingHalf[] {
    return this.byUniq.get(uniqKey) ?? [];
  }

  /** Adds `p` unless a half at its offset is already known. Returns whether it was added. */
  add(p: PendingHalf): boolean {
    if (this.byOffset.has(p.halfOffset)) return false;
    this.byOffset.set(p.halfOffset, p);
    this.byPhys.set(p.phys, p);
    if (p.uniqKey !== '') {
      const list = this.byUniq.get(p.uniqKey);
      if (list === undefined) this.byUniq.set(p.uniqKey, [p]);
      else list.push(p);
    }
    return true;
  }

  /** Removes the half at `halfOffset`, remembering how it ended (when known). */
  remove(halfOffset: number, outcome: Outcome | undefined): PendingHalf | undefined {
    const p = this.byOffset.get(halfOffset);
    if (p === undefined) return undefined;
    this.byOffset.delete(halfOffset);
    this.byPhys.delete(p.phys);
    const list = this.byUniq.get(p.uniqKey);
    if (list !== undefined) {
      const rest = list.filter((x) => x !== p);
      if (rest.length === 0) this.byUniq.delete(p.uniqKey);
      else this.byUniq.set(p.uniqKey, rest);
    }
    if (outcome !== undefined) {
      this.remember(`p:${p.phys}`, outcome);
      if (p.uniqKey !== '') this.remember(`u:${p.uniqKey}`, outcome);
    }
    return p;
  }

  /** How the half at commit-log offset `phys` (or with `uniqKey`) ended, when it did recently. */
  outcomeOf(phys: number | undefined, uniqKey: string | undefined): Outcome | undefined {
    if (phys !== undefined) {
      const o = this.outcomes.get(`p:${phys}`);
      if (o !== undefined) return o;
    }
    return uniqKey === undefined || uniqKey === '' ? undefined : this.outcomes.get(`u:${uniqKey}`);
  }

  clear(): void {
    this.byOffset.clear();
    this.byPhys.clear();
    this.byUniq.clear();
  }

  private remember(key: string, o: Outcome): void {
    this.outcomes.delete(key);
    this.outcomes.set(key, o);
    if (this.outcomes.size > REMEMBERED_OUTCOMES) {
      const oldest = this.outcomes.keys().next().value;
      if (oldest !== undefined) this.outcomes.delete(oldest);
    }
  }
}
