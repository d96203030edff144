/**
 * The broker's consumer groups (Java `SubscriptionGroupManager`): every group's settings
 * (retry queues, max retries, consume/broadcast enabled…), RocketMQ's system groups, groups
 * created on first use while `autoCreateSubscriptionGroup` is on, persisted as
 * `<storePathRootDir>/config/subscriptionGroup.json` in RocketMQ's layout.
 */
import path from 'node:path';
import { nextDataVersion, newDataVersion, type DataVersion } from '../protocol/data-version.js';
import { toFastJson } from '../protocol/fastjson.js';
import { decodeSubscriptionGroupWrapper, subscriptionGroupConfig, subscriptionGroupWrapperJson, type SubscriptionGroupConfig, type SubscriptionGroupWrapper } from '../protocol/group-config.js';
import { groupNameProblem, SYSTEM_GROUP_NAMES } from '../protocol/topic-names.js';
import { silentLogger, type Logger } from '../util/log.js';
import { StateFile } from '../util/state-file.js';

/** Groups every broker has (SubscriptionGroupManager.init; MixAll names). */
export const SYSTEM_GROUPS: readonly SubscriptionGroupConfig[] = SYSTEM_GROUP_NAMES.map((g) => subscriptionGroupConfig(g));

export function isSystemGroup(group: string): boolean {
  return SYSTEM_GROUPS.some((g) => g.groupName === group);
}

export interface SubscriptionGroupsOptions {
  /** `<storePathRootDir>/config` */
  configDir: string;
  autoCreateSubscriptionGroup: boolean;
  logger?: Logger;
}

export class SubscriptionGroupManager {
  private readonly table = new Map<string, SubscriptionGroupConfig>();
  private version: DataVersion;
  private readonly file: StateFile;
  private readonly log: Logger;

  private constructor(
    private readonly opts: SubscriptionGroupsOptions,
    version: DataVersion,
  ) {
    this.version = version;
    this.log = opts.logger ?? silentLogger;
    this.file = new StateFile(path.join(opts.configDir, 'subscriptionGroup.json'), () => `${JSON.stringify(JSON.parse(toFastJson(subscriptionGroupWrapperJson(this.snapshot()))), null, 2)}\n`);
  }

  static async load(opts: SubscriptionGroupsOptions): Promise<SubscriptionGroupManager> {
    const file = path.join(opts.configDir, 'subscriptionGroup.json');
    const saved = await StateFile.read(file, (text) => decodeSubscriptionGroupWrapper(text, 'subscriptionGroup.json'));
    const m = new SubscriptionGroupManager(opts, saved?.dataVersion ?? newDataVersion());
    for (const g of SYSTEM_GROUPS) m.table.set(g.groupName, g);
    for (const g of Object.values(saved?.subscriptionGroupTable ?? {})) m.table.set(g.groupName, g);
    m.log.info('subscription groups loaded', { file, groups: m.table.size, user: [...m.table.keys()].filter((g) => !isSystemGroup(g)).length });
    return m;
  }

  get dataVersion(): DataVersion {
    return this.version;
  }

  get size(): number {
    return this.table.size;
  }

  get(group: string): SubscriptionGroupConfig | undefined {
    return this.table.get(group);
  }

  has(group: string): boolean {
    return this.table.has(group);
  }

  all(): SubscriptionGroupConfig[] {
    return [...this.table.values()];
  }

  /**
   * The group's config; an unknown group is created with the defaults when
   * `autoCreateSubscriptionGroup` is on and its name is valid (Java findSubscriptionGroupConfig),
   * else undefined.
   */
  find(group: string): SubscriptionGroupConfig | undefined {
    const had = this.table.get(group);
    if (had !== undefined || !this.opts.autoCreateSubscriptionGroup || groupNameProblem(group) !== undefined) return had;
    const c = subscriptionGroupConfig(group);
    this.log.info('subscription group created on first use', { group });
    this.commit(() => this.table.set(group, c));
    return c;
  }

  /** UPDATE_AND_CREATE_SUBSCRIPTIONGROUP: stores `c` (replacing the group's config); resolves once on disk. */
  async update(c: SubscriptionGroupConfig): Promise<'created' | 'updated'> {
    const change = this.table.has(c.groupName) ? 'updated' : 'created';
    this.log.info(change === 'created' ? 'subscription group created' : 'subscription group updated', { group: c.groupName, retryQueueNums: c.retryQueueNums, retryMaxTimes: c.retryMaxTimes, consumeEnable: c.consumeEnable });
    await this.commit(() => this.table.set(c.groupName, c));
    return change;
  }

  /** DELETE_SUBSCRIPTIONGROUP: false when there was no such group. */
  async delete(group: string): Promise<boolean> {
    if (!this.table.has(group)) return false;
    this.log.info('subscription group deleted', { group });
    await this.commit(() => this.table.delete(group));
    return true;
  }

  /** Slave side: replaces the table with the master's (GET_ALL_SUBSCRIPTIONGROUP_CONFIG). */
  async replaceAll(w: SubscriptionGroupWrapper): Promise<void> {
    await this.commit(() => {
      this.table.clear();
      for (const g of SYSTEM_GROUPS) this.table.set(g.groupName, g);
      for (const g of Object.values(w.subscriptionGroupTable)) this.table.set(g.groupName, g);
    }, w.dataVersion);
  }

  snapshot(): SubscriptionGroupWrapper {
    const table: Record<string, SubscriptionGroupConfig> = {};
    for (const k of [...this.table.keys()].sort()) table[k] = this.table.get(k) as SubscriptionGroupConfig;
    return { dataVersion: { ...this.version }, subscriptionGroupTable: table };
  }

  flush(): Promise<void> {
    return this.file.flush();
  }

  private commit(apply: () => void, version?: DataVersion): Promise<void> {
    apply();
    this.version = version ?? nextDataVersion(this.version);
    const written = this.file.write();
    written.catch((e: unknown) => this.log.error('writing subscriptionGroup.json failed', { file: this.file.file, err: e as Error }));
    return written;
  }
}
