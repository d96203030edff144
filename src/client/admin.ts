/**
 * The admin client's NameServer side: route, cluster and topic-list calls. Each call goes to a
 * NameServer picked at random and fails over to the next on a transport error (cannot connect,
 * connection lost, timeout); an answer — even an error code — is an answer and is not retried
 * elsewhere. `probe` asks one given NameServer, for status displays.
 */
import { RmqError } from '../errors.js';
import { decodeBrokerLiveInfoList, decodeTopicList, type BrokerLiveInfo } from '../protocol/bodies.js';
import { RequestCode, ResponseCode, RmqExtensionCode } from '../remoting/codes.js';
import { encodeHeader } from '../protocol/header-spec.js';
import { GetRouteInfoRequestHeader, GetTopicsByClusterRequestHeader } from '../protocol/headers/namesrv.js';
import { decodeClusterInfo, decodeTopicRouteData, type ClusterInfo, type TopicRouteData } from '../protocol/route.js';
import { createRequest, type ExtFields, type RemotingCommand } from '../remoting/command.js';
import { ConnectionClosedError, RemoteResponseError, RemotingConnectError, RemotingTimeoutError } from '../remoting/errors.js';
import { silentLogger, type Logger } from '../util/log.js';
import { ownConnectionOptions, RemotingClient, type ClientConnectOptions } from '../remoting/client.js';

/** `credentials`, `tls` and a shared `remoting` as for every client class (ClientConnectOptions). */
export interface AdminClientOptions extends ClientConnectOptions {
  /** NameServer addresses, `host:port` each (see parseAddressList). */
  namesrvAddrs: readonly string[];
  /** Per call, per NameServer tried (default 3 s). */
  timeoutMillis?: number;
  logger?: Logger;
  /** Test hook: where the failover order starts (default random). */
  random?: () => number;
}

/** Every NameServer failed at the transport level. */
export class NameServersUnreachableError extends RmqError {
  override readonly name: string = 'NameServersUnreachableError';
  constructor(readonly failures: readonly { addr: string; error: string }[]) {
    super(`no NameServer answered: ${failures.map((f) => `${f.addr} (${f.error})`).join('; ')}`);
  }
}

/** What one NameServer says about the cluster, for `rmqctl status`. */
export interface NameServerProbe {
  addr: string;
  reachable: boolean;
  /** Transport error when not reachable. */
  error?: string;
  /** Round trip of the cluster-info call. */
  latencyMillis?: number;
  clusterInfo?: ClusterInfo;
  /** Per-broker registration ages; undefined when the NameServer does not support the call (a Java NameServer). */
  brokers?: BrokerLiveInfo[];
}

const isTransportError = (e: unknown) => e instanceof RemotingConnectError || e instanceof RemotingTimeoutError || e instanceof ConnectionClosedError;

export class AdminClient {
  private readonly remoting: RemotingClient;
  private readonly ownsRemoting: boolean;
  private readonly timeout: number;
  private readonly log: Logger;
  private readonly random: () => number;

  constructor(private readonly opts: AdminClientOptions) {
    if (opts.namesrvAddrs.length === 0) throw new RmqError('AdminClient needs at least one NameServer address');
    this.ownsRemoting = opts.remoting === undefined;
    const own = ownConnectionOptions(opts, 'AdminClient');
    this.remoting = opts.remoting ?? new RemotingClient({ logger: opts.logger, ...own });
    this.timeout = opts.timeoutMillis ?? 3_000;
    this.log = opts.logger ?? silentLogger;
    this.random = opts.random ?? Math.random;
  }

  get namesrvAddrs(): readonly string[] {
    return this.opts.namesrvAddrs;
  }

  /** Sends to one NameServer after another (random start) until one answers. */
  async invokeNameServer(build: () => RemotingCommand): Promise<{ addr: string; response: RemotingCommand }> {
    const addrs = this.opts.namesrvAddrs;
    const start = Math.floor(this.random() * addrs.length) % addrs.length;
    const failures: { addr: string; error: string }[] = [];
    for (let i = 0; i < addrs.length; i++) {
      const addr = addrs[(start + i) % addrs.length] as string;
      const req = build();
      try {
        return { addr, response: await this.remoting.request(addr, req, this.timeout) };
      } catch (e) {
        if (!isTransportError(e)) throw e;
        this.log.debug('NameServer failed, trying the next', { addr, err: e as Error });
        failures.push({ addr, error: (e as Error).message });
      }
    }
    throw new NameServersUnreachableError(failures);
  }

  private async call(code: number, extFields?: ExtFields, accept: readonly number[] = []): Promise<RemotingCommand> {
    const { addr, response } = await this.invokeNameServer(() => createRequest(code, extFields === undefined ? {} : { extFields }));
    if (response.code !== ResponseCode.SUCCESS && !accept.includes(response.code)) {
      throw new RemoteResponseError(response.code, response.remark, code, addr);
    }
    return response;
  }

  /** The topic's route, or undefined when the NameServer answers TOPIC_NOT_EXIST. */
  async topicRoute(topic: string): Promise<TopicRouteData | undefined> {
    const res = await this.call(RequestCode.GET_ROUTEINFO_BY_TOPIC, encodeHeader(GetRouteInfoRequestHeader, { topic, acceptStandardJsonOnly: true }), [ResponseCode.TOPIC_NOT_EXIST]);
    return res.code === ResponseCode.TOPIC_NOT_EXIST ? undefined : decodeTopicRouteData(res.body);
  }

  async clusterInfo(): Promise<ClusterInfo> {
    return decodeClusterInfo((await this.call(RequestCode.GET_BROKER_CLUSTER_INFO)).body);
  }

  /** Every topic the NameServer has a route for, sorted. */
  async topicList(): Promise<string[]> {
    const res = await this.call(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER);
    return decodeTopicList(res.body).topicList.sort();
  }

  /** Topics with queues on the cluster's broker groups, sorted. */
  async topicsByCluster(cluster: string): Promise<string[]> {
    const res = await this.call(RequestCode.GET_TOPICS_BY_CLUSTER, encodeHeader(GetTopicsByClusterRequestHeader, { cluster }));
    return decodeTopicList(res.body).topicList.sort();
  }

  /** Asks one NameServer what it knows (no failover): reachability, cluster info, broker ages. */
  async probe(addr: string): Promise<NameServerProbe> {
    const started = performance.now();
    let clusterRes: RemotingCommand;
    try {
      clusterRes = await this.remoting.request(addr, createRequest(RequestCode.GET_BROKER_CLUSTER_INFO), this.timeout);
    } catch (e) {
      if (!isTransportError(e)) throw e;
      return { addr, reachable: false, error: (e as Error).message };
    }
    const latencyMillis = Math.round(performance.now() - started);
    if (clusterRes.code !== ResponseCode.SUCCESS) {
      return { addr, reachable: true, latencyMillis, error: `GET_BROKER_CLUSTER_INFO answered ${clusterRes.code}${clusterRes.remark ? `: ${clusterRes.remark}` : ''}` };
    }
    const probe: NameServerProbe = { addr, reachable: true, latencyMillis, clusterInfo: decodeClusterInfo(clusterRes.body) };
    try {
      const live = await this.remoting.request(addr, createRequest(RmqExtensionCode.GET_BROKER_LIVE_INFO), this.timeout);
      if (live.code === ResponseCode.SUCCESS) probe.brokers = decodeBrokerLiveInfoList(live.body);
    } catch (e) {
      if (!isTransportError(e)) throw e;
    }
    return probe;
  }

  close(): void {
    if (this.ownsRemoting) this.remoting.shutdown();
  }
}
