/**
 * The broker's topic table (Java `TopicConfigManager`): the system topics a broker always has,
 * the topics created by admins or on first send through TBW102, persisted as
 * `<storePathRootDir>/config/topics.json` in RocketMQ's layout
 * (`{"dataVersion":{…},"topicConfigTable":{"T":{…}}}`), written atomically with fsync.
 * Every change bumps the DataVersion and tells listeners (registration re-registers at once).
 */
import { nextDataVersion, newDataVersion, decodeDataVersion, type DataVersion } from '../protocol/data-version.js';
import { parseFastJson } from '../protocol/fastjson.js';
import { BodyError, JsonCheck } from '../protocol/json-check.js';
import { Perm, PERM_RW, isInherited } from '../protocol/perm.js';
import { decodeTopicConfig, topicConfig, type TopicConfig } from '../protocol/topic-config.js';
import type { TopicConfigSerializeWrapper } from '../protocol/register-broker-body.js';
import { silentLogger, type Logger } from '../util/log.js';
import { StateFile } from '../util/state-file.js';
import { isSystemTopicName, TBW102 } from '../protocol/topic-names.js';

export interface TopicManagerOptions {
  /** `<storePathRootDir>/config/topics.json` */
  file: string;
  clusterName: string;
  brokerName: string;
  autoCreateTopicEnable: boolean;
  /** Queues of TBW102, and so the cap for topics created on first send. */
  defaultTopicQueueNums: number;
  clusterTopicEnable: boolean;
  brokerTopicEnable: boolean;
  traceTopicEnable: boolean;
  msgTraceTopicName: string;
  logger?: Logger;
}

export type TopicChange = 'created' | 'updated' | 'unchanged';

/** The topics every broker starts with (TopicConfigManager.init at apache/rocketmq HEAD, less the 5.x pop/acting-master ones). */
export function systemTopicConfigs(o: Pick<TopicManagerOptions, 'clusterName' | 'brokerName' | 'autoCreateTopicEnable' | 'defaultTopicQueueNums' | 'clusterTopicEnable' | 'brokerTopicEnable' | 'traceTopicEnable' | 'msgTraceTopicName'>): TopicConfig[] {
  const one = { readQueueNums: 1, writeQueueNums: 1 };
  const list = [topicConfig('SELF_TEST_TOPIC', one)];
  if (o.autoCreateTopicEnable) list.push(topicConfig(TBW102, { readQueueNums: o.defaultTopicQueueNums, writeQueueNums: o.defaultTopicQueueNums, perm: Perm.INHERIT | PERM_RW }));
  list.push(
    topicConfig('BenchmarkTest', { readQueueNums: 1024, writeQueueNums: 1024 }),
    topicConfig(o.clusterName, { perm: Perm.INHERIT | (o.clusterTopicEnable ? PERM_RW : 0) }),
    topicConfig(o.brokerName, { ...one, perm: Perm.INHERIT | (o.brokerTopicEnable ? PERM_RW : 0) }),
    topicConfig('OFFSET_MOVED_EVENT', one),
    topicConfig('SCHEDULE_TOPIC_XXXX', { readQueueNums: 18, writeQueueNums: 18 }),
  );
  if (o.traceTopicEnable) list.push(topicConfig(o.msgTraceTopicName, one));
  list.push(topicConfig(`${o.clusterName}_REPLY_TOPIC`, one), topicConfig('RMQ_SYS_TRANS_HALF_TOPIC', one), topicConfig('RMQ_SYS_TRANS_OP_HALF_TOPIC', one));
  return list;
}

export function sameTopicConfig(a: TopicConfig, b: TopicConfig): boolean {
  if (a.topicName !== b.topicName || a.readQueueNums !== b.readQueueNums || a.writeQueueNums !== b.writeQueueNums || a.perm !== b.perm) return false;
  if (a.topicFilterType !== b.topicFilterType || a.topicSysFlag !== b.topicSysFlag || a.order !== b.order) return false;
  const ka = Object.keys(a.attributes);
  return ka.length === Object.keys(b.attributes).length && ka.every((k) => a.attributes[k] === b.attributes[k]);
}

/** Parses topics.json text; throws on anything that is not one (the broker refuses to start rather than lose topics). */
function parseTopicsFile(text: string): { dataVersion: DataVersion; topics: TopicConfig[] } {
  try {
    const check = new JsonCheck('topics.json');
    const o = check.object(parseFastJson(text), 'topics.json');
    const dataVersion = o.dataVersion === undefined ? newDataVersion() : decodeDataVersion(o.dataVersion, 'dataVersion', check);
    const table = check.record(o.topicConfigTable ?? {}, 'topicConfigTable', (v, p) => decodeTopicConfig(v, p, check));
    for (const [name, tc] of Object.entries(table)) {
      if (tc.topicName !== name) check.fail(`topicConfigTable.${name}.topicName`, JSON.stringify(name), tc.topicName);
    }
    return { dataVersion, topics: Object.values(table) };
  } catch (e) {
    throw new Error(e instanceof BodyError ? e.message : `not JSON: ${(e as Error).message}`);
  }
}

/** topics.json text: Java's layout, keys sorted, indented like Java's pretty JSON. */
export function encodeTopicsFile(wrapper: TopicConfigSerializeWrapper): string {
  const sortKeys = (o: Record<string, unknown>) => Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
  const table = Object.fromEntries(
    Object.keys(wrapper.topicConfigTable)
      .sort()
      .map((k) => [k, sortKeys({ ...(wrapper.topicConfigTable[k] as TopicConfig) })]),
  );
  return `${JSON.stringify({ dataVersion: sortKeys({ ...wrapper.dataVersion }), topicConfigTable: table }, null, 2)}\n`;
}

export class TopicConfigManager {
  private readonly table = new Map<string, TopicConfig>();
  private readonly systemNames = new Set<string>();
  private version: DataVersion;
  private readonly listeners: ((topic: string, change: Exclude<TopicChange, 'unchanged'> | 'deleted') => void)[] = [];
  private readonly log: Logger;
  private readonly file: StateFile;
  private pendingTopics = new Map<string, Promise<void>>();

  private constructor(
    private readonly opts: TopicManagerOptions,
    version: DataVersion,
  ) {
    this.version = version;
    this.log = opts.logger ?? silentLogger;
    this.file = new StateFile(opts.file, () => encodeTopicsFile(this.snapshot()));
  }

  /**
   * Loads topics.json (if any) over the system topics. The system topics' own settings win for
   * the names the broker owns; TBW102 is dropped when autoCreateTopicEnable is off, so the route
   * no longer advertises automatic creation. Writes the file back when the result differs.
   */
  static async load(opts: TopicManagerOptions): Promise<TopicConfigManager> {
    const saved = await StateFile.read(opts.file, parseTopicsFile);
    const m = new TopicConfigManager(opts, saved?.dataVersion ?? newDataVersion());
    const system = systemTopicConfigs(opts);
    for (const tc of system) m.systemNames.add(tc.topicName);
    for (const tc of saved?.topics ?? []) {
      if (tc.topicName === TBW102 && !opts.autoCreateTopicEnable) continue;
      m.table.set(tc.topicName, tc);
    }
    let changed = saved === undefined;
    for (const tc of system) {
      const had = m.table.get(tc.topicName);
      // Queue counts of system topics an operator changed with an admin call are kept.
      if (had === undefined || had.perm !== tc.perm) {
        m.table.set(tc.topicName, had === undefined ? tc : { ...had, perm: tc.perm });
        changed = true;
      }
    }
    if (saved !== undefined && saved.topics.some((t) => t.topicName === TBW102) && !opts.autoCreateTopicEnable) changed = true;
    if (changed) {
      m.version = nextDataVersion(m.version);
      await m.persist();
    }
    m.log.info('topics loaded', { file: opts.file, topics: m.table.size, user: m.table.size - [...m.table.keys()].filter((t) => m.isSystemTopic(t)).length });
    return m;
  }

  get dataVersion(): DataVersion {
    return this.version;
  }

  get(topic: string): TopicConfig | undefined {
    return this.table.get(topic);
  }

  all(): TopicConfig[] {
    return [...this.table.values()];
  }

  get size(): number {
    return this.table.size;
  }

  /** A reserved name, `rmq_sys_*`, or one of this broker's own system topics (its cluster and broker names…). */
  isSystemTopic(topic: string): boolean {
    return isSystemTopicName(topic) || this.systemNames.has(topic);
  }

  /** The table as the NameServer registration and GET_ALL_TOPIC_CONFIG carry it. */
  snapshot(): TopicConfigSerializeWrapper {
    return { dataVersion: { ...this.version }, topicConfigTable: Object.fromEntries(this.table) };
  }

  /** `snapshot()` of only these topics (names without a config are left out), with the current data version. */
  subset(names: readonly string[]): TopicConfigSerializeWrapper {
    const topicConfigTable: Record<string, TopicConfig> = {};
    for (const n of names) {
      const tc = this.table.get(n);
      if (tc !== undefined) topicConfigTable[n] = tc;
    }
    return { dataVersion: { ...this.version }, topicConfigTable };
  }

  onChange(listener: (topic: string, change: Exclude<TopicChange, 'unchanged'> | 'deleted') => void): void {
    this.listeners.push(listener);
  }

  /**
   * Resolves once `topic`'s creation is on disk, or at once when none is pending. A send to a
   * topic created by that send waits for this, so an acknowledged message never belongs to a
   * topic a crash forgets.
   */
  durable(topic: string): Promise<void> | undefined {
    return this.pendingTopics.get(topic);
  }

  /** UPDATE_AND_CREATE_TOPIC: stores `tc` (replacing the topic's config). An identical config is a no-op. */
  async update(tc: TopicConfig): Promise<TopicChange> {
    const had = this.table.get(tc.topicName);
    if (had !== undefined && sameTopicConfig(had, tc)) {
      await this.durable(tc.topicName);
      return 'unchanged';
    }
    const change = had === undefined ? 'created' : 'updated';
    this.log.info(had === undefined ? 'topic created' : 'topic updated', describeTopic(tc));
    await this.commit(tc.topicName, () => this.table.set(tc.topicName, tc), change);
    return change;
  }

  /** DELETE_TOPIC_IN_BROKER: removes the topic's config. False when there was none. */
  async delete(topic: string): Promise<boolean> {
    if (!this.table.has(topic)) return false;
    this.log.info('topic deleted', { topic });
    await this.commit(topic, () => this.table.delete(topic), 'deleted');
    return true;
  }

  /**
   * `createTopicInSendMessageMethod`: an unknown topic is created from `defaultTopic` when that
   * topic carries the INHERIT perm (TBW102 does while autoCreateTopicEnable is on), with
   * min(client's queue count, default topic's write queues) queues and the default topic's perm
   * less INHERIT. Undefined when it cannot be created.
   */
  async createOnSend(topic: string, defaultTopic: string, clientQueueNums: number, topicSysFlag: number, producer: string): Promise<TopicConfig | undefined> {
    const existing = this.table.get(topic);
    if (existing !== undefined) {
      await this.durable(topic);
      return existing;
    }
    const template = this.table.get(defaultTopic);
    if (template === undefined || !isInherited(template.perm) || (defaultTopic === TBW102 && !this.opts.autoCreateTopicEnable)) {
      this.log.warn('send to an unknown topic refused: no default topic to create it from', { topic, defaultTopic, producer, inherit: template ? isInherited(template.perm) : undefined });
      return undefined;
    }
    const queues = Math.max(0, Math.min(clientQueueNums, template.writeQueueNums));
    const tc = topicConfig(topic, { readQueueNums: queues, writeQueueNums: queues, perm: template.perm & ~Perm.INHERIT, topicSysFlag, topicFilterType: template.topicFilterType });
    this.log.info('topic created on first send', { ...describeTopic(tc), from: defaultTopic, producer });
    await this.commit(topic, () => this.table.set(topic, tc), 'created');
    return tc;
  }

  /** `createTopicInSendMessageBackMethod`: a `%RETRY%` / `%DLQ%` topic created when first needed. */
  async createIfAbsent(tc: TopicConfig): Promise<TopicConfig> {
    const existing = this.table.get(tc.topicName);
    if (existing !== undefined) {
      await this.durable(tc.topicName);
      return existing;
    }
    this.log.info('topic created', describeTopic(tc));
    await this.commit(tc.topicName, () => this.table.set(tc.topicName, tc), 'created');
    return tc;
  }

  /**
   * Slave side (Java SlaveSynchronize.syncTopicConfig): takes the master's whole table and data
   * version when its version differs from ours. Returns the topics that changed (none: same version).
   */
  async replaceAll(master: TopicConfigSerializeWrapper): Promise<{ topic: string; change: Exclude<TopicChange, 'unchanged'> | 'deleted' }[]> {
    const v = master.dataVersion;
    if (v.counter === this.version.counter && v.timestamp === this.version.timestamp && v.stateVersion === this.version.stateVersion) return [];
    const changes: { topic: string; change: Exclude<TopicChange, 'unchanged'> | 'deleted' }[] = [];
    for (const [name, tc] of Object.entries(master.topicConfigTable)) {
      const had = this.table.get(name);
      if (had === undefined) changes.push({ topic: name, change: 'created' });
      else if (!sameTopicConfig(had, tc)) changes.push({ topic: name, change: 'updated' });
    }
    for (const name of this.table.keys()) if (master.topicConfigTable[name] === undefined) changes.push({ topic: name, change: 'deleted' });
    this.table.clear();
    for (const [name, tc] of Object.entries(master.topicConfigTable)) this.table.set(name, tc);
    this.version = { ...v };
    await this.persist();
    if (changes.length > 0) this.log.info('topics copied from the master', { topics: this.table.size, changed: changes.length });
    for (const c of changes) this.notify(c.topic, c.change);
    return changes;
  }

  /**
   * A new master epoch: the data version's stateVersion becomes it (RocketMQ 5 does the same), so
   * a NameServer keeps the id-0 entry of the newest master when a former one registers again.
   */
  async setStateVersion(stateVersion: number): Promise<void> {
    this.version = nextDataVersion(this.version, Date.now(), stateVersion);
    await this.persist();
  }

  /** Resolves when every change so far is on disk. */
  async flush(): Promise<void> {
    await this.file.flush();
  }

  private async commit(topic: string, apply: () => void, change: Exclude<TopicChange, 'unchanged'> | 'deleted'): Promise<void> {
    apply();
    // the master epoch (stateVersion) stays across table changes
    this.version = nextDataVersion(this.version, Date.now(), this.version.stateVersion);
    const done = this.persist();
    this.pendingTopics.set(topic, done);
    try {
      await done;
    } finally {
      if (this.pendingTopics.get(topic) === done) this.pendingTopics.delete(topic);
    }
    this.notify(topic, change);
  }

  private notify(topic: string, change: Exclude<TopicChange, 'unchanged'> | 'deleted'): void {
    for (const l of this.listeners) {
      try {
        l(topic, change);
      } catch (e) {
        this.log.error('topic change listener failed', { err: e as Error });
      }
    }
  }

  /** Writes the current table (changes made while a write runs go into one more write after it). */
  private persist(): Promise<void> {
    return this.file.write();
  }
}

function describeTopic(tc: TopicConfig): Record<string, unknown> {
  return { topic: tc.topicName, read: tc.readQueueNums, write: tc.writeQueueNums, perm: tc.perm, order: tc.order || undefined };
}
