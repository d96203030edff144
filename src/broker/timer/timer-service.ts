/**
 * Timer messages (RocketMQ 5's TimerMessageStore, designed for this store; docs/design/timers.md).
 *
 * A message that asks for a delivery time (protocol/message/timer.ts) is stored in the system
 * topic rmq_sys_wheel_timer, queue 0, its real topic and queue in REAL_TOPIC / REAL_QID and its
 * delivery time in TIMER_OUT_MS (`transform`, on the send paths). The commit log is the truth:
 * replication, recovery and `kill -9` treat these records like any other. Everything else here is
 * an index built from the timer topic's consume queue, whose tags code is the delivery time
 * (negative for a recall marker):
 *
 *   enqueue   every consume-queue entry gets a timer-log unit at the same index (timer-log.ts),
 *             linked into the wheel slot of its delivery time (wheel.ts) — or, when that slot is
 *             more than timerRollWindowSlots ahead, into the window's last slot, from where it
 *             rolls (is stored again) when that slot comes; runs on masters and slaves alike;
 *   dequeue   (masters) each slot is taken a little before it starts, its units walked and
 *             handed to a heap (due-heap.ts) that delivers every message at its exact
 *             millisecond: the record is read and stored again in its real topic and queue.
 *             Recall markers in the heap come before the messages due at the same time and
 *             cancel the message of their topic and UNIQ_KEY;
 *   checkpoint  (timer-files.ts) every timerFlushIntervalMs: units written are fdatasync'ed, then
 *             the first slot not yet delivered and the units enqueued are recorded; every few
 *             seconds also the wheel. A restart loads the wheel, relinks the units after it, and
 *             delivers again whatever was due but not recorded delivered (at-least-once).
 *
 * A slave builds the same index from what it replicates but delivers nothing; it copies its
 * master's checkpoint (GET_TIMER_CHECK_POINT) and, when it becomes master, delivers from a little
 * before that point.
 */
import path from 'node:path';
import { InvalidInputError } from '../../errors.js';
import { PropertyKey, SysFlag, transactionType } from '../../protocol/message/constants.js';
import type { HostAddress } from '../../protocol/message/host.js';
import { decodeProperties, findProperty } from '../../protocol/message/properties.js';
import { decodeRecallHandle, encodeRecallHandle, RecallHandleError } from '../../protocol/message/recall-handle.js';
import { decodeRecord, type MessageRecord } from '../../protocol/message/record.js';
import { requestedDeliverTime, TimerPropertyError, timerOutMs } from '../../protocol/message/timer.js';
import { isRetryTopic, SCHEDULE_TOPIC, TIMER_TOPIC } from '../../protocol/topic-names.js';
import { silentLogger, type Logger } from '../../util/log.js';
import { rateLimitedLogger } from '../../util/log-rate-limit.js';
import { realDestinationOf, repost } from '../parked-message.js';
import type { DispatchEvent, MessageStore, PutMessage, PutMessageResult } from '../store/index.js';
import { DueHeap, type DueEntry } from './due-heap.js';
import { decodeCheckpoint, decodeSnapshot, encodeCheckpoint, encodeSnapshot, readIfExists, TimerFileError, writeFileAtomic, type TimerCheckpoint, type WheelSnapshot } from './timer-files.js';
import { TimerLog, type TimerUnit } from './timer-log.js';
import { TimerWheel } from './wheel.js';

export interface TimerConfig {
  /** timerWheelEnable: false refuses timer messages. */
  enabled: boolean;
  /** timerMaxDelaySec × 1000: the farthest delivery time accepted. */
  maxDelayMillis: number;
  /** timerPrecisionMs: the wheel's slot length (delivery itself is to the millisecond). */
  precisionMs: number;
  /** timerRollWindowSlots: how far ahead a message is linked into its own slot; farther ones roll. */
  rollWindowSlots: number;
  /** timerFlushIntervalMs: the checkpoint period. */
  flushIntervalMs: number;
}

export interface TimerServiceOptions {
  store: MessageStore;
  /** `<storePathRootDir>/timer` */
  dir: string;
  config: TimerConfig;
  brokerName: string;
  storeHost: HostAddress;
  logger?: Logger;
  now?: () => number;
  /** Timer-log units per segment file (default 1 Mi: 40 MiB files). */
  unitsPerFile?: number;
  /**
   * Whether this broker is a master now (read before every delivery; default: always). A broker
   * whose role changes in place stops delivering the moment it is a slave, and starts within
   * timerFlushIntervalMs of becoming master even if nobody calls startDelivery.
   */
  isMaster?: () => boolean;
}

/** A timer message the broker will not take: the send is answered MESSAGE_ILLEGAL / ILLEGAL_DELIVERY_TIME with this text. */
export class TimerRefusal extends Error {
  override readonly name = 'TimerRefusal';
}

export type RecallRefusalKind = 'ILLEGAL' | 'NOT_FOUND' | 'OTHER_BROKER' | 'SLAVE' | 'DISABLED' | 'STORE';

/** A recall that cannot be done, and why (the handlers map `kind` to their protocol's codes). */
export class RecallRefusal extends Error {
  override readonly name = 'RecallRefusal';
  constructor(
    readonly kind: RecallRefusalKind,
    message: string,
    /** OTHER_BROKER: the broker the handle names. */
    readonly brokerName?: string,
  ) {
    super(message);
  }
}

export interface RecallRequest {
  topic: string;
  handle: string;
  producerGroup?: string;
  bornHost: HostAddress;
}

/** The consume-queue tags code of a timer-topic record: its delivery time, negated for a recall marker. */
export function timerTagsCode(properties: string): number {
  const at = timerOutMs(properties);
  if (!Number.isSafeInteger(at)) return 0;
  return findProperty(properties, PropertyKey.TIMER_DEL_UNIQKEY) !== undefined ? -at : at;
}

/** Deliver a slot's messages from this long before the slot starts (its units are read by then). */
const LEAD_MILLIS = 200;
/** Units in the delivery heap before no more slots are taken (catching up after downtime). */
const MAX_HEAP = 20_000;
/** Records read and stored per delivery round. */
const BATCH = 256;
const RETRY_AFTER_FAILURE_MILLIS = 1_000;
/** The wheel is written this often (and at stop); the checkpoint every flushIntervalMs. */
const SNAPSHOT_INTERVAL_MILLIS = 30_000;
/** With nothing pending and nothing new, the checkpoint is still rewritten this often (its slot moves on with the clock). */
const IDLE_CHECKPOINT_MILLIS = 60_000;
/**
 * A slave becoming master delivers again from at least this long before the last progress its
 * master recorded: a message stored just after that record may have been due (and delivered) a
 * little before it — never by more than the take lead plus a slot or two (so with a coarse
 * timerPrecisionMs the margin is two slots plus the lead: `failoverMarginMillis`).
 */
const FAILOVER_MARGIN_MILLIS = 3_000;

/** How far before its master's recorded progress a slave keeps timers (see FAILOVER_MARGIN_MILLIS). */
export function failoverMarginMillis(precisionMs: number): number {
  return Math.max(FAILOVER_MARGIN_MILLIS, 2 * precisionMs + LEAD_MILLIS);
}
/** The timer topic's queue of progress records (queue 0 holds the timer messages). */
const PROGRESS_QUEUE = 1;

const key = (topic: string, uniq: string) => `${topic}\u0001${uniq}`;

/** What a wheel snapshot says as a checkpoint (both are written with the same figures in one round). */
function progressOf(snap: WheelSnapshot): TimerCheckpoint {
  return { dequeueSlot: snap.dequeueSlot, dequeueTimeMs: snap.dequeueSlot * snap.precisionMs, enqueueOffset: snap.enqueueOffset, precisionMs: snap.precisionMs };
}

export class TimerMessageService {
  private readonly log: Logger;
  /** Failures that repeat every second while they last (a full disk): logged a few times a minute. */
  private readonly failures: Logger;
  private readonly now: () => number;
  private readonly p: number;
  private readonly wheel: TimerWheel;
  private readonly heap = new DueHeap();
  /** Slots up to this one have been taken from the wheel (their units are in the heap, or rolled, or gone). */
  private takenUpTo: number;
  /** Next consume-queue offset of the timer topic to enqueue. */
  private enqueued: number;
  /** Recalled messages (topic + UNIQ_KEY) → their delivery time; dropped once that slot is past. */
  private readonly recalled = new Map<string, number>();
  /** Highest slot of each timer-log segment (a segment goes when every slot of it is delivered). */
  private readonly segMax = new Map<number, number>();
  /** Slots taken from the wheel whose units are being read (or rolled): still "in the wheel" for snapshots. */
  private readonly walking = new Map<number, { head: number; count: number }>();
  /** Entries popped from the heap whose delivery is being stored. */
  private readonly inflight = new Map<number, DueEntry>();
  /** Recall markers applied, kept until every message of their slot is done (a snapshot must still hold them). */
  private readonly markersHeld = new Map<number, DueEntry>();
  private catchingUp: Promise<void> | undefined;
  private delivering = false;
  private pumping: Promise<void> | undefined;
  private pumpAgain = false;
  private pumpTimer: NodeJS.Timeout | undefined;
  private pumpTimerAt = Number.POSITIVE_INFINITY;
  private flushTimer: NodeJS.Timeout | undefined;
  private checkpointing: Promise<void> | undefined;
  private lastCheckpoint: { dequeueSlot: number; enqueueOffset: number } | undefined;
  private lastSnapshotAt = 0;
  private lastCheckpointAt = 0;
  private progressAt = { delivered: 0, slot: -1 };
  private lastSnapshot: { dequeueSlot: number; enqueueOffset: number } | undefined;
  private snapshotOffset = 0;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;
  /** Counters (runtime info, tests). */
  readonly counts = { enqueued: 0, delivered: 0, recalled: 0, rolled: 0, missing: 0 };

  private constructor(
    private readonly opts: TimerServiceOptions,
    private readonly timerLog: TimerLog,
    dequeueSlot: number,
    enqueueOffset: number,
  ) {
    this.log = opts.logger ?? silentLogger;
    this.failures = rateLimitedLogger(this.log, { perWindow: 3, windowMillis: 60_000 });
    this.now = opts.now ?? Date.now;
    this.p = opts.config.precisionMs;
    this.wheel = new TimerWheel(opts.config.rollWindowSlots + 2);
    this.takenUpTo = dequeueSlot - 1;
    this.enqueued = enqueueOffset;
  }

  private slotOf(ms: number): number {
    return Math.floor(ms / this.p);
  }

  get config(): TimerConfig {
    return this.opts.config;
  }

  /**
   * Opens the timer's files and rebuilds the wheel: the last wheel snapshot, then every unit
   * written after it relinked (units the checkpoint does not vouch for are rebuilt from the
   * consume queue). Call after the store is open; refuses (InvalidInputError) a damaged checkpoint.
   */
  static async load(opts: TimerServiceOptions): Promise<TimerMessageService> {
    const log = opts.logger ?? silentLogger;
    const p = opts.config.precisionMs;
    const timerLog = await TimerLog.open(path.join(opts.dir, 'log'), opts.unitsPerFile ?? 1 << 20);
    const ckptFile = path.join(opts.dir, 'checkpoint');
    const wheelFile = path.join(opts.dir, 'wheel');
    let ckpt: TimerCheckpoint | undefined;
    const ckptText = await readIfExists(ckptFile);
    if (ckptText !== undefined) {
      try {
        ckpt = decodeCheckpoint(ckptText.toString('utf8'), ckptFile);
      } catch (e) {
        throw new InvalidInputError(`${(e as Error).message}: the timer cannot tell which timer messages were delivered. Delete it to deliver again every timer message due since the last wheel snapshot (${wheelFile})`);
      }
    }
    let snap: WheelSnapshot | undefined;
    const snapBuf = await readIfExists(wheelFile);
    if (snapBuf !== undefined) {
      try {
        snap = decodeSnapshot(snapBuf, wheelFile);
      } catch (e) {
        if (!(e instanceof TimerFileError)) throw e;
        log.warn('timer wheel snapshot unreadable: rebuilding the wheel from the timer log', { err: e });
      }
    }
    const { store } = opts;
    const cqMin = store.getMinOffsetInQueue(TIMER_TOPIC, 0);
    const cqMax = store.getMaxOffsetInQueue(TIMER_TOPIC, 0);
    // Where delivery stands is the NEWER of the two records, never the larger of their slots: a
    // checkpoint round writes the wheel (every 30 s) and then the checkpoint with the same figures,
    // so only a kill between the two leaves the wheel newer (more units enqueued). The first slot not
    // delivered is no clock: it goes back when units come for a slot already taken (straight to
    // delivery), e.g. a broker's first round, with an empty wheel taken up to now + the lead, records
    // the next slot, and the messages then sent for it lower it again. Taking the wheel's larger slot
    // with the later checkpoint's units skipped those as delivered: lost.
    const progress = snap !== undefined && (ckpt === undefined || snap.enqueueOffset > ckpt.enqueueOffset) ? progressOf(snap) : ckpt;
    // the first slot not delivered: checkpoint (or a newer snapshot), else (a new store) none before now
    let dequeueSlot: number;
    if (progress !== undefined) dequeueSlot = Math.floor(progress.dequeueTimeMs / p);
    else {
      dequeueSlot = 0;
      if (cqMax > cqMin) log.warn('no timer checkpoint: timer messages already due are delivered now, some perhaps again', { file: ckptFile });
    }
    const svc = new TimerMessageService(opts, timerLog, dequeueSlot, cqMin);
    await svc.rebuild(progress, snap, cqMin, cqMax, {
      // what each record said (first slot not delivered @ units enqueued)
      checkpoint: ckpt ? `${new Date(ckpt.dequeueTimeMs).toISOString()}@${ckpt.enqueueOffset}` : 'none',
      wheelSnapshot: snap ? `${new Date(snap.dequeueSlot * snap.precisionMs).toISOString()}@${snap.enqueueOffset}` : 'none',
    });
    // the last progress its master recorded (a slave's own checkpoint may be older)
    const progressEnd = store.getMaxOffsetInQueue(TIMER_TOPIC, PROGRESS_QUEUE);
    const last = progressEnd > 0 ? (await store.queueEntries(TIMER_TOPIC, PROGRESS_QUEUE, progressEnd - 1, 1))[0] : undefined;
    if (last !== undefined && !(opts.isMaster?.() ?? true)) svc.forgetBefore(last.tagsCode);
    return svc;
  }

  private async rebuild(ckpt: TimerCheckpoint | undefined, snap: WheelSnapshot | undefined, cqMin: number, cqMax: number, read: Record<string, string>): Promise<void> {
    const D = this.takenUpTo + 1;
    const samePrecision = (ckpt === undefined || ckpt.precisionMs === this.p) && (snap === undefined || snap.precisionMs === this.p);
    // where relinking starts: the snapshot's offset, else the oldest unit on disk
    let from = this.timerLog.firstIndex ?? cqMin;
    let usable = samePrecision;
    // the timer topic's queue ends below what the snapshot indexed: the commit log was cut back (a
    // former master rejoining as slave), and the snapshot's slots link units of cut messages
    const cutBelowSnapshot = snap !== undefined && snap.enqueueOffset > cqMax;
    if (cutBelowSnapshot) this.log.warn('timer topic cut back below the wheel snapshot (the commit log was truncated): relinking the timer log below the cut', { snapshotOffset: snap.enqueueOffset, queueEnd: cqMax });
    if (snap !== undefined && samePrecision && !cutBelowSnapshot && snap.slots.every((s) => s.slot < D + this.wheel.size - 1)) {
      from = snap.enqueueOffset;
      for (const s of snap.slots) if (s.slot >= D) this.wheel.restore(s.slot, s.head, s.count);
      for (const g of snap.segments) this.segMax.set(g.start, g.maxSlot);
      for (const index of snap.units) {
        const u = await this.timerLog.read(index);
        if (u !== undefined && u.slot >= D) this.heap.push(this.dueOf(u));
      }
      this.snapshotOffset = snap.enqueueOffset;
    } else if (!samePrecision) {
      // slot numbers on disk are of another precision: rebuild every unit from the consume queue
      this.log.warn('timerPrecisionMs changed: rebuilding the timer index from the timer topic', { was: ckpt?.precisionMs ?? snap?.precisionMs, now: this.p });
      from = cqMin;
      usable = false;
    }
    // units below the checkpoint's offset are durable: relink them as they were written
    let durableEnd = usable && ckpt !== undefined ? Math.min(ckpt.enqueueOffset, cqMax) : from;
    from = Math.max(from, cqMin);
    let relinked = 0;
    for (let i = from; i < durableEnd; i++) {
      const u = await this.timerLog.read(i);
      if (u === undefined) {
        durableEnd = i;
        break;
      }
      this.relink(u, D);
      relinked++;
    }
    this.enqueued = Math.max(durableEnd, cqMin);
    const before = this.counts.enqueued;
    await this.catchUp();
    this.log.info('timer index loaded', {
      dequeueAt: new Date(D * this.p).toISOString(),
      ...read,
      relinked,
      rebuilt: this.counts.enqueued - before,
      pending: this.pending,
      enqueueOffset: this.enqueued,
    });
  }

  /** A durable unit back into the wheel (or the heap) as it was placed before the restart. */
  private relink(u: TimerUnit, D: number): void {
    if (u.slot < D) return; // delivered (or rolled) before the restart
    this.noteSegment(u.index, u.slot);
    if (u.direct) {
      this.heap.push(this.dueOf(u));
      return;
    }
    // a smaller timerRollWindowSlots than when it was placed: it waits in the window's last slot now
    const slot = Math.min(u.slot, this.takenUpTo + this.opts.config.rollWindowSlots);
    const prev = this.wheel.link(slot, u.index);
    if (prev !== u.prev || slot !== u.slot) this.timerLog.append({ ...u, prev, slot }); // only after a damaged snapshot or a config change
  }

  private dueOf(u: Pick<TimerUnit, 'index' | 'deliverMs' | 'phys' | 'size' | 'marker' | 'slot'>): DueEntry {
    return { index: u.index, deliverMs: u.deliverMs, dueAt: u.deliverMs, phys: u.phys, size: u.size, marker: u.marker, slot: u.slot };
  }

  private noteSegment(index: number, slot: number): void {
    const seg = this.timerLog.segmentStartOf(index);
    if ((this.segMax.get(seg) ?? -1) < slot) this.segMax.set(seg, slot);
  }

  /** Units in the wheel and in the delivery heap. */
  get pending(): number {
    return this.wheel.pending + this.heap.size;
  }

  /** Starts following the timer topic (enqueue, on every role) and the periodic checkpoint. */
  start(): void {
    this.unsubscribe = this.opts.store.onDispatch((e) => this.onDispatch(e));
    void this.catchUpSoon();
    this.flushTimer = setInterval(() => {
      this.followRole();
      this.catchUpIfBehind();
      void this.checkpoint().catch((e: Error) => this.log.error('timer checkpoint failed', { err: e }));
    }, this.opts.config.flushIntervalMs);
    this.flushTimer.unref();
  }

  // ------------------------------------------------------------------ send side

  /**
   * The message as it must be stored: one asking for a delivery time later than now goes to the
   * timer topic; others unchanged (a DELAY level wins, as in RocketMQ; a copy the timer delivered
   * keeps TIMER_OUT_MS and is not timed again). Throws TimerRefusal.
   */
  transform(m: PutMessage): PutMessage {
    if (m.topic === TIMER_TOPIC || m.topic === SCHEDULE_TOPIC) return m;
    const tx = transactionType(m.sysFlag);
    if (tx === SysFlag.TRANSACTION_PREPARED_TYPE || tx === SysFlag.TRANSACTION_ROLLBACK_TYPE) return m;
    const props = m.properties;
    if (!props.includes('TIMER_') && !props.includes(PropertyKey.START_DELIVER_TIME)) return m;
    const level = Number(findProperty(props, PropertyKey.DELAY_TIME_LEVEL) ?? 0);
    if (level > 0) return m;
    if (findProperty(props, PropertyKey.TIMER_OUT_MS) !== undefined) return m;
    if (findProperty(props, PropertyKey.TIMER_DEL_UNIQKEY) !== undefined) {
      throw new TimerRefusal(`property ${PropertyKey.TIMER_DEL_UNIQKEY} is the broker's own (a recall marker): recall a message with RecallMessage or \`rmqctl message recall\``);
    }
    const now = this.now();
    let at: number | undefined;
    try {
      at = requestedDeliverTime(props, now);
    } catch (e) {
      if (e instanceof TimerPropertyError) throw new TimerRefusal(`${e.message}: a delivery time is milliseconds since the epoch, a delay whole seconds or milliseconds`);
      throw e;
    }
    if (at === undefined || at <= now) return m;
    const c = this.opts.config;
    if (!c.enabled) throw new TimerRefusal('timer messages are turned off on this broker (timerWheelEnable=false)');
    if (at - now > c.maxDelayMillis) {
      throw new TimerRefusal(`delivery time ${new Date(at).toISOString()} is ${Math.ceil((at - now) / 1000)} s ahead, more than this broker's timerMaxDelaySec (${c.maxDelayMillis / 1000} s)`);
    }
    const sep = props === '' || props.endsWith('\u0002') ? '' : '\u0002';
    const extra = `${PropertyKey.TIMER_OUT_MS}\u0001${at}\u0002${PropertyKey.REAL_TOPIC}\u0001${m.topic}\u0002${PropertyKey.REAL_QUEUE_ID}\u0001${m.queueId}\u0002`;
    return { ...m, topic: TIMER_TOPIC, queueId: 0, properties: props + sep + extra };
  }

  /** The recall handle of a message as stored (undefined unless it went to the timer topic). */
  recallHandleOf(stored: PutMessage): string | undefined {
    if (stored.topic !== TIMER_TOPIC) return undefined;
    const topic = findProperty(stored.properties, PropertyKey.REAL_TOPIC);
    const uniq = findProperty(stored.properties, PropertyKey.UNIQ_CLIENT_MESSAGE_ID_KEYIDX);
    const at = timerOutMs(stored.properties);
    if (topic === undefined || uniq === undefined || !Number.isSafeInteger(at) || isRetryTopic(topic)) return undefined;
    return encodeRecallHandle({ topic, brokerName: this.opts.brokerName, timestamp: at + 1, messageId: uniq });
  }

  /**
   * Recalls a pending timer message (RocketMQ's RecallMessageProcessor): checks the handle, then
   * stores a recall marker for the same delivery time; the message is then never delivered.
   * `afterPut` is the replication wait (a SYNC_MASTER answers once its slave has the marker).
   * Resolves with the message id; throws RecallRefusal.
   */
  async recall(req: RecallRequest, afterPut: (r: PutMessageResult) => Promise<PutMessageResult> = async (r) => r): Promise<string> {
    if (!this.delivering) throw new RecallRefusal('SLAVE', 'recall failed: this broker is not a master (recall at the master that holds the message)');
    let h;
    try {
      h = decodeRecallHandle(req.handle);
    } catch (e) {
      if (e instanceof RecallHandleError) throw new RecallRefusal('ILLEGAL', `recall handle is invalid: ${e.message}`);
      throw e;
    }
    if (h.topic !== req.topic) throw new RecallRefusal('ILLEGAL', `recall failed: the handle is for topic ${h.topic}, not ${req.topic}`);
    if (h.brokerName !== this.opts.brokerName) throw new RecallRefusal('OTHER_BROKER', `the handle is for broker ${h.brokerName}, this is ${this.opts.brokerName}`, h.brokerName);
    const deliverMs = h.timestamp - 1;
    const left = deliverMs - this.now();
    if (left <= 0) throw new RecallRefusal('ILLEGAL', `recall failed: the message was due at ${new Date(deliverMs).toISOString()}, it has been delivered`);
    if (left > this.opts.config.maxDelayMillis) throw new RecallRefusal('ILLEGAL', 'recall failed: the handle\'s timestamp is further ahead than timerMaxDelaySec');
    const { store } = this.opts;
    if (store.config.messageIndexEnable) {
      const found = (await store.queryMessage(TIMER_TOPIC, h.messageId, 8)).some((raw) => {
        const props = decodeRecord(raw).properties;
        return findProperty(props, PropertyKey.REAL_TOPIC) === h.topic && timerOutMs(props) === deliverMs && findProperty(props, PropertyKey.TIMER_DEL_UNIQKEY) === undefined;
      });
      if (!found) throw new RecallRefusal('NOT_FOUND', `no timer message ${h.messageId} of topic ${h.topic} due at ${new Date(deliverMs).toISOString()} on broker ${this.opts.brokerName}`);
    }
    let props = `${PropertyKey.REAL_TOPIC}\u0001${h.topic}\u0002${PropertyKey.REAL_QUEUE_ID}\u00010\u0002${PropertyKey.TIMER_OUT_MS}\u0001${deliverMs}\u0002${PropertyKey.TIMER_DEL_UNIQKEY}\u0001${h.messageId}\u0002`;
    if (req.producerGroup) props += `${PropertyKey.PRODUCER_GROUP}\u0001${req.producerGroup}\u0002`;
    const marker: PutMessage = {
      topic: TIMER_TOPIC,
      queueId: 0,
      flag: 0,
      body: Buffer.from('0'),
      properties: props,
      sysFlag: 0,
      bornTimestamp: this.now(),
      bornHost: req.bornHost,
      storeHost: this.opts.storeHost,
      reconsumeTimes: 0,
      preparedTransactionOffset: 0,
    };
    // effective at once in memory (the message may come due before the marker is indexed)
    const k = key(h.topic, h.messageId);
    const had = this.recalled.has(k);
    this.recalled.set(k, deliverMs);
    const r = await afterPut(await store.put(marker));
    if (r.appended === undefined) {
      if (!had) this.recalled.delete(k);
      throw new RecallRefusal('STORE', `recall failed: the store refused the recall marker (${r.status}${r.remark ? `: ${r.remark}` : ''})`);
    }
    return h.messageId;
  }

  // ------------------------------------------------------------------ enqueue (every role)

  private onDispatch(e: DispatchEvent): void {
    if (e.topic !== TIMER_TOPIC || this.stopped) return;
    if (e.queueId === PROGRESS_QUEUE) {
      // a slave hears how far its master has delivered (replicated like everything else)
      if (!this.delivering) this.forgetBefore(e.tagsCode);
      return;
    }
    if (e.queueId !== 0) return;
    if (e.queueOffset < this.enqueued) return;
    if (this.catchingUp === undefined && e.queueOffset === this.enqueued) this.enqueue(e.queueOffset, e.physicalOffset, e.size, e.tagsCode);
    else void this.catchUpSoon();
  }

  /** Catches up (one at a time); a failure is logged and tried again at the next checkpoint tick. */
  private catchUpSoon(): Promise<void> {
    this.catchingUp ??= this.catchUp()
      .catch((e: Error) => this.failures.error('indexing timer messages failed; trying again', { err: e }))
      .finally(() => {
        this.catchingUp = undefined;
      });
    return this.catchingUp;
  }

  /** Behind the timer topic's consume queue (an entry heard while a catch-up was finishing): catch up. */
  private catchUpIfBehind(): void {
    if (!this.stopped && this.catchingUp === undefined && this.opts.store.getMaxOffsetInQueue(TIMER_TOPIC, 0) > this.enqueued) void this.catchUpSoon();
  }

  /** Enqueues consume-queue entries from `enqueued` to the queue's visible end. */
  private async catchUp(): Promise<void> {
    const { store } = this.opts;
    for (;;) {
      if (this.stopped) return;
      const max = store.getMaxOffsetInQueue(TIMER_TOPIC, 0);
      if (this.enqueued >= max) return;
      const entries = await store.queueEntries(TIMER_TOPIC, 0, this.enqueued, 1024);
      if (entries.length === 0) {
        // removed by retention (or fillers): nothing to index there
        this.enqueued = Math.min(max, Math.max(this.enqueued, store.getMinOffsetInQueue(TIMER_TOPIC, 0)));
        if (this.enqueued < max) this.enqueued = max;
        continue;
      }
      for (const e of entries) if (e.offset >= this.enqueued) this.enqueue(e.offset, e.physicalOffset, e.size, e.tagsCode);
    }
  }

  private enqueue(index: number, phys: number, size: number, tagsCode: number): void {
    const deliverMs = Math.abs(tagsCode);
    const marker = tagsCode < 0;
    const s = this.slotOf(deliverMs);
    this.enqueued = index + 1;
    this.counts.enqueued++;
    // an empty wheel stands at now (a new store, a slave before its first sync, a master back after
    // downtime with nothing pending): else a message would roll from a window long past
    const nowSlot = this.slotOf(this.now());
    if (this.wheel.pending === 0 && this.walking.size === 0 && this.takenUpTo < nowSlot - 1) this.takenUpTo = nowSlot - 1;
    if (s <= this.takenUpTo) {
      // its slot is being delivered already: straight to the heap
      const u: TimerUnit = { index, prev: -1, deliverMs, phys, slot: s, size, marker, direct: true };
      this.timerLog.append(u);
      this.noteSegment(index, s);
      this.heap.push(this.dueOf(u));
      if (this.delivering) this.wakeAt(deliverMs);
      return;
    }
    // farther than the roll window: wait in the window's last slot and roll from there
    const slot = Math.min(s, this.takenUpTo + this.opts.config.rollWindowSlots);
    const prev = this.wheel.link(slot, index);
    this.timerLog.append({ index, prev, deliverMs, phys, slot, size, marker, direct: false });
    this.noteSegment(index, slot);
  }

  // ------------------------------------------------------------------ dequeue (masters)

  private isMaster(): boolean {
    return this.opts.isMaster?.() ?? true;
  }

  /** Delivery follows the broker's role (a role changed in place without a call here). */
  private followRole(): void {
    if (this.stopped) return;
    if (this.isMaster() && !this.delivering) this.startDelivery();
    else if (!this.isMaster() && this.delivering) void this.stopDelivery();
  }

  /** Starts delivering (a master's job). */
  startDelivery(): void {
    if (this.delivering || this.stopped || !this.isMaster()) return;
    this.delivering = true;
    this.log.info('timer delivery started', { from: new Date((this.takenUpTo + 1) * this.p).toISOString(), pending: this.pending });
    this.wakeAt(0);
  }

  /** Stops delivering (a master stepping down or fenced); rounds in progress finish. */
  async stopDelivery(): Promise<void> {
    if (!this.delivering) return;
    this.delivering = false;
    if (this.pumpTimer !== undefined) clearTimeout(this.pumpTimer);
    this.pumpTimer = undefined;
    this.pumpTimerAt = Number.POSITIVE_INFINITY;
    await this.pumping;
  }

  /**
   * Where the index stands, for metrics: entries of the timer topic not indexed yet, and how far
   * behind now the first slot not yet taken for delivery is (0 while not delivering: a slave).
   */
  progress(now = this.now()): { enqueueLag: number; dequeueLagMillis: number } {
    const end = this.opts.store.getMaxOffsetInQueue(TIMER_TOPIC, 0);
    const nextSlotStart = (this.takenUpTo + 1) * this.p;
    return {
      enqueueLag: Math.max(0, end - this.enqueued),
      dequeueLagMillis: this.delivering ? Math.max(0, now - nextSlotStart) : 0,
    };
  }

  get isDelivering(): boolean {
    return this.delivering;
  }

  private wakeAt(at: number): void {
    if (!this.delivering) return;
    if (this.pumping !== undefined) {
      this.pumpAgain = true;
      return;
    }
    if (at >= this.pumpTimerAt) return;
    if (this.pumpTimer !== undefined) clearTimeout(this.pumpTimer);
    this.pumpTimerAt = at;
    this.pumpTimer = setTimeout(() => {
      this.pumpTimer = undefined;
      this.pumpTimerAt = Number.POSITIVE_INFINITY;
      this.pumping ??= this.pump().finally(() => {
        this.pumping = undefined;
        this.scheduleNext();
      });
    }, Math.max(0, at - this.now()));
    this.pumpTimer.unref();
  }

  private scheduleNext(): void {
    if (!this.delivering) return;
    const takeAt = this.heap.size < MAX_HEAP ? (this.takenUpTo + 1) * this.p - LEAD_MILLIS : Number.POSITIVE_INFINITY;
    let next = Math.min(takeAt, this.heap.peek()?.dueAt ?? Number.POSITIVE_INFINITY);
    if (this.pumpAgain) {
      this.pumpAgain = false;
      next = 0;
    }
    if (next !== Number.POSITIVE_INFINITY) this.wakeAt(next);
  }

  private async pump(): Promise<void> {
    try {
      while (this.delivering && this.isMaster()) {
        const now = this.now();
        if (this.takenUpTo < this.slotOf(now + LEAD_MILLIS) && this.heap.size < MAX_HEAP) {
          await this.takeNext(this.slotOf(now + LEAD_MILLIS));
          continue;
        }
        const top = this.heap.peek();
        if (top !== undefined && top.dueAt <= now) {
          await this.deliverDue(now);
          continue;
        }
        return;
      }
    } catch (e) {
      this.failures.error('timer delivery failed; retrying', { err: e as Error });
      await new Promise((r) => setTimeout(r, RETRY_AFTER_FAILURE_MILLIS).unref());
      this.pumpAgain = true;
    }
  }

  /** Takes the next slot (skipping empty ones up to `target`) into the heap. */
  private async takeNext(target: number): Promise<void> {
    let s = this.takenUpTo + 1;
    if (this.wheel.pending === 0) {
      this.takenUpTo = target;
      return;
    }
    if (target - s > this.wheel.size) {
      let first = Number.POSITIVE_INFINITY;
      for (const e of this.wheel.slots(s)) first = Math.min(first, e.slot);
      s = Math.min(first, target);
    } else {
      while (s < target && this.wheel.peek(s).count === 0) s++;
    }
    const taken = this.wheel.take(s);
    this.takenUpTo = s;
    if (taken.count === 0) return;
    // until its units are in the heap (and its far ones stored again), the slot counts as in the wheel
    this.walking.set(s, taken);
    try {
      const due: DueEntry[] = [];
      const rolls: TimerUnit[] = [];
      let at = taken.head;
      let seen = 0;
      while (at >= 0) {
        const u = await this.timerLog.read(at);
        if (u === undefined || u.prev >= at || ++seen > taken.count + 1_000_000) {
          this.log.error('timer log link broken: the rest of the slot is skipped', { slot: s, at, read: seen });
          break;
        }
        if (this.slotOf(u.deliverMs) > s) rolls.push(u);
        else due.push(this.dueOf({ ...u, slot: s }));
        at = u.prev;
      }
      if (rolls.length > 0) {
        try {
          await this.roll(rolls);
        } catch (e) {
          // not rolled (the store refused, or this broker stepped down): the slot goes back whole, tried again later
          this.wheel.restore(s, taken.head, taken.count);
          this.takenUpTo = s - 1;
          throw e;
        }
      }
      for (const e of due) this.heap.push(e);
    } finally {
      this.walking.delete(s);
    }
  }

  /** Units waiting in the window's last slot for a later time: stored again in the timer topic. */
  private async roll(units: TimerUnit[]): Promise<void> {
    for (let i = 0; i < units.length; i += BATCH) {
      if (!this.isMaster()) throw new Error('not a master any more: rolling stopped');
      const part = units.slice(i, i + BATCH);
      const raws = await this.opts.store.readRecords(part.map((u) => ({ phys: u.phys, size: u.size })));
      const puts: Promise<PutMessageResult>[] = [];
      for (let j = 0; j < part.length; j++) {
        const rec = this.recordOf(part[j] as TimerUnit, raws[j]);
        if (rec === undefined) continue;
        const props = decodeProperties(rec.properties);
        props.set(PropertyKey.TIMER_ROLL_TIMES, String(Number(props.get(PropertyKey.TIMER_ROLL_TIMES) ?? 0) + 1));
        puts.push(this.opts.store.put(repost(rec, { topic: TIMER_TOPIC, queueId: 0 }, props)));
      }
      for (const r of await Promise.all(puts)) {
        if (r.appended === undefined) throw new Error(`rolling a timer message failed: ${r.status} ${r.remark ?? ''}`);
        this.counts.rolled++;
      }
    }
  }

  /** Delivers (or cancels) every heap entry due by `now`, up to BATCH. */
  private async deliverDue(now: number): Promise<void> {
    const batch: DueEntry[] = [];
    while (batch.length < BATCH) {
      const top = this.heap.peek();
      if (top === undefined || top.dueAt > now) break;
      const e = this.heap.pop() as DueEntry;
      batch.push(e);
      this.inflight.set(e.index, e);
    }
    try {
      const raws = await this.opts.store.readRecords(batch.map((e) => ({ phys: e.phys, size: e.size })));
      const recs = batch.map((e, i) => this.recordOf(e, raws[i]));
      // markers first: they cancel messages of the same batch
      batch.forEach((e, i) => {
        const rec = recs[i];
        if (!e.marker || rec === undefined) return;
        const topic = findProperty(rec.properties, PropertyKey.REAL_TOPIC);
        const uniq = findProperty(rec.properties, PropertyKey.TIMER_DEL_UNIQKEY);
        if (topic !== undefined && uniq !== undefined) this.recalled.set(key(topic, uniq), e.deliverMs);
        this.markersHeld.set(e.index, e);
      });
      const puts: { e: DueEntry; r: Promise<PutMessageResult> }[] = [];
      const master = this.isMaster();
      batch.forEach((e, i) => {
        const rec = recs[i];
        if (e.marker || rec === undefined) return;
        if (!master) {
          // stepped down while reading: the entry stays for whoever delivers next
          this.heap.push(e);
          return;
        }
        const topic = findProperty(rec.properties, PropertyKey.REAL_TOPIC);
        const uniq = findProperty(rec.properties, PropertyKey.UNIQ_CLIENT_MESSAGE_ID_KEYIDX);
        if (topic !== undefined && uniq !== undefined && this.recalled.has(key(topic, uniq))) {
          this.counts.recalled++;
          return;
        }
        const real = this.realMessage(rec, now);
        if (real === undefined) return;
        puts.push({ e, r: this.opts.store.put(real) });
      });
      for (const { e, r } of puts) {
        const res = await r;
        if (res.appended !== undefined) {
          this.counts.delivered++;
          continue;
        }
        if (res.status === 'MESSAGE_ILLEGAL' || res.status === 'PROPERTIES_SIZE_EXCEEDED') {
          this.log.error('timer message refused by the store at delivery: dropped', { index: e.index, status: res.status, remark: res.remark });
          continue;
        }
        this.failures.warn('timer message could not be delivered; retrying', { index: e.index, status: res.status, remark: res.remark });
        this.heap.push({ ...e, dueAt: this.now() + RETRY_AFTER_FAILURE_MILLIS });
      }
    } finally {
      for (const e of batch) this.inflight.delete(e.index);
    }
  }

  /** The timer record of a unit, checked to be the one the unit indexes; undefined (counted, logged) when it is gone. */
  private recordOf(u: { index: number; phys: number }, raw: Buffer | undefined): MessageRecord | undefined {
    if (raw !== undefined) {
      try {
        const rec = decodeRecord(raw);
        if (rec.topic === TIMER_TOPIC && rec.queueOffset === u.index) return rec;
      } catch {
        // reported below
      }
    }
    this.counts.missing++;
    this.log.error('timer message missing from the commit log (removed by retention, or the log was cut): not delivered', { index: u.index, physicalOffset: u.phys });
    return undefined;
  }

  /** The message for its real topic and queue (RocketMQ convertMessage): REAL_TOPIC/REAL_QID removed, TIMER_DEQUEUE_MS added. */
  private realMessage(rec: MessageRecord, now: number): PutMessage | undefined {
    const props = decodeProperties(rec.properties);
    const to = realDestinationOf(props);
    if (to === undefined) {
      this.log.error('timer message without a valid REAL_TOPIC/REAL_QID dropped', { offset: rec.queueOffset, physicalOffset: rec.physicalOffset });
      return undefined;
    }
    props.delete(PropertyKey.REAL_TOPIC);
    props.delete(PropertyKey.REAL_QUEUE_ID);
    props.set(PropertyKey.TIMER_DEQUEUE_MS, String(now));
    return repost(rec, to, props);
  }


  // ------------------------------------------------------------------ checkpoint

  /** The first slot not yet delivered: nothing before it is in the wheel, the heap, or in flight. */
  private dequeueFloor(): number {
    let d = this.takenUpTo + 1;
    const h = this.heap.minSlot();
    if (h !== undefined && h < d) d = h;
    for (const s of this.walking.keys()) if (s < d) d = s;
    for (const e of this.inflight.values()) if (e.slot < d) d = e.slot;
    // a marker is let go once every message of its slot is done
    for (const [index, m] of this.markersHeld) if (m.slot < d) this.markersHeld.delete(index);
    return d;
  }

  /** GET_TIMER_CHECK_POINT body: where this broker stands (a slave copies it). */
  checkpointInfo(): TimerCheckpoint {
    const d = this.dequeueFloor();
    return { dequeueSlot: d, dequeueTimeMs: d * this.p, enqueueOffset: this.enqueued, precisionMs: this.p };
  }

  encodeCheckpointInfo(): string {
    return encodeCheckpoint(this.checkpointInfo());
  }

  /**
   * Slave side: the master's checkpoint. Everything due before a margin ahead of it is the
   * master's to deliver; the slave forgets it (and, if it becomes master, starts from there).
   */
  applyMasterCheckpoint(body: Buffer | undefined): void {
    if (this.delivering || body === undefined) return;
    this.forgetBefore(decodeCheckpoint(body.toString('utf8'), 'GET_TIMER_CHECK_POINT answer').dequeueTimeMs);
  }

  /** Slave side: the master has delivered everything due before `dequeueTimeMs`; keep only what is due from a margin before it. */
  private forgetBefore(dequeueTimeMs: number): void {
    const bound = this.slotOf(dequeueTimeMs - failoverMarginMillis(this.p));
    if (bound - 1 <= this.takenUpTo) return;
    if (bound - 1 - this.takenUpTo < this.wheel.size) for (let s = this.takenUpTo + 1; s < bound; s++) this.wheel.take(s);
    else this.wheel.dropBefore(bound);
    this.takenUpTo = bound - 1;
    if (this.heap.minSlot() !== undefined && (this.heap.minSlot() as number) < bound) {
      const keep = this.heap.drain().filter((e) => e.slot >= bound);
      for (const e of keep) this.heap.push(e);
    }
  }

  /**
   * Master side: how far delivery has come, as a tiny record in the timer topic's progress queue
   * (its tags code is the time): replicated with the log, it tells a slave within a second what it
   * would otherwise learn from the 10-second slave sync. Written only after deliveries.
   */
  private async recordProgress(info: TimerCheckpoint): Promise<void> {
    if (!this.delivering || this.counts.delivered === this.progressAt.delivered || info.dequeueSlot <= this.progressAt.slot) return;
    this.progressAt = { delivered: this.counts.delivered, slot: info.dequeueSlot };
    const r = await this.opts.store.put({
      topic: TIMER_TOPIC,
      queueId: PROGRESS_QUEUE,
      flag: 0,
      body: Buffer.from('0'),
      properties: `${PropertyKey.TIMER_OUT_MS}\u0001${info.dequeueTimeMs}\u0002`,
      sysFlag: 0,
      bornTimestamp: this.now(),
      bornHost: this.opts.storeHost,
      storeHost: this.opts.storeHost,
      reconsumeTimes: 0,
      preparedTransactionOffset: 0,
    });
    if (r.appended === undefined) this.failures.warn('timer progress record not stored', { status: r.status, remark: r.remark });
  }

  /**
   * Writes the timer log, then the checkpoint (and, every few seconds, the wheel), then deletes
   * timer-log segments every unit of which is delivered. Serialised.
   */
  checkpoint(force = false): Promise<void> {
    this.checkpointing ??= this.doCheckpoint(force).finally(() => {
      this.checkpointing = undefined;
    });
    return this.checkpointing;
  }

  private async doCheckpoint(force: boolean): Promise<void> {
    const info = this.checkpointInfo();
    const now = this.now();
    const same = (a: { dequeueSlot: number; enqueueOffset: number } | undefined) => a !== undefined && a.dequeueSlot === info.dequeueSlot && a.enqueueOffset === info.enqueueOffset;
    if (same(this.lastCheckpoint) && !force) return;
    // an idle broker's slot moves on with the clock alone: nothing to lose by writing that rarely
    const idle = this.lastCheckpoint !== undefined && this.lastCheckpoint.enqueueOffset === info.enqueueOffset && this.pending === 0 && this.inflight.size === 0 && this.walking.size === 0;
    if (idle && !force && now - this.lastCheckpointAt < IDLE_CHECKPOINT_MILLIS) return;
    let snap: WheelSnapshot | undefined;
    if (!same(this.lastSnapshot) && (force || now - this.lastSnapshotAt >= SNAPSHOT_INTERVAL_MILLIS)) {
      // taken in the same tick as `info`: the wheel as it was with exactly info.enqueueOffset units
      // linked; slots being read count as still in it, entries in delivery are listed
      snap = {
        precisionMs: this.p,
        enqueueOffset: info.enqueueOffset,
        dequeueSlot: info.dequeueSlot,
        segments: [...this.segMax].map(([start, maxSlot]) => ({ start, maxSlot })),
        slots: [...this.wheel.slots(info.dequeueSlot), ...[...this.walking].map(([slot, w]) => ({ slot, ...w }))],
        units: [...this.heap.indexes(), ...this.inflight.keys(), ...this.markersHeld.keys()],
      };
    }
    await this.timerLog.flush();
    if (snap !== undefined) {
      await writeFileAtomic(path.join(this.opts.dir, 'wheel'), encodeSnapshot(snap));
      this.lastSnapshotAt = now;
      this.lastSnapshot = info;
      this.snapshotOffset = snap.enqueueOffset;
    }
    await writeFileAtomic(path.join(this.opts.dir, 'checkpoint'), encodeCheckpoint(info));
    this.lastCheckpoint = info;
    this.lastCheckpointAt = now;
    await this.recordProgress(info);
    await this.deleteDoneSegments(info.dequeueSlot, Math.min(this.snapshotOffset, info.enqueueOffset));
    for (const [k, at] of this.recalled) if (this.slotOf(at) < info.dequeueSlot - 1) this.recalled.delete(k);
  }

  private async deleteDoneSegments(dequeueSlot: number, below: number): Promise<void> {
    for (const start of this.timerLog.segmentStarts()) {
      if (start + this.timerLog.unitsPerFile > below) break;
      const max = this.segMax.get(start);
      if (max !== undefined && max >= dequeueSlot) continue;
      await this.timerLog.deleteSegment(start);
      this.segMax.delete(start);
    }
  }

  /** Figures for runtime info (RocketMQ's timer key names where it has them). */
  runtimeInfo(): Record<string, number | boolean> {
    const now = this.now();
    const floor = this.dequeueFloor();
    return {
      timerWheelEnable: this.opts.config.enabled,
      timerDelivering: this.delivering,
      timerCongestNum: this.pending,
      timerReadBehind: this.delivering ? Math.max(0, Math.floor((now - floor * this.p) / 1000)) : 0,
      timerOffsetBehind: Math.max(0, this.opts.store.getMaxOffsetInQueue(TIMER_TOPIC, 0) - this.enqueued),
      timerDelivered: this.counts.delivered,
      timerRecalled: this.counts.recalled,
      timerRolled: this.counts.rolled,
      timerMissing: this.counts.missing,
    };
  }

  /** Stops delivery and enqueueing, writes the timer log, the wheel and the checkpoint. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    await this.stopDelivery();
    this.stopped = true;
    this.unsubscribe?.();
    if (this.flushTimer !== undefined) clearInterval(this.flushTimer);
    await this.catchingUp;
    await this.checkpointing;
    await this.checkpoint(true);
    await this.timerLog.close();
  }
}
