/**
 * Small JSON bodies of the NameServer API: TopicList (`{"topicList":[…],"brokerAddr":…}`),
 * KVTable (`{"table":{k:v}}`), GetBrokerMemberGroupResponseBody, and our own broker-liveness list.
 */
import { JavaMap, toFastJson } from './fastjson.js';
import { JsonCheck } from './json-check.js';

export interface TopicList {
  topicList: string[];
  /** Set in GET_SYSTEM_TOPIC_LIST_FROM_NS replies: one broker to ask for the rest. */
  brokerAddr?: string;
}

export function encodeTopicList(list: TopicList): Buffer {
  return Buffer.from(toFastJson(list), 'utf8');
}

export function decodeTopicList(body: Buffer | undefined): TopicList {
  const check = new JsonCheck('TopicList');
  const o = check.body(body);
  const list: TopicList = { topicList: check.array(o.topicList ?? [], 'topicList').map((t, i) => check.string(t, `topicList[${i}]`)) };
  const addr = check.optionalString(o.brokerAddr, 'brokerAddr');
  if (addr !== undefined) list.brokerAddr = addr;
  return list;
}

export function encodeKVTable(table: Record<string, string>): Buffer {
  return Buffer.from(toFastJson({ table }), 'utf8');
}

export function decodeKVTable(body: Buffer | undefined): Record<string, string> {
  const check = new JsonCheck('KVTable');
  const o = check.body(body);
  return check.record(o.table ?? {}, 'table', (v, p) => check.string(v, p));
}

export interface BrokerMemberGroup {
  cluster: string;
  brokerName: string;
  brokerAddrs: Record<string, string>;
}

export function encodeBrokerMemberGroup(group: BrokerMemberGroup): Buffer {
  return Buffer.from(toFastJson({ brokerMemberGroup: { ...group, brokerAddrs: JavaMap.of(group.brokerAddrs) } }, { standard: true }), 'utf8');
}

/**
 * One registered broker as our NameServer sees it: the reply body of GET_BROKER_LIVE_INFO, an
 * rmqd extension (Java NameServers answer REQUEST_CODE_NOT_SUPPORTED). Ages are measured on the
 * NameServer, so they do not depend on the caller's clock.
 */
export interface BrokerLiveInfo {
  cluster: string;
  brokerName: string;
  brokerId: number;
  brokerAddr: string;
  haServerAddr: string;
  /** ms since the last REGISTER_BROKER, BROKER_HEARTBEAT or QUERY_DATA_VERSION. */
  lastUpdateAgeMillis: number;
  /** ms since the last full REGISTER_BROKER. */
  lastRegisterAgeMillis: number;
  /** The broker is dropped after this long without a registration or heartbeat. */
  timeoutMillis: number;
  /** ms since the broker joined this NameServer. */
  joinedAgeMillis: number;
}

export function encodeBrokerLiveInfoList(list: BrokerLiveInfo[]): Buffer {
  return Buffer.from(toFastJson({ brokers: list }, { standard: true }), 'utf8');
}

export function decodeBrokerLiveInfoList(body: Buffer | undefined): BrokerLiveInfo[] {
  const check = new JsonCheck('BrokerLiveInfoList');
  const o = check.body(body);
  return check.array(o.brokers ?? [], 'brokers').map((v, i) => {
    const p = `brokers[${i}]`;
    const b = check.object(v, p);
    return {
      cluster: check.string(b.cluster, `${p}.cluster`),
      brokerName: check.string(b.brokerName, `${p}.brokerName`),
      brokerId: check.integer(b.brokerId, `${p}.brokerId`),
      brokerAddr: check.string(b.brokerAddr, `${p}.brokerAddr`),
      haServerAddr: check.optionalString(b.haServerAddr, `${p}.haServerAddr`) ?? '',
      lastUpdateAgeMillis: check.integer(b.lastUpdateAgeMillis, `${p}.lastUpdateAgeMillis`),
      lastRegisterAgeMillis: check.integer(b.lastRegisterAgeMillis, `${p}.lastRegisterAgeMillis`),
      timeoutMillis: check.integer(b.timeoutMillis, `${p}.timeoutMillis`),
      joinedAgeMillis: check.integer(b.joinedAgeMillis, `${p}.joinedAgeMillis`),
    };
  });
}
