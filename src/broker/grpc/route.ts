/**
 * Routes for v5 clients in local mode (the Proxy's `LocalTopicRouteService` and
 * `RouteActivity`): the topic's route comes from the NameServers, as remoting clients get it, and
 * every master broker in it is given as ITS OWN gRPC endpoint (brokerIP1 : grpcServerPort) — so a
 * client talks to each broker directly, as remoting clients do. RocketMQ's local mode assumes one
 * gRPC port for all brokers; here each broker says its own: a peer's port is read from its
 * runtime info (GET_BROKER_RUNTIME_INFO `grpcServerPort`) and cached. Slaves are not listed (they
 * cannot take sends or POP receives), nor brokers without a gRPC port.
 *
 * Message queues per broker as the Proxy builds them (`genMessageQueueFromQueueData`): ids
 * 0..max(read, write)-1, each READ_WRITE, READ or WRITE by the queue counts and the topic's
 * permission. The Node client only ever uses queue id 0 (its load balancers compare the queue id
 * with the master broker id), so id 0 must exist with READ_WRITE; the broker picks the real queue
 * of a send or receive itself.
 */
import { encodeHeader } from '../../protocol/header-spec.js';
import { GetRouteInfoRequestHeader } from '../../protocol/headers/namesrv.js';
import { decodeKVTable } from '../../protocol/bodies.js';
import { RequestCode, ResponseCode } from '../../remoting/codes.js';
import { isReadable, isWriteable } from '../../protocol/perm.js';
import { decodeTopicRouteData, masterAddr, type QueueData, type TopicRouteData } from '../../protocol/route.js';
import type { TopicConfig } from '../../protocol/topic-config.js';
import { createRequest } from '../../remoting/command.js';
import type { RemotingClient } from '../../remoting/client.js';
import type { Logger } from '../../util/log.js';
import type { Endpoints } from '../../grpc/generated/apache/rocketmq/v2/Endpoints.js';
import type { MessageQueue } from '../../grpc/generated/apache/rocketmq/v2/MessageQueue.js';
import type { MessageType } from '../../grpc/generated/apache/rocketmq/v2/MessageType.js';
import type { Permission } from '../../grpc/generated/apache/rocketmq/v2/Permission.js';

/** How long a topic's route and a peer's gRPC port are reused (the NameServer route changes rarely; clients re-query every 30 s). */
const ROUTE_TTL_MILLIS = 3_000;
const PEER_PORT_TTL_MILLIS = 30_000;
const PEER_PORT_MISS_TTL_MILLIS = 3_000;
const REQUEST_TIMEOUT_MILLIS = 3_000;

export interface GrpcBrokerRoute {
  brokerName: string;
  endpoints: Endpoints;
  queue: QueueData;
}

export interface RouteServiceOptions {
  namesrvAddrs: readonly string[];
  remoting: RemotingClient;
  /** This broker: its name, remoting address, and where clients reach its gRPC port. */
  self: { brokerName: string; brokerAddr: string; host: string; grpcPort: number };
  /** This broker's own topic (for topics the NameServers do not list yet). */
  localTopic: (topic: string) => TopicConfig | undefined;
  log: Logger;
}

export function endpointsOf(host: string, port: number): Endpoints {
  const scheme = /^\d{1,3}(\.\d{1,3}){3}$/.test(host) ? 'IPv4' : host.includes(':') ? 'IPv6' : 'DOMAIN_NAME';
  return { scheme, addresses: [{ host, port }] };
}

/** The v5 message types a topic accepts, from its `message.type` attribute (default NORMAL, as RocketMQ). */
export function acceptedMessageTypes(tc: TopicConfig | undefined): MessageType[] {
  const t = tc?.attributes['message.type'];
  switch (t) {
    case 'FIFO':
    case 'DELAY':
    case 'TRANSACTION':
      return [t];
    case 'MIXED':
      return ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION'];
    default:
      return ['NORMAL'];
  }
}

/** The message queues of one broker's part of a topic. */
export function messageQueuesOf(topic: string, b: GrpcBrokerRoute, accept: MessageType[]): MessageQueue[] {
  const { readQueueNums: r, writeQueueNums: w, perm } = b.queue;
  const out: MessageQueue[] = [];
  for (let id = 0; id < Math.max(r, w); id++) {
    const readable = id < r && isReadable(perm);
    const writable = id < w && isWriteable(perm);
    const permission: Permission = readable && writable ? 'READ_WRITE' : readable ? 'READ' : writable ? 'WRITE' : 'NONE';
    if (permission === 'NONE') continue;
    out.push({ topic: { name: topic, resourceNamespace: '' }, id, permission, broker: { name: b.brokerName, id: 0, endpoints: b.endpoints }, acceptMessageTypes: accept });
  }
  return out;
}

export class RouteService {
  private readonly routes = new Map<string, { at: number; value: Promise<GrpcBrokerRoute[] | undefined> }>();
  private readonly peerPorts = new Map<string, { at: number; ttl: number; value: Promise<number | undefined> }>();

  constructor(private readonly opts: RouteServiceOptions) {}

  /** The masters serving `topic` over gRPC, or undefined when no NameServer (nor this broker) knows the topic. */
  brokers(topic: string): Promise<GrpcBrokerRoute[] | undefined> {
    const now = Date.now();
    const hit = this.routes.get(topic);
    if (hit !== undefined && now - hit.at < ROUTE_TTL_MILLIS) return hit.value;
    const value = this.load(topic);
    this.routes.set(topic, { at: now, value });
    value.catch(() => this.routes.delete(topic));
    if (this.routes.size > 10_000) this.routes.clear();
    return value;
  }

  private async load(topic: string): Promise<GrpcBrokerRoute[] | undefined> {
    const route = await this.namesrvRoute(topic);
    const out: GrpcBrokerRoute[] = [];
    const self = this.opts.self;
    let selfListed = false;
    for (const bd of route?.brokerDatas ?? []) {
      const addr = masterAddr(bd);
      const queue = route?.queueDatas.find((q) => q.brokerName === bd.brokerName);
      if (addr === undefined || queue === undefined) continue;
      if (addr === self.brokerAddr || bd.brokerName === self.brokerName) {
        selfListed = true;
        if (addr !== self.brokerAddr) continue; // our group's master is elsewhere (we are a slave)
        out.push({ brokerName: bd.brokerName, endpoints: endpointsOf(self.host, self.grpcPort), queue });
        continue;
      }
      const port = await this.peerGrpcPort(addr);
      if (port === undefined) continue;
      out.push({ brokerName: bd.brokerName, endpoints: endpointsOf(addr.slice(0, addr.lastIndexOf(':')), port), queue });
    }
    const local = this.opts.localTopic(topic);
    if (!selfListed && local !== undefined) {
      out.push({ brokerName: self.brokerName, endpoints: endpointsOf(self.host, self.grpcPort), queue: { brokerName: self.brokerName, readQueueNums: local.readQueueNums, writeQueueNums: local.writeQueueNums, perm: local.perm, topicSysFlag: local.topicSysFlag } });
    }
    if (route === undefined && local === undefined) return undefined;
    return out.sort((a, b) => (a.brokerName < b.brokerName ? -1 : a.brokerName > b.brokerName ? 1 : 0));
  }

  /** The topic's route from the first NameServer that answers; undefined when they say it does not exist (or none is configured). */
  private async namesrvRoute(topic: string): Promise<TopicRouteData | undefined> {
    let lastError: unknown;
    for (const ns of this.opts.namesrvAddrs) {
      try {
        const res = await this.opts.remoting.request(ns, createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { extFields: encodeHeader(GetRouteInfoRequestHeader, { topic, acceptStandardJsonOnly: true }) }), REQUEST_TIMEOUT_MILLIS);
        if (res.code === ResponseCode.TOPIC_NOT_EXIST) return undefined;
        if (res.code !== ResponseCode.SUCCESS) throw new Error(`NameServer ${ns} answered ${res.code}: ${res.remark ?? ''}`);
        return decodeTopicRouteData(res.body);
      } catch (e) {
        lastError = e;
      }
    }
    if (lastError !== undefined) this.opts.log.warn('no NameServer answered a route query; using this broker alone', { topic, err: lastError as Error });
    return undefined;
  }

  /** A peer broker's gRPC port from its runtime info; undefined when it has none or does not answer. */
  private peerGrpcPort(brokerAddr: string): Promise<number | undefined> {
    const now = Date.now();
    const hit = this.peerPorts.get(brokerAddr);
    if (hit !== undefined && now - hit.at < hit.ttl) return hit.value;
    const entry = { at: now, ttl: PEER_PORT_TTL_MILLIS, value: Promise.resolve<number | undefined>(undefined) };
    entry.value = (async () => {
      try {
        const res = await this.opts.remoting.request(brokerAddr, createRequest(RequestCode.GET_BROKER_RUNTIME_INFO), REQUEST_TIMEOUT_MILLIS);
        const port = res.code === ResponseCode.SUCCESS ? Number(decodeKVTable(res.body).grpcServerPort) : NaN;
        if (Number.isInteger(port) && port > 0 && port < 65536) return port;
      } catch (e) {
        this.opts.log.debug('peer broker runtime info not read', { broker: brokerAddr, err: e as Error });
      }
      entry.ttl = PEER_PORT_MISS_TTL_MILLIS;
      return undefined;
    })();
    this.peerPorts.set(brokerAddr, entry);
    return entry.value;
  }
}
