/**
 * TopicConfig: a topic as a broker holds it (Java `TopicConfig`), in its JSON form
 * (`{"attributes":{},"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG",
 * "topicName":"T","topicSysFlag":0,"writeQueueNums":4}`) and its one-line form used in compressed
 * registrations (`name readQ writeQ perm filterType {attributes}`).
 */
import { PERM_RW } from './perm.js';
import { BodyError, type JsonCheck } from './json-check.js';

export const TOPIC_FILTER_TYPES = ['SINGLE_TAG', 'MULTI_TAG'] as const;
export type TopicFilterType = (typeof TOPIC_FILTER_TYPES)[number];

export interface TopicConfig {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicFilterType: TopicFilterType;
  topicSysFlag: number;
  order: boolean;
  /** e.g. `{"message.type":"NORMAL"}` (5.x). */
  attributes: Record<string, string>;
}

/** Java's TopicConfig defaults: 16 read / 16 write queues, RW, SINGLE_TAG. */
export function topicConfig(topicName: string, fields: Partial<Omit<TopicConfig, 'topicName'>> = {}): TopicConfig {
  return {
    topicName,
    readQueueNums: 16,
    writeQueueNums: 16,
    perm: PERM_RW,
    topicFilterType: 'SINGLE_TAG',
    topicSysFlag: 0,
    order: false,
    attributes: {},
    ...fields,
  };
}

function filterType(v: unknown, path: string, check: JsonCheck): TopicFilterType {
  if (v === undefined || v === null) return 'SINGLE_TAG';
  const s = check.string(v, path);
  if (!(TOPIC_FILTER_TYPES as readonly string[]).includes(s)) check.fail(path, 'SINGLE_TAG or MULTI_TAG', s);
  return s as TopicFilterType;
}

export function decodeTopicConfig(v: unknown, path: string, check: JsonCheck): TopicConfig {
  const o = check.object(v, path);
  return {
    topicName: check.string(o.topicName, `${path}.topicName`),
    readQueueNums: check.integerOr(o.readQueueNums, `${path}.readQueueNums`, 16),
    writeQueueNums: check.integerOr(o.writeQueueNums, `${path}.writeQueueNums`, 16),
    perm: check.integerOr(o.perm, `${path}.perm`, PERM_RW),
    topicFilterType: filterType(o.topicFilterType, `${path}.topicFilterType`, check),
    topicSysFlag: check.integerOr(o.topicSysFlag, `${path}.topicSysFlag`, 0),
    order: check.booleanOr(o.order, `${path}.order`, false),
    attributes: o.attributes === undefined || o.attributes === null ? {} : check.record(o.attributes, `${path}.attributes`, (a, p) => check.string(a, p)),
  };
}

/** Java `TopicConfig.encode()`: space-separated, attributes as JSON last. */
export function encodeTopicConfigLine(tc: TopicConfig): string {
  const attrs = JSON.stringify(Object.fromEntries(Object.entries(tc.attributes).sort(([a], [b]) => (a < b ? -1 : 1))));
  return `${tc.topicName} ${tc.readQueueNums} ${tc.writeQueueNums} ${tc.perm} ${tc.topicFilterType} ${attrs}`;
}

/** Java `TopicConfig.decode()`; like Java, unparseable attributes are ignored. */
export function decodeTopicConfigLine(line: string, what = 'topic config line'): TopicConfig {
  const parts = line.split(' ');
  if (parts.length < 5) throw new BodyError(what, `expected "name readQueueNums writeQueueNums perm filterType [attributes]", got ${JSON.stringify(line.slice(0, 80))}`);
  const [name, r, w, perm, ft, attrs] = parts as [string, string, string, string, string, string?];
  const int = (s: string, field: string) => {
    if (!/^[+-]?\d+$/.test(s) || !Number.isSafeInteger(Number(s))) throw new BodyError(what, `${field} of topic ${name} must be an integer, got ${JSON.stringify(s)}`);
    return Number(s);
  };
  if (!(TOPIC_FILTER_TYPES as readonly string[]).includes(ft)) throw new BodyError(what, `filter type of topic ${name} must be SINGLE_TAG or MULTI_TAG, got ${JSON.stringify(ft)}`);
  let attributes: Record<string, string> = {};
  if (attrs !== undefined) {
    try {
      const parsed = JSON.parse(attrs) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        attributes = Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'));
      }
    } catch {
      // Java ignores attributes it cannot parse (they may contain spaces).
    }
  }
  return topicConfig(name, { readQueueNums: int(r, 'readQueueNums'), writeQueueNums: int(w, 'writeQueueNums'), perm: int(perm, 'perm'), topicFilterType: ft as TopicFilterType, attributes });
}
