/**
 * The REGISTER_BROKER body (docs/design/protocol.md#register-body), Java `RegisterBrokerBody`:
 * - JSON: `{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{…},
 *   "topicConfigTable":{…}, 5.x: "topicQueueMappingInfoMap", "topicQueueMappingDetailMap",
 *   "mappingDataVersion"}}`; brokers below V3_0_11 send the bare wrapper.
 * - compressed (header `compressed=true`): a zlib stream of
 *   i32 len + DataVersion JSON | i32 topic count, each i32 len + TopicConfig line |
 *   i32 len + filterServerList JSON | (version ≥ V5_0_0) i32 count, each i32 len + TopicQueueMappingInfo JSON.
 */
import zlib from 'node:zlib';
import { type DataVersion, decodeDataVersion } from './data-version.js';
import { toFastJson } from './fastjson.js';
import { BodyError, JsonCheck } from './json-check.js';
import { decodeTopicConfig, decodeTopicConfigLine, encodeTopicConfigLine, type TopicConfig } from './topic-config.js';
import { MQVersion } from '../remoting/version.js';

export interface TopicConfigSerializeWrapper {
  dataVersion: DataVersion;
  topicConfigTable: Record<string, TopicConfig>;
  /** 5.x static-topic mapping, passed through; keyed by topic. */
  topicQueueMappingInfoMap?: Record<string, unknown>;
}

export interface RegisterBrokerBody {
  topicConfigSerializeWrapper: TopicConfigSerializeWrapper;
  filterServerList: string[];
}

const WHAT = 'RegisterBrokerBody';
/** An inflated registration larger than this is refused (a zip bomb must not take the NameServer down). */
const MAX_INFLATED_BYTES = 64 * 1024 * 1024;

export interface RegisterBodyFormat {
  compressed: boolean;
  /** The broker's `version` header. */
  version: number;
}

export function encodeRegisterBrokerBody(body: RegisterBrokerBody, format: RegisterBodyFormat): Buffer {
  if (!format.compressed) return Buffer.from(toFastJson(body), 'utf8');
  const parts: Buffer[] = [];
  const int = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    parts.push(b);
  };
  const chunk = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    int(b.length);
    parts.push(b);
  };
  const w = body.topicConfigSerializeWrapper;
  chunk(toFastJson(w.dataVersion));
  const topics = Object.values(w.topicConfigTable);
  int(topics.length);
  for (const tc of topics) chunk(encodeTopicConfigLine(tc));
  chunk(JSON.stringify(body.filterServerList));
  if (format.version >= MQVersion.V5_0_0) {
    const mappings = Object.values(w.topicQueueMappingInfoMap ?? {});
    int(mappings.length);
    for (const m of mappings) chunk(toFastJson(m));
  }
  // Java uses Deflater(BEST_COMPRESSION): a zlib stream.
  return zlib.deflateSync(Buffer.concat(parts), { level: 9 });
}

function decodeWrapper(v: unknown, path: string, check: JsonCheck): TopicConfigSerializeWrapper {
  const o = check.object(v, path);
  const w: TopicConfigSerializeWrapper = {
    dataVersion: o.dataVersion === undefined ? { counter: 0, stateVersion: 0, timestamp: 0 } : decodeDataVersion(o.dataVersion, `${path}.dataVersion`, check),
    topicConfigTable: check.record(o.topicConfigTable ?? {}, `${path}.topicConfigTable`, (tc, p) => decodeTopicConfig(tc, p, check)),
  };
  const mapping = check.optionalObject(o.topicQueueMappingInfoMap, `${path}.topicQueueMappingInfoMap`);
  if (mapping !== undefined) w.topicQueueMappingInfoMap = mapping;
  return w;
}

/** Decodes a registration body; throws BodyError (answered as SYSTEM_ERROR) when it is malformed. */
export function decodeRegisterBrokerBody(data: Buffer | undefined, format: RegisterBodyFormat): RegisterBrokerBody {
  const check = new JsonCheck(WHAT);
  if (data === undefined || data.length === 0) {
    // Java registers an empty table with a zero data version when the body is absent.
    return { topicConfigSerializeWrapper: { dataVersion: { counter: 0, stateVersion: 0, timestamp: 0 }, topicConfigTable: {} }, filterServerList: [] };
  }
  if (format.compressed) return decodeCompressed(data, format.version, check);
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch (e) {
    throw new BodyError(WHAT, `not JSON: ${(e as Error).message}`);
  }
  if (format.version < MQVersion.V3_0_11) {
    return { topicConfigSerializeWrapper: decodeWrapper(parsed, 'body', check), filterServerList: [] };
  }
  const o = check.object(parsed, 'body');
  return {
    topicConfigSerializeWrapper: decodeWrapper(o.topicConfigSerializeWrapper ?? {}, 'topicConfigSerializeWrapper', check),
    filterServerList: check.array(o.filterServerList ?? [], 'filterServerList').map((s, i) => check.string(s, `filterServerList[${i}]`)),
  };
}

/** A bare TopicConfigSerializeWrapper body (GET_ALL_TOPIC_CONFIG's reply: what a slave copies from its master). */
export function decodeTopicConfigWrapper(data: Buffer | undefined): TopicConfigSerializeWrapper {
  const check = new JsonCheck('TopicConfigSerializeWrapper');
  return decodeWrapper(check.body(data), 'body', check);
}

function decodeCompressed(data: Buffer, version: number, check: JsonCheck): RegisterBrokerBody {
  let raw: Buffer;
  try {
    raw = zlib.inflateSync(data, { maxOutputLength: MAX_INFLATED_BYTES });
  } catch (e) {
    throw new BodyError(WHAT, `compressed body does not inflate: ${(e as Error).message}`);
  }
  let o = 0;
  const int = (what: string) => {
    if (o + 4 > raw.length) throw new BodyError(WHAT, `compressed body ends before ${what}`);
    const n = raw.readInt32BE(o);
    o += 4;
    return n;
  };
  const text = (what: string) => {
    const n = int(`the length of ${what}`);
    if (n < 0 || o + n > raw.length) throw new BodyError(WHAT, `compressed body: ${what} length ${n} runs past the end`);
    const s = raw.toString('utf8', o, o + n);
    o += n;
    return s;
  };
  const json = (what: string) => {
    const s = text(what);
    try {
      return JSON.parse(s) as unknown;
    } catch {
      throw new BodyError(WHAT, `compressed body: ${what} is not JSON`);
    }
  };
  const dataVersion = decodeDataVersion(json('the data version'), 'dataVersion', check);
  const count = int('the topic count');
  if (count < 0 || count > raw.length) throw new BodyError(WHAT, `compressed body: topic count ${count} is not plausible`);
  const topicConfigTable: Record<string, TopicConfig> = Object.create(null) as Record<string, TopicConfig>;
  for (let i = 0; i < count; i++) {
    const tc = decodeTopicConfigLine(text(`topic config ${i}`), WHAT);
    topicConfigTable[tc.topicName] = tc;
  }
  const filterServerList = check.array(json('the filter server list'), 'filterServerList').map((s, i) => check.string(s, `filterServerList[${i}]`));
  const wrapper: TopicConfigSerializeWrapper = { dataVersion, topicConfigTable };
  if (version >= MQVersion.V5_0_0) {
    const n = int('the topic queue mapping count');
    if (n < 0 || n > raw.length) throw new BodyError(WHAT, `compressed body: mapping count ${n} is not plausible`);
    const map: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (let i = 0; i < n; i++) {
      const info = check.object(json(`topic queue mapping ${i}`), `topicQueueMappingInfo[${i}]`);
      map[check.string(info.topic, `topicQueueMappingInfo[${i}].topic`)] = info;
    }
    if (n > 0) wrapper.topicQueueMappingInfoMap = map;
  }
  return { topicConfigSerializeWrapper: wrapper, filterServerList };
}
