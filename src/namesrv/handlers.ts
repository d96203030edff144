/**
 * The NameServer's request handlers (Java `DefaultRequestProcessor` + `ClientRequestProcessor`):
 * each decodes its header/body, asks the route table or the KV store, and builds the response.
 */
import { bodyCrc } from '../protocol/message/crc32.js';
import { encodeBrokerLiveInfoList, encodeBrokerMemberGroup, encodeKVTable, encodeTopicList } from '../protocol/bodies.js';
import { RequestCode, ResponseCode, RmqExtensionCode } from '../remoting/codes.js';
import { decodeDataVersion, sameDataVersion } from '../protocol/data-version.js';
import { toFastJson } from '../protocol/fastjson.js';
import { decodeHeader, encodeHeader } from '../protocol/header-spec.js';
import {
  AddWritePermOfBrokerRequestHeader,
  AddWritePermOfBrokerResponseHeader,
  BrokerHeartbeatRequestHeader,
  DeleteKVConfigRequestHeader,
  DeleteTopicFromNamesrvRequestHeader,
  GetBrokerMemberGroupRequestHeader,
  GetKVConfigRequestHeader,
  GetKVConfigResponseHeader,
  GetKVListByNamespaceRequestHeader,
  GetRouteInfoRequestHeader,
  GetTopicsByClusterRequestHeader,
  PutKVConfigRequestHeader,
  QueryDataVersionRequestHeader,
  QueryDataVersionResponseHeader,
  RegisterBrokerRequestHeader,
  RegisterBrokerResponseHeader,
  RegisterTopicRequestHeader,
  UnRegisterBrokerRequestHeader,
  WipeWritePermOfBrokerRequestHeader,
  WipeWritePermOfBrokerResponseHeader,
} from '../protocol/headers/namesrv.js';
import { BodyError, JsonCheck } from '../protocol/json-check.js';
import { decodeRegisterBrokerBody } from '../protocol/register-broker-body.js';
import { decodeTopicRouteData, encodeClusterInfo, encodeTopicRouteData } from '../protocol/route.js';
import { parseHostPort } from '../remoting/address.js';
import { createResponse, type RemotingCommand } from '../remoting/command.js';
import type { Connection } from '../remoting/connection.js';
import { HandlerTable } from '../remoting/dispatcher.js';
import { ResponseError } from '../remoting/errors.js';
import type { Logger } from '../util/log.js';
import { NAMESPACE_ORDER_TOPIC_CONFIG, type KvConfigStore } from './kv-config.js';
import type { RouteEvent, RouteTable } from './route-table.js';

/** What the handlers need from the running NameServer. */
export interface NamesrvContext {
  routes: RouteTable<Connection>;
  kv: KvConfigStore;
  orderMessageEnable: boolean;
  /** The effective configuration as properties text (GET_NAMESRV_CONFIG). */
  configText(): string;
  /** Monotonic milliseconds. */
  now(): number;
  /** Logs the route changes a request caused. */
  record(events: RouteEvent[]): void;
  log: Logger;
}

/** Java `MixAll.ZONE_NAME`: the extFields key a broker puts its zone in. */
const ZONE_NAME_KEY = '__ZONE_NAME';
const ok = (req: RemotingCommand, init?: Parameters<typeof createResponse>[2]) => createResponse(req, ResponseCode.SUCCESS, init);

/** Names that end up in routes and logs: present, bounded, printable. */
function checkName(value: string, field: string): string {
  if (value === '' || value.length > 255 || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new ResponseError(ResponseCode.INVALID_PARAMETER, `${field} must be 1-255 printable characters, got ${JSON.stringify(value.slice(0, 40))}`);
  }
  return value;
}

function checkAddr(value: string, field: string): string {
  try {
    parseHostPort(value);
  } catch {
    throw new ResponseError(ResponseCode.INVALID_PARAMETER, `${field} must be host:port, got ${JSON.stringify(value.slice(0, 60))}`);
  }
  return value;
}

export function namesrvHandlers(ns: NamesrvContext): HandlerTable {
  const t = new HandlerTable();

  t.on(RequestCode.REGISTER_BROKER, (req, conn) => {
    const h = decodeHeader(RegisterBrokerRequestHeader, req.extFields);
    if (h.bodyCrc32 !== 0 && bodyCrc(req.body ?? Buffer.alloc(0)) !== h.bodyCrc32) {
      ns.log.warn('registration refused: body crc32 does not match', { peer: conn.remoteAddress, broker: h.brokerName });
      return createResponse(req, ResponseCode.SYSTEM_ERROR, { remark: 'crc32 not match' });
    }
    if (h.brokerId < 0) throw new ResponseError(ResponseCode.INVALID_PARAMETER, `brokerId must be >= 0, got ${h.brokerId}`);
    const body = decodeRegisterBrokerBody(req.body, { compressed: h.compressed, version: req.version });
    const events: RouteEvent[] = [];
    const input: Parameters<typeof ns.routes.registerBroker>[0] = {
      clusterName: checkName(h.clusterName, 'clusterName'),
      brokerAddr: checkAddr(h.brokerAddr, 'brokerAddr'),
      brokerName: checkName(h.brokerName, 'brokerName'),
      brokerId: h.brokerId,
      haServerAddr: h.haServerAddr === '' ? '' : checkAddr(h.haServerAddr, 'haServerAddr'),
      topicConfigWrapper: body.topicConfigSerializeWrapper,
      filterServerList: body.filterServerList,
      channel: conn,
    };
    if (h.heartbeatTimeoutMillis !== undefined) {
      if (h.heartbeatTimeoutMillis <= 0) throw new ResponseError(ResponseCode.INVALID_PARAMETER, `heartbeatTimeoutMillis must be > 0, got ${h.heartbeatTimeoutMillis}`);
      input.heartbeatTimeoutMillis = h.heartbeatTimeoutMillis;
    }
    if (h.enableActingMaster !== undefined) input.enableActingMaster = h.enableActingMaster;
    const zone = req.extFields?.[ZONE_NAME_KEY];
    if (zone !== undefined) input.zoneName = zone;
    const result = ns.routes.registerBroker(input, ns.now(), events);
    ns.record(events);
    const orderConf = ns.kv.list(NAMESPACE_ORDER_TOPIC_CONFIG);
    const response = ok(req, { extFields: encodeHeader(RegisterBrokerResponseHeader, result) });
    // Java's returnOrderTopicConfigToBroker (default true): the broker learns the order-topic config.
    if (orderConf !== undefined) response.body = encodeKVTable(orderConf);
    return response;
  });

  t.on(RequestCode.UNREGISTER_BROKER, (req) => {
    const h = decodeHeader(UnRegisterBrokerRequestHeader, req.extFields);
    const events: RouteEvent[] = [];
    ns.routes.unregisterBroker(h, events);
    ns.record(events);
    return ok(req);
  });

  t.on(RequestCode.BROKER_HEARTBEAT, (req) => {
    const h = decodeHeader(BrokerHeartbeatRequestHeader, req.extFields);
    if (ns.routes.touch(h.clusterName, h.brokerAddr, ns.now())) return ok(req);
    // Java answers SUCCESS regardless; telling the broker lets it re-register at once (e.g.
    // after this NameServer restarted) instead of at its next 30 s registration.
    return createResponse(req, ResponseCode.SYSTEM_ERROR, { remark: `broker ${h.brokerAddr} of cluster ${h.clusterName} is not registered; send REGISTER_BROKER` });
  });

  t.on(RequestCode.QUERY_DATA_VERSION, (req) => {
    const h = decodeHeader(QueryDataVersionRequestHeader, req.extFields);
    const check = new JsonCheck('DataVersion');
    let parsed: unknown;
    try {
      parsed = JSON.parse((req.body ?? Buffer.alloc(0)).toString('utf8'));
    } catch {
      throw new BodyError('DataVersion', 'body is not JSON');
    }
    const theirs = decodeDataVersion(parsed, 'body', check);
    const ours = ns.routes.dataVersionOf(h.clusterName, h.brokerAddr);
    const changed = !sameDataVersion(ours, theirs);
    ns.routes.touch(h.clusterName, h.brokerAddr, ns.now());
    const response = ok(req, { extFields: encodeHeader(QueryDataVersionResponseHeader, { changed }) });
    if (ours !== undefined) response.body = Buffer.from(toFastJson(ours));
    return response;
  });

  t.on(RequestCode.GET_ROUTEINFO_BY_TOPIC, (req) => {
    const { topic } = decodeHeader(GetRouteInfoRequestHeader, req.extFields);
    const route = ns.routes.topicRoute(topic);
    if (route === undefined) {
      return createResponse(req, ResponseCode.TOPIC_NOT_EXIST, { remark: `No topic route info in name server for the topic: ${topic}` });
    }
    if (ns.orderMessageEnable) {
      const conf = ns.kv.get(NAMESPACE_ORDER_TOPIC_CONFIG, topic);
      if (conf !== undefined) route.orderTopicConf = conf;
    }
    // Always standard JSON (quoted keys): Java 4.9.4+ clients ask for it, and older clients and
    // ali-ons parse it as well; the legacy bare-key form would only make ali-ons fall back to eval.
    return ok(req, { body: encodeTopicRouteData(route, { standard: true }) });
  });

  // Java writes ClusterInfo with bare integer keys; quoted keys parse in Java, Go and JS alike.
  t.on(RequestCode.GET_BROKER_CLUSTER_INFO, (req) => ok(req, { body: encodeClusterInfo(ns.routes.clusterInfo(), { standard: true }) }));

  t.on(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, (req) => ok(req, { body: encodeTopicList({ topicList: ns.routes.topics() }) }));

  t.on(RequestCode.GET_TOPICS_BY_CLUSTER, (req) => {
    const { cluster } = decodeHeader(GetTopicsByClusterRequestHeader, req.extFields);
    return ok(req, { body: encodeTopicList({ topicList: ns.routes.topicsByCluster(cluster) }) });
  });

  t.on(RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_NS, (req) => {
    const { topics, brokerAddr } = ns.routes.systemTopics();
    return ok(req, { body: encodeTopicList(brokerAddr === undefined ? { topicList: topics } : { topicList: topics, brokerAddr }) });
  });

  t.on(RequestCode.GET_UNIT_TOPIC_LIST, (req) => ok(req, { body: encodeTopicList({ topicList: ns.routes.topicsBySysFlag('unit') }) }));
  t.on(RequestCode.GET_HAS_UNIT_SUB_TOPIC_LIST, (req) => ok(req, { body: encodeTopicList({ topicList: ns.routes.topicsBySysFlag('unitSub') }) }));
  t.on(RequestCode.GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST, (req) => ok(req, { body: encodeTopicList({ topicList: ns.routes.topicsBySysFlag('unitSubNotUnit') }) }));

  t.on(RequestCode.DELETE_TOPIC_IN_NAMESRV, (req, conn) => {
    const h = decodeHeader(DeleteTopicFromNamesrvRequestHeader, req.extFields);
    if (ns.routes.deleteTopic(h.topic, h.clusterName)) {
      ns.log.info('topic deleted', { topic: h.topic, cluster: h.clusterName, by: conn.remoteAddress });
    }
    return ok(req);
  });

  t.on(RequestCode.REGISTER_TOPIC_IN_NAMESRV, (req) => {
    const { topic } = decodeHeader(RegisterTopicRequestHeader, req.extFields);
    const route = decodeTopicRouteData(req.body);
    if (route.queueDatas.length > 0 && !ns.routes.registerTopic(checkName(topic, 'topic'), route.queueDatas)) {
      ns.log.warn('topic registration names an unknown broker group; ignored', { topic });
    }
    return ok(req);
  });

  t.on(RequestCode.WIPE_WRITE_PERM_OF_BROKER, (req, conn) => {
    const { brokerName } = decodeHeader(WipeWritePermOfBrokerRequestHeader, req.extFields);
    const wipeTopicCount = ns.routes.setWritePerm(brokerName, false);
    ns.log.info('write permission wiped', { broker: brokerName, topics: wipeTopicCount, by: conn.remoteAddress });
    return ok(req, { extFields: encodeHeader(WipeWritePermOfBrokerResponseHeader, { wipeTopicCount }) });
  });

  t.on(RequestCode.ADD_WRITE_PERM_OF_BROKER, (req, conn) => {
    const { brokerName } = decodeHeader(AddWritePermOfBrokerRequestHeader, req.extFields);
    const addTopicCount = ns.routes.setWritePerm(brokerName, true);
    ns.log.info('write permission restored', { broker: brokerName, topics: addTopicCount, by: conn.remoteAddress });
    return ok(req, { extFields: encodeHeader(AddWritePermOfBrokerResponseHeader, { addTopicCount }) });
  });

  t.on(RequestCode.GET_BROKER_MEMBER_GROUP, (req) => {
    const h = decodeHeader(GetBrokerMemberGroupRequestHeader, req.extFields);
    return ok(req, { body: encodeBrokerMemberGroup(ns.routes.brokerMemberGroup(h.clusterName, h.brokerName)) });
  });

  t.on(RequestCode.PUT_KV_CONFIG, async (req) => {
    const h = decodeHeader(PutKVConfigRequestHeader, req.extFields);
    await ns.kv.put(checkName(h.namespace, 'namespace'), checkName(h.key, 'key'), h.value);
    ns.log.info('kv config put', { namespace: h.namespace, key: h.key });
    return ok(req);
  });

  t.on(RequestCode.GET_KV_CONFIG, (req) => {
    const h = decodeHeader(GetKVConfigRequestHeader, req.extFields);
    const value = ns.kv.get(h.namespace, h.key);
    if (value === undefined) return createResponse(req, ResponseCode.QUERY_NOT_FOUND, { remark: `No config item, Namespace: ${h.namespace} Key: ${h.key}` });
    return ok(req, { extFields: encodeHeader(GetKVConfigResponseHeader, { value }) });
  });

  t.on(RequestCode.DELETE_KV_CONFIG, async (req) => {
    const h = decodeHeader(DeleteKVConfigRequestHeader, req.extFields);
    if (await ns.kv.delete(h.namespace, h.key)) ns.log.info('kv config deleted', { namespace: h.namespace, key: h.key });
    return ok(req);
  });

  t.on(RequestCode.GET_KVLIST_BY_NAMESPACE, (req) => {
    const { namespace } = decodeHeader(GetKVListByNamespaceRequestHeader, req.extFields);
    const table = ns.kv.list(namespace);
    if (table === undefined) return createResponse(req, ResponseCode.QUERY_NOT_FOUND, { remark: `No config item, Namespace: ${namespace}` });
    return ok(req, { body: encodeKVTable(table) });
  });

  // Changing the configuration over the network was the CVE-2023-33246 vector: refused.
  t.on(RequestCode.UPDATE_NAMESRV_CONFIG, (req, conn) => {
    ns.log.warn('refused UPDATE_NAMESRV_CONFIG', { peer: conn.remoteAddress });
    return createResponse(req, ResponseCode.NO_PERMISSION, {
      remark: 'updating the NameServer configuration over the network is disabled (CVE-2023-33246); edit namesrv.properties and restart',
    });
  });

  t.on(RequestCode.GET_NAMESRV_CONFIG, (req) => ok(req, { body: Buffer.from(ns.configText(), 'utf8') }));

  t.on(RmqExtensionCode.GET_BROKER_LIVE_INFO, (req) => ok(req, { body: encodeBrokerLiveInfoList(ns.routes.liveBrokers(ns.now())) }));

  return t;
}
