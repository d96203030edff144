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
  key: string;
  offset: number;
  tagCodes: ReadonlySet<number> | null;
  conn: Connection;
  timer: NodeJS.Timeout | undefined;
  resume: (why: HoldEnd) => void;
}

/** Why a hold ended: a matching message arrived, its time ran out, or the broker is stopping. */
export type HoldEnd = 'message' | 'timeout' | 'shutdown' | 'closed';

const queueKey = (topic: string, queueId: number) => `${topic}\u0000${queueId}`;

export class PullHoldService {
  private readonly byQueue = new Map<string, Set<Hold>>();
  private readonly byConn = new Map<Connection, Set<Hold>>();
  private stopped = false;

  get size(): number {
    let n = 0;
    for (const s of this.byQueue.values()) n += s.size;
    return n;
  }

  /**
   * Parks a pull of `topic`/`queueId` from `offset` for up to `timeoutMillis`. Resolves with why it
   * ended; 'closed' means the client is gone and nothing should be answered.
   */
  hold(topic: string, queueId: number, offset: number, tagCodes: ReadonlySet<number> | null, timeoutMillis: number, conn: Connection): Promise<HoldEnd> {
    if (this.stopped) return Promise.resolve('shutdown');
    if (conn.isClosed) return Promise.resolve('closed');
    return new Promise<HoldEnd>((resolve) => {
      const key = queueKey(topic, queueId);
      const h: Hold = {
        key,
        offset,
        tagCodes,
        conn,
        timer: undefined,
        resume: (why) => {
          this.remove(h);
          resolve(why);
        },
      };
      h.timer = setTimeout(() => h.resume('timeout'), Math.max(0, timeoutMillis));
      let q = this.byQueue.get(key);
      if (q === undefined) this.byQueue.set(key, (q = new Set()));
      q.add(h);
      let c = this.byConn.get(conn);
      if (c === undefined) {
        this.byConn.set(conn, (c = new Set()));
        conn.onClose(() => {
          const holds = this.byConn.get(conn);
          this.byConn.delete(conn);
          for (const held of holds ?? []) held.resume('closed');
        });
      }
      c.add(h);
    });
  }

  /** The store's new-entry hook: wakes the holds this entry satisfies. Cheap when none wait. */
  onDispatch(e: DispatchEvent): void {
    if (this.byQueue.size === 0) return;
    const q = this.byQueue.get(queueKey(e.topic, e.queueId));
    if (q === undefined) return;
    for (const h of [...q]) {
      if (e.queueOffset >= h.offset && (h.tagCodes === null || h.tagCodes.has(e.tagsCode))) h.resume('message');
    }
  }

  /** Ends every hold (their pulls run once more and answer). Later holds end at once. */
  stop(): void {
    this.stopped = true;
    for (const q of [...this.byQueue.values()]) for (const h of [...q]) h.resume('shutdown');
  }

  private remove(h: Hold): void {
    if (h.timer !== undefined) clearTimeout(h.timer);
    h.timer = undefined;
    const q = this.byQueue.get(h.key);
    if (q !== undefined && q.delete(h) && q.size === 0) this.byQueue.delete(h.key);
    const c = this.byConn.get(h.conn);
    if (c !== undefined) c.delete(h);
  }
}
