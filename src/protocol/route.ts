/**
 * Route data the NameServer hands out (docs/design/protocol.md#route-data): TopicRouteData (reply to
 * GET_ROUTEINFO_BY_TOPIC), ClusterInfo (GET_BROKER_CLUSTER_INFO), and their parts.
 * brokerAddrs is a Java `Map<Long, String>` (broker id → address); here it is a record keyed by
 * the decimal id, written with quoted keys in standard mode and bare keys in legacy mode.
 */
import { JavaMap, toFastJson } from './fastjson.js';
import { JsonCheck } from './json-check.js';

export interface QueueData {
  brokerName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicSysFlag: number;
}

export interface BrokerData {
  cluster: string;
  brokerName: string;
  /** broker id ("0" = master) → `ip:port`. */
  brokerAddrs: Record<string, string>;
  enableActingMaster: boolean;
  zoneName?: string;
}

export interface TopicRouteData {
  orderTopicConf?: string;
  queueDatas: QueueData[];
  brokerDatas: BrokerData[];
  /** broker address → filter servers (legacy; normally empty). */
  filterServerTable: Record<string, string[]>;
  /** 5.x static topics; passed through as received. */
  topicQueueMappingByBroker?: Record<string, unknown>;
}

export interface ClusterInfo {
  /** brokerName → its BrokerData. */
  brokerAddrTable: Record<string, BrokerData>;
  /** cluster name → broker names. */
  clusterAddrTable: Record<string, string[]>;
}

export const MASTER_ID = 0;

/** The master's address of a broker group, if a master is registered. */
export function masterAddr(b: BrokerData): string | undefined {
  return b.brokerAddrs[String(MASTER_ID)];
}

function brokerDataForJson(b: BrokerData): unknown {
  return { ...b, brokerAddrs: JavaMap.of(b.brokerAddrs) };
}

export interface RouteJsonOptions {
  /** Quoted keys (clients ≥ 4.9.4, and what we always send); false = Java's legacy bare keys. */
  standard: boolean;
}

export function encodeTopicRouteData(route: TopicRouteData, opts: RouteJsonOptions = { standard: true }): Buffer {
  return Buffer.from(toFastJson({ ...route, brokerDatas: route.brokerDatas.map(brokerDataForJson) }, opts), 'utf8');
}

export function encodeClusterInfo(info: ClusterInfo, opts: RouteJsonOptions = { standard: true }): Buffer {
  const brokerAddrTable = Object.fromEntries(Object.entries(info.brokerAddrTable).map(([k, b]) => [k, brokerDataForJson(b)]));
  return Buffer.from(toFastJson({ brokerAddrTable, clusterAddrTable: info.clusterAddrTable }, opts), 'utf8');
}

export function decodeQueueData(v: unknown, path: string, check: JsonCheck): QueueData {
  const o = check.object(v, path);
  return {
    brokerName: check.string(o.brokerName, `${path}.brokerName`),
    readQueueNums: check.integer(o.readQueueNums, `${path}.readQueueNums`),
    writeQueueNums: check.integer(o.writeQueueNums, `${path}.writeQueueNums`),
    perm: check.integer(o.perm, `${path}.perm`),
    // Brokers before apache/rocketmq 4117d0019a spelled it topicSynFlag.
    topicSysFlag: check.integerOr(o.topicSysFlag ?? o.topicSynFlag, `${path}.topicSysFlag`, 0),
  };
}

export function decodeBrokerData(v: unknown, path: string, check: JsonCheck): BrokerData {
  const o = check.object(v, path);
  const b: BrokerData = {
    cluster: check.string(o.cluster, `${path}.cluster`),
    brokerName: check.string(o.brokerName, `${path}.brokerName`),
    brokerAddrs: check.record(o.brokerAddrs ?? {}, `${path}.brokerAddrs`, (a, p, k) => {
      if (!/^\d+$/.test(k)) check.fail(p, 'keyed by a broker id', k);
      return check.string(a, p);
    }),
    enableActingMaster: check.booleanOr(o.enableActingMaster, `${path}.enableActingMaster`, false),
  };
  const zone = check.optionalString(o.zoneName, `${path}.zoneName`);
  if (zone !== undefined) b.zoneName = zone;
  return b;
}

/** Decodes a GET_ROUTEINFO_BY_TOPIC body (standard or legacy JSON). */
export function decodeTopicRouteData(body: Buffer | undefined): TopicRouteData {
  const check = new JsonCheck('TopicRouteData');
  const o = check.body(body);
  const route: TopicRouteData = {
    queueDatas: check.array(o.queueDatas ?? [], 'queueDatas').map((q, i) => decodeQueueData(q, `queueDatas[${i}]`, check)),
    brokerDatas: check.array(o.brokerDatas ?? [], 'brokerDatas').map((b, i) => decodeBrokerData(b, `brokerDatas[${i}]`, check)),
    filterServerTable: check.record(o.filterServerTable ?? {}, 'filterServerTable', (l, p) => check.array(l, p).map((s, i) => check.string(s, `${p}[${i}]`))),
  };
  const order = check.optionalString(o.orderTopicConf, 'orderTopicConf');
  if (order !== undefined) route.orderTopicConf = order;
  const mapping = check.optionalObject(o.topicQueueMappingByBroker, 'topicQueueMappingByBroker');
  if (mapping !== undefined) route.topicQueueMappingByBroker = mapping;
  return route;
}

/** Decodes a GET_BROKER_CLUSTER_INFO body (Java NameServers send bare integer keys). */
export function decodeClusterInfo(body: Buffer | undefined): ClusterInfo {
  const check = new JsonCheck('ClusterInfo');
  const o = check.body(body);
  return {
    brokerAddrTable: check.record(o.brokerAddrTable ?? {}, 'brokerAddrTable', (b, p) => decodeBrokerData(b, p, check)),
    clusterAddrTable: check.record(o.clusterAddrTable ?? {}, 'clusterAddrTable', (l, p) => check.array(l, p).map((s, i) => check.string(s, `${p}[${i}]`))),
  };
}
