/**
 * Long polling (Java `PullRequestHoldService`): a pull that found nothing new is parked until a
 * message it would accept arrives on its queue (the store's dispatch event: queue offset past the
 * requested one, tags code in the subscription) or its suspend timeout ends; then the pull runs
 * again, without suspension, and that result is the answer. Holds of a connection that closes are
 * dropped. Unlike Java's 5-second check, every hold has its own deadline.
 */
import type { Connection } from '../remoting/connection.js';
import type { DispatchEvent } from './store/index.js';

interface Hold {
  topic: string;
  queueId: number;
  offset: number;
  tagCodes: ReadonlySet<number> | null;
  conn: Connection;
  timer: NodeJS.Timeout | undefined;
  resume: (why: HoldEnd) => void;
}

/** Why a hold ended: a matching message arrived, its time ran out, or the broker is stopping. */
export type HoldEnd = 'message' | 'timeout' | 'shutdown' | 'closed';

/**
 * Holds come and go once per pull, so nothing here is built or dropped per hold: a queue's list
 * is a plain array kept once made (a Map or Set with one insert and one delete per pull rebuilds
 * its table every few operations, and an old table already promoted keeps its successors, and
 * whatever they held, alive through scavenges — see docs/guide/benchmarks.md, "a Map churned per
 * request"), a connection's close is watched once, and a dispatch finds its queue without
 * building a key string.
 */
/** Ends the holds of one queue's list that `which` picks. */
function resumeWhere(q: Hold[], which: (h: Hold) => boolean, why: HoldEnd): void {
  // resume() takes the hold out of q (the last one moves into its place), so i stays on a match
  for (let i = 0; i < q.length; ) {
    const h = q[i]!;
    if (which(h)) h.resume(why);
    else i++;
  }
}

export class PullHoldService {
  /** topic → queueId → holds (usually one: a consumer's pull of that queue). */
  private readonly byTopic = new Map<string, Hold[][]>();
  private readonly watched = new WeakSet<Connection>();
  private count = 0;
  private stopped = false;

  get size(): number {
    return this.count;
  }

  /**
   * Parks a pull of `topic`/`queueId` from `offset` for up to `timeoutMillis`. Resolves with why it
   * ended; 'closed' means the client is gone and nothing should be answered.
   */
  hold(topic: string, queueId: number, offset: number, tagCodes: ReadonlySet<number> | null, timeoutMillis: number, conn: Connection): Promise<HoldEnd> {
    if (this.stopped) return Promise.resolve('shutdown');
    if (conn.isClosed) return Promise.resolve('closed');
    return new Promise<HoldEnd>((resolve) => {
      const h: Hold = {
        topic,
        queueId,
        offset,
        tagCodes,
        conn,
        timer: undefined,
        resume: (why) => {
          if (this.remove(h)) resolve(why);
        },
      };
      h.timer = setTimeout(() => h.resume('timeout'), Math.max(0, timeoutMillis));
      this.queueOf(topic, queueId).push(h);
      this.count++;
      if (!this.watched.has(conn)) {
        this.watched.add(conn);
        conn.onClose(() => this.endAll((x) => x.conn === conn, 'closed'));
      }
    });
  }

  /** The store's new-entry hook: wakes the holds this entry satisfies. Cheap when none wait. */
  onDispatch(e: DispatchEvent): void {
    if (this.count === 0) return;
    const q = this.byTopic.get(e.topic)?.[e.queueId];
    if (q !== undefined) resumeWhere(q, (h) => e.queueOffset >= h.offset && (h.tagCodes === null || h.tagCodes.has(e.tagsCode)), 'message');
  }

  /** Ends every hold (their pulls run once more and answer). Later holds end at once. */
  stop(): void {
    this.stopped = true;
    this.endAll(() => true, 'shutdown');
  }

  private endAll(which: (h: Hold) => boolean, why: HoldEnd): void {
    if (this.count === 0) return;
    for (const queues of this.byTopic.values()) for (const q of queues) if (q !== undefined) resumeWhere(q, which, why);
  }

  /** The list of one queue's holds, made on its first hold and kept (a topic's queues are few). */
  private queueOf(topic: string, queueId: number): Hold[] {
    let queues = this.byTopic.get(topic);
    if (queues === undefined) this.byTopic.set(topic, (queues = []));
    let q = queues[queueId];
    if (q === undefined) queues[queueId] = q = [];
    return q;
  }

  /** Takes a hold out; false when it had ended already (a timeout racing a wake-up). */
  private remove(h: Hold): boolean {
    if (h.timer !== undefined) clearTimeout(h.timer);
    h.timer = undefined;
    const q = this.byTopic.get(h.topic)?.[h.queueId];
    const i = q === undefined ? -1 : q.indexOf(h);
    if (i < 0) return false;
    const last = q!.pop()!;
    if (last !== h) q![i] = last;
    this.count--;
    return true;
  }
}
