/**
 * The NameServer's KV config (Java `KVConfigManager`): namespace → key → value, e.g. the
 * ORDER_TOPIC_CONFIG namespace that carries `orderTopicConf` into routes. Persisted on every
 * change as `{"configTable":{namespace:{key:value}}}` (Java's kvConfig.json layout), written
 * atomically (util/state-file.ts), so a crash leaves the old or the new file, never half.
 */
import fs from 'node:fs';
import { RmqError } from '../errors.js';
import { StateFile } from '../util/state-file.js';

export const NAMESPACE_ORDER_TOPIC_CONFIG = 'ORDER_TOPIC_CONFIG';

export class KvConfigStore {
  private readonly table = new Map<string, Map<string, string>>();
  private readonly file: StateFile;

  private constructor(file: string) {
    this.file = new StateFile(file, () => JSON.stringify({ configTable: Object.fromEntries([...this.table].map(([ns, m]) => [ns, Object.fromEntries(m)])) }, null, 2), 0o644);
  }

  /** Loads `file` (missing = empty). A file that is not valid KV JSON is an error: refusing beats losing it. */
  static load(file: string): KvConfigStore {
    const store = new KvConfigStore(file);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return store;
      throw new RmqError(`cannot read the KV config ${file}: ${(e as Error).message}`);
    }
    const bad = (why: string) => new RmqError(`the KV config ${file} is damaged (${why}); fix or remove it`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw bad((e as Error).message);
    }
    const configTable = (parsed as { configTable?: unknown } | null)?.configTable;
    if (typeof configTable !== 'object' || configTable === null) throw bad('no configTable object');
    for (const [ns, kv] of Object.entries(configTable)) {
      if (typeof kv !== 'object' || kv === null) throw bad(`namespace ${ns} is not an object`);
      const m = new Map<string, string>();
      for (const [k, v] of Object.entries(kv as Record<string, unknown>)) {
        if (typeof v !== 'string') throw bad(`${ns}.${k} is not a string`);
        m.set(k, v);
      }
      store.table.set(ns, m);
    }
    return store;
  }

  get(namespace: string, key: string): string | undefined {
    return this.table.get(namespace)?.get(key);
  }

  /** Every key of a namespace, or undefined when the namespace is empty (Java answers QUERY_NOT_FOUND then). */
  list(namespace: string): Record<string, string> | undefined {
    const m = this.table.get(namespace);
    return m === undefined || m.size === 0 ? undefined : Object.fromEntries(m);
  }

  /** Resolves once the change is on disk. */
  async put(namespace: string, key: string, value: string): Promise<void> {
    let m = this.table.get(namespace);
    if (m === undefined) this.table.set(namespace, (m = new Map()));
    if (m.get(key) === value) return;
    m.set(key, value);
    await this.persist();
  }

  /** Whether the key was there; resolves once the change is on disk. */
  async delete(namespace: string, key: string): Promise<boolean> {
    const m = this.table.get(namespace);
    if (m === undefined || !m.delete(key)) return false;
    if (m.size === 0) this.table.delete(namespace);
    await this.persist();
    return true;
  }

  private persist(): Promise<void> {
    return this.file.write();
  }
}
