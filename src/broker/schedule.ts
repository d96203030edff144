/**
 * Delayed messages (Java `ScheduleMessageService`;
 * docs/design/protocol.md#retry-dead-letters-and-delays). A message with the DELAY property
 * (level 1..N of `messageDelayLevel`, default `1s 5s 10s 30s 1m 2m … 2h`) — a producer's
 * delayed message or a consumer's failed message sent back for retry — is stored in
 * `SCHEDULE_TOPIC_XXXX` queue level−1, its real topic and queue kept in REAL_TOPIC / REAL_QID. The
 * consume-queue tags code of such an entry is its delivery time (store time + the level's delay),
 * computed from the record alone so recovery and replicas agree.
 *
 * On a master, each level has a delivery loop: it reads its queue from the level's delay offset,
 * re-puts every message that is due into its real topic and queue, and sleeps until the next one is
 * due (or until a new entry lands in an idle queue). The delay offsets (`config/delayOffset.json`,
 * `{"offsetTable":{level:offset}}`) are persisted every `flushDelayOffsetInterval` and on stop, so
 * delivery resumes after a restart; after a crash, messages delivered since the last flush are
 * delivered again (at-least-once).
 *
 * Unlike Java, the re-put keeps the message's WAIT property: with SYNC_FLUSH a delivery is counted
 * only once its copy is on disk, so a power loss cannot lose a message the delay offset has passed.
 */
import path from 'node:path';
import { PropertyKey, SysFlag, transactionType } from '../protocol/message/constants.js';
import { decodeProperties, encodeProperties, findProperty } from '../protocol/message/properties.js';
import { decodeRecord } from '../protocol/message/record.js';
import { tagsCode as tagsCodeOfTags } from '../protocol/message/tags.js';
import { nextDataVersion, newDataVersion, type DataVersion } from '../protocol/data-version.js';
import { decodeDelayOffsetTable, encodeDelayOffsetTable } from '../protocol/group-config.js';
import { SCHEDULE_TOPIC } from '../protocol/topic-names.js';
import { silentLogger, type Logger } from '../util/log.js';
import { StateFile } from '../util/state-file.js';
import { realDestinationOf, repost } from './parked-message.js';
import type { DispatchEvent, MessageStore, PutMessage } from './store/index.js';

const UNIT_MILLIS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `messageDelayLevel` → level (1-based) → delay in ms. Throws on a malformed item. */
export function parseDelayLevels(text: string): Map<number, number> {
  const levels = new Map<number, number>();
  text
    .trim()
    .split(/\s+/)
    .forEach((item, i) => {
      const m = /^(\d+)([smhd])$/.exec(item);
      if (!m) throw new Error(`messageDelayLevel item ${JSON.stringify(item)} is not a number followed by s, m, h or d`);
      levels.set(i + 1, Number(m[1]) * (UNIT_MILLIS[m[2] as string] as number));
    });
  return levels;
}

/**
 * The store's tags-code function: a SCHEDULE_TOPIC_XXXX entry's code is its delivery time (store
 * time + its level's delay; Java computeDeliverTimestamp), any other entry's the hash of its tag.
 */
export function storeTagsCode(levels: ReadonlyMap<number, number>): (topic: string, properties: string, storeTimestamp: number) => number {
  return (topic, properties, storeTimestamp) =>
    topic === SCHEDULE_TOPIC ? storeTimestamp + (levels.get(delayLevelOf(properties)) ?? 1_000) : tagsCodeOfTags(findProperty(properties, PropertyKey.TAGS));
}

/** The delay level of a message's properties (0: not delayed). */
export function delayLevelOf(properties: string): number {
  const v = findProperty(properties, PropertyKey.DELAY_TIME_LEVEL);
  if (v === undefined) return 0;
  const n = Number(v);
  return Number.isInteger(n) ? n : 0;
}

const RETRY_AFTER_FAILURE_MILLIS = 1_000;
const BATCH = 32;

interface LevelState {
  level: number;
  delayMillis: number;
  timer: NodeJS.Timeout | undefined;
  /** When the pending timer fires (ms). */
  timerAt: number;
  /** The run in progress. */
  running: Promise<void> | undefined;
  again: boolean;
}

export interface ScheduleOptions {
  store: MessageStore;
  /** Parsed `messageDelayLevel`. */
  levels: ReadonlyMap<number, number>;
  /** `<storePathRootDir>/config` */
  configDir: string;
  flushIntervalMillis: number;
  logger?: Logger;
  now?: () => number;
}

export class ScheduleMessageService {
  private readonly offsets: Map<number, number>;
  private version: DataVersion;
  private readonly file: StateFile;
  private readonly states = new Map<number, LevelState>();
  private readonly log: Logger;
  private readonly now: () => number;
  private unsubscribe: (() => void) | undefined;
  private started = false;
  /** Deliveries so far (for tests and runtime info). */
  delivered = 0;
  /**
   * Applied to a message when its level comes due, before it is stored in its real topic: the
   * broker hands one that still asks for a later delivery time (TIMER_DELIVER_MS, parked here by
   * a broker from before the timer) on to the timer. May throw: the message is then delivered as it is.
   */
  afterLevel: ((m: PutMessage) => PutMessage) | undefined;

  private constructor(
    private readonly opts: ScheduleOptions,
    offsets: Map<number, number>,
    version: DataVersion,
  ) {
    this.offsets = offsets;
    this.version = version;
    this.log = opts.logger ?? silentLogger;
    this.now = opts.now ?? Date.now;
    this.file = new StateFile(path.join(opts.configDir, 'delayOffset.json'), () => `${encodeDelayOffsetTable(this.offsets, this.version)}\n`);
    for (const [level, delayMillis] of opts.levels) this.states.set(level, { level, delayMillis, timer: undefined, timerAt: 0, running: undefined, again: false });
  }

  static async load(opts: ScheduleOptions): Promise<ScheduleMessageService> {
    const file = path.join(opts.configDir, 'delayOffset.json');
    const saved = await StateFile.read(file, (text) => decodeDelayOffsetTable(text, 'delayOffset.json'));
    return new ScheduleMessageService(opts, saved?.offsetTable ?? new Map(), saved?.dataVersion ?? newDataVersion());
  }

  get maxLevel(): number {
    return this.opts.levels.size;
  }

  get dataVersion(): DataVersion {
    return this.version;
  }

  /** Level → next queue offset to deliver (a copy). */
  offsetTable(): Map<number, number> {
    return new Map(this.offsets);
  }

  /**
   * The message as it must be stored: one with a delay level goes to SCHEDULE_TOPIC_XXXX (the level
   * capped at the highest), its real topic and queue in properties; others unchanged.
   */
  transform(m: PutMessage): PutMessage {
    const tx = transactionType(m.sysFlag);
    if (tx === SysFlag.TRANSACTION_PREPARED_TYPE || tx === SysFlag.TRANSACTION_ROLLBACK_TYPE) return m;
    let level = delayLevelOf(m.properties);
    if (level <= 0 || m.topic === SCHEDULE_TOPIC) return m;
    const props = decodeProperties(m.properties);
    if (level > this.maxLevel) {
      level = this.maxLevel;
      props.set(PropertyKey.DELAY_TIME_LEVEL, String(level));
    }
    props.set(PropertyKey.REAL_TOPIC, m.topic);
    props.set(PropertyKey.REAL_QUEUE_ID, String(m.queueId));
    return { ...m, topic: SCHEDULE_TOPIC, queueId: level - 1, properties: encodeProperties(props) };
  }

  /** Starts delivery (a master's job) and the periodic offset flush. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.unsubscribe = this.opts.store.onDispatch((e) => this.onDispatch(e));
    this.file.startPeriodicPersist(this.opts.flushIntervalMillis, (e) => this.log.error('persisting delay offsets failed', { err: e }));
    for (const s of this.states.values()) this.wake(s, 0);
  }

  /** Stops delivery (deliveries in progress finish) and writes the offsets. */
  async stop(): Promise<void> {
    this.started = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const s of this.states.values()) {
      if (s.timer !== undefined) clearTimeout(s.timer);
      s.timer = undefined;
    }
    await Promise.all([...this.states.values()].map((s) => s.running));
    this.file.markDirty();
    await this.file.close();
  }

  /** Slave side: takes the master's delay offsets (GET_ALL_DELAY_OFFSET). */
  async replaceAll(offsets: ReadonlyMap<number, number>, version: DataVersion): Promise<void> {
    this.offsets.clear();
    for (const [k, v] of offsets) this.offsets.set(k, v);
    this.version = version;
    await this.file.write();
  }

  /** GET_ALL_DELAY_OFFSET body. */
  encodeAll(): string {
    return encodeDelayOffsetTable(this.offsets, this.version);
  }

  persist(): Promise<void> {
    return this.file.persist();
  }

  private onDispatch(e: DispatchEvent): void {
    if (e.topic !== SCHEDULE_TOPIC) return;
    const s = this.states.get(e.queueId + 1);
    if (s === undefined) return;
    this.wake(s, Math.max(0, e.tagsCode - this.now()));
  }

  /** Runs the level's loop after `inMillis`, unless a run is due sooner or one is running (then it runs again). */
  private wake(s: LevelState, inMillis: number): void {
    if (!this.started) return;
    if (s.running) {
      // the run re-reads the queue before it goes idle
      s.again = true;
      return;
    }
    const at = this.now() + inMillis;
    if (s.timer !== undefined && s.timerAt <= at) return;
    if (s.timer !== undefined) clearTimeout(s.timer);
    s.timerAt = at;
    s.timer = setTimeout(() => {
      s.timer = undefined;
      if (s.running === undefined && this.started) s.running = this.run(s);
    }, inMillis);
  }

  private async run(s: LevelState): Promise<void> {
    let next: number | undefined;
    try {
      do {
        s.again = false;
        next = await this.deliverDue(s);
      } while (s.again && next === undefined && this.started);
    } catch (e) {
      this.log.error('delayed delivery failed; retrying', { level: s.level, err: e as Error });
      next = RETRY_AFTER_FAILURE_MILLIS;
    } finally {
      s.running = undefined;
    }
    if (next !== undefined) this.wake(s, next);
  }

  /**
   * Delivers every due message of the level. Resolves with the ms until the next one is due, or
   * undefined when the queue is caught up (a new entry wakes it).
   */
  private async deliverDue(s: LevelState): Promise<number | undefined> {
    const { store } = this.opts;
    const queueId = s.level - 1;
    for (;;) {
      if (!this.started) return undefined;
      const offset = this.offsets.get(s.level) ?? 0;
      const r = await store.getMessage(SCHEDULE_TOPIC, queueId, offset, BATCH, 1024 * 1024, null);
      switch (r.status) {
        case 'FOUND':
          break;
        case 'OFFSET_TOO_SMALL':
          this.log.warn('delayed messages were removed before their delivery (retention)', { level: s.level, from: offset, to: r.nextBeginOffset });
          this.setOffset(s.level, r.nextBeginOffset);
          continue;
        case 'OFFSET_OVERFLOW_BADLY':
          this.log.warn('delay offset past the end of its queue; moved back', { level: s.level, offset, maxOffset: r.maxOffset });
          this.setOffset(s.level, r.maxOffset);
          continue;
        case 'OFFSET_FOUND_NULL':
        case 'MESSAGE_WAS_REMOVING':
          if (r.nextBeginOffset > offset) {
            this.setOffset(s.level, r.nextBeginOffset);
            continue;
          }
          return undefined;
        default:
          return undefined;
      }
      for (const raw of r.records) {
        const rec = decodeRecord(raw);
        const now = this.now();
        let due = rec.storeTimestamp + s.delayMillis;
        // Java correctDeliverTimestamp: a time further away than the level's delay (clock moved back) is due now
        if (due > now + s.delayMillis) due = now;
        if (due > now) {
          this.setOffset(s.level, rec.queueOffset);
          return due - now;
        }
        const real = this.handOn(this.realMessage(rec));
        if (real === undefined) {
          this.setOffset(s.level, rec.queueOffset + 1);
          continue;
        }
        const put = await store.put(real);
        if (put.status !== 'PUT_OK' && put.status !== 'FLUSH_DISK_TIMEOUT' && put.status !== 'FLUSH_SLAVE_TIMEOUT' && put.status !== 'SLAVE_NOT_AVAILABLE') {
          this.log.warn('delayed message could not be delivered; retrying', { level: s.level, offset: rec.queueOffset, topic: real.topic, status: put.status, remark: put.remark });
          this.setOffset(s.level, rec.queueOffset);
          return RETRY_AFTER_FAILURE_MILLIS;
        }
        this.delivered++;
        this.setOffset(s.level, rec.queueOffset + 1);
      }
    }
  }

  private handOn(m: PutMessage | undefined): PutMessage | undefined {
    if (m === undefined || this.afterLevel === undefined) return m;
    try {
      return this.afterLevel(m);
    } catch (e) {
      this.log.warn('a level-delayed message\'s delivery time was refused by the timer; delivered now', { topic: m.topic, err: e as Error });
      return m;
    }
  }

  /**
   * Java messageTimeUp: the message for its real topic and queue, DELAY and TIMER_DELAY_SEC
   * removed. TIMER_DELIVER_MS stays: v5 consumers read the delivery time from it.
   */
  private realMessage(rec: ReturnType<typeof decodeRecord>): PutMessage | undefined {
    const props = decodeProperties(rec.properties);
    const to = realDestinationOf(props);
    if (to === undefined) {
      this.log.error('delayed message without a valid REAL_TOPIC/REAL_QID dropped', { offset: rec.queueOffset, physicalOffset: rec.physicalOffset });
      return undefined;
    }
    props.delete(PropertyKey.DELAY_TIME_LEVEL);
    props.delete(PropertyKey.TIMER_DELAY_SEC);
    return repost(rec, to, props);
  }


  private setOffset(level: number, offset: number): void {
    if (this.offsets.get(level) === offset) return;
    this.offsets.set(level, offset);
    this.file.markDirty();
    this.version = nextDataVersion(this.version);
  }
}
