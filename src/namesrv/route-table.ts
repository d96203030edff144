/**
 * The NameServer's state, sans-IO (Java `RouteInfoManager`): which brokers are alive, which
 * broker groups form which cluster, which queues each topic has on which group. Time comes in as
 * `now`, connections as an opaque channel value, and every change comes back as events the
 * caller logs — so the whole behaviour is testable without sockets or clocks.
 */
import type { DataVersion } from '../protocol/data-version.js';
import { sameDataVersion } from '../protocol/data-version.js';
import { Perm, TopicSysFlag } from '../protocol/perm.js';
import type { BrokerData, ClusterInfo, QueueData, TopicRouteData } from '../protocol/route.js';
import { MASTER_ID } from '../protocol/route.js';
import type { TopicConfig } from '../protocol/topic-config.js';
import type { TopicConfigSerializeWrapper } from '../protocol/register-broker-body.js';
import type { BrokerLiveInfo, BrokerMemberGroup } from '../protocol/bodies.js';

/** Java `RouteInfoManager.DEFAULT_BROKER_CHANNEL_EXPIRED_TIME`. */
export const DEFAULT_BROKER_EXPIRY_MILLIS = 120_000;

export interface RegisterBrokerInput<C> {
  clusterName: string;
  brokerAddr: string;
  brokerName: string;
  brokerId: number;
  haServerAddr: string;
  zoneName?: string;
  /** From the request header; else the table's default expiry. */
  heartbeatTimeoutMillis?: number;
  /** undefined for brokers too old to send it (Java treats them as "old version"). */
  enableActingMaster?: boolean;
  topicConfigWrapper: TopicConfigSerializeWrapper;
  filterServerList?: string[];
  channel: C;
}

export interface RegisterBrokerResult {
  /** For a slave: its master's address and HA address, when the master is alive. */
  masterAddr?: string;
  haServerAddr?: string;
}

/** Why a broker left the table. */
export type LeaveReason = { kind: 'unregistered' } | { kind: 'connection closed' } | { kind: 'expired'; silentMillis: number; timeoutMillis: number };

export type RouteEvent =
  | { type: 'joined'; clusterName: string; brokerName: string; brokerId: number; brokerAddr: string; haServerAddr: string; timeoutMillis: number; topics: number }
  | { type: 'topics changed'; brokerName: string; brokerAddr: string; added: string[]; changed: string[] }
  | { type: 'replaced'; brokerName: string; brokerId: number; oldAddr: string; newAddr: string }
  | { type: 'rejected'; brokerName: string; brokerId: number; brokerAddr: string; why: string }
  | { type: 'left'; clusterName: string; brokerName: string; brokerId: number | undefined; brokerAddr: string; reason: LeaveReason; groupGone: boolean };

interface BrokerGroup {
  cluster: string;
  brokerName: string;
  /** broker id → address */
  addrs: Map<number, string>;
  enableActingMaster: boolean;
  zoneName?: string;
}

interface LiveBroker<C> {
  clusterName: string;
  brokerAddr: string;
  brokerName: string;
  brokerId: number;
  haServerAddr: string;
  timeoutMillis: number;
  dataVersion: DataVersion;
  channel: C;
  joinedAt: number;
  lastUpdate: number;
  lastRegister: number;
}

const liveKey = (clusterName: string, brokerAddr: string) => `${clusterName}\u0000${brokerAddr}`;

const sameQueueData = (a: QueueData, b: QueueData) =>
  a.readQueueNums === b.readQueueNums && a.writeQueueNums === b.writeQueueNums && a.perm === b.perm && a.topicSysFlag === b.topicSysFlag;

const byName = <T>(key: (t: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

export class RouteTable<C> {
  private readonly topicQueueTable = new Map<string, Map<string, QueueData>>();
  private readonly brokerAddrTable = new Map<string, BrokerGroup>();
  private readonly clusterAddrTable = new Map<string, Set<string>>();
  private readonly brokerLiveTable = new Map<string, LiveBroker<C>>();
  private readonly filterServerTable = new Map<string, string[]>();
  private readonly topicQueueMappingInfoTable = new Map<string, Map<string, unknown>>();

  constructor(private readonly defaultExpiryMillis: number = DEFAULT_BROKER_EXPIRY_MILLIS) {}

  /**
   * REGISTER_BROKER. A registration whose data version equals the stored one (the usual 30 s
   * re-registration) only refreshes the broker's timestamp and re-adds queue data an admin may
   * have deleted; nothing is logged for it.
   */
  registerBroker(input: RegisterBrokerInput<C>, now: number, events: RouteEvent[] = []): RegisterBrokerResult {
    const { clusterName, brokerAddr, brokerName, brokerId, channel } = input;
    const wrapper = input.topicConfigWrapper;
    let names = this.clusterAddrTable.get(clusterName);
    if (names === undefined) this.clusterAddrTable.set(clusterName, (names = new Set()));
    names.add(brokerName);

    let group = this.brokerAddrTable.get(brokerName);
    let registerFirst = false;
    if (group === undefined) {
      registerFirst = true;
      group = { cluster: clusterName, brokerName, addrs: new Map(), enableActingMaster: false };
      this.brokerAddrTable.set(brokerName, group);
    }
    const oldVersionBroker = input.enableActingMaster === undefined;
    group.enableActingMaster = !oldVersionBroker && input.enableActingMaster === true;
    if (input.zoneName !== undefined) group.zoneName = input.zoneName;
    else delete group.zoneName;

    // The same address under another id is a role switch (slave → master): drop the old entry.
    for (const [id, addr] of group.addrs) if (addr === brokerAddr && id !== brokerId) group.addrs.delete(id);

    const oldAddr = group.addrs.get(brokerId);
    if (oldAddr !== undefined && oldAddr !== brokerAddr) {
      const old = this.brokerLiveTable.get(liveKey(clusterName, oldAddr));
      if (old !== undefined && old.dataVersion.stateVersion > wrapper.dataVersion.stateVersion) {
        events.push({ type: 'rejected', brokerName, brokerId, brokerAddr, why: `${oldAddr} holds id ${brokerId} with a newer state version` });
        this.brokerLiveTable.delete(liveKey(clusterName, brokerAddr));
        return {};
      }
      events.push({ type: 'replaced', brokerName, brokerId, oldAddr, newAddr: brokerAddr });
    }
    group.addrs.set(brokerId, brokerAddr);
    registerFirst ||= oldAddr === undefined;

    const key = liveKey(clusterName, brokerAddr);
    const prev = this.brokerLiveTable.get(key);
    const versionChanged = !sameDataVersion(prev?.dataVersion, wrapper.dataVersion);
    const isMaster = brokerId === MASTER_ID;
    const isPrimeSlave = !oldVersionBroker && !isMaster && brokerId === Math.min(...group.addrs.keys());
    const added: string[] = [];
    const changed: string[] = [];
    if (isMaster || isPrimeSlave) {
      for (const tc of Object.values(wrapper.topicConfigTable)) {
        const present = this.topicQueueTable.get(tc.topicName)?.has(brokerName) === true;
        if (!registerFirst && !versionChanged && present) continue;
        // Acting master: the surviving slave with the lowest id serves reads only.
        const perm = isPrimeSlave && group.enableActingMaster ? tc.perm & ~Perm.WRITE : tc.perm;
        const outcome = this.putQueueData(brokerName, tc, perm);
        if (outcome === 'added') added.push(tc.topicName);
        else if (outcome === 'changed') changed.push(tc.topicName);
      }
      if (versionChanged || registerFirst) {
        for (const [topic, info] of Object.entries(wrapper.topicQueueMappingInfoMap ?? {})) {
          let m = this.topicQueueMappingInfoTable.get(topic);
          if (m === undefined) this.topicQueueMappingInfoTable.set(topic, (m = new Map()));
          const bname = (info as { bname?: unknown }).bname;
          m.set(typeof bname === 'string' ? bname : brokerName, info);
        }
      }
    }

    const timeoutMillis = input.heartbeatTimeoutMillis ?? this.defaultExpiryMillis;
    this.brokerLiveTable.set(key, {
      clusterName,
      brokerAddr,
      brokerName,
      brokerId,
      haServerAddr: input.haServerAddr,
      timeoutMillis,
      dataVersion: wrapper.dataVersion,
      channel,
      joinedAt: prev?.joinedAt ?? now,
      lastUpdate: now,
      lastRegister: now,
    });
    if (prev === undefined) {
      events.push({ type: 'joined', clusterName, brokerName, brokerId, brokerAddr, haServerAddr: input.haServerAddr, timeoutMillis, topics: Object.keys(wrapper.topicConfigTable).length });
    } else if (added.length > 0 || changed.length > 0) {
      events.push({ type: 'topics changed', brokerName, brokerAddr, added, changed });
    }

    if (input.filterServerList !== undefined) {
      if (input.filterServerList.length === 0) this.filterServerTable.delete(key);
      else this.filterServerTable.set(key, input.filterServerList);
    }

    const result: RegisterBrokerResult = {};
    if (!isMaster) {
      const master = group.addrs.get(MASTER_ID);
      const masterLive = master === undefined ? undefined : this.brokerLiveTable.get(liveKey(clusterName, master));
      if (master !== undefined && masterLive !== undefined) {
        result.masterAddr = master;
        result.haServerAddr = masterLive.haServerAddr;
      }
    }
    return result;
  }

  private putQueueData(brokerName: string, tc: TopicConfig, perm: number): 'added' | 'changed' | 'same' {
    const qd: QueueData = { brokerName, readQueueNums: tc.readQueueNums, writeQueueNums: tc.writeQueueNums, perm, topicSysFlag: tc.topicSysFlag };
    let m = this.topicQueueTable.get(tc.topicName);
    if (m === undefined) this.topicQueueTable.set(tc.topicName, (m = new Map()));
    const existing = m.get(brokerName);
    m.set(brokerName, qd);
    if (existing === undefined) return 'added';
    return sameQueueData(existing, qd) ? 'same' : 'changed';
  }

  /** BROKER_HEARTBEAT / QUERY_DATA_VERSION: refreshes a broker's last-update time; false when unknown. */
  touch(clusterName: string, brokerAddr: string, now: number): boolean {
    const live = this.brokerLiveTable.get(liveKey(clusterName, brokerAddr));
    if (live === undefined) return false;
    live.lastUpdate = now;
    return true;
  }

  /** The data version the NameServer holds for a broker (QUERY_DATA_VERSION). */
  dataVersionOf(clusterName: string, brokerAddr: string): DataVersion | undefined {
    return this.brokerLiveTable.get(liveKey(clusterName, brokerAddr))?.dataVersion;
  }

  /** UNREGISTER_BROKER. */
  unregisterBroker(req: { clusterName: string; brokerAddr: string; brokerName: string }, events: RouteEvent[] = []): void {
    this.removeBroker(req.clusterName, req.brokerAddr, req.brokerName, { kind: 'unregistered' }, events);
  }

  /** The connection of these brokers closed: every broker registered over it leaves at once. */
  channelClosed(channel: C, events: RouteEvent[] = []): void {
    for (const live of [...this.brokerLiveTable.values()]) {
      if (live.channel === channel) this.removeBroker(live.clusterName, live.brokerAddr, live.brokerName, { kind: 'connection closed' }, events);
    }
  }

  /**
   * Drops brokers silent for longer than their timeout. Returns the channels that no live broker
   * uses any more, for the caller to close (as Java does).
   */
  expire(now: number, events: RouteEvent[] = []): C[] {
    const expired: LiveBroker<C>[] = [];
    for (const live of this.brokerLiveTable.values()) if (live.lastUpdate + live.timeoutMillis < now) expired.push(live);
    for (const live of expired) {
      this.removeBroker(live.clusterName, live.brokerAddr, live.brokerName, { kind: 'expired', silentMillis: now - live.lastUpdate, timeoutMillis: live.timeoutMillis }, events);
    }
    const stillUsed = new Set([...this.brokerLiveTable.values()].map((l) => l.channel));
    return [...new Set(expired.map((l) => l.channel))].filter((c) => !stillUsed.has(c));
  }

  private removeBroker(clusterName: string, brokerAddr: string, brokerNameHint: string, reason: LeaveReason, events: RouteEvent[]): void {
    const key = liveKey(clusterName, brokerAddr);
    const live = this.brokerLiveTable.get(key);
    this.brokerLiveTable.delete(key);
    this.filterServerTable.delete(key);
    const brokerName = live?.brokerName ?? brokerNameHint;
    const group = this.brokerAddrTable.get(brokerName);
    let brokerId: number | undefined;
    let groupGone = false;
    if (group !== undefined) {
      for (const [id, addr] of group.addrs) {
        if (addr === brokerAddr) {
          brokerId = id;
          group.addrs.delete(id);
        }
      }
      if (group.addrs.size === 0) {
        groupGone = true;
        this.brokerAddrTable.delete(brokerName);
        const names = this.clusterAddrTable.get(clusterName);
        names?.delete(brokerName);
        if (names?.size === 0) this.clusterAddrTable.delete(clusterName);
        for (const [topic, m] of this.topicQueueTable) {
          m.delete(brokerName);
          if (m.size === 0) this.topicQueueTable.delete(topic);
        }
      } else if (group.enableActingMaster && Math.min(...group.addrs.keys()) > MASTER_ID) {
        // No master left: the acting master serves reads only (Java cleanTopicByUnRegisterRequests).
        for (const m of this.topicQueueTable.values()) {
          const qd = m.get(brokerName);
          if (qd !== undefined) qd.perm &= ~Perm.WRITE;
        }
      }
    }
    // A master's removal leaves its slaves' addresses, and so the group's queue data, in place.
    if (live !== undefined || brokerId !== undefined) {
      events.push({ type: 'left', clusterName, brokerName, brokerId: brokerId ?? live?.brokerId, brokerAddr, reason, groupGone });
    }
  }

  /** GET_ROUTEINFO_BY_TOPIC: undefined unless the topic has queue data on a registered broker group. */
  topicRoute(topic: string): TopicRouteData | undefined {
    const m = this.topicQueueTable.get(topic);
    if (m === undefined) return undefined;
    const brokerDatas: BrokerData[] = [];
    const filterServerTable: Record<string, string[]> = {};
    for (const brokerName of m.keys()) {
      const g = this.brokerAddrTable.get(brokerName);
      if (g === undefined) continue;
      const bd = this.brokerData(g);
      brokerDatas.push(bd);
      for (const addr of g.addrs.values()) {
        const fs = this.filterServerTable.get(liveKey(g.cluster, addr));
        if (fs !== undefined) filterServerTable[addr] = fs;
      }
    }
    if (brokerDatas.length === 0) return undefined;
    const route: TopicRouteData = {
      queueDatas: [...m.values()].map((q) => ({ ...q })).sort(byName((q) => q.brokerName)),
      brokerDatas: brokerDatas.sort(byName((b) => b.brokerName)),
      filterServerTable,
    };
    const mapping = this.topicQueueMappingInfoTable.get(topic);
    if (mapping !== undefined) route.topicQueueMappingByBroker = Object.fromEntries(mapping);
    return route;
  }

  private brokerData(g: BrokerGroup): BrokerData {
    const bd: BrokerData = {
      cluster: g.cluster,
      brokerName: g.brokerName,
      brokerAddrs: Object.fromEntries([...g.addrs].sort((a, b) => a[0] - b[0]).map(([id, addr]) => [String(id), addr])),
      enableActingMaster: g.enableActingMaster,
    };
    if (g.zoneName !== undefined) bd.zoneName = g.zoneName;
    return bd;
  }

  /** GET_BROKER_CLUSTER_INFO. */
  clusterInfo(): ClusterInfo {
    const brokerAddrTable: Record<string, BrokerData> = {};
    for (const [name, g] of [...this.brokerAddrTable].sort(byName((e) => e[0]))) brokerAddrTable[name] = this.brokerData(g);
    const clusterAddrTable: Record<string, string[]> = {};
    for (const [cluster, names] of [...this.clusterAddrTable].sort(byName((e) => e[0]))) clusterAddrTable[cluster] = [...names].sort();
    return { brokerAddrTable, clusterAddrTable };
  }

  /** Every live broker, for status displays (our GET_BROKER_LIVE_INFO). */
  liveBrokers(now: number): BrokerLiveInfo[] {
    return [...this.brokerLiveTable.values()]
      .map((l) => ({
        cluster: l.clusterName,
        brokerName: l.brokerName,
        brokerId: l.brokerId,
        brokerAddr: l.brokerAddr,
        haServerAddr: l.haServerAddr,
        lastUpdateAgeMillis: now - l.lastUpdate,
        lastRegisterAgeMillis: now - l.lastRegister,
        timeoutMillis: l.timeoutMillis,
        joinedAgeMillis: now - l.joinedAt,
      }))
      .sort((a, b) => (a.brokerName === b.brokerName ? a.brokerId - b.brokerId : a.brokerName < b.brokerName ? -1 : 1));
  }

  /** GET_ALL_TOPIC_LIST_FROM_NAMESERVER. */
  topics(): string[] {
    return [...this.topicQueueTable.keys()].sort();
  }

  /** GET_TOPICS_BY_CLUSTER: topics with queues on any broker group of the cluster. */
  topicsByCluster(cluster: string): string[] {
    const names = this.clusterAddrTable.get(cluster);
    if (names === undefined) return [];
    return [...this.topicQueueTable].filter(([, m]) => [...names].some((n) => m.has(n))).map(([t]) => t).sort();
  }

  /** GET_SYSTEM_TOPIC_LIST_FROM_NS: cluster and broker names (brokers register topics named after them), plus one broker to ask. */
  systemTopics(): { topics: string[]; brokerAddr?: string } {
    const topics = new Set<string>();
    for (const [cluster, names] of this.clusterAddrTable) {
      topics.add(cluster);
      for (const n of names) topics.add(n);
    }
    const first = [...this.brokerAddrTable.values()].find((g) => g.addrs.size > 0);
    const out: { topics: string[]; brokerAddr?: string } = { topics: [...topics].sort() };
    if (first !== undefined) out.brokerAddr = first.addrs.values().next().value as string;
    return out;
  }

  /** GET_UNIT_TOPIC_LIST / GET_HAS_UNIT_SUB_TOPIC_LIST / GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST. */
  topicsBySysFlag(which: 'unit' | 'unitSub' | 'unitSubNotUnit'): string[] {
    const out: string[] = [];
    for (const [topic, m] of this.topicQueueTable) {
      const first = m.values().next().value as QueueData | undefined;
      if (first === undefined) continue;
      const unit = (first.topicSysFlag & TopicSysFlag.UNIT) !== 0;
      const unitSub = (first.topicSysFlag & TopicSysFlag.UNIT_SUB) !== 0;
      if ((which === 'unit' && unit) || (which === 'unitSub' && unitSub) || (which === 'unitSubNotUnit' && unitSub && !unit)) out.push(topic);
    }
    return out.sort();
  }

  /** DELETE_TOPIC_IN_NAMESRV: the whole topic, or only its queues on one cluster's broker groups. */
  deleteTopic(topic: string, cluster?: string): boolean {
    if (cluster === undefined || cluster === '') return this.topicQueueTable.delete(topic);
    const names = this.clusterAddrTable.get(cluster);
    const m = this.topicQueueTable.get(topic);
    if (names === undefined || m === undefined) return false;
    let removed = false;
    for (const n of names) removed = m.delete(n) || removed;
    if (m.size === 0) this.topicQueueTable.delete(topic);
    return removed;
  }

  /** REGISTER_TOPIC_IN_NAMESRV: installs queue data for registered broker groups (all or nothing). */
  registerTopic(topic: string, queueDatas: QueueData[]): boolean {
    if (queueDatas.length === 0 || queueDatas.some((q) => !this.brokerAddrTable.has(q.brokerName))) return false;
    let m = this.topicQueueTable.get(topic);
    if (m === undefined) this.topicQueueTable.set(topic, (m = new Map()));
    for (const q of queueDatas) m.set(q.brokerName, { ...q });
    return true;
  }

  /** WIPE_WRITE_PERM_OF_BROKER / ADD_WRITE_PERM_OF_BROKER: returns how many topics changed. */
  setWritePerm(brokerName: string, writable: boolean): number {
    let n = 0;
    for (const m of this.topicQueueTable.values()) {
      const qd = m.get(brokerName);
      if (qd === undefined) continue;
      // Java: wipe clears the write bit; add sets exactly read + write.
      qd.perm = writable ? Perm.READ | Perm.WRITE : qd.perm & ~Perm.WRITE;
      n++;
    }
    return n;
  }

  /** GET_BROKER_MEMBER_GROUP. */
  brokerMemberGroup(clusterName: string, brokerName: string): BrokerMemberGroup {
    const g = this.brokerAddrTable.get(brokerName);
    return { cluster: clusterName, brokerName, brokerAddrs: g ? this.brokerData(g).brokerAddrs : {} };
  }

  /** Number of live brokers (for tests and metrics). */
  get liveBrokerCount(): number {
    return this.brokerLiveTable.size;
  }
}
