/**
 * Long polling for POP receives (RocketMQ's PopLongPollingService): a receive that found nothing
 * parks here until something may have become available for its group and topic, its wake time (the
 * earliest in-flight message turning visible again), its deadline, its client going away, or the
 * broker stopping. Then it tries again (and may park again until its deadline).
 *
 * What wakes a parked receive:
 * - a new message dispatched to the topic that its filter accepts (one waiter per group per
 *   message, oldest first: a message can only go to one receiver of a group);
 * - `notify(group, topic)`: something of the group became visible (nack, change to a shorter
 *   invisible time, FIFO ack, an undone delivery) — wakes every waiter of the group and topic.
 *
 * Lost wake-ups: a receive notes `epoch(group, topic)` before it looks; if anything was notified
 * or dispatched for them since, `park` returns at once.
 *
 * Bounded: at most `max` parked receives; past it `park` answers 'full'.
 */
export type ParkEnd = 'woken' | 'timeout' | 'aborted' | 'shutdown' | 'full';

interface Waiter {
  group: string;
  topic: string;
  queueId: number | undefined;
  tagCodes: ReadonlySet<number> | null;
  timer: NodeJS.Timeout | undefined;
  done: (why: ParkEnd) => void;
}

const gtKey = (group: string, topic: string) => `${group}\u0000${topic}`;

export class PollerRegistry {
  /** topic -> group -> waiters in arrival order */
  private readonly byTopic = new Map<string, Map<string, Set<Waiter>>>();
  private readonly epochs = new Map<string, number>();
  private readonly topicEpochs = new Map<string, number>();
  private count = 0;
  private stopped = false;

  constructor(public max: number) {}

  get size(): number {
    return this.count;
  }

  /** A number that changes whenever something may have become available to `group` on `topic`. */
  epoch(group: string, topic: string): number {
    return (this.epochs.get(gtKey(group, topic)) ?? 0) + (this.topicEpochs.get(topic) ?? 0);
  }

  park(group: string, topic: string, queueId: number | undefined, tagCodes: ReadonlySet<number> | null, sinceEpoch: number, wakeAt: number, signal: AbortSignal | undefined): Promise<ParkEnd> {
    if (this.stopped) return Promise.resolve('shutdown');
    if (signal?.aborted) return Promise.resolve('aborted');
    if (this.epoch(group, topic) !== sinceEpoch) return Promise.resolve('woken');
    if (this.count >= this.max) return Promise.resolve('full');
    return new Promise<ParkEnd>((resolve) => {
      let groups = this.byTopic.get(topic);
      if (groups === undefined) this.byTopic.set(topic, (groups = new Map()));
      let set = groups.get(group);
      if (set === undefined) groups.set(group, (set = new Set()));
      const waiters = set;
      const onAbort = () => w.done('aborted');
      const w: Waiter = {
        group,
        topic,
        queueId,
        tagCodes,
        timer: undefined,
        done: (why) => {
          if (!waiters.delete(w)) return;
          this.count--;
          if (waiters.size === 0) {
            groups.delete(group);
            if (groups.size === 0) this.byTopic.delete(topic);
          }
          if (w.timer !== undefined) clearTimeout(w.timer);
          signal?.removeEventListener('abort', onAbort);
          resolve(why);
        },
      };
      waiters.add(w);
      this.count++;
      w.timer = setTimeout(() => w.done('timeout'), Math.max(0, wakeAt - Date.now()));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** A message of `topic`/`queueId` with `tagsCode` is visible: wakes one accepting waiter per group. */
  onMessage(topic: string, queueId: number, tagsCode: number): void {
    this.topicEpochs.set(topic, (this.topicEpochs.get(topic) ?? 0) + 1);
    const groups = this.byTopic.get(topic);
    if (groups === undefined) return;
    for (const set of [...groups.values()]) {
      for (const w of set) {
        if (w.queueId !== undefined && w.queueId !== queueId) continue;
        if (w.tagCodes !== null && !w.tagCodes.has(tagsCode)) continue;
        w.done('woken');
        break;
      }
    }
  }

  /** Something of `group` on `topic` became visible: wakes all its waiters. */
  notify(group: string, topic: string): void {
    const k = gtKey(group, topic);
    this.epochs.set(k, (this.epochs.get(k) ?? 0) + 1);
    const set = this.byTopic.get(topic)?.get(group);
    if (set !== undefined) for (const w of [...set]) w.done('woken');
  }

  /** Ends every wait ('shutdown'); later parks end at once. */
  stop(): void {
    this.stopped = true;
    for (const groups of [...this.byTopic.values()]) for (const set of [...groups.values()]) for (const w of [...set]) w.done('shutdown');
  }
}
