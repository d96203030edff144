/**
 * Topic administration over a whole cluster, as mqadmin does it:
 * - create/update: UPDATE_AND_CREATE_TOPIC on every master of a cluster (or on one broker group);
 *   an order topic also gets its `ORDER_TOPIC_CONFIG` entry (`broker-a:4;broker-b:4`) on every
 *   NameServer;
 * - delete: DELETE_TOPIC_IN_BROKER on every master serving it, then DELETE_TOPIC_IN_NAMESRV (and
 *   the order config) on every NameServer;
 * - describe: the route plus every master's per-queue offsets, and its half (transactional)
 *   messages for the topic still pending.
 * Each broker's outcome is reported separately: one unreachable broker does not hide the others.
 */
import { RmqError } from '../errors.js';
import { RequestCode } from '../remoting/codes.js';
import { encodeHeader } from '../protocol/header-spec.js';
import { DeleteKVConfigRequestHeader, DeleteTopicFromNamesrvRequestHeader, PutKVConfigRequestHeader } from '../protocol/headers/namesrv.js';
import { masterAddr, type ClusterInfo, type TopicRouteData } from '../protocol/route.js';
import type { QueueStats } from '../protocol/topic-stats.js';
import { createRequest } from '../remoting/command.js';
import type { AdminClient } from '../client/admin.js';
import type { BrokerApi, CreateTopicRequest } from '../client/broker-api.js';
import type { RemotingClient } from '../remoting/client.js';
import { transactionsOn, type BrokerTransactions } from './transaction-state.js';

export const ORDER_TOPIC_CONFIG = 'ORDER_TOPIC_CONFIG';

export interface BrokerTarget {
  brokerName: string;
  addr: string;
}

export interface BrokerOutcome extends BrokerTarget {
  ok: boolean;
  error?: string;
}

export class TopicAdminError extends RmqError {
  override readonly name: string = 'TopicAdminError';
}

export type TargetSelector = { cluster: string } | { broker: string };

/** Master addresses of a cluster's broker groups, or of one group (by name or by master address). */
export function resolveTargets(info: ClusterInfo, sel: TargetSelector): BrokerTarget[] {
  if ('cluster' in sel) {
    const names = info.clusterAddrTable[sel.cluster];
    if (names === undefined) throw new TopicAdminError(`cluster ${sel.cluster} is not known to the NameServers (known: ${Object.keys(info.clusterAddrTable).sort().join(', ') || 'none'})`);
    const targets: BrokerTarget[] = [];
    const masterless: string[] = [];
    for (const name of [...names].sort()) {
      const addr = info.brokerAddrTable[name] && masterAddr(info.brokerAddrTable[name]);
      if (addr === undefined) masterless.push(name);
      else targets.push({ brokerName: name, addr });
    }
    if (targets.length === 0) throw new TopicAdminError(`cluster ${sel.cluster} has no broker group with a live master${masterless.length ? ` (without master: ${masterless.join(', ')})` : ''}`);
    return targets;
  }
  const byName = info.brokerAddrTable[sel.broker];
  if (byName !== undefined) {
    const addr = masterAddr(byName);
    if (addr === undefined) throw new TopicAdminError(`broker group ${sel.broker} has no live master`);
    return [{ brokerName: sel.broker, addr }];
  }
  for (const b of Object.values(info.brokerAddrTable)) {
    if (masterAddr(b) === sel.broker) return [{ brokerName: b.brokerName, addr: sel.broker }];
  }
  throw new TopicAdminError(`no broker group named or with a master at ${sel.broker} (groups: ${Object.keys(info.brokerAddrTable).sort().join(', ') || 'none'})`);
}

async function eachBroker(targets: readonly BrokerTarget[], fn: (t: BrokerTarget) => Promise<void>): Promise<BrokerOutcome[]> {
  return Promise.all(
    targets.map(async (t) => {
      try {
        await fn(t);
        return { ...t, ok: true };
      } catch (e) {
        return { ...t, ok: false, error: (e as Error).message };
      }
    }),
  );
}

export interface TopicAdminDeps {
  admin: AdminClient;
  brokers: BrokerApi;
  remoting: RemotingClient;
  timeoutMillis: number;
}

/** Creates or updates the topic on every target broker; for an order topic, also the NameServers' order config. */
export async function createTopic(d: TopicAdminDeps, sel: TargetSelector, t: CreateTopicRequest): Promise<{ brokers: BrokerOutcome[]; orderConf?: string; namesrvs?: BrokerOutcome[] }> {
  const targets = resolveTargets(await d.admin.clusterInfo(), sel);
  const brokers = await eachBroker(targets, (b) => d.brokers.createTopic(b.addr, t));
  if (!t.order) return { brokers };
  const orderConf = brokers
    .filter((b) => b.ok)
    .map((b) => `${b.brokerName}:${t.writeQueueNums}`)
    .join(';');
  const namesrvs = await eachNamesrv(d, (addr) => d.remoting.requestOk(addr, createRequest(RequestCode.PUT_KV_CONFIG, { extFields: encodeHeader(PutKVConfigRequestHeader, { namespace: ORDER_TOPIC_CONFIG, key: t.topicName, value: orderConf }) }), d.timeoutMillis));
  return { brokers, orderConf, namesrvs };
}

async function eachNamesrv(d: TopicAdminDeps, fn: (addr: string) => Promise<unknown>): Promise<BrokerOutcome[]> {
  return eachBroker(
    d.admin.namesrvAddrs.map((addr) => ({ brokerName: 'namesrv', addr })),
    async (t) => {
      await fn(t.addr);
    },
  );
}

/**
 * Deletes the topic from the masters serving it (all of them, or those of `cluster`), then from
 * every NameServer. A topic no broker serves any more is still removed from the NameServers.
 */
export async function deleteTopic(d: TopicAdminDeps, topic: string, cluster?: string): Promise<{ brokers: BrokerOutcome[]; namesrvs: BrokerOutcome[] }> {
  const info = await d.admin.clusterInfo();
  const route = await d.admin.topicRoute(topic);
  const served = new Set(route?.queueDatas.map((q) => q.brokerName) ?? []);
  let targets: BrokerTarget[];
  if (cluster !== undefined) {
    targets = resolveTargets(info, { cluster }).filter((t) => served.size === 0 || served.has(t.brokerName));
  } else {
    targets = [...served].sort().flatMap((name) => {
      const b = info.brokerAddrTable[name];
      const addr = b && masterAddr(b);
      return addr === undefined ? [] : [{ brokerName: name, addr }];
    });
  }
  const brokers = await eachBroker(targets, (b) => d.brokers.deleteTopic(b.addr, topic));
  const namesrvs = await eachNamesrv(d, async (addr) => {
    await d.remoting.requestOk(addr, createRequest(RequestCode.DELETE_TOPIC_IN_NAMESRV, { extFields: encodeHeader(DeleteTopicFromNamesrvRequestHeader, cluster === undefined ? { topic } : { topic, clusterName: cluster }) }), d.timeoutMillis);
    // order config too, as mqadmin deleteTopic does; absent is fine
    await d.remoting.request(addr, createRequest(RequestCode.DELETE_KV_CONFIG, { extFields: encodeHeader(DeleteKVConfigRequestHeader, { namespace: ORDER_TOPIC_CONFIG, key: topic }) }), d.timeoutMillis);
  });
  return { brokers, namesrvs };
}

export interface TopicDescription {
  topic: string;
  route: TopicRouteData;
  /** Per master broker group: its queues' offsets, or why they could not be read. */
  brokers: { brokerName: string; addr: string | undefined; perm: number; readQueueNums: number; writeQueueNums: number; queues: QueueStats[]; topicPutTps: number; error?: string }[];
  /** Per master: transactional (half) messages for the topic still waiting for their commit or rollback, and the checks made. */
  transactions: BrokerTransactions[];
}

export async function describeTopic(d: TopicAdminDeps, topic: string): Promise<TopicDescription | undefined> {
  const route = await d.admin.topicRoute(topic);
  if (route === undefined) return undefined;
  const datas = [...route.queueDatas].sort((a, b) => (a.brokerName < b.brokerName ? -1 : 1));
  const brokers = await Promise.all(
    datas.map(async (q) => {
      const bd = route.brokerDatas.find((b) => b.brokerName === q.brokerName);
      const addr = bd && masterAddr(bd);
      const base = { brokerName: q.brokerName, addr, perm: q.perm, readQueueNums: q.readQueueNums, writeQueueNums: q.writeQueueNums };
      if (addr === undefined) return { ...base, queues: [], topicPutTps: 0, error: 'no live master' };
      try {
        const stats = await d.brokers.topicStats(addr, topic);
        return { ...base, queues: stats.queues, topicPutTps: stats.topicPutTps };
      } catch (e) {
        return { ...base, queues: [], topicPutTps: 0, error: (e as Error).message };
      }
    }),
  );
  const masters = brokers.flatMap((b) => (b.addr === undefined ? [] : [{ brokerName: b.brokerName, addr: b.addr }]));
  return { topic, route, brokers, transactions: await transactionsOn(d.brokers, masters, { topic }) };
}
