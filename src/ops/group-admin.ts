/**
 * Consumer-group administration across a cluster, for the `group` commands: which groups exist
 * (every master's subscription groups), a group's progress per queue (RocketMQ's
 * `consumerProgress`: broker offset, consumer offset, lag, last consume time) with its connected
 * clients, and resetting its offsets by time on every broker group serving a topic.
 * A broker that cannot be asked is reported with its error, never left out silently; a lag that
 * cannot be known (no committed offset, broker unreachable) is `null`, never 0.
 */
import type { ClientConnection, ConsumerConnection, QueueOffset } from '../protocol/consumer-bodies.js';
import type { SubscriptionData } from '../protocol/heartbeat.js';
import { masterAddr, type ClusterInfo } from '../protocol/route.js';
import { RETRY_GROUP_TOPIC_PREFIX, SYSTEM_GROUP_NAMES } from '../protocol/topic-names.js';
import type { AdminClient } from '../client/admin.js';
import type { BrokerApi } from '../client/broker-api.js';
import type { GroupApi } from '../client/group-api.js';
import { transactionsOn, type BrokerTransactions } from './transaction-state.js';
import { RmqError } from '../errors.js';

export interface GroupAdminDeps {
  admin: AdminClient;
  groups: GroupApi;
  /** For describe's transaction section (the group as a producer group); left out without it. */
  brokers?: BrokerApi;
}

export class GroupAdminError extends RmqError {
  override readonly name: string = 'GroupAdminError';
}

/** A broker group's master that could not be asked. */
export interface BrokerProblem {
  brokerName: string;
  addr?: string;
  error: string;
}


interface Master {
  brokerName: string;
  addr: string;
}

function masters(info: ClusterInfo, problems: BrokerProblem[]): Master[] {
  const out: Master[] = [];
  for (const name of Object.keys(info.brokerAddrTable).sort()) {
    const addr = masterAddr(info.brokerAddrTable[name] as (typeof info.brokerAddrTable)[string]);
    if (addr === undefined) problems.push({ brokerName: name, error: 'no live master registered' });
    else out.push({ brokerName: name, addr });
  }
  return out;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

// ------------------------------------------------------------------------------------ list

export interface GroupSummary {
  group: string;
  /** Broker groups that know the group (its subscription group config). */
  brokers: string[];
  /** Distinct consumer clients connected now, over all brokers. */
  clients: number;
  messageModel?: string;
  consumeType?: string;
  /** Topics its online consumers subscribe to (retry topics left out). */
  topics: string[];
  /** Messages not consumed yet, over all queues with offsets; null when some queue's lag cannot be known. */
  lag: number | null;
  consumeTps: number;
}

export async function listGroups(d: GroupAdminDeps, opts: { includeSystem?: boolean } = {}): Promise<{ groups: GroupSummary[]; problems: BrokerProblem[] }> {
  const problems: BrokerProblem[] = [];
  const ms = masters(await d.admin.clusterInfo(), problems);
  const where = new Map<string, Master[]>();
  await Promise.all(
    ms.map(async (m) => {
      try {
        const w = await d.groups.subscriptionGroups(m.addr);
        for (const g of Object.keys(w.subscriptionGroupTable)) {
          if (!opts.includeSystem && SYSTEM_GROUP_NAMES.includes(g)) continue;
          const list = where.get(g) ?? [];
          list.push(m);
          where.set(g, list);
        }
      } catch (e) {
        problems.push({ ...m, error: message(e) });
      }
    }),
  );
  const groups = await Promise.all(
    [...where.keys()].sort().map(async (group) => {
      const p = await progressOn(d, group, where.get(group) as Master[]);
      problems.push(...p.problems);
      const lag = p.queues.some((q) => q.lag === null) || p.problems.length > 0 ? null : p.queues.reduce((n, q) => n + (q.lag as number), 0);
      const summary: GroupSummary = {
        group,
        brokers: (where.get(group) as Master[]).map((m) => m.brokerName).sort(),
        clients: p.clients.length,
        topics: Object.keys(p.subscriptions ?? {})
          .filter((t) => !t.startsWith(RETRY_GROUP_TOPIC_PREFIX))
          .sort(),
        lag,
        consumeTps: p.consumeTps,
        ...(p.messageModel !== undefined ? { messageModel: p.messageModel } : {}),
        ...(p.consumeType !== undefined ? { consumeType: p.consumeType } : {}),
      };
      return summary;
    }),
  );
  return { groups, problems: dedupe(problems) };
}

function dedupe(problems: BrokerProblem[]): BrokerProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.brokerName} ${p.error}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

// ------------------------------------------------------------------------------------ describe

export interface QueueProgress {
  topic: string;
  brokerName: string;
  queueId: number;
  /** The queue's max offset (where its next message goes). */
  brokerOffset: number;
  /** The group's committed offset; null when it has committed none. */
  consumerOffset: number | null;
  /** brokerOffset − consumerOffset; null when it cannot be known. */
  lag: number | null;
  /** Store time of the last consumed message (ms); null when unknown. */
  lastConsumeTimestamp: number | null;
  /** POP consumption (v5 clients): messages delivered and not acked yet; absent when the broker reports none (no POP state for the queue, or not rmqd). */
  inflight?: number;
  /**
   * The clients holding the queue by their own account (GET_CONSUMER_RUNNING_INFO; several in
   * BROADCASTING); [] when every connected client answered and none holds it; null when unknown
   * (a client that did not answer — ali-ons does not — may hold it). Absent from `group list`.
   */
  clients?: string[] | null;
}

export interface ConnectedClient extends ClientConnection {
  /** Broker groups it is connected to. */
  brokers: string[];
  /** How many of the described queues it says it holds; null when it could not be asked (see runningInfoError). Only from describe. */
  queuesHeld?: number | null;
  runningInfoError?: string;
}

export interface GroupProgress {
  group: string;
  queues: QueueProgress[];
  clients: ConnectedClient[];
  subscriptions?: Record<string, SubscriptionData>;
  messageModel?: string;
  consumeType?: string;
  consumeFromWhere?: string;
  consumeTps: number;
  problems: BrokerProblem[];
  /** The group as a producer group: its transactional (half) messages pending on each master, and the checks made (describe only). */
  transactions?: BrokerTransactions[];
}

export interface DescribeOptions {
  topic?: string;
  /** How long each client may take to say which queues it holds (ms, default 3000). */
  clientTimeoutMillis?: number;
}

/** The group's progress on every master that knows it (or on all masters with `topic`), with the client holding each queue. */
export async function describeGroup(d: GroupAdminDeps, group: string, opts: DescribeOptions = {}): Promise<GroupProgress> {
  const problems: BrokerProblem[] = [];
  const ms = masters(await d.admin.clusterInfo(), problems);
  const known: Master[] = [];
  await Promise.all(
    ms.map(async (m) => {
      try {
        const w = await d.groups.subscriptionGroups(m.addr);
        if (w.subscriptionGroupTable[group] !== undefined) known.push(m);
      } catch (e) {
        problems.push({ ...m, error: message(e) });
      }
    }),
  );
  // the same name as a producer group: its half messages still waiting for a commit or rollback
  const transactions = d.brokers === undefined ? [] : (await transactionsOn(d.brokers, ms, { producerGroup: group, ...(opts.topic !== undefined ? { topic: opts.topic } : {}) })).filter((t) => t.pending > 0 || t.error !== undefined);
  if (known.length === 0 && problems.length === 0) {
    if (transactions.length > 0) return { group, queues: [], clients: [], consumeTps: 0, problems: [], transactions };
    throw new GroupAdminError(`consumer group ${group} is not known to any broker (rmqctl group list shows the groups)`);
  }
  known.sort((a, b) => a.brokerName.localeCompare(b.brokerName));
  const p = await progressOn(d, group, known, opts.topic);
  const clients = await askHolders(d, group, p.queues, p.clients, new Map(known.map((m) => [m.brokerName, m.addr])), opts.clientTimeoutMillis ?? 3_000);
  return { ...p, clients, group, problems: [...problems, ...p.problems], ...(transactions.length > 0 ? { transactions } : {}) };
}

/**
 * Asks every connected client which queues it holds (GET_CONSUMER_RUNNING_INFO through a broker it
 * is connected to, as RocketMQ's admin does) and fills in each queue's `clients`. Never guesses: a
 * queue nobody who answered holds is unknown while some client did not answer.
 */
async function askHolders(d: GroupAdminDeps, group: string, queues: QueueProgress[], clients: readonly ConnectedClient[], addrOf: ReadonlyMap<string, string>, timeoutMillis: number): Promise<ConnectedClient[]> {
  const held = new Map<string, string[]>();
  const key = (q: { topic: string; brokerName: string; queueId: number }) => `${q.topic}\u0000${q.brokerName}\u0000${q.queueId}`;
  const shown = new Set(queues.map(key));
  const answered = await Promise.all(
    clients.map(async (c): Promise<ConnectedClient> => {
      const addr = c.brokers.map((b) => addrOf.get(b)).find((a) => a !== undefined);
      if (addr === undefined) return { ...c, queuesHeld: null, runningInfoError: 'connected to no broker that was asked' };
      try {
        const info = await d.groups.consumerRunningInfo(addr, group, c.clientId, timeoutMillis);
        const mine = info.mqTable.filter((q) => shown.has(key(q)));
        for (const q of mine) {
          const list = held.get(key(q)) ?? [];
          list.push(c.clientId);
          held.set(key(q), list);
        }
        return { ...c, queuesHeld: mine.length };
      } catch (e) {
        return { ...c, queuesHeld: null, runningInfoError: message(e) };
      }
    }),
  );
  const someUnknown = answered.some((c) => c.queuesHeld === null);
  for (const q of queues) {
    const h = held.get(key(q));
    q.clients = h !== undefined ? h.sort() : someUnknown ? null : [];
  }
  return answered;
}

async function progressOn(d: GroupAdminDeps, group: string, on: readonly Master[], topic?: string): Promise<Omit<GroupProgress, 'group'>> {
  const problems: BrokerProblem[] = [];
  const queues: QueueProgress[] = [];
  const clients = new Map<string, ConnectedClient>();
  let connection: ConsumerConnection | undefined;
  let consumeTps = 0;
  await Promise.all(
    on.map(async (m) => {
      try {
        const [stats, conn] = await Promise.all([d.groups.consumeStats(m.addr, group, topic), d.groups.consumerConnections(m.addr, group)]);
        consumeTps += stats.consumeTps;
        for (const q of stats.queues) {
          // GET_CONSUME_STATS answers 0 for "no committed offset" (as Java does): ask which it is
          let committed: number | null = q.consumerOffset;
          if (q.consumerOffset === 0 && q.brokerOffset > 0) committed = (await d.groups.queryConsumerOffset(m.addr, group, q.topic, q.queueId)) ?? null;
          const lag = committed === null ? null : Math.max(0, q.brokerOffset - committed);
          queues.push({
            topic: q.topic,
            brokerName: q.brokerName,
            queueId: q.queueId,
            brokerOffset: q.brokerOffset,
            consumerOffset: committed,
            lag,
            lastConsumeTimestamp: q.lastTimestamp > 0 ? q.lastTimestamp : null,
            ...(q.inflight === undefined ? {} : { inflight: q.inflight }),
          });
        }
        if (conn !== undefined) {
          connection ??= conn;
          for (const c of conn.connectionSet) {
            const seen = clients.get(c.clientId) ?? { ...c, brokers: [] };
            seen.brokers.push(m.brokerName);
            clients.set(c.clientId, seen);
          }
        }
      } catch (e) {
        problems.push({ ...m, error: message(e) });
      }
    }),
  );
  queues.sort((a, b) => a.topic.localeCompare(b.topic) || a.brokerName.localeCompare(b.brokerName) || a.queueId - b.queueId);
  const c = connection as ConsumerConnection | undefined;
  return {
    queues,
    clients: [...clients.values()].map((c) => ({ ...c, brokers: c.brokers.sort() })).sort((a, b) => a.clientId.localeCompare(b.clientId)),
    consumeTps,
    problems,
    ...(c !== undefined ? { subscriptions: c.subscriptionTable, messageModel: c.messageModel, consumeType: c.consumeType, consumeFromWhere: c.consumeFromWhere } : {}),
  };
}

// ------------------------------------------------------------------------------------ reset

export interface ResetOutcome {
  queues: QueueOffset[];
  problems: BrokerProblem[];
}

/**
 * Moves the group's offsets of `topic` to the first message stored at or after `timestamp` (ms;
 * -1: the end of each queue) on the master of every broker group serving the topic. Without
 * `force` a queue only moves back. Running consumers are sent to the new offset on their next pull.
 */
export async function resetGroupOffsets(d: GroupAdminDeps, group: string, topic: string, timestamp: number, force: boolean): Promise<ResetOutcome> {
  const route = await d.admin.topicRoute(topic);
  if (route === undefined || route.queueDatas.length === 0) throw new GroupAdminError(`topic ${topic} has no route: no registered broker serves it`);
  const problems: BrokerProblem[] = [];
  const queues: QueueOffset[] = [];
  const names = [...new Set(route.queueDatas.map((q) => q.brokerName))].sort();
  await Promise.all(
    names.map(async (brokerName) => {
      const b = route.brokerDatas.find((x) => x.brokerName === brokerName);
      const addr = b === undefined ? undefined : masterAddr(b);
      if (addr === undefined) {
        problems.push({ brokerName, error: 'no live master: offsets can only be reset on a master' });
        return;
      }
      try {
        queues.push(...(await d.groups.resetOffset(addr, { group, topic, timestamp, force })));
      } catch (e) {
        problems.push({ brokerName, addr, error: message(e) });
      }
    }),
  );
  queues.sort((a, b) => a.brokerName.localeCompare(b.brokerName) || a.queueId - b.queueId);
  return { queues, problems };
}
