/**
 * Transactional messages in the broker (RocketMQ's TransactionalMessageService,
 * EndTransactionProcessor and TransactionalMessageCheckService; docs/design/transactions.md).
 *
 * - prepare: a producer's half message is stored in RMQ_SYS_TRANS_HALF_TOPIC (records.ts) —
 *   in the log, replicated, invisible to its topic's consumers — and becomes pending.
 * - end: commit stores the message on its real topic and queue and, in the same synchronous step,
 *   the op record that marks the half done (so the two are adjacent in the log and reach the disk
 *   and the slave together); rollback stores the op record only. A repeated end is answered as the
 *   first one was and stores nothing; a half is committed at most once, also when a producer's
 *   retried send stored it twice (same UNIQ_KEY: one commit ends them all).
 * - check: every transactionCheckInterval a master sends CHECK_TRANSACTION_STATE for each half
 *   older than transactionTimeOut (or its CHECK_IMMUNITY_TIME_IN_SECONDS) to a connected producer
 *   of its group — a v5 producer's link turns it into the Telemetry RecoverOrphanedTransactionCommand —
 *   and records the count in an op record; a half checked transactionCheckMax times is copied to
 *   TRANS_CHECK_MAX_TIME_TOPIC, logged and given up.
 * - state: the pending halves live in memory; a snapshot (snapshot.ts) is written after every
 *   check pass and at stop, and a start (or a slave, every interval) replays the half and op
 *   topics past it. A master's start also looks for commits whose op record was lost (the process
 *   died between the two appends, or a slave got the commit and not the op before its master
 *   died) through the key index, so a commit is never applied twice.
 */
import { PropertyKey } from '../../protocol/message/constants.js';
import { findProperty } from '../../protocol/message/properties.js';
import { decodeRecord, type MessageRecord } from '../../protocol/message/record.js';
import { PERM_RW } from '../../protocol/perm.js';
import { topicConfig } from '../../protocol/topic-config.js';
import { TIMER_TOPIC, TRANS_CHECK_MAX_TIME_TOPIC, TRANS_HALF_TOPIC, TRANS_OP_HALF_TOPIC } from '../../protocol/topic-names.js';
import type { TransactionState, TransactionTotals } from '../../protocol/transaction-state.js';
import { rateLimitedLogger } from '../../util/log-rate-limit.js';
import type { Logger } from '../../util/log.js';
import type { ClientChannel } from '../client-manager.js';
import type { BrokerContext } from '../context.js';
import type { PutMessage, PutMessageResult, PutMessageStatus } from '../store/index.js';
import { TimerRefusal } from '../timer/timer-service.js';
import { PendingHalves, type Outcome, type PendingHalf } from './pending.js';
import { checkRequestOf, CHECKED_TAG, commitOf, discardOf, HALF_QUEUE, halfInfoOf, halfOf, OP_QUEUE, opOf, OUTCOME_PROPERTY, parseOp, recordSize, REMOVE_TAG, type HalfInfo } from './records.js';
import { readSnapshot, snapshotFile, SNAPSHOT_VERSION, writeSnapshot, type Cursor, type TransactionSnapshot } from './snapshot.js';

export type TransactionParts = Pick<BrokerContext, 'config' | 'store' | 'topics' | 'clients' | 'schedule' | 'timer' | 'replication' | 'storeHost' | 'log'>;

/** How a transaction is to end. */
export type Resolution = 'commit' | 'rollback';

/** An END_TRANSACTION (remoting) or EndTransaction (v5). */
export interface EndRequest {
  resolution: Resolution;
  /** Remoting: the half by its commit-log offset, checked against group and half queue offset as RocketMQ does. */
  commitLogOffset?: number;
  tranStateTableOffset?: number;
  producerGroup?: string;
  /** v5: the half by transaction id (= message id = UNIQ_KEY) and topic. */
  transactionId?: string;
  topic?: string;
  fromCheck: boolean;
  /** Who asked (for the log). */
  peer: string;
}

export type EndOutcome =
  | { ok: true; status: PutMessageStatus; repeated?: boolean; remark?: string }
  | { ok: false; why: 'not-master' | 'not-pending' | 'mismatch' | 'conflict' | 'store'; remark: string; status?: PutMessageStatus };

const STORED: ReadonlySet<PutMessageStatus> = new Set(['PUT_OK', 'FLUSH_DISK_TIMEOUT', 'FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE']);
const READ_BATCH = 256;
const READ_BYTES = 8 * 1024 * 1024;

type Mode = 'stopped' | 'master' | 'follower';

export class TransactionService {
  private readonly pending = new PendingHalves();
  private readonly log: Logger;
  private readonly limited: Logger;
  private mode: Mode = 'stopped';
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** Half / op queue entries reflected in memory (replayed, or appended by this master). */
  private half: Cursor = { next: 0, lastPhys: -1 };
  private op: Cursor = { next: 0, lastPhys: -1 };
  /** Op records read before their half (replicas): applied when the half is read. */
  private readonly doneAhead = new Set<number>();
  private readonly checksAhead = new Map<number, number>();
  /** Ends in progress, by half commit-log offset. */
  private readonly resolving = new Map<number, Promise<EndOutcome>>();
  private topicsReady = false;
  private creatingTopics: Promise<void> | undefined;
  /** The role taken at start (what the snapshot's half cursor means). */
  private role: 'master' | 'follower' = 'master';
  private producerTurn = 0;
  private snapshotting: Promise<void> = Promise.resolve();
  readonly totals: TransactionTotals = { prepared: 0, committed: 0, rolledBack: 0, discarded: 0, checks: 0, checksWithoutProducer: 0 };
  /** Commits and rollbacks since start by topic (rocketmq_commit_messages_total / rocketmq_rollback_messages_total). */
  readonly endedByTopic = { commit: new Map<string, number>(), rollback: new Map<string, number>() };

  constructor(
    private readonly ctx: TransactionParts,
    private readonly now: () => number = Date.now,
  ) {
    this.log = ctx.log.child('transaction');
    this.limited = rateLimitedLogger(this.log);
  }

  /** The check service runs (a master whose half messages are recovered). */
  get active(): boolean {
    return this.mode === 'master';
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * Takes the broker's role: recovers the pending halves (snapshot, then the two topics past it)
   * and, on a master, looks for commits whose op record was lost and starts the checks; a slave
   * follows its log every transactionCheckInterval instead.
   */
  async start(): Promise<void> {
    if (this.mode !== 'stopped') return;
    const master = this.ctx.config.brokerRole !== 'SLAVE';
    this.role = master ? 'master' : 'follower';
    const loaded = await this.loadSnapshot();
    const replayed = await this.catchUp();
    let repaired = 0;
    if (master) repaired = await this.repairLostOps();
    this.mode = master ? 'master' : 'follower';
    this.role = this.mode;
    const every = Math.max(100, this.ctx.config.transactionCheckInterval);
    this.timer = setInterval(() => this.tick(), every);
    this.timer.unref();
    this.log.info('transactions recovered', { role: this.mode, pending: this.pending.size, snapshot: loaded, halvesReplayed: replayed.halves, opsReplayed: replayed.ops, commitsWithoutOp: repaired || undefined });
  }

  /** Stops checking (a pass in progress finishes) and writes the snapshot. */
  async stop(): Promise<void> {
    if (this.mode === 'stopped') return;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    const wasFollower = this.mode === 'follower';
    this.mode = 'stopped';
    await this.running;
    await Promise.allSettled([...this.resolving.values()]);
    if (wasFollower) await this.catchUp();
    await this.snapshot();
  }

  private tick(): void {
    if (this.running !== undefined || this.mode === 'stopped') return;
    const pass = this.mode === 'master' ? this.checkPass() : this.catchUp().then(() => undefined);
    this.running = pass
      .then(() => this.snapshot())
      .catch((e: unknown) => this.limited.error('transaction check pass failed', { err: e as Error }))
      .finally(() => {
        this.running = undefined;
      });
  }

  /** Runs one check pass now (tests, and `transactionCheckInterval` ticks). */
  async checkNow(): Promise<void> {
    if (this.mode !== 'master') return;
    await this.running;
    await this.checkPass();
    await this.snapshot();
  }

  // ------------------------------------------------------------------ prepare

  /** The half and op topics exist in the topic table (RocketMQ creates them with one queue on first use); undefined when they do. */
  private ensureTopics(): Promise<void> | undefined {
    if (this.topicsReady) return undefined;
    const { topics } = this.ctx;
    const ready = (t: string) => topics.get(t) !== undefined && topics.durable(t) === undefined;
    if (ready(TRANS_HALF_TOPIC) && ready(TRANS_OP_HALF_TOPIC)) {
      this.topicsReady = true;
      return undefined;
    }
    this.creatingTopics ??= (async () => {
      try {
        for (const t of [TRANS_HALF_TOPIC, TRANS_OP_HALF_TOPIC]) await topics.createIfAbsent(topicConfig(t, { readQueueNums: 1, writeQueueNums: 1, perm: PERM_RW }));
        this.topicsReady = true;
      } finally {
        this.creatingTopics = undefined;
      }
    })();
    return this.creatingTopics;
  }

  /**
   * Stores `m` (bound for its topic and queue) as a half message of `producerGroup`. Resolves with
   * the store's result for the half (its queue offset is the tranStateTableOffset, its commit-log
   * offset the commitLogOffset END_TRANSACTION names).
   */
  prepare(m: PutMessage, producerGroup: string): Promise<PutMessageResult> {
    if (this.mode !== 'master') return Promise.resolve({ status: 'SERVICE_NOT_AVAILABLE', remark: 'transactions are not served by this broker now (not a master, or starting)' });
    const wait = this.ensureTopics();
    if (wait !== undefined) return wait.then(() => this.prepareNow(m, producerGroup));
    return this.prepareNow(m, producerGroup);
  }

  private prepareNow(m: PutMessage, producerGroup: string): Promise<PutMessageResult> {
    const { store } = this.ctx;
    const half = halfOf(m, producerGroup);
    const info = halfInfoOf(half.properties) as HalfInfo;
    const halfOffset = store.getAppendedOffsetInQueue(TRANS_HALF_TOPIC, HALF_QUEUE);
    const storeTimestamp = this.now();
    const stored = store.put(half);
    const end = store.maxPhysOffset;
    if (store.getAppendedOffsetInQueue(TRANS_HALF_TOPIC, HALF_QUEUE) === halfOffset) return stored; // refused: nothing appended
    // pending from the moment it is appended (synchronously: a snapshot taken now must include it)
    const p: PendingHalf = { ...info, halfOffset, phys: end - recordSize(half), storeTimestamp, checks: 0, lastCheckAt: 0 };
    this.pending.add(p);
    this.totals.prepared++;
    return stored.then(
      (r) => {
        if (r.appended !== undefined && STORED.has(r.status)) {
          p.phys = r.appended.physicalOffset;
          p.storeTimestamp = r.appended.storeTimestamp;
        } else if (this.pending.atOffset(halfOffset) === p) this.pending.remove(halfOffset, undefined); // the producer hears of the failure
        return r;
      },
      (e: unknown) => {
        if (this.pending.atOffset(halfOffset) === p) this.pending.remove(halfOffset, undefined);
        throw e;
      },
    );
  }

  // ------------------------------------------------------------------ end

  /** Commits or rolls back the half `req` names (see EndOutcome for the answers). */
  async end(req: EndRequest): Promise<EndOutcome> {
    if (this.mode !== 'master') return { ok: false, why: 'not-master', remark: 'this broker does not end transactions now (a slave, or starting): send END_TRANSACTION to the master' };
    const found = this.find(req);
    if ('ok' in found) return found;
    const p = found;
    const inFlight = this.resolving.get(p.phys);
    if (inFlight !== undefined) {
      const first = await inFlight;
      const firstResolution = this.pending.outcomeOf(p.phys, undefined);
      if (!first.ok) return first;
      return firstResolution === req.resolution ? { ...first, repeated: true } : { ok: false, why: 'conflict', remark: `the transaction of message ${p.uniqKey} was just ${firstResolution === 'commit' ? 'committed' : 'rolled back'}` };
    }
    const work = req.resolution === 'commit' ? this.commit(p, req) : this.rollback(p, req);
    this.resolving.set(p.phys, work);
    try {
      return await work;
    } finally {
      this.resolving.delete(p.phys);
    }
  }

  /** The pending half `req` names, or the answer when there is none (or it does not match). */
  private find(req: EndRequest): PendingHalf | EndOutcome {
    let p: PendingHalf | undefined;
    if (req.commitLogOffset !== undefined) p = this.pending.atPhys(req.commitLogOffset);
    else if (req.transactionId !== undefined && req.transactionId !== '') p = this.pending.withUniq(req.transactionId).find((x) => req.topic === undefined || x.topic === req.topic);
    if (p === undefined) {
      const before = this.pending.outcomeOf(req.commitLogOffset, req.transactionId);
      const what = req.commitLogOffset !== undefined ? `at commitLogOffset ${req.commitLogOffset}` : `with transaction id ${req.transactionId ?? ''}`;
      if (before === req.resolution) return { ok: true, status: 'PUT_OK', repeated: true, remark: `already ${before === 'commit' ? 'committed' : 'rolled back'}` };
      if (before !== undefined) return { ok: false, why: 'conflict', remark: `the transaction of the half message ${what} was already ${before === 'commit' ? 'committed' : before === 'rollback' ? 'rolled back' : before === 'discard' ? `given up after ${this.ctx.config.transactionCheckMax} checks` : 'lost'}` };
      return { ok: false, why: 'not-pending', remark: `Find prepared transaction message failed: no pending half message ${what} (ended before the broker restarted, given up, or never stored here)` };
    }
    if (req.commitLogOffset !== undefined) {
      if (req.producerGroup !== undefined && p.producerGroup !== '' && req.producerGroup !== p.producerGroup) return { ok: false, why: 'mismatch', remark: `The producer group wrong: the half message belongs to ${p.producerGroup}, not ${req.producerGroup}` };
      if (req.tranStateTableOffset !== undefined && req.tranStateTableOffset !== p.halfOffset) return { ok: false, why: 'mismatch', remark: `The transaction state table offset wrong: ${req.tranStateTableOffset}, the half message is at ${p.halfOffset}` };
    }
    return p;
  }

  /** The other pending copies of `p` (a retried send of the same message): they end with it. */
  private copiesOf(p: PendingHalf): PendingHalf[] {
    if (p.uniqKey === '') return [];
    return this.pending.withUniq(p.uniqKey).filter((x) => x !== p && x.topic === p.topic && x.producerGroup === p.producerGroup && !this.resolving.has(x.phys));
  }

  /**
   * A committed message as it is stored: a delay level's schedule topic, or the timer topic while
   * its delivery time is ahead (as for a plain send). A delivery time the timer refuses now (turned
   * off, too far ahead) is delivered at once: the half was taken, and refusing its commit would
   * leave the transaction unable to end.
   */
  private delivered(m: PutMessage): PutMessage {
    const leveled = this.ctx.schedule.transform(m);
    try {
      return this.ctx.timer.transform(leveled);
    } catch (e) {
      if (!(e instanceof TimerRefusal)) throw e;
      this.limited.warn('a committed message\'s delivery time is refused by the timer; delivered now', { topic: m.topic, why: e.message });
      return leveled;
    }
  }

  private async commit(p: PendingHalf, req: EndRequest): Promise<EndOutcome> {
    const { store } = this.ctx;
    const raw = await store.lookMessageByOffset(p.phys);
    if (raw === undefined) return this.lost(p);
    if (this.pending.atOffset(p.halfOffset) !== p) return { ok: false, why: 'not-pending', remark: `the half message ${p.uniqKey} is no longer pending` };
    const half = decodeRecord(raw);
    const commit = this.delivered(commitOf(half));
    const done = [p, ...this.copiesOf(p)];
    // synchronous from here: the commit and its op record are appended back to back
    const before = store.maxPhysOffset;
    const stored = store.put(commit);
    if (store.maxPhysOffset === before) {
      const r = await stored;
      return { ok: false, why: 'store', status: r.status, remark: `the committed message could not be stored: ${r.remark ?? r.status}` };
    }
    const op = this.appendOp(REMOVE_TAG, done.map((x) => x.halfOffset).join(','), 'commit');
    for (const x of done) this.pending.remove(x.halfOffset, 'commit');
    this.totals.committed++;
    this.endedByTopic.commit.set(p.topic, (this.endedByTopic.commit.get(p.topic) ?? 0) + 1);
    this.log.debug('transaction committed', { topic: p.topic, msgId: p.uniqKey, group: p.producerGroup, fromCheck: req.fromCheck, peer: req.peer, copies: done.length > 1 ? done.length : undefined });
    const [rc, ro] = await Promise.all([stored, op]);
    // the op record ends after the commit: waiting for it covers both
    const both: PutMessageResult = ro.appended !== undefined ? { ...ro, status: rc.status !== 'PUT_OK' ? rc.status : ro.status } : rc;
    const r = await this.ctx.replication.afterPut(both, findProperty(commit.properties, PropertyKey.WAIT_STORE_MSG_OK) !== 'false');
    if (!STORED.has(r.status)) return { ok: false, why: 'store', status: r.status, remark: `the committed message was appended but not stored as asked: ${r.remark ?? r.status}` };
    return { ok: true, status: r.status, ...(r.status !== 'PUT_OK' ? { remark: r.status } : {}) };
  }

  private async rollback(p: PendingHalf, req: EndRequest): Promise<EndOutcome> {
    const done = [p, ...this.copiesOf(p)];
    const op = this.appendOp(REMOVE_TAG, done.map((x) => x.halfOffset).join(','), 'rollback');
    if (!op.appended) {
      const r = await op;
      return { ok: false, why: 'store', status: r.status, remark: `the rollback could not be stored: ${r.remark ?? r.status}` };
    }
    for (const x of done) this.pending.remove(x.halfOffset, 'rollback');
    this.totals.rolledBack++;
    this.endedByTopic.rollback.set(p.topic, (this.endedByTopic.rollback.get(p.topic) ?? 0) + 1);
    this.log.debug('transaction rolled back', { topic: p.topic, msgId: p.uniqKey, group: p.producerGroup, fromCheck: req.fromCheck, peer: req.peer });
    const r = await this.ctx.replication.afterPut(await op, true);
    if (!STORED.has(r.status)) return { ok: false, why: 'store', status: r.status, remark: `the rollback was appended but not stored as asked: ${r.remark ?? r.status}` };
    return { ok: true, status: r.status, ...(r.status !== 'PUT_OK' ? { remark: r.status } : {}) };
  }

  /** The half record is gone (retention removed its segment): the transaction cannot be completed. */
  private lost(p: PendingHalf): EndOutcome {
    this.log.error('half message no longer in the store (its commit-log segment was removed): transaction given up', { topic: p.topic, msgId: p.uniqKey, group: p.producerGroup, commitLogOffset: p.phys });
    void this.appendOp(REMOVE_TAG, String(p.halfOffset), 'lost');
    this.pending.remove(p.halfOffset, 'lost');
    return { ok: false, why: 'not-pending', remark: `the half message ${p.uniqKey} is no longer in the store (retention): the transaction cannot be completed` };
  }

  /** Appends an op record now (synchronously); `this.op` follows when the store took it. */
  private appendOp(tag: string, body: string, outcome?: Outcome): Promise<PutMessageResult> & { appended: boolean } {
    const { store, storeHost } = this.ctx;
    const before = store.getAppendedOffsetInQueue(TRANS_OP_HALF_TOPIC, OP_QUEUE);
    const r = store.put(opOf(tag, body, storeHost, this.now(), outcome));
    const after = store.getAppendedOffsetInQueue(TRANS_OP_HALF_TOPIC, OP_QUEUE);
    if (after > before) this.op = { next: after, lastPhys: -2 }; // named once written (snapshot)
    return Object.assign(r, { appended: after > before });
  }

  // ------------------------------------------------------------------ checks

  private async checkPass(): Promise<void> {
    const { config } = this.ctx;
    const now = this.now();
    const due: PendingHalf[] = [];
    const seen = new Set<string>();
    for (const p of this.pending.values()) {
      if (this.resolving.has(p.phys)) continue;
      if (now - p.storeTimestamp < Math.max(p.immunityMillis, config.transactionTimeOut)) continue;
      // copies of one message (a retried send) are checked once: the answer ends them all
      if (p.uniqKey !== '') {
        const k = `${p.producerGroup}\u0000${p.topic}\u0000${p.uniqKey}`;
        if (seen.has(k)) continue;
        seen.add(k);
      }
      due.push(p);
    }
    const checked: string[] = [];
    for (const p of due) {
      if (this.mode !== 'master') break;
      if (this.pending.atOffset(p.halfOffset) !== p || this.resolving.has(p.phys)) continue;
      if (p.checks >= config.transactionCheckMax) {
        await this.discard(p);
        continue;
      }
      const raw = await this.ctx.store.lookMessageByOffset(p.phys);
      if (raw === undefined) {
        this.lost(p);
        continue;
      }
      if (this.pending.atOffset(p.halfOffset) !== p || this.resolving.has(p.phys)) continue;
      p.checks++;
      p.lastCheckAt = now;
      for (const c of this.copiesOf(p)) c.checks = p.checks;
      checked.push(`${p.halfOffset}:${p.checks}`);
      this.sendCheck(p, decodeRecord(raw));
    }
    if (checked.length > 0) {
      void this.appendOp(CHECKED_TAG, checked.join(',')).then((r) => {
        if (!STORED.has(r.status)) this.limited.warn('transaction check counts not stored', { status: r.status, remark: r.remark });
      });
    }
  }

  /** A connected producer of the group, taking turns (Java ProducerManager.getAvailableChannel). */
  private producerOf(group: string): ClientChannel | undefined {
    const open = this.ctx.clients.producerGroup(group).filter((ch) => !ch.conn.isClosed);
    if (open.length === 0) return undefined;
    return open[this.producerTurn++ % open.length];
  }

  private sendCheck(p: PendingHalf, half: MessageRecord): void {
    const ch = this.producerOf(p.producerGroup);
    if (ch === undefined) {
      this.totals.checksWithoutProducer++;
      this.limited.warn('transaction check due but no producer of the group is connected', { group: p.producerGroup, topic: p.topic, msgId: p.uniqKey, checks: p.checks });
      return;
    }
    this.totals.checks++;
    try {
      ch.conn.oneway(checkRequestOf(half, p));
      this.log.debug('transaction check sent', { group: p.producerGroup, topic: p.topic, msgId: p.uniqKey, checks: p.checks, clientId: ch.clientId });
    } catch (e) {
      this.limited.warn('transaction check could not be sent', { group: p.producerGroup, clientId: ch.clientId, err: e as Error });
    }
  }

  /** Checked transactionCheckMax times: copied to TRANS_CHECK_MAX_TIME_TOPIC, logged, given up. */
  private async discard(p: PendingHalf): Promise<void> {
    const { store, topics } = this.ctx;
    const raw = await store.lookMessageByOffset(p.phys);
    if (raw === undefined) {
      this.lost(p);
      return;
    }
    await topics.createIfAbsent(topicConfig(TRANS_CHECK_MAX_TIME_TOPIC, { readQueueNums: 1, writeQueueNums: 1, perm: PERM_RW }));
    if (this.pending.atOffset(p.halfOffset) !== p || this.resolving.has(p.phys)) return;
    const done = [p, ...this.copiesOf(p)];
    const before = store.maxPhysOffset;
    const copy = store.put(discardOf(decodeRecord(raw)));
    if (store.maxPhysOffset === before) {
      const r = await copy;
      this.limited.warn('a half message checked too often could not be given up now (store refused); will try again', { status: r.status, remark: r.remark });
      return;
    }
    void this.appendOp(REMOVE_TAG, done.map((x) => x.halfOffset).join(','), 'discard');
    for (const x of done) this.pending.remove(x.halfOffset, 'discard');
    this.totals.discarded++;
    this.log.error('transactional message checked too many times: given up (copied to TRANS_CHECK_MAX_TIME_TOPIC)', { topic: p.topic, queueId: p.queueId, group: p.producerGroup, msgId: p.uniqKey, checks: p.checks, storedAt: new Date(p.storeTimestamp).toISOString() });
  }

  // ------------------------------------------------------------------ recovery

  private async loadSnapshot(): Promise<boolean> {
    const file = snapshotFile(this.ctx.config.storePathRootDir);
    let s: TransactionSnapshot | undefined;
    try {
      s = await readSnapshot(file);
    } catch (e) {
      this.log.error('transaction snapshot unreadable: rebuilding from the half and op topics', { file, err: e as Error });
    }
    this.pending.clear();
    this.doneAhead.clear();
    this.checksAhead.clear();
    const { store } = this.ctx;
    const from = (topic: string): Cursor => ({ next: store.getMinOffsetInQueue(topic, 0), lastPhys: -1 });
    this.half = from(TRANS_HALF_TOPIC);
    this.op = from(TRANS_OP_HALF_TOPIC);
    if (s === undefined) return false;
    if (!(await this.matches(TRANS_HALF_TOPIC, s.half)) || !(await this.matches(TRANS_OP_HALF_TOPIC, s.op))) {
      this.log.warn('transaction snapshot does not match this store (restored or cut back?): rebuilding from the half and op topics', { file });
      return false;
    }
    for (const p of s.pending) this.pending.add({ ...p });
    for (const o of s.doneAhead) this.doneAhead.add(o);
    for (const [o, c] of s.checksAhead) this.checksAhead.set(o, c);
    this.half = { ...s.half };
    this.op = { ...s.op };
    return true;
  }

  /** Whether the queue's entry before `c.next` is the record the snapshot saw there. */
  private async matches(topic: string, c: Cursor): Promise<boolean> {
    const { store } = this.ctx;
    if (c.next > store.getMaxOffsetInQueue(topic, 0)) return false;
    if (c.next === 0) return true;
    if (c.next - 1 < store.getMinOffsetInQueue(topic, 0)) return true; // trimmed by retention: cannot tell, nothing older matters
    if (c.lastPhys < 0) return false;
    const r = await store.getMessage(topic, 0, c.next - 1, 1, 64 * 1024 * 1024);
    const raw = r.records[0];
    return raw !== undefined && decodeRecord(raw).physicalOffset === c.lastPhys;
  }

  /** Reads the half and op topics past the cursors into the pending table. */
  private async catchUp(): Promise<{ halves: number; ops: number }> {
    const { store } = this.ctx;
    let halves = 0;
    let ops = 0;
    const minHalf = store.getMinOffsetInQueue(TRANS_HALF_TOPIC, HALF_QUEUE);
    if (this.half.next < minHalf) {
      this.log.warn('half messages were removed by retention before they ended', { from: this.half.next, to: minHalf });
      this.half = { next: minHalf, lastPhys: -1 };
    }
    halves = await this.readQueue(TRANS_HALF_TOPIC, this.half, (rec) => {
      if (this.doneAhead.delete(rec.queueOffset)) {
        this.checksAhead.delete(rec.queueOffset);
        return;
      }
      const info = halfInfoOf(rec.properties);
      if (info === undefined) {
        this.log.warn('half message without a valid REAL_TOPIC/REAL_QID skipped', { offset: rec.queueOffset, commitLogOffset: rec.physicalOffset });
        return;
      }
      const checks = this.checksAhead.get(rec.queueOffset) ?? 0;
      this.checksAhead.delete(rec.queueOffset);
      this.pending.add({ ...info, halfOffset: rec.queueOffset, phys: rec.physicalOffset, storeTimestamp: rec.storeTimestamp, checks, lastCheckAt: 0 });
    });
    const minOp = store.getMinOffsetInQueue(TRANS_OP_HALF_TOPIC, OP_QUEUE);
    if (this.op.next < minOp) this.op = { next: minOp, lastPhys: -1 };
    ops = await this.readQueue(TRANS_OP_HALF_TOPIC, this.op, (rec) => {
      const op = parseOp(findProperty(rec.properties, PropertyKey.TAGS), rec.body.toString('utf8'), findProperty(rec.properties, OUTCOME_PROPERTY));
      if (op.kind === 'done') {
        for (const o of op.halfOffsets) {
          if (o >= this.half.next) this.doneAhead.add(o);
          else this.pending.remove(o, op.outcome);
        }
      } else if (op.kind === 'checked') {
        for (const [o, c] of op.checks) {
          if (o >= this.half.next) this.checksAhead.set(o, Math.max(c, this.checksAhead.get(o) ?? 0));
          const p = this.pending.atOffset(o);
          if (p !== undefined && c > p.checks) p.checks = c;
        }
      }
    });
    return { halves, ops };
  }

  /** Applies every visible entry of `topic` from `cursor.next`, moving the cursor. */
  private async readQueue(topic: string, cursor: Cursor, apply: (rec: MessageRecord) => void): Promise<number> {
    const { store } = this.ctx;
    let n = 0;
    const end = store.getMaxOffsetInQueue(topic, 0);
    while (cursor.next < end) {
      const r = await store.getMessage(topic, 0, cursor.next, READ_BATCH, READ_BYTES);
      if (r.records.length === 0) {
        if (r.nextBeginOffset > cursor.next && r.status !== 'OFFSET_OVERFLOW_ONE' && r.status !== 'OFFSET_OVERFLOW_BADLY') {
          cursor.next = r.nextBeginOffset;
          continue;
        }
        break; // not visible yet: next time
      }
      for (const raw of r.records) {
        const rec = decodeRecord(raw);
        try {
          apply(rec);
        } catch (e) {
          this.log.error('transaction record skipped (damaged)', { topic, offset: rec.queueOffset, err: e as Error });
        }
        cursor.next = rec.queueOffset + 1;
        cursor.lastPhys = rec.physicalOffset;
        n++;
      }
    }
    return n;
  }

  /**
   * Pending halves whose commit is in the log without its op record (the process died between the
   * two appends; a slave got the commit and not the op): found through the key index (the commit
   * carries the half's UNIQ_KEY and names the half's commit-log offset), marked done.
   */
  private async repairLostOps(): Promise<number> {
    const { store, config } = this.ctx;
    if (this.pending.size === 0) return 0;
    if (!config.messageIndexEnable) {
      this.log.warn('messageIndexEnable=false: a commit whose op record was lost in a crash cannot be found; its transaction would be checked and could be committed again');
      return 0;
    }
    const repaired: PendingHalf[] = [];
    for (const p of [...this.pending.values()]) {
      if (p.uniqKey === '') continue;
      const raw = await store.lookMessageByOffset(p.phys);
      if (raw === undefined) continue;
      // the commit went where its delivery then was: the topic (or a delay level's), or the timer
      // topic while its delivery time was ahead — look in both
      const plain = commitOf(decodeRecord(raw));
      const where = new Set([this.ctx.schedule.transform(plain).topic, TIMER_TOPIC]);
      for (const topic of where) {
        const found = await store.queryMessage(topic, p.uniqKey, 32);
        if (found.some((b) => decodeRecord(b).preparedTransactionOffset === p.phys)) {
          repaired.push(p);
          break;
        }
      }
    }
    if (repaired.length > 0) {
      await this.ensureTopics();
      const op = this.appendOp(REMOVE_TAG, repaired.map((p) => p.halfOffset).join(','), 'commit');
      // done in the same step as the append (a snapshot must never see the op without the removal)
      if (op.appended) for (const p of repaired) this.pending.remove(p.halfOffset, 'commit');
      const r = await op;
      if (!op.appended || !STORED.has(r.status)) {
        this.log.error('could not store the op record of commits found without one', { status: r.status, remark: r.remark });
        if (!op.appended) return 0;
      }
      this.log.warn('commits found without their op record (a crash between the two): marked done, not committed again', { count: repaired.length, msgIds: repaired.slice(0, 10).map((p) => p.uniqKey).join(',') });
    }
    return repaired.length;
  }

  // ------------------------------------------------------------------ snapshot

  /** Writes the snapshot once the log holds everything it reflects (one at a time). */
  snapshot(): Promise<void> {
    const run = this.snapshotting.then(() => this.writeSnapshotNow());
    this.snapshotting = run.catch(() => undefined);
    return run.catch((e: unknown) => this.limited.error('writing the transaction snapshot failed', { err: e as Error }));
  }

  private async writeSnapshotNow(): Promise<void> {
    const { store, config } = this.ctx;
    // taken now, synchronously: the pending table and how far it reflects the two topics
    let half: Cursor = { ...this.half };
    let op: Cursor = { ...this.op };
    if (this.role === 'master') {
      // a master's own appends are in the table the moment they are made
      const halfEnd = store.getAppendedOffsetInQueue(TRANS_HALF_TOPIC, HALF_QUEUE);
      if (halfEnd !== half.next) half = { next: halfEnd, lastPhys: -2 };
      const opEnd = store.getAppendedOffsetInQueue(TRANS_OP_HALF_TOPIC, OP_QUEUE);
      if (opEnd !== op.next) op = { next: opEnd, lastPhys: -2 };
    }
    const pending = [...this.pending.values()].map((p) => ({ ...p }));
    const snap: TransactionSnapshot = { v: SNAPSHOT_VERSION, savedAt: this.now(), half, op, pending, doneAhead: [...this.doneAhead], checksAhead: [...this.checksAhead] };
    const end = store.maxPhysOffset;
    if (!(await store.commitLog.waitWritten(end, config.syncFlushTimeout))) throw new Error('the commit log did not reach the snapshot point in time');
    if ((await store.flushCommitLog()) < end) throw new Error('the commit log could not be flushed up to the snapshot point');
    for (const [topic, c] of [[TRANS_HALF_TOPIC, snap.half], [TRANS_OP_HALF_TOPIC, snap.op]] as const) {
      if (c.lastPhys >= 0 || c.next === 0) continue;
      c.lastPhys = -1;
      if (c.next - 1 < store.getMinOffsetInQueue(topic, 0)) continue; // trimmed by retention: nothing to name
      const raw = (await store.getMessage(topic, 0, c.next - 1, 1, 64 * 1024 * 1024)).records[0];
      if (raw === undefined) return; // not readable now: skip this snapshot, the next one will do
      c.lastPhys = decodeRecord(raw).physicalOffset;
    }
    await writeSnapshot(snapshotFile(config.storePathRootDir), snap);
  }

  // ------------------------------------------------------------------ state

  /** GET_TRANSACTION_STATE's answer, narrowed to a topic and/or producer group. */
  state(filter: { topic?: string; producerGroup?: string; maxHalves?: number } = {}): TransactionState {
    const { config } = this.ctx;
    const groups = new Map<string, TransactionState['groups'][number]>();
    const halves: TransactionState['halves'] = [];
    const max = Math.max(0, filter.maxHalves ?? 0);
    for (const p of this.pending.values()) {
      if (filter.topic !== undefined && p.topic !== filter.topic) continue;
      if (filter.producerGroup !== undefined && p.producerGroup !== filter.producerGroup) continue;
      const k = `${p.topic}\u0000${p.producerGroup}`;
      let g = groups.get(k);
      if (g === undefined) groups.set(k, (g = { topic: p.topic, producerGroup: p.producerGroup, pending: 0, oldestStoreTimestamp: p.storeTimestamp, checks: 0, maxChecks: 0 }));
      g.pending++;
      g.oldestStoreTimestamp = Math.min(g.oldestStoreTimestamp, p.storeTimestamp);
      g.checks += p.checks;
      g.maxChecks = Math.max(g.maxChecks, p.checks);
      if (halves.length < max) {
        halves.push({ topic: p.topic, queueId: p.queueId, producerGroup: p.producerGroup, msgId: p.uniqKey, tranStateTableOffset: p.halfOffset, commitLogOffset: p.phys, storeTimestamp: p.storeTimestamp, checks: p.checks, lastCheckTimestamp: p.lastCheckAt });
      }
    }
    return {
      brokerName: config.brokerName,
      active: this.mode === 'master',
      transactionTimeOut: config.transactionTimeOut,
      transactionCheckInterval: config.transactionCheckInterval,
      transactionCheckMax: config.transactionCheckMax,
      pendingTotal: this.pending.size,
      groups: [...groups.values()].sort((a, b) => (a.topic === b.topic ? (a.producerGroup < b.producerGroup ? -1 : 1) : a.topic < b.topic ? -1 : 1)),
      halves,
      totals: { ...this.totals },
    };
  }

  /** Pending half messages per real topic (the `rocketmq_half_messages` gauge). */
  pendingByTopic(): Map<string, number> {
    const m = new Map<string, number>();
    for (const p of this.pending.values()) m.set(p.topic, (m.get(p.topic) ?? 0) + 1);
    return m;
  }
}

export type { Outcome };
