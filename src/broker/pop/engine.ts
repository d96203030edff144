/**
 * The POP engine (types.ts has the contract and the design in brief): receive, ack, change
 * invisible time, dead-letter, long polling, FIFO per message group, durable through the journal.
 *
 * Concurrency: every change of a queue's state is made synchronously and journaled in the same
 * synchronous step (journal order = state order). A receive holds the queue's lock across its
 * reads so two receives cannot hand out the same offsets; ack and change need no lock: they only
 * touch a delivery still in flight and unexpired, which a receive never touches.
 */
import { PropertyKey } from '../../protocol/message/constants.js';
import { copyHost } from '../../protocol/message/host.js';
import { offsetMsgId } from '../../protocol/message/msg-id.js';
import { decodeProperties, encodeProperties } from '../../protocol/message/properties.js';
import { decodeRecord, type MessageRecord } from '../../protocol/message/record.js';
import { javaStringHashCode } from '../../protocol/message/tags.js';
import { isReadable, PERM_RW } from '../../protocol/perm.js';
import { topicConfig } from '../../protocol/topic-config.js';
import { DLQ_GROUP_TOPIC_PREFIX, groupNameProblem } from '../../protocol/topic-names.js';
import type { BrokerContext } from '../context.js';
import type { PutMessageStatus } from '../store/index.js';
import { messageFilterOf, propertiesMatch, SubscriptionNotSupportedError, SubscriptionParseError, type MessageFilter } from '../subscription.js';
import { decodeHandle, encodeHandle, newNonce } from './handle.js';
import { JOURNAL_TOPIC, JournalWriteError, PopJournal } from './journal.js';
import { PollerRegistry } from './pollers.js';
import { QueueState, type Entry, type EntryState } from './queue-state.js';
import { applyRecord, entryOf, queueKey, setItem, type JournalRecord, type SetItem, type StateTable } from './records.js';
import {
  PopError,
  type AckResult,
  type ChangeInvisibleResult,
  type ForwardResult,
  type HandleProblem,
  type InflightCount,
  type PoppedMessage,
  type PopService,
  type PopStats,
  type ReceiptHandleFields,
  type ReceiveRequest,
  type ReceiveResult,
} from './types.js';
import path from 'node:path';

export type PopContext = Pick<BrokerContext, 'config' | 'store' | 'topics' | 'subscriptionGroups' | 'consumerOffsets' | 'replication' | 'storeHost' | 'log' | 'stats'>;

/** ProxyUtils.MAX_MSG_NUMS_FOR_POP_REQUEST */
export const MAX_POP_BATCH = 32;
/** The Proxy's maxInvisibleTimeMills. */
export const MAX_INVISIBLE_MS = 12 * 3600_000;
/** Longest long poll we hold, whatever is asked. */
export const MAX_POLL_MS = 120_000;
/** FIFO: messages a receive may look at past those it delivers (held behind their group). */
const FIFO_SCAN_BUDGET = 512;

const STORED: ReadonlySet<PutMessageStatus> = new Set(['PUT_OK', 'FLUSH_DISK_TIMEOUT', 'FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE']);

/** What a receive delivered from one queue: the message, and how to undo it (client gone). */
interface Delivery {
  msg: PoppedMessage;
  state: QueueState;
  /** The entry before this delivery (undefined: a new message). */
  before: EntryState | undefined;
  nonce: number;
}

/** A delivery as the remoting POP handler needs it: the stored bytes, to re-encode with POP_CK. */
export interface ReceivedForRemoting {
  result: ReceiveResult;
  deliveries: PoppedMessage[];
}

interface QueueLock {
  tail: Promise<void>;
}

export class PopEngine implements PopService, StateTable {
  private readonly states = new Map<string, QueueState>();
  private readonly locks = new Map<string, QueueLock>();
  private readonly rr = new Map<string, number>();
  private readonly raws = new WeakMap<PoppedMessage, Buffer>();
  readonly pollers: PollerRegistry;
  private readonly journal: PopJournal;
  private snapshotTimer: NodeJS.Timeout | undefined;
  private changedSinceSnapshot = false;
  private snapshotting: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;
  /** The role can change while the broker runs (failover): read it each time. */
  private get isSlave(): boolean {
    return this.ctx.config.brokerRole === 'SLAVE';
  }

  constructor(private readonly ctx: PopContext) {
    this.pollers = new PollerRegistry(ctx.config.maxPopPollingSize);
    this.journal = new PopJournal({
      store: ctx.store,
      replication: ctx.replication,
      storeHost: ctx.storeHost,
      dir: path.join(ctx.config.storePathRootDir, 'pop'),
      log: ctx.log.child('pop-journal'),
    });
  }

  get brokerName(): string {
    return this.ctx.config.brokerName;
  }

  /** A master rebuilds its state from the snapshot and the journal (before it serves anything). */
  async recover(): Promise<void> {
    if (this.isSlave) return;
    const t0 = Date.now();
    const r = await this.journal.recover(
      (q) => this.states.set(queueKey(q.g, q.t, q.q), QueueState.restore(q.g, q.t, q.q, q.po, q.e.map(entryOf))),
      (rec) => applyRecord(this, rec),
    );
    for (const s of this.states.values()) this.commitOffsets(s);
    // a snapshot of what was rebuilt, at the journal's real end (the old one may claim a tail the store lost)
    await this.journal.snapshot(this.states.values());
    this.ctx.log.info('POP state recovered', { ...r, queues: this.states.size, inflight: this.inflightTotal(), millis: Date.now() - t0 });
  }

  /** Wakes receives on message arrival; starts the periodic snapshot. */
  start(): void {
    this.unsubscribe = this.ctx.store.onDispatch((d) => {
      if (d.topic !== JOURNAL_TOPIC) this.pollers.onMessage(d.topic, d.queueId, d.tagsCode);
    });
    if (this.isSlave) return;
    this.changedSinceSnapshot = true;
    this.snapshotTimer = setInterval(() => void this.snapshotIfChanged(), this.ctx.config.popJournalSnapshotInterval);
    this.snapshotTimer.unref();
  }

  /**
   * The broker became master (a switchover or failover): POP state is rebuilt from the journal it
   * replicated as a slave, and the periodic snapshot starts.
   */
  async becameMaster(): Promise<void> {
    this.states.clear();
    await this.recover();
    if (this.snapshotTimer === undefined && !this.stopped) {
      this.changedSinceSnapshot = true;
      this.snapshotTimer = setInterval(() => void this.snapshotIfChanged(), this.ctx.config.popJournalSnapshotInterval);
      this.snapshotTimer.unref();
    }
  }

  /** The broker became a slave: no snapshots (its master writes the journal). */
  becameSlave(): void {
    if (this.snapshotTimer !== undefined) clearInterval(this.snapshotTimer);
    this.snapshotTimer = undefined;
  }

  /** Waiting receives answer now (empty); later ones do not wait. */
  endPolls(): void {
    this.pollers.stop();
  }

  /** Ends long polls, writes the last snapshot. Call once requests have drained, before the store closes. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.pollers.stop();
    this.unsubscribe?.();
    if (this.snapshotTimer !== undefined) clearInterval(this.snapshotTimer);
    if (this.isSlave) return;
    await this.snapshotting;
    this.changedSinceSnapshot = true;
    await this.snapshotIfChanged();
  }

  private async snapshotIfChanged(): Promise<void> {
    if (!this.changedSinceSnapshot || this.snapshotting !== undefined) return;
    this.changedSinceSnapshot = false;
    this.snapshotting = this.journal
      .snapshot(this.states.values())
      .catch((e: unknown) => {
        this.changedSinceSnapshot = true;
        this.ctx.log.error('writing the POP snapshot failed', { err: e as Error });
      })
      .finally(() => {
        this.snapshotting = undefined;
      });
    await this.snapshotting;
  }

  // ------------------------------------------------------------------ StateTable (journal replay)

  get(group: string, topic: string, queueId: number): QueueState | undefined {
    return this.states.get(queueKey(group, topic, queueId));
  }

  create(group: string, topic: string, queueId: number, popOffset: number): QueueState {
    const s = new QueueState(group, topic, queueId, popOffset);
    this.states.set(queueKey(group, topic, queueId), s);
    return s;
  }

  drop(group: string | undefined, topic: string | undefined): void {
    for (const [k, s] of this.states) if ((group === undefined || s.group === group) && (topic === undefined || s.topic === topic)) this.states.delete(k);
  }

  // ------------------------------------------------------------------ journal

  /** Applies `r` to the state and journals it, in one synchronous step. */
  private record(r: JournalRecord): Promise<void> {
    const s = applyRecord(this, r);
    this.changedSinceSnapshot = true;
    if (s !== undefined) this.commitOffsets(s);
    return this.journal.append(r);
  }

  private async stored(p: Promise<void>): Promise<void> {
    try {
      await p;
    } catch (e) {
      if (e instanceof JournalWriteError) throw new PopError('STORE_FAILED', e.message);
      throw e;
    }
  }

  /** The group's consumer offset follows the lowest unacked offset; its pull offset the pop offset. */
  private commitOffsets(s: QueueState): void {
    const { consumerOffsets } = this.ctx;
    if (consumerOffsets.hasOffsetReset(s.group, s.topic, s.queueId)) return;
    consumerOffsets.commitOffset(s.group, s.topic, s.queueId, s.ackOffset, 'pop');
    consumerOffsets.recordPullOffset(s.group, s.topic, s.queueId, s.popOffset);
  }

  // ------------------------------------------------------------------ checks

  private checkMaster(): void {
    if (this.stopped) throw new PopError('SHUTTING_DOWN', 'the broker is shutting down');
    if (this.isSlave) throw new PopError('NOT_MASTER', `broker ${this.ctx.config.brokerName} id ${this.ctx.config.brokerId} is a slave: POP consumption is served by the master`);
  }

  private checkGroupAndTopic(group: string, topic: string): { maxAttempts: number; readQueueNums: number } {
    const { config, topics, subscriptionGroups } = this.ctx;
    const problem = groupNameProblem(group);
    if (problem !== undefined) throw new PopError('BAD_REQUEST', problem);
    if (!isReadable(config.brokerPermission)) throw new PopError('FORBIDDEN', `the broker[${config.brokerIP1}] pulling message is forbidden`);
    const tc = topics.get(topic);
    if (tc === undefined) throw new PopError('TOPIC_NOT_FOUND', `topic[${topic}] not exist, apply first please!`);
    if (!isReadable(tc.perm)) throw new PopError('FORBIDDEN', `the topic[${topic}] pulling message is forbidden`);
    const g = subscriptionGroups.find(group);
    if (g === undefined) throw new PopError('GROUP_NOT_FOUND', `subscription group [${group}] does not exist (autoCreateSubscriptionGroup is off: create it first)`);
    if (!g.consumeEnable) throw new PopError('FORBIDDEN', `subscription group no permission, ${group}`);
    return { maxAttempts: g.retryMaxTimes + 1, readQueueNums: tc.readQueueNums };
  }

  // ------------------------------------------------------------------ receive

  async receive(req: ReceiveRequest): Promise<ReceiveResult> {
    return (await this.receiveDeliveries(req)).result;
  }

  /** receive, and the deliveries it made (the same objects as in the result). */
  async receiveDeliveries(req: ReceiveRequest): Promise<ReceivedForRemoting> {
    this.checkMaster();
    const { group, topic } = req;
    const { maxAttempts: groupMax, readQueueNums } = this.checkGroupAndTopic(group, topic);
    if (!Number.isInteger(req.maxMessages) || req.maxMessages < 1) throw new PopError('BAD_REQUEST', `maxMessages must be an integer ≥ 1, got ${req.maxMessages}`);
    if (!Number.isInteger(req.invisibleMs) || req.invisibleMs < 1 || req.invisibleMs > MAX_INVISIBLE_MS) throw new PopError('BAD_REQUEST', `invisible time must be 1 ms .. 12 h, got ${req.invisibleMs} ms`);
    if (!Number.isFinite(req.pollMs) || req.pollMs < 0) throw new PopError('BAD_REQUEST', `poll time must be ≥ 0 ms, got ${req.pollMs}`);
    const queueId = req.queueId !== undefined && req.queueId >= 0 ? req.queueId : undefined;
    if (queueId !== undefined && (!Number.isInteger(queueId) || queueId >= readQueueNums)) {
      throw new PopError('BAD_REQUEST', `queueId[${queueId}] is illegal, topic:[${topic}] topicConfig.readQueueNums:[${readQueueNums}]`);
    }
    if (readQueueNums === 0) throw new PopError('FORBIDDEN', `topic[${topic}] has no readable queue`);
    let filter: MessageFilter;
    try {
      filter = messageFilterOf(req.filter.type, req.filter.expression, this.ctx.config.enablePropertyFilter);
    } catch (e) {
      if (e instanceof SubscriptionParseError) throw new PopError('BAD_FILTER', `parse the consumer's subscription failed: ${e.message}`);
      if (e instanceof SubscriptionNotSupportedError) throw new PopError('UNSUPPORTED_FILTER', e.message);
      throw e;
    }
    const tagCodes = filter.tagCodes;
    if (req.maxAttempts !== undefined && (!Number.isInteger(req.maxAttempts) || req.maxAttempts < 1)) throw new PopError('BAD_REQUEST', `maxAttempts must be ≥ 1, got ${req.maxAttempts}`);
    const p: PopParams = {
      req,
      max: Math.min(req.maxMessages, MAX_POP_BATCH),
      filter,
      maxAttempts: req.maxAttempts ?? groupMax,
    };
    const deadline = Date.now() + Math.min(req.pollMs, MAX_POLL_MS);
    for (;;) {
      if (req.signal?.aborted) return { result: { status: 'empty' }, deliveries: [] };
      const epoch = this.pollers.epoch(group, topic);
      const queues = queueId !== undefined ? [queueId] : this.queueOrder(group, topic, readQueueNums);
      const { deliveries, nextVisibleAt } = await this.popOnce(p, queues);
      if (deliveries.length > 0) {
        if (req.signal?.aborted) {
          // the client left while we read: nothing was delivered to anyone
          this.undo(deliveries);
          return { result: { status: 'empty' }, deliveries: [] };
        }
        const messages = deliveries.map((d) => d.msg);
        this.ctx.stats.recordGet(messages.length);
        this.ctx.stats.recordGroupGet(group, topic, messages.length);
        return { result: { status: 'found', messages, popTime: messages[0]!.invisibleUntil - req.invisibleMs }, deliveries: messages };
      }
      const now = Date.now();
      if (now >= deadline) return { result: { status: 'empty' }, deliveries: [] };
      const end = await this.pollers.park(group, topic, queueId, tagCodes, epoch, Math.min(deadline, nextVisibleAt + 1), req.signal);
      if (end === 'full') return { result: { status: 'busy', reason: `polling full: ${this.pollers.size} receives are waiting on this broker (maxPopPollingSize ${this.pollers.max})` }, deliveries: [] };
      if (end === 'aborted' || end === 'shutdown') return { result: { status: 'empty' }, deliveries: [] };
    }
  }

  /** Queue ids of the topic, starting one further each time (spreads receives over queues). */
  private queueOrder(group: string, topic: string, n: number): number[] {
    const k = `${group}\u0000${topic}`;
    const start = (this.rr.get(k) ?? Math.floor(Math.random() * n)) % n;
    this.rr.set(k, start + 1);
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((start + i) % n);
    return out;
  }

  private async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let l = this.locks.get(key);
    if (l === undefined) this.locks.set(key, (l = { tail: Promise.resolve() }));
    const lock = l;
    const prev = lock.tail;
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    lock.tail = mine;
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (lock.tail === mine) this.locks.delete(key);
    }
  }

  private async popOnce(p: PopParams, queues: number[]): Promise<{ deliveries: Delivery[]; nextVisibleAt: number }> {
    const out: Delivery[] = [];
    let nextVisibleAt = Number.POSITIVE_INFINITY;
    const writes: Promise<void>[] = [];
    for (const q of queues) {
      if (out.length >= p.max || p.req.signal?.aborted || this.stopped) break;
      const { group, topic } = p.req;
      await this.withLock(queueKey(group, topic, q), async () => {
        const s = this.stateFor(group, topic, q, p.req.initMode ?? 'last', writes);
        const got = p.req.fifo ? await this.popFifo(p, s, p.max - out.length, writes) : await this.popNormal(p, s, p.max - out.length, writes);
        out.push(...got);
        const nv = p.req.fifo ? fifoNextVisibleAt(s) : s.nextVisibleAt();
        if (nv < nextVisibleAt) nextVisibleAt = nv;
      });
    }
    // answer once the journal holds what was delivered (a restart then still knows it is in flight)
    await this.stored(Promise.all(writes).then(() => undefined));
    return { deliveries: out, nextVisibleAt };
  }

  /** The queue's state; a group new to the queue starts at its committed offset, else per initMode. */
  private stateFor(group: string, topic: string, queueId: number, initMode: 'first' | 'last', writes: Promise<void>[]): QueueState {
    const { store, consumerOffsets } = this.ctx;
    let s = this.get(group, topic, queueId);
    const reset = consumerOffsets.takeResetOffset(group, topic, queueId);
    if (reset !== undefined) {
      this.ctx.log.info('POP state reset by an offset reset', { group, topic, queueId, offset: reset });
      writes.push(this.record({ k: 'rst', g: group, t: topic, q: queueId, o: reset }));
      return this.get(group, topic, queueId) as QueueState;
    }
    if (s === undefined) {
      const committed = consumerOffsets.queryOffset(group, topic, queueId);
      if (committed >= 0) return this.create(group, topic, queueId, committed);
      const min = Math.max(0, store.getMinOffsetInQueue(topic, queueId));
      const max = Math.max(0, store.getMaxOffsetInQueue(topic, queueId));
      const start = initMode === 'first' || min === 0 ? min : max;
      // journaled: an init at the end must not move on if the broker restarts before the first delivery
      writes.push(this.record({ k: 'rst', g: group, t: topic, q: queueId, o: start }));
      s = this.get(group, topic, queueId) as QueueState;
    }
    return s;
  }

  /** Whether the receive's filter takes the message (tag, then SQL92 over its properties). */
  private accepts(p: PopParams, rec: MessageRecord, props: ReadonlyMap<string, string>): boolean {
    const codes = p.filter.tagCodes;
    if (codes !== null) {
      const tags = props.get(PropertyKey.TAGS);
      if (tags === undefined || !codes.has(javaStringHashCode(tags))) return false;
    }
    return propertiesMatch(p.filter, rec.properties);
  }

  /** Delivers again (or dead-letters) each entry that is still the one its offset holds once its record is read. */
  private async redeliverEach(p: PopParams, s: QueueState, entries: Iterable<Entry>, popTime: number, done: [number, number][], items: SetItem[], out: Delivery[]): Promise<void> {
    for (const e of entries) {
      const nonce = e.nonce;
      const raw = await this.ctx.store.lookMessageByOffset(e.phys);
      if (s.entries.get(e.offset) !== e || e.nonce !== nonce) continue;
      const d = await this.redeliverOrRetire(p, s, e, raw, popTime, done, items);
      if (d !== undefined) out.push(d);
    }
  }

  /** Redeliveries (visible again) first, then new messages from the pop offset. */
  private async popNormal(p: PopParams, s: QueueState, room: number, writes: Promise<void>[]): Promise<Delivery[]> {
    const out: Delivery[] = [];
    const items: SetItem[] = [];
    const done: [number, number][] = [];
    const popTime = Date.now();
    this.trimRetention(s, writes);
    await this.redeliverEach(p, s, s.visible(popTime, room), popTime, done, items, out);
    let po = s.popOffset;
    const fresh: { rec: MessageRecord; raw: Buffer }[] = [];
    if (out.length < room && s.size < this.ctx.config.popInflightMessageThreshold) {
      const r = await this.readNew(s, room - out.length, p.filter.tagCodes, writes);
      po = r.next;
      for (const raw of r.records) {
        const rec = decodeRecord(raw);
        // a message the filter does not take is done for the group (auto-acked, as RocketMQ does)
        if (propertiesMatch(p.filter, rec.properties)) fresh.push({ rec, raw });
      }
    }
    for (const { rec, raw } of fresh) {
      const nonce = newNonce();
      const st: EntryState = { offset: rec.queueOffset, phys: rec.physicalOffset, size: rec.totalSize, attempt: 1, nonce, popTime, invisibleMs: p.req.invisibleMs, firstPopTime: popTime, msgGroup: undefined, attemptId: p.req.attemptId };
      items.push(setItem(st));
      out.push({ msg: this.popped(raw, rec, decodeProperties(rec.properties), st, undefined), state: s, before: undefined, nonce });
    }
    this.commit(s, items, po, done, writes);
    return out;
  }

  /**
   * FIFO: a message group's next message goes only when nothing earlier of the group is in
   * flight. A receive repeated with the attempt id of an in-flight batch gets that batch again.
   */
  private async popFifo(p: PopParams, s: QueueState, room: number, writes: Promise<void>[]): Promise<Delivery[]> {
    const out: Delivery[] = [];
    const items: SetItem[] = [];
    const done: [number, number][] = [];
    const popTime = Date.now();
    this.trimRetention(s, writes);
    const attemptId = p.req.attemptId;
    if (attemptId !== undefined && attemptId !== '') {
      const again = [...s.entries.values()].filter((e) => e.attemptId === attemptId && e.nonce !== 0 && e.visibleAt > popTime).slice(0, room);
      if (again.length > 0) {
        for (const e of again) {
          const raw = await this.ctx.store.lookMessageByOffset(e.phys);
          if (raw === undefined) continue;
          const rec = decodeRecord(raw);
          const before = entryStateOf(e);
          const st: EntryState = { ...before, nonce: newNonce(), popTime, invisibleMs: p.req.invisibleMs };
          items.push(setItem(st));
          out.push({ msg: this.popped(raw, rec, decodeProperties(rec.properties), st, e.msgGroup), state: s, before, nonce: st.nonce });
        }
        this.commit(s, items, s.popOffset, done, writes);
        return out;
      }
    }
    const { ready, busyGroups } = s.fifoCandidates(popTime, room);
    await this.redeliverEach(p, s, ready, popTime, done, items, out);
    // new messages: deliver the first of each free group, hold the rest behind their group
    let po = s.popOffset;
    let scanned = 0;
    while (out.length < room && s.size + items.length < this.ctx.config.popInflightMessageThreshold && scanned < FIFO_SCAN_BUDGET) {
      const r = await this.readNew(s, Math.min(MAX_POP_BATCH, FIFO_SCAN_BUDGET - scanned), p.filter.tagCodes, writes, po);
      if (r.records.length === 0) {
        po = Math.max(po, r.next);
        break;
      }
      for (const raw of r.records) {
        const rec = decodeRecord(raw);
        scanned++;
        po = rec.queueOffset + 1;
        if (!propertiesMatch(p.filter, rec.properties)) continue;
        const props = decodeProperties(rec.properties);
        const g = props.get(PropertyKey.SHARDING_KEY) || undefined;
        const base: EntryState = { offset: rec.queueOffset, phys: rec.physicalOffset, size: rec.totalSize, attempt: 0, nonce: 0, popTime: 0, invisibleMs: 0, firstPopTime: 0, msgGroup: g, attemptId: undefined };
        if ((g !== undefined && busyGroups.has(g)) || out.length >= room) {
          items.push(setItem(base));
        } else {
          const st: EntryState = { ...base, attempt: 1, nonce: newNonce(), popTime, invisibleMs: p.req.invisibleMs, firstPopTime: popTime, attemptId };
          items.push(setItem(st));
          out.push({ msg: this.popped(raw, rec, props, st, g), state: s, before: undefined, nonce: st.nonce });
        }
        if (g !== undefined) busyGroups.add(g);
        if (out.length >= room) break;
      }
      if (out.length >= room) break;
      po = Math.max(po, r.next);
    }
    this.commit(s, items, po, done, writes);
    return out;
  }

  /** A visible entry goes again (attempt + 1), or leaves: message gone, filtered out, or out of attempts (to the DLQ). */
  private async redeliverOrRetire(p: PopParams, s: QueueState, e: Entry, raw: Buffer | undefined, popTime: number, done: [number, number][], items: SetItem[]): Promise<Delivery | undefined> {
    if (raw === undefined) {
      this.ctx.log.warn('POP: an in-flight message is gone from the store (retention); dropped', { group: s.group, topic: s.topic, queueId: s.queueId, offset: e.offset });
      done.push([e.offset, e.nonce]);
      return undefined;
    }
    const rec = decodeRecord(raw);
    const props = decodeProperties(rec.properties);
    if (!this.accepts(p, rec, props)) {
      done.push([e.offset, e.nonce]);
      return undefined;
    }
    if (e.attempt >= p.maxAttempts) {
      const nonce = e.nonce;
      await this.toDeadLetter(s.group, rec, props, e.attempt, 'max attempts');
      if (s.entries.get(e.offset) === e && e.nonce === nonce) done.push([e.offset, e.nonce]);
      return undefined;
    }
    const before = entryStateOf(e);
    const st: EntryState = { ...before, attempt: e.attempt + 1, nonce: newNonce(), popTime, invisibleMs: p.req.invisibleMs, firstPopTime: e.firstPopTime || popTime, attemptId: p.req.attemptId };
    items.push(setItem(st));
    return { msg: this.popped(raw, rec, props, st, e.msgGroup), state: s, before, nonce: st.nonce };
  }

  /** Reads new messages from `from` (default the pop offset); handles offsets the queue moved past or lost. */
  private async readNew(s: QueueState, max: number, tagCodes: ReadonlySet<number> | null, writes: Promise<void>[], from = s.popOffset): Promise<{ records: Buffer[]; next: number }> {
    const { store, config } = this.ctx;
    const r = await store.getMessage(s.topic, s.queueId, from, max, config.maxTransferBytesOnMessageInMemory, tagCodes);
    switch (r.status) {
      case 'FOUND':
        return { records: r.records, next: r.nextBeginOffset };
      case 'NO_MATCHED_MESSAGE':
      case 'OFFSET_FOUND_NULL':
      case 'OFFSET_TOO_SMALL':
        return { records: [], next: Math.max(from, r.nextBeginOffset) };
      case 'OFFSET_OVERFLOW_BADLY':
      case 'NO_MESSAGE_IN_QUEUE':
        // the queue is shorter than where the group is (recreated topic, lost tail): start again where RocketMQ would
        if (from > r.nextBeginOffset && from === s.popOffset) {
          this.ctx.log.warn('POP: the queue ends before the group\'s pop offset; starting again', { group: s.group, topic: s.topic, queueId: s.queueId, popOffset: from, to: r.nextBeginOffset });
          writes.push(this.record({ k: 'rst', g: s.group, t: s.topic, q: s.queueId, o: r.nextBeginOffset }));
        }
        return { records: [], next: s.popOffset };
      default:
        return { records: [], next: from };
    }
  }

  /** Entries whose messages retention deleted leave; the pop offset moves up to the queue's start. */
  private trimRetention(s: QueueState, writes: Promise<void>[]): void {
    const min = this.ctx.store.getMinOffsetInQueue(s.topic, s.queueId);
    if (min <= s.ackOffset) return;
    const gone: [number, number][] = [];
    for (const e of s.entries.values()) {
      if (e.offset >= min) break;
      gone.push([e.offset, e.nonce]);
    }
    if (gone.length > 0) writes.push(this.record({ k: 'ack', g: s.group, t: s.topic, q: s.queueId, m: gone }));
    if (s.popOffset < min) writes.push(this.record({ k: 'set', g: s.group, t: s.topic, q: s.queueId, po: min, m: [] }));
  }

  private commit(s: QueueState, items: SetItem[], po: number, done: [number, number][], writes: Promise<void>[]): void {
    if (done.length > 0) writes.push(this.record({ k: 'ack', g: s.group, t: s.topic, q: s.queueId, m: done }));
    if (items.length > 0 || po > s.popOffset) writes.push(this.record({ k: 'set', g: s.group, t: s.topic, q: s.queueId, po: Math.max(po, s.popOffset), m: items }));
    if (done.length > 0 && s.entries.size > 0) this.pollers.notify(s.group, s.topic);
  }

  private popped(raw: Buffer, rec: MessageRecord, props: ReadonlyMap<string, string>, st: EntryState, msgGroup: string | undefined): PoppedMessage {
    const { config, storeHost } = this.ctx;
    const keys = props.get(PropertyKey.KEYS);
    const m: PoppedMessage = {
      record: { ...rec, reconsumeTimes: rec.reconsumeTimes + st.attempt - 1 },
      properties: props,
      tags: props.get(PropertyKey.TAGS),
      keys: keys === undefined ? [] : keys.split(' ').filter((k) => k !== ''),
      msgId: props.get(PropertyKey.UNIQ_CLIENT_MESSAGE_ID_KEYIDX) ?? offsetMsgId(rec.storeHost ?? storeHost, rec.physicalOffset),
      messageGroup: msgGroup ?? (props.get(PropertyKey.SHARDING_KEY) || undefined),
      receiptHandle: encodeHandle({ nonce: st.nonce, popTime: st.popTime, invisibleMs: st.invisibleMs, brokerName: config.brokerName, queueId: rec.queueId, queueOffset: rec.queueOffset, commitLogOffset: rec.physicalOffset }),
      deliveryAttempt: rec.reconsumeTimes + st.attempt,
      invisibleUntil: st.popTime + st.invisibleMs,
      firstPopTime: st.firstPopTime,
    };
    this.raws.set(m, raw);
    return m;
  }

  /** The stored bytes of a message this engine delivered (the remoting POP answer sends them, patched). */
  rawOf(m: PoppedMessage): Buffer | undefined {
    return this.raws.get(m);
  }

  /** The client went away after we popped: the deliveries are taken back (visible again, attempt as before). */
  private undo(deliveries: Delivery[]): void {
    const byState = new Map<QueueState, SetItem[]>();
    for (const d of deliveries) {
      const e = d.state.entries.get(d.msg.record.queueOffset);
      if (e === undefined || e.nonce !== d.nonce) continue;
      const back: EntryState = d.before === undefined ? { ...entryStateOf(e), attempt: 0, firstPopTime: 0 } : { ...d.before };
      Object.assign(back, { nonce: 0, popTime: 0, invisibleMs: 0, attemptId: undefined });
      let l = byState.get(d.state);
      if (l === undefined) byState.set(d.state, (l = []));
      l.push(setItem(back));
    }
    for (const [s, items] of byState) {
      void this.record({ k: 'set', g: s.group, t: s.topic, q: s.queueId, po: s.popOffset, m: items }).catch(() => {});
      this.pollers.notify(s.group, s.topic);
    }
  }

  // ------------------------------------------------------------------ ack / change / DLQ

  parseHandle(receiptHandle: string): ReceiptHandleFields | undefined {
    return decodeHandle(receiptHandle);
  }

  /** The in-flight entry a handle names, or why not. Changes nothing. */
  private resolve(group: string, topic: string, handle: string, now: number): { s: QueueState; e: Entry; f: ReceiptHandleFields } | { problem: HandleProblem; message: string } {
    const f = decodeHandle(handle);
    if (f === undefined) return { problem: 'INVALID', message: 'not a receipt handle' };
    if (f.brokerName !== this.ctx.config.brokerName) return { problem: 'INVALID', message: `the receipt handle is for broker ${f.brokerName}, this is ${this.ctx.config.brokerName}` };
    if (f.popTime + f.invisibleMs <= now) return { problem: 'EXPIRED', message: `the receipt handle expired at ${new Date(f.popTime + f.invisibleMs).toISOString()}` };
    const s = this.get(group, topic, f.queueId);
    const e = s?.entries.get(f.queueOffset);
    if (s === undefined || e === undefined || e.nonce !== f.nonce || e.popTime !== f.popTime || e.invisibleMs !== f.invisibleMs) {
      return { problem: 'NOT_IN_FLIGHT', message: `no delivery of ${topic} queue ${f.queueId} offset ${f.queueOffset} with this receipt handle is in flight for group ${group} (acked, changed, delivered again, or not this group's)` };
    }
    return { s, e, f };
  }

  async ack(group: string, topic: string, receiptHandle: string): Promise<AckResult> {
    return (await this.ackMany(group, topic, [receiptHandle]))[0] as AckResult;
  }

  async ackMany(group: string, topic: string, receiptHandles: readonly string[]): Promise<AckResult[]> {
    this.checkMaster();
    const now = Date.now();
    const results: AckResult[] = [];
    // one journal record per queue for the whole batch
    const byQueue = new Map<QueueState, [number, number][]>();
    let fifo = false;
    for (const h of receiptHandles) {
      const r = this.resolve(group, topic, h, now);
      if ('problem' in r) {
        results.push({ ok: false, problem: r.problem, message: r.message });
        continue;
      }
      const { s, e } = r;
      let l = byQueue.get(s);
      if (l === undefined) byQueue.set(s, (l = []));
      if (!l.some(([o]) => o === e.offset)) l.push([e.offset, e.nonce]);
      fifo ||= e.msgGroup !== undefined;
      results.push({ ok: true });
    }
    const writes: Promise<void>[] = [];
    const threshold = this.ctx.config.popInflightMessageThreshold;
    let freed = false;
    for (const [s, m] of byQueue) {
      freed ||= s.size >= threshold;
      writes.push(this.record({ k: 'ack', g: group, t: topic, q: s.queueId, m }));
    }
    // FIFO: the groups' next messages may go now; a queue that was full of in-flight messages takes new ones again
    if (fifo || freed) this.pollers.notify(group, topic);
    await this.stored(Promise.all(writes).then(() => undefined));
    return results;
  }

  async release(group: string, topic: string, receiptHandles: readonly string[]): Promise<AckResult[]> {
    this.checkMaster();
    const now = Date.now();
    const results: AckResult[] = [];
    const byQueue = new Map<QueueState, SetItem[]>();
    for (const h of receiptHandles) {
      const r = this.resolve(group, topic, h, now);
      if ('problem' in r) {
        results.push({ ok: false, problem: r.problem, message: r.message });
        continue;
      }
      const { s, e } = r;
      const attempt = Math.max(0, e.attempt - 1);
      const back: EntryState = { ...entryStateOf(e), attempt, nonce: 0, popTime: 0, invisibleMs: 0, firstPopTime: attempt === 0 ? 0 : e.firstPopTime, attemptId: undefined };
      let l = byQueue.get(s);
      if (l === undefined) byQueue.set(s, (l = []));
      l.push(setItem(back));
      results.push({ ok: true });
    }
    const writes: Promise<void>[] = [];
    for (const [s, m] of byQueue) writes.push(this.record({ k: 'set', g: group, t: topic, q: s.queueId, po: s.popOffset, m }));
    if (byQueue.size > 0) this.pollers.notify(group, topic);
    await this.stored(Promise.all(writes).then(() => undefined));
    return results;
  }

  async changeInvisible(group: string, topic: string, receiptHandle: string, invisibleMs: number): Promise<ChangeInvisibleResult> {
    this.checkMaster();
    if (!Number.isInteger(invisibleMs) || invisibleMs < 0 || invisibleMs > MAX_INVISIBLE_MS) throw new PopError('BAD_REQUEST', `invisible time must be 0 .. 12 h, got ${invisibleMs} ms`);
    const now = Date.now();
    const r = this.resolve(group, topic, receiptHandle, now);
    if ('problem' in r) return { ok: false, problem: r.problem, message: r.message };
    const { s, e, f } = r;
    const before = e.visibleAt;
    const nn = newNonce();
    const w = this.record({ k: 'chg', g: group, t: topic, q: s.queueId, o: e.offset, n: e.nonce, nn, pt: now, it: invisibleMs });
    if (now + invisibleMs < before) this.pollers.notify(group, topic);
    await this.stored(w);
    const receipt = encodeHandle({ ...f, nonce: nn, popTime: now, invisibleMs, commitLogOffset: e.phys });
    return { ok: true, receiptHandle: receipt, invisibleUntil: now + invisibleMs };
  }

  async forwardToDeadLetter(group: string, topic: string, receiptHandle: string): Promise<ForwardResult> {
    this.checkMaster();
    const r = this.resolve(group, topic, receiptHandle, Date.now());
    if ('problem' in r) return { ok: false, problem: r.problem, message: r.message };
    const { s, e } = r;
    const nonce = e.nonce;
    const raw = await this.ctx.store.lookMessageByOffset(e.phys);
    let dlqTopic = `${DLQ_GROUP_TOPIC_PREFIX}${group}`;
    if (raw !== undefined) {
      const rec = decodeRecord(raw);
      dlqTopic = await this.toDeadLetter(group, rec, decodeProperties(rec.properties), e.attempt, 'forwarded by the client');
    }
    if (s.entries.get(e.offset) === e && e.nonce === nonce) {
      const w = this.record({ k: 'ack', g: group, t: topic, q: s.queueId, m: [[e.offset, nonce]] });
      if (e.msgGroup !== undefined) this.pollers.notify(group, topic);
      await this.stored(w);
    }
    return { ok: true, dlqTopic };
  }

  /** Stores a copy in `%DLQ%<group>` (as CONSUMER_SEND_MSG_BACK does with delayLevel −1). */
  private async toDeadLetter(group: string, rec: MessageRecord, props: ReadonlyMap<string, string>, attempts: number, why: string): Promise<string> {
    const { topics, store, replication, stats, storeHost, log } = this.ctx;
    const tc = await topics.createIfAbsent(topicConfig(`${DLQ_GROUP_TOPIC_PREFIX}${group}`, { readQueueNums: 1, writeQueueNums: 1, perm: PERM_RW }));
    const p = new Map(props);
    p.delete(PropertyKey.DELAY_TIME_LEVEL);
    p.delete(PropertyKey.POP_CK);
    if (!p.has(PropertyKey.RETRY_TOPIC)) p.set(PropertyKey.RETRY_TOPIC, rec.topic);
    const originId = offsetMsgId(rec.storeHost, rec.physicalOffset);
    if (!p.get(PropertyKey.ORIGIN_MESSAGE_ID)) p.set(PropertyKey.ORIGIN_MESSAGE_ID, originId);
    p.set(PropertyKey.DLQ_ORIGIN_TOPIC, rec.topic);
    p.set(PropertyKey.DLQ_ORIGIN_MESSAGE_ID, props.get(PropertyKey.UNIQ_CLIENT_MESSAGE_ID_KEYIDX) ?? originId);
    const put = await replication.afterPut(
      await store.put({
        topic: tc.topicName,
        queueId: 0,
        flag: rec.flag,
        body: Buffer.from(rec.body),
        properties: encodeProperties(p),
        sysFlag: rec.sysFlag,
        bornTimestamp: rec.bornTimestamp,
        bornHost: copyHost(rec.bornHost),
        storeHost,
        reconsumeTimes: rec.reconsumeTimes + attempts,
        preparedTransactionOffset: 0,
      }),
      true,
    );
    if (!STORED.has(put.status) || put.appended === undefined) {
      stats.recordPutFailure();
      throw new PopError('STORE_FAILED', `moving the message to ${tc.topicName} failed: ${put.remark ?? put.status}`);
    }
    stats.recordPut(tc.topicName, 1, put.appended.wroteBytes);
    log.info('message moved to the dead-letter queue', { group, dlq: tc.topicName, originTopic: rec.topic, queueId: rec.queueId, offset: rec.queueOffset, msgId: props.get(PropertyKey.UNIQ_CLIENT_MESSAGE_ID_KEYIDX), attempts, why });
    return tc.topicName;
  }

  // ------------------------------------------------------------------ admin

  /** A topic or group is deleted: its POP state goes too. */
  forget(filter: { group?: string; topic?: string }): void {
    if (this.isSlave || (filter.group === undefined && filter.topic === undefined)) return;
    void this.record({ k: 'drop', ...(filter.group === undefined ? {} : { g: filter.group }), ...(filter.topic === undefined ? {} : { t: filter.topic }) }).catch(() => {});
  }

  inflight(filter: { group?: string; topic?: string } = {}): InflightCount[] {
    const now = Date.now();
    const out: InflightCount[] = [];
    for (const s of this.states.values()) {
      if ((filter.group !== undefined && s.group !== filter.group) || (filter.topic !== undefined && s.topic !== filter.topic)) continue;
      out.push({ group: s.group, topic: s.topic, queueId: s.queueId, ...s.counts(now), popOffset: s.popOffset, ackOffset: s.ackOffset });
    }
    return out.sort((a, b) => a.group.localeCompare(b.group) || a.topic.localeCompare(b.topic) || a.queueId - b.queueId);
  }

  /** Messages not yet handed out to the group in the queue(s) (PopMessageResponseHeader.restNum). */
  restNum(group: string, topic: string, queueId?: number): number {
    const n = this.ctx.topics.get(topic)?.readQueueNums ?? 0;
    let rest = 0;
    for (let q = 0; q < n; q++) {
      if (queueId !== undefined && queueId >= 0 && q !== queueId) continue;
      const s = this.get(group, topic, q);
      const max = this.ctx.store.getMaxOffsetInQueue(topic, q);
      if (s !== undefined) rest += Math.max(0, max - s.popOffset);
    }
    return rest;
  }

  private inflightTotal(): number {
    let n = 0;
    for (const s of this.states.values()) n += s.size;
    return n;
  }

  stats(): PopStats {
    const j = this.journal.counters;
    return {
      pollers: this.pollers.size,
      maxPollers: this.pollers.max,
      inflight: this.inflightTotal(),
      journal: { records: j.records, appends: j.appends, lastSnapshotAt: j.lastSnapshotAt, snapshotJournalOffset: j.snapshotJournalOffset },
    };
  }
}

interface PopParams {
  req: ReceiveRequest;
  max: number;
  filter: MessageFilter;
  maxAttempts: number;
}

function entryStateOf(e: Entry): EntryState {
  const { visibleAt: _v, ...s } = e;
  return { ...s };
}

/** FIFO: when the earliest in-flight head of a message group becomes visible (Infinity: none). */
function fifoNextVisibleAt(s: QueueState): number {
  let next = Number.POSITIVE_INFINITY;
  const seen = new Set<string>();
  for (const e of s.entries.values()) {
    if (e.msgGroup !== undefined) {
      if (seen.has(e.msgGroup)) continue;
      seen.add(e.msgGroup);
    }
    if (e.nonce !== 0 && e.visibleAt < next) next = e.visibleAt;
  }
  return next;
}
