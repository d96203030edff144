/**
 * Consumer offsets (Java `ConsumerOffsetManager`): per `topic@group` and queue, the offset a group
 * has consumed up to (the next message it wants). Committed by UPDATE_CONSUMER_OFFSET and by the
 * commit piggy-backed on PULL_MESSAGE; persisted as `<storePathRootDir>/config/consumerOffset.json`
 * (RocketMQ's layout) every `flushConsumerOffsetInterval` while something changed, and on stop.
 *
 * - A negative commit is ignored: ali-ons sends -1 for a queue it has no offset for (docs/design/protocol.md#ali-ons-quirks).
 * - Reset by admin (RocketMQ 5's server-side reset): the new offset is stored at once and kept as a
 *   pending reset; commits for that queue are ignored until the group's next pull of it, which is
 *   answered PULL_OFFSET_MOVED with the reset offset (so consumers holding older positions jump).
 * - Pull offsets (how far a group has pulled, for GET_CONSUME_STATS) are kept in memory only.
 * - After a crash, offsets committed since the last flush are lost: the group re-consumes from
 *   the last flushed offsets (at-least-once, never a skip).
 */
import path from 'node:path';
import { nextDataVersion, newDataVersion, type DataVersion } from '../protocol/data-version.js';
import { toFastJson } from '../protocol/fastjson.js';
import { decodeConsumerOffsetTable, encodeConsumerOffsetTable, splitTopicAtGroup, topicAtGroup, type ConsumerOffsetTable } from '../protocol/group-config.js';
import { silentLogger, type Logger } from '../util/log.js';
import { StateFile } from '../util/state-file.js';

export interface ConsumerOffsetsOptions {
  /** `<storePathRootDir>/config` */
  configDir: string;
  /** Flush period while offsets changed (ms; `flushConsumerOffsetInterval`). */
  flushIntervalMillis: number;
  logger?: Logger;
}

export type CommitOutcome = 'committed' | 'ignored-negative' | 'ignored-reset';

/** The file in RocketMQ's layout, one `topic@group` per line so an operator can read it. */
function renderFile(table: ConsumerOffsetTable, dataVersion: DataVersion): string {
  const compact = encodeConsumerOffsetTable(table, dataVersion);
  // the encoder writes `{"dataVersion":{…},"offsetTable":{"a@b":{0:1},…}}`; break after each entry
  const keys = [...table.keys()].sort();
  if (keys.length === 0) return `${compact}\n`;
  const head = `{"dataVersion":${toFastJson(dataVersion)},"offsetTable":{\n`;
  const lines = keys.map((k) => {
    const entries = [...(table.get(k) as Map<number, number>).entries()].sort((a, b) => a[0] - b[0]);
    return `  ${JSON.stringify(k)}:{${entries.map(([q, o]) => `${q}:${o}`).join(',')}}`;
  });
  return `${head}${lines.join(',\n')}\n}}\n`;
}

export class ConsumerOffsetManager {
  private readonly table: ConsumerOffsetTable;
  private readonly resets: ConsumerOffsetTable = new Map();
  private readonly pulled: ConsumerOffsetTable = new Map();
  private version: DataVersion;
  private readonly file: StateFile;
  private readonly log: Logger;

  private constructor(
    private readonly opts: ConsumerOffsetsOptions,
    table: ConsumerOffsetTable,
    version: DataVersion,
  ) {
    this.table = table;
    this.version = version;
    this.log = opts.logger ?? silentLogger;
    this.file = new StateFile(path.join(opts.configDir, 'consumerOffset.json'), () => renderFile(this.table, this.version));
  }

  static async load(opts: ConsumerOffsetsOptions): Promise<ConsumerOffsetManager> {
    const file = path.join(opts.configDir, 'consumerOffset.json');
    const saved = await StateFile.read(file, (text) => decodeConsumerOffsetTable(text, 'consumerOffset.json'));
    const m = new ConsumerOffsetManager(opts, saved?.offsetTable ?? new Map(), saved?.dataVersion ?? newDataVersion());
    m.log.info('consumer offsets loaded', { file, entries: m.table.size });
    return m;
  }

  /** Starts the periodic flush (the timer does not keep the process alive). */
  start(): void {
    this.file.startPeriodicPersist(this.opts.flushIntervalMillis, (e) => this.log.error('persisting consumer offsets failed', { err: e }));
  }

  /** Stops the timer and writes what changed. */
  async stop(): Promise<void> {
    await this.file.close();
  }

  get dataVersion(): DataVersion {
    return this.version;
  }

  /** Writes the file when something changed since the last write. */
  persist(): Promise<void> {
    return this.file.persist();
  }

  commitOffset(group: string, topic: string, queueId: number, offset: number, from: string): CommitOutcome {
    if (offset < 0) return 'ignored-negative';
    const key = topicAtGroup(topic, group);
    if (this.resets.get(key)?.has(queueId)) {
      this.log.debug('offset commit ignored: the queue was reset and not pulled since', { group, topic, queueId, offset, from });
      return 'ignored-reset';
    }
    this.set(this.table, key, queueId, offset);
    return 'committed';
  }

  /** The committed offset, the pending reset offset when there is one, or -1. */
  queryOffset(group: string, topic: string, queueId: number): number {
    const key = topicAtGroup(topic, group);
    return this.resets.get(key)?.get(queueId) ?? this.table.get(key)?.get(queueId) ?? -1;
  }

  /** Every queue of `topic` the group has an offset for. */
  queryOffsets(group: string, topic: string): Map<number, number> {
    return new Map(this.table.get(topicAtGroup(topic, group)) ?? []);
  }

  recordPullOffset(group: string, topic: string, queueId: number, nextOffset: number): void {
    const key = topicAtGroup(topic, group);
    let m = this.pulled.get(key);
    if (m === undefined) this.pulled.set(key, (m = new Map()));
    m.set(queueId, nextOffset);
  }

  /** How far the group has pulled the queue (its committed offset when it has not pulled since start). */
  queryPullOffset(group: string, topic: string, queueId: number): number {
    return this.pulled.get(topicAtGroup(topic, group))?.get(queueId) ?? this.queryOffset(group, topic, queueId);
  }

  /** Admin reset: stores `offset` and keeps it pending until the group's next pull of the queue. */
  assignResetOffset(group: string, topic: string, queueId: number, offset: number): void {
    if (offset < 0) return;
    const key = topicAtGroup(topic, group);
    this.set(this.resets, key, queueId, offset);
    this.set(this.table, key, queueId, offset);
    this.pulled.get(key)?.delete(queueId);
  }

  hasOffsetReset(group: string, topic: string, queueId: number): boolean {
    return this.resets.get(topicAtGroup(topic, group))?.has(queueId) ?? false;
  }

  /** The pending reset of the queue, removed (the pull that asks is answered with it). */
  takeResetOffset(group: string, topic: string, queueId: number): number | undefined {
    const key = topicAtGroup(topic, group);
    const m = this.resets.get(key);
    const v = m?.get(queueId);
    if (v === undefined) return undefined;
    m?.delete(queueId);
    if (m?.size === 0) this.resets.delete(key);
    return v;
  }

  /** Topics the group has offsets for. */
  topicsOf(group: string): string[] {
    const out: string[] = [];
    for (const key of this.table.keys()) {
      const tg = splitTopicAtGroup(key);
      if (tg?.group === group) out.push(tg.topic);
    }
    return out.sort();
  }

  /** Groups with offsets for `topic`. */
  groupsOf(topic: string): string[] {
    const out: string[] = [];
    for (const key of this.table.keys()) {
      const tg = splitTopicAtGroup(key);
      if (tg?.topic === topic) out.push(tg.group);
    }
    return out.sort();
  }

  /** Every group that has offsets. */
  groups(): string[] {
    const out = new Set<string>();
    for (const key of this.table.keys()) {
      const tg = splitTopicAtGroup(key);
      if (tg) out.add(tg.group);
    }
    return [...out].sort();
  }

  /** DELETE_TOPIC_IN_BROKER: the topic's offsets go with it. */
  removeTopic(topic: string): void {
    for (const t of [this.table, this.resets, this.pulled]) {
      for (const key of [...t.keys()]) if (splitTopicAtGroup(key)?.topic === topic) t.delete(key);
    }
    this.changed();
  }

  /** DELETE_SUBSCRIPTIONGROUP with cleanOffset. */
  removeGroup(group: string): void {
    for (const t of [this.table, this.resets, this.pulled]) {
      for (const key of [...t.keys()]) if (splitTopicAtGroup(key)?.group === group) t.delete(key);
    }
    this.changed();
  }

  /** GET_ALL_CONSUMER_OFFSET body (what a slave syncs). */
  encodeAll(): string {
    return encodeConsumerOffsetTable(this.table, this.version);
  }

  /** Slave side: takes the master's table (GET_ALL_CONSUMER_OFFSET) and writes it. */
  async replaceAll(table: ConsumerOffsetTable, version: DataVersion): Promise<void> {
    this.table.clear();
    for (const [k, v] of table) this.table.set(k, new Map(v));
    this.version = version;
    await this.file.write();
  }

  private set(t: ConsumerOffsetTable, key: string, queueId: number, offset: number): void {
    let m = t.get(key);
    if (m === undefined) t.set(key, (m = new Map()));
    if (t === this.table && m.get(queueId) === offset) return;
    m.set(queueId, offset);
    if (t === this.table) this.changed();
  }

  private changed(): void {
    this.file.markDirty();
    this.version = nextDataVersion(this.version);
  }
}
