/**
 * The POP journal: records (records.ts) appended as messages of the system topic
 * `rmq_sys_POP_JOURNAL` (queue 0) of the broker's own commit log, plus a snapshot file.
 *
 * Why the commit log: it already has what the journal needs — group commit and the flush mode
 * (SYNC_FLUSH: the answer waits for the fsync shared with every send), crash recovery that cuts a
 * torn tail, retention, and replication (slaves hold the journal; a slave promoted to master
 * replays it). The topic is not in the topic table, so no client can route to it.
 *
 * Writes are batched: records appended within one event-loop turn become one message (the JSON
 * array), so a burst of acks costs one store record. `append` resolves when that message is stored
 * as the flush mode and replication say (the caller answers its client only then).
 *
 * Snapshot (`<storePathRootDir>/pop/state.json`, written atomically every
 * popJournalSnapshotInterval while the state changed, and on stop): every queue's state plus the
 * journal queue offset it covers; written only after the journal messages it covers are stored.
 * Recovery: load the snapshot, replay the journal from its offset (from the journal's first
 * message when there is no snapshot). A journal message that does not parse is skipped and logged
 * (its effects are lost: at worst deliveries happen again).
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { HostAddress } from '../../protocol/message/host.js';
import { decodeRecord } from '../../protocol/message/record.js';
import type { Logger } from '../../util/log.js';
import type { ReplicationView } from '../context.js';
import { writeFileAtomic } from '../../util/durable-file.js';
import type { MessageStore, PutMessageResult, PutMessageStatus } from '../store/index.js';
import { decodeRecords, entryOf, setItem, type JournalRecord, type SetItem } from './records.js';
import type { QueueState } from './queue-state.js';

export const JOURNAL_TOPIC = 'rmq_sys_POP_JOURNAL';
const JOURNAL_QUEUE = 0;
/** Records and bytes per journal message at most (well under any sane maxMessageSize; a record alone may exceed the byte cap). */
const MAX_RECORDS_PER_MESSAGE = 512;
const MAX_BYTES_PER_MESSAGE = 256 * 1024;
const SNAPSHOT_VERSION = 1;

const STORED: ReadonlySet<PutMessageStatus> = new Set(['PUT_OK', 'FLUSH_DISK_TIMEOUT', 'FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE']);

export class JournalWriteError extends Error {
  override readonly name = 'JournalWriteError';
}

interface Pending {
  /** The records, JSON each. */
  records: string[];
  bytes: number;
  done: Promise<void>;
  resolve: () => void;
  reject: (e: Error) => void;
}

export interface SnapshotQueue {
  g: string;
  t: string;
  q: number;
  po: number;
  e: SetItem[];
}

interface SnapshotFile {
  v: number;
  savedAt: number;
  /** Journal queue offset of the first message not reflected in the snapshot. */
  journalOffset: number;
  queues: SnapshotQueue[];
}

export interface JournalOptions {
  store: MessageStore;
  replication: ReplicationView;
  storeHost: HostAddress;
  /** `<storePathRootDir>/pop` */
  dir: string;
  log: Logger;
}

export class PopJournal {
  private pending: Pending | undefined;
  /** The last append's promise (a snapshot waits for it). */
  private lastWrite: Promise<void> = Promise.resolve();
  /**
   * The journal queue offset just past the last message appended so far (resolves once the store
   * has answered for it; a refused put leaves it where it was): what a snapshot taken now covers.
   */
  private appendedUpTo: Promise<number>;
  readonly counters = { records: 0, appends: 0, lastSnapshotAt: 0, snapshotJournalOffset: 0, replayed: 0, skipped: 0 };

  constructor(private readonly o: JournalOptions) {
    this.appendedUpTo = Promise.resolve(Math.max(0, o.store.getMaxOffsetInQueue(JOURNAL_TOPIC, JOURNAL_QUEUE)));
  }

  private get file(): string {
    return path.join(this.o.dir, 'state.json');
  }

  /** Queues `r`; resolves once the journal message holding it is stored (rejects with JournalWriteError). */
  append(r: JournalRecord): Promise<void> {
    let p = this.pending;
    const json = JSON.stringify(r);
    if (p === undefined || p.records.length >= MAX_RECORDS_PER_MESSAGE || (p.bytes > 0 && p.bytes + json.length > MAX_BYTES_PER_MESSAGE)) {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      const done = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // a caller may not wait (it already answered); keep the rejection from going unhandled
      done.catch(() => {});
      p = { records: [], bytes: 0, done, resolve, reject };
      const batch = p;
      if (this.pending !== undefined) this.flush(this.pending);
      this.pending = batch;
      setImmediate(() => {
        if (this.pending === batch) this.flush(batch);
      });
    }
    p.records.push(json);
    p.bytes += json.length + 1;
    this.counters.records++;
    return p.done;
  }

  /** Writes the batch now: the store assigns its position synchronously, so journal order is call order. */
  private flush(batch: Pending): void {
    if (this.pending === batch) this.pending = undefined;
    this.counters.appends++;
    const stored = this.o.store.put({
      topic: JOURNAL_TOPIC,
      queueId: JOURNAL_QUEUE,
      flag: 0,
      body: Buffer.from(`[${batch.records.join(',')}]`, 'utf8'),
      properties: '',
      sysFlag: 0,
      bornTimestamp: Date.now(),
      bornHost: this.o.storeHost,
      storeHost: this.o.storeHost,
      reconsumeTimes: 0,
      preparedTransactionOffset: 0,
    });
    const before = this.appendedUpTo;
    this.appendedUpTo = stored.then(
      (r) => (r.appended !== undefined ? r.appended.queueOffset + 1 : before),
      () => before,
    );
    const written = stored
      .then((r) => this.o.replication.afterPut(r, true))
      .then((r: PutMessageResult) => {
        if (!STORED.has(r.status) || r.appended === undefined) throw new JournalWriteError(`the POP journal could not be stored: ${r.remark ?? r.status}`);
        if (r.status !== 'PUT_OK') this.o.log.warn('POP journal stored late', { status: r.status });
      });
    written.then(batch.resolve, (e: unknown) => batch.reject(e instanceof JournalWriteError ? e : new JournalWriteError(`the POP journal could not be stored: ${(e as Error).message}`)));
    this.lastWrite = written.catch(() => {});
  }

  /** Every record queued so far is in the store (or failed). */
  async drain(): Promise<void> {
    if (this.pending !== undefined) this.flush(this.pending);
    await this.lastWrite;
  }

  /** Writes the snapshot of `queues` (taken now, synchronously) once the journal it covers is stored. */
  async snapshot(queues: Iterable<QueueState>): Promise<void> {
    if (this.pending !== undefined) this.flush(this.pending);
    const upTo = this.appendedUpTo;
    const snap: SnapshotFile = { v: SNAPSHOT_VERSION, savedAt: Date.now(), journalOffset: 0, queues: [] };
    for (const s of queues) {
      const e: SetItem[] = [];
      for (const x of s.entries.values()) e.push(setItem(x));
      snap.queues.push({ g: s.group, t: s.topic, q: s.queueId, po: s.popOffset, e });
    }
    snap.journalOffset = await upTo;
    const journalOffset = snap.journalOffset;
    const text = JSON.stringify(snap);
    await this.lastWrite;
    await fsp.mkdir(this.o.dir, { recursive: true, mode: 0o750 });
    await writeFileAtomic(this.file, text);
    this.counters.lastSnapshotAt = snap.savedAt;
    this.counters.snapshotJournalOffset = journalOffset;
  }

  /**
   * Rebuilds the state: `create` makes a queue's state from the snapshot, `apply` replays each
   * journal record after it. Returns what was read, for the log.
   */
  async recover(create: (q: SnapshotQueue) => void, apply: (r: JournalRecord) => void): Promise<{ snapshotQueues: number; journalFrom: number; journalTo: number; records: number; skipped: number }> {
    let snap: SnapshotFile | undefined;
    try {
      const text = await fsp.readFile(this.file, 'utf8');
      snap = parseSnapshot(text);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.o.log.error('POP snapshot unreadable: rebuilding from the journal alone', { file: this.file, err: e as Error });
    }
    const { store } = this.o;
    const min = store.getMinOffsetInQueue(JOURNAL_TOPIC, JOURNAL_QUEUE);
    const max = store.getMaxOffsetInQueue(JOURNAL_TOPIC, JOURNAL_QUEUE);
    let from = min;
    if (snap !== undefined) {
      for (const q of snap.queues) create(q);
      from = snap.journalOffset;
      if (from > max) {
        // the journal lost its tail (power loss with ASYNC_FLUSH): the snapshot is newer than the log
        this.o.log.warn('POP snapshot is ahead of the journal (journal tail lost); using the snapshot', { snapshotOffset: from, journalEnd: max });
        from = max;
      } else if (from < min) {
        this.o.log.warn('POP journal was trimmed past the snapshot: in-flight state between them is lost (those messages may be delivered again)', { snapshotOffset: from, journalStart: min });
        from = min;
      }
    }
    let records = 0;
    let skipped = 0;
    let offset = from;
    while (offset < max) {
      const r = await store.getMessage(JOURNAL_TOPIC, JOURNAL_QUEUE, offset, 256, 32 * 1024 * 1024);
      if (r.records.length === 0) {
        if (r.nextBeginOffset <= offset) break;
        offset = r.nextBeginOffset;
        continue;
      }
      for (const raw of r.records) {
        try {
          for (const rec of decodeRecords(decodeRecord(raw).body)) {
            apply(rec);
            records++;
          }
        } catch (e) {
          skipped++;
          this.o.log.error('POP journal message skipped (damaged)', { err: e as Error });
        }
      }
      offset = r.nextBeginOffset;
    }
    this.counters.replayed = records;
    this.counters.skipped = skipped;
    this.appendedUpTo = Promise.resolve(Math.max(0, store.getMaxOffsetInQueue(JOURNAL_TOPIC, JOURNAL_QUEUE)));
    return { snapshotQueues: snap?.queues.length ?? 0, journalFrom: from, journalTo: max, records, skipped };
  }
}

function parseSnapshot(text: string): SnapshotFile {
  const o = JSON.parse(text) as SnapshotFile;
  if (o === null || typeof o !== 'object' || o.v !== SNAPSHOT_VERSION || !Number.isSafeInteger(o.journalOffset) || !Array.isArray(o.queues)) throw new TypeError(`not a version ${SNAPSHOT_VERSION} POP snapshot`);
  for (const q of o.queues) {
    if (typeof q.g !== 'string' || typeof q.t !== 'string' || !Number.isSafeInteger(q.q) || !Number.isSafeInteger(q.po) || !Array.isArray(q.e)) throw new TypeError('malformed queue in the POP snapshot');
    for (const i of q.e) entryOf(i);
  }
  return o;
}
