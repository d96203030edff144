/**
 * What follows a record into the commit log (RocketMQ's CommitLogDispatcher): its consume-queue
 * entry — visible to readers only once the record's bytes are in the kernel — its key-index
 * entries, and the listeners that wait for new entries (held pulls, the delay scheduler,
 * replication). Owns the table of consume queues.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { KEY_SEPARATOR, PropertyKey, SysFlag, transactionType } from '../../protocol/message/constants.js';
import { findProperty } from '../../protocol/message/properties.js';
import { tagsCode as tagsCodeOfTags } from '../../protocol/message/tags.js';
import { Fifo } from '../../util/fifo.js';
import type { Logger } from '../../util/log.js';
import { ConsumeQueue } from './consume-queue.js';
import { FdBudget } from './fd-budget.js';

/**
 * Consume-queue files a store keeps open at most (FdBudget): well inside the deployed unit's
 * LimitNOFILE of 20,000, leaving room for connections, commit-log and index files.
 */
export const CONSUME_QUEUE_OPEN_FILES = 4_096;

/** Consume queues loaded at the same time when the store opens. */
const LOAD_QUEUES_AT_ONCE = 8;
import type { KeyIndex } from './key-index.js';
import type { DispatchEvent } from './types.js';

/** Topic names the store accepts as directory names (RocketMQ's topic charset). */
export const TOPIC_NAME = /^[%|a-zA-Z0-9_-]{1,255}$/;

/** The record fields dispatch needs (a decoded record, or what a put just wrote). */
export interface DispatchedRecord {
  topic: string;
  queueId: number;
  queueOffset: number;
  properties: string;
  storeTimestamp: number;
  sysFlag: number;
}

/** Prepared and rolled-back transactional records take no queue slot (RocketMQ stores them with offset 0). */
export function takesQueueSlot(sysFlag: number): boolean {
  const tx = transactionType(sysFlag);
  return tx !== SysFlag.TRANSACTION_PREPARED_TYPE && tx !== SysFlag.TRANSACTION_ROLLBACK_TYPE;
}

interface PendingVisible {
  end: number;
  cq: ConsumeQueue;
  upto: number;
  event: DispatchEvent;
}

export type TagsCodeOf = (topic: string, properties: string, storeTimestamp: number) => number;

export class Dispatcher {
  readonly queues = new Map<string, Map<number, ConsumeQueue>>();
  /** Queues with entries not yet written to their files (flushLogics writes them). */
  readonly dirtyQueues = new Set<ConsumeQueue>();
  /** Open consume-queue files of every queue together. */
  readonly fds: FdBudget;
  private readonly pendingVisible = new Fifo<PendingVisible>();
  private readonly listeners = new Set<(e: DispatchEvent) => void>();
  private readonly writtenListeners = new Set<(writtenOffset: number) => void>();

  constructor(
    readonly cqRoot: string,
    private readonly unitsPerFile: number,
    readonly index: KeyIndex | undefined,
    private readonly customTagsCode: TagsCodeOf | undefined,
    private readonly logger: Logger,
    openFiles = CONSUME_QUEUE_OPEN_FILES,
  ) {
    this.fds = new FdBudget(openFiles);
  }

  /** Loads the consume queues on disk, cut back to `truncateFrom` and forward to `minPhysical`. */
  async loadQueues(truncateFrom: number, minPhysical: number): Promise<void> {
    const topics = await fsp.readdir(this.cqRoot).catch(() => [] as string[]);
    const found: { topic: string; queueId: number }[] = [];
    for (const topic of topics) {
      if (!TOPIC_NAME.test(topic)) continue;
      const qdirs = await fsp.readdir(path.join(this.cqRoot, topic)).catch(() => [] as string[]);
      for (const qd of qdirs) if (/^\d+$/.test(qd)) found.push({ topic, queueId: Number(qd) });
    }
    // A few queues at once (each is a directory listing, a stat and a read of its tail): 40,000
    // queues loaded one after another took ~10 s of a broker's start (docs/guide/benchmarks.md#scale).
    let next = 0;
    let failure: { error: unknown } | undefined;
    const worker = async () => {
      while (failure === undefined && next < found.length) {
        const { topic, queueId } = found[next++]!;
        try {
          const cq = await ConsumeQueue.load(topic, queueId, path.join(this.cqRoot, topic, String(queueId)), this.unitsPerFile, this.fds);
          this.queueMap(topic).set(queueId, cq);
          await cq.truncateFromPhysical(truncateFrom);
          await cq.deleteBelowPhysical(minPhysical);
        } catch (e) {
          failure ??= { error: e };
        }
      }
    };
    // every worker has stopped before the first failure is thrown (the caller closes what was loaded)
    await Promise.all(Array.from({ length: Math.min(LOAD_QUEUES_AT_ONCE, found.length) }, worker));
    if (failure !== undefined) throw failure.error;
  }

  private queueMap(topic: string): Map<number, ConsumeQueue> {
    let m = this.queues.get(topic);
    if (!m) this.queues.set(topic, (m = new Map()));
    return m;
  }

  /** The queue, created when new. */
  queue(topic: string, queueId: number): ConsumeQueue {
    const m = this.queueMap(topic);
    let q = m.get(queueId);
    if (!q) {
      q = ConsumeQueue.create(topic, queueId, path.join(this.cqRoot, topic, String(queueId)), this.unitsPerFile, this.fds);
      m.set(queueId, q);
    }
    return q;
  }

  findQueue(topic: string, queueId: number): ConsumeQueue | undefined {
    return this.queues.get(topic)?.get(queueId);
  }

  queueCount(): number {
    let n = 0;
    for (const qs of this.queues.values()) n += qs.size;
    return n;
  }

  *allQueues(): Iterable<ConsumeQueue> {
    for (const qs of this.queues.values()) yield* qs.values();
  }

  /** Default: Java String.hashCode of the TAGS property; the broker overrides it for delay topics. */
  tagsCodeOf(topic: string, properties: string, storeTimestamp: number): number {
    if (this.customTagsCode) return this.customTagsCode(topic, properties, storeTimestamp);
    return tagsCodeOfTags(findProperty(properties, PropertyKey.TAGS));
  }

  /**
   * A record just appended at `phys`: its queue entry (visible once written — see onWritten) and
   * its index entries. `cq` is the record's queue when the caller already holds it.
   */
  dispatch(r: DispatchedRecord, phys: number, size: number, cq?: ConsumeQueue): void {
    if (takesQueueSlot(r.sysFlag)) {
      const q = cq ?? this.queue(r.topic, r.queueId);
      const tags = this.tagsCodeOf(r.topic, r.properties, r.storeTimestamp);
      q.append(r.queueOffset, phys, size, tags);
      this.dirtyQueues.add(q);
      this.pendingVisible.push({
        end: phys + size,
        cq: q,
        upto: r.queueOffset + 1,
        event: { topic: r.topic, queueId: r.queueId, queueOffset: r.queueOffset, physicalOffset: phys, size, tagsCode: tags, storeTimestamp: r.storeTimestamp },
      });
    }
    this.indexRecord(r.topic, r.properties, phys, r.storeTimestamp, r.sysFlag);
  }

  indexRecord(topic: string, properties: string, phys: number, storeTimestamp: number, sysFlag: number): void {
    if (!this.index || transactionType(sysFlag) === SysFlag.TRANSACTION_ROLLBACK_TYPE) return;
    const keys = findProperty(properties, PropertyKey.KEYS);
    if (keys) for (const k of keys.split(KEY_SEPARATOR)) if (k) this.index.put(topic, k, phys, storeTimestamp);
    const uniq = findProperty(properties, PropertyKey.UNIQ_CLIENT_MESSAGE_ID_KEYIDX);
    if (uniq) this.index.put(topic, uniq, phys, storeTimestamp);
  }

  /** Entries become visible (and listeners hear of them) once their record is in the kernel. */
  onWritten(written: number): void {
    const pv = this.pendingVisible;
    for (let p = pv.peek(); p !== undefined && p.end <= written; p = pv.peek()) {
      pv.take();
      p.cq.visibleMax = p.upto;
      for (const l of this.listeners) {
        try {
          l(p.event);
        } catch (e) {
          this.logger.error('dispatch listener failed', { error: e as Error });
        }
      }
    }
    for (const l of this.writtenListeners) l(written);
  }

  onCommitLogWritten(listener: (writtenOffset: number) => void): () => void {
    this.writtenListeners.add(listener);
    return () => this.writtenListeners.delete(listener);
  }

  onDispatch(listener: (e: DispatchEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
