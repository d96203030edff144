/**
 * Where a consumer keeps its offsets (Java `OffsetStore`):
 * - `RemoteBrokerOffsetStore` (CLUSTERING): the group's offsets live on the broker serving each
 *   queue; read with QUERY_CONSUMER_OFFSET, written with UPDATE_CONSUMER_OFFSET to the group's
 *   master — not to a slave, whose offsets its master overwrites — and only when changed.
 * - `LocalFileOffsetStore` (BROADCASTING): each consumer's own offsets in a JSON file
 *   (`<dir>/<group>/offsets.json`, written atomically), or in memory only.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { messageQueueKey, type MessageQueue } from '../../protocol/message-queue.js';
import type { Logger } from '../../util/log.js';
import { writeFileAtomic } from '../../util/durable-file.js';
import type { GroupApi } from '../group-api.js';
import type { TopicRoutes } from './routes.js';

export interface OffsetStore {
  load(): Promise<void>;
  /** The offset kept in memory (undefined when none). */
  memoryOffset(mq: MessageQueue): number | undefined;
  /** The stored offset (from the broker or the file); undefined when there is none. Throws when it cannot be read. */
  storedOffset(mq: MessageQueue): Promise<number | undefined>;
  /** Sets the in-memory offset; with `increaseOnly`, never lowers it. */
  update(mq: MessageQueue, offset: number, increaseOnly: boolean): void;
  /** Writes the offsets of `mqs` that changed since their last write. */
  persist(mqs: readonly MessageQueue[]): Promise<void>;
  forget(mq: MessageQueue): void;
}

interface Entry {
  mq: MessageQueue;
  offset: number;
  persisted: number | undefined;
}

abstract class MemoryOffsets {
  protected readonly table = new Map<string, Entry>();

  memoryOffset(mq: MessageQueue): number | undefined {
    return this.table.get(messageQueueKey(mq))?.offset;
  }

  update(mq: MessageQueue, offset: number, increaseOnly: boolean): void {
    const key = messageQueueKey(mq);
    const e = this.table.get(key);
    if (e === undefined) this.table.set(key, { mq, offset, persisted: undefined });
    else if (!increaseOnly || offset > e.offset) e.offset = offset;
  }

  forget(mq: MessageQueue): void {
    this.table.delete(messageQueueKey(mq));
  }
}

export class RemoteBrokerOffsetStore extends MemoryOffsets implements OffsetStore {
  constructor(
    private readonly group: string,
    private readonly api: GroupApi,
    private readonly routes: TopicRoutes,
    private readonly log: Logger,
  ) {
    super();
  }

  async load(): Promise<void> {}

  async storedOffset(mq: MessageQueue): Promise<number | undefined> {
    // the master; while it is away, a slave (it holds the offsets synced from its master)
    const target = this.routes.subscribeAddr(mq.brokerName) ?? (await this.routes.fetch(mq.topic), this.routes.subscribeAddr(mq.brokerName));
    if (target === undefined) throw new Error(`broker group ${mq.brokerName} has no address in the route of ${mq.topic}`);
    const offset = await this.api.queryConsumerOffset(target.addr, this.group, mq.topic, mq.queueId);
    if (offset !== undefined) this.table.set(messageQueueKey(mq), { mq, offset, persisted: offset });
    return offset;
  }

  async persist(mqs: readonly MessageQueue[]): Promise<void> {
    await Promise.all(
      mqs.map(async (mq) => {
        const e = this.table.get(messageQueueKey(mq));
        if (e === undefined || e.offset === e.persisted) return;
        const master = this.routes.masterAddr(mq.brokerName);
        if (master === undefined) return; // kept until the master is back
        const offset = e.offset;
        try {
          await this.api.updateConsumerOffset(master, this.group, mq.topic, mq.queueId, offset);
          e.persisted = offset;
        } catch (err) {
          this.log.warn('committing an offset failed; will retry', { queue: `${mq.topic}@${mq.brokerName}#${mq.queueId}`, offset, err: err as Error });
        }
      }),
    );
  }
}

/** BROADCASTING offsets, one file per consumer group on this host (no file: memory only). */
export class LocalFileOffsetStore extends MemoryOffsets implements OffsetStore {
  private writing: Promise<void> = Promise.resolve();

  constructor(
    /** `<dir>/offsets.json`; undefined keeps offsets in memory only. */
    private readonly file: string | undefined,
    private readonly log: Logger,
  ) {
    super();
  }

  async load(): Promise<void> {
    if (this.file === undefined) return;
    let text: string;
    try {
      text = await fsp.readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    const parsed = JSON.parse(text) as { offsets?: { topic: string; brokerName: string; queueId: number; offset: number }[] };
    for (const o of parsed.offsets ?? []) {
      if (typeof o.topic !== 'string' || typeof o.brokerName !== 'string' || !Number.isInteger(o.queueId) || !Number.isInteger(o.offset)) continue;
      const mq = { topic: o.topic, brokerName: o.brokerName, queueId: o.queueId };
      this.table.set(messageQueueKey(mq), { mq, offset: o.offset, persisted: o.offset });
    }
    this.log.info('local offsets loaded', { file: this.file, queues: this.table.size });
  }

  async storedOffset(mq: MessageQueue): Promise<number | undefined> {
    const e = this.table.get(messageQueueKey(mq));
    return e?.persisted ?? e?.offset;
  }

  async persist(_mqs: readonly MessageQueue[]): Promise<void> {
    const file = this.file;
    if (file === undefined) return;
    const changed = [...this.table.values()].filter((e) => e.offset !== e.persisted).map((e) => [e, e.offset] as const);
    if (changed.length === 0) return;
    const offsets = [...this.table.values()].map((e) => ({ ...e.mq, offset: e.offset }));
    this.writing = this.writing.then(async () => {
      await fsp.mkdir(path.dirname(file), { recursive: true });
      await writeFileAtomic(file, `${JSON.stringify({ offsets }, null, 1)}\n`);
      for (const [e, offset] of changed) e.persisted = offset;
    });
    await this.writing.catch((e: unknown) => this.log.warn('writing local offsets failed', { file, err: e as Error }));
    this.writing = Promise.resolve();
  }
}
