/**
 * What etcd says about each broker group of an automatic-failover cluster (the records of
 * protocol/failover/records.ts): the master holding the lease, since when, the epoch, the members
 * and their log ends, the last failover and what it may have lost, the truncations reported.
 * `rmqctl status` shows it; status, plan and deploy's gates expect the elected masters from it.
 */
import { Etcd3 } from 'etcd3';
import { decodeRecord, groupPrefix, keys, type FailoverRecord, type LeaderRecord, type MemberRecord, type TruncationRecord } from '../../protocol/failover/records.js';
import type { ClusterModel } from '../../topology/index.js';

export interface GroupFailoverState {
  group: string;
  epoch: number;
  /** The member holding the lease now (undefined: none — an election is due or etcd lost quorum). */
  leader?: LeaderRecord;
  /** ms since it became master. */
  leaderForMillis?: number;
  members: MemberRecord[];
  /** Members at the leader's epoch whose log is within maxLagBytes of the master's. */
  inSync: string[];
  lastFailover?: FailoverRecord;
  truncations: TruncationRecord[];
}

export interface EtcdView {
  groups: GroupFailoverState[];
  /** etcd could not be read: why. */
  error?: string;
}

/** One read of every group's records (bounded by timeoutMs). */
export async function readFailoverState(model: ClusterModel, timeoutMs = 3_000): Promise<EtcdView> {
  if (model.failover.mode !== 'auto') return { groups: [] };
  const client = new Etcd3({ hosts: model.failover.etcd.map((m) => m.clientUrl), dialTimeout: timeoutMs, defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeoutMs }) });
  try {
    const groups: GroupFailoverState[] = [];
    for (const g of model.groups) {
      const base = groupPrefix(model.failover.prefix, model.cluster, g.name);
      const all = await client.getAll().prefix(base).strings();
      const leader = decodeRecord<LeaderRecord>(all[keys.leader(base)]);
      const epoch = Number(all[keys.epoch(base)] ?? 0);
      const members = Object.entries(all).filter(([k]) => k.startsWith(keys.members(base))).flatMap(([, v]) => decodeRecord<MemberRecord>(v) ?? []);
      const failovers = Object.entries(all).filter(([k]) => k.startsWith(keys.failovers(base))).sort(([a], [b]) => (a < b ? -1 : 1)).flatMap(([, v]) => decodeRecord<FailoverRecord>(v) ?? []);
      const truncations = Object.entries(all).filter(([k]) => k.startsWith(keys.truncations(base))).flatMap(([, v]) => decodeRecord<TruncationRecord>(v) ?? []);
      const master = members.find((m) => m.node === leader?.node);
      const inSync = master === undefined ? [] : members.filter((m) => m.node !== master.node && m.epoch === master.epoch && master.offset - m.offset <= model.failover.maxLagBytes).map((m) => m.node);
      groups.push({
        group: g.name,
        epoch,
        ...(leader ? { leader, leaderForMillis: Math.max(0, Date.now() - leader.since) } : {}),
        members,
        inSync,
        ...(failovers.length > 0 ? { lastFailover: failovers[failovers.length - 1]! } : {}),
        truncations,
      });
    }
    return { groups };
  } catch (e) {
    return { groups: [], error: (e as Error).message };
  } finally {
    client.close();
  }
}

/** Group → the node holding its lease (groups without a leader are left out). */
export function electedMasters(view: EtcdView): Record<string, string> {
  return Object.fromEntries(view.groups.flatMap((g) => (g.leader ? [[g.group, g.leader.node]] : [])));
}
