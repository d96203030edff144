/**
 * Replication state per broker group for `rmqctl status`: every registered broker is asked for its
 * runtime info (commit-log max offset) and HA status (GET_BROKER_HA_STATUS, 907), and the master's
 * and each slave's views are joined — a master lists its slaves by their HA socket address, a slave
 * reports the same pair as its local address. Problems: a diverged or halted slave, a SYNC_MASTER
 * without the slaves it waits for. Warnings: a slave not replicating, a group without a master.
 */
import type { HaConnectionInfo, HaRuntimeInfo } from '../../protocol/ha-runtime-info.js';
import type { BrokerApi } from '../../client/broker-api.js';
import type { BrokerNodeStatus, NodeReplication, StatusReport } from './status-report.js';

export type BrokerFacts = { runtime: Record<string, string>; ha: HaRuntimeInfo | undefined } | { error: string };

/** Strips an IPv4-mapped IPv6 prefix so both sides of one socket print the same. */
const sameSocket = (a: string | undefined, b: string): boolean => a !== undefined && a.replace(/^::ffff:/, '') === b.replace(/^::ffff:/, '');

/**
 * Adds `replication` to every node of the report and the problems and warnings it implies.
 * Pure: `facts` are the brokers' answers by address.
 */
export function mergeReplication(report: StatusReport, facts: ReadonlyMap<string, BrokerFacts>): void {
  for (const c of report.clusters) {
    for (const g of c.groups) {
      const master = g.nodes.find((n) => n.brokerId === 0 && !n.missing);
      const masterFacts = master?.addr === undefined ? undefined : facts.get(master.addr);
      const masterHa = masterFacts !== undefined && 'ha' in masterFacts ? masterFacts.ha : undefined;
      const slaves = g.nodes.filter((n) => n.brokerId !== 0 && !n.missing);
      const claimed = new Set<HaConnectionInfo>();
      for (const n of g.nodes) {
        if (n.missing || n.addr === undefined) continue;
        const f = facts.get(n.addr);
        if (f === undefined) continue;
        if ('error' in f) {
          n.replication = { error: f.error };
          continue;
        }
        const r: NodeReplication = {};
        const max = Number(f.runtime.commitLogMaxOffset);
        if (Number.isSafeInteger(max)) r.commitLogMaxOffset = max;
        if (f.ha !== undefined) {
          if (f.ha.brokerRole !== undefined) r.brokerRole = f.ha.brokerRole;
          if (f.ha.master) {
            r.haState = 'serving';
            r.slavesConnected = f.ha.haConnectionInfo.length;
            r.slavesInSync = f.ha.inSyncSlaveNums;
            if (f.ha.acksNeeded !== undefined) r.acksNeeded = f.ha.acksNeeded;
          } else {
            const hc = f.ha.haClientRuntimeInfo;
            if (hc.state !== undefined) r.haState = hc.state;
            if (hc.masterAddr) r.masterHaAddr = hc.masterAddr;
            if (hc.reason !== undefined) r.reason = hc.reason;
            // the master's view of this slave: its socket, or the only connection of a one-slave group
            const conns = masterHa?.haConnectionInfo ?? [];
            const mine = conns.find((x) => sameSocket(hc.localAddr, x.addr)) ?? (conns.length === 1 && slaves.length === 1 ? conns[0] : undefined);
            if (mine !== undefined && !claimed.has(mine)) {
              claimed.add(mine);
              r.lagBytes = Math.max(0, mine.diff);
              if (mine.lagMillis !== undefined) r.lagMillis = mine.lagMillis;
              r.inSync = mine.inSync;
            }
          }
        }
        n.replication = r;
      }
      judge(report, g.brokerName, master, slaves);
    }
  }
  report.healthy = report.problems.length === 0;
}

function judge(report: StatusReport, group: string, master: BrokerNodeStatus | undefined, slaves: BrokerNodeStatus[]): void {
  if (master === undefined) {
    if (slaves.length > 0) report.warnings.push(`${group} has no master registered: its slaves serve reads, writes go to other groups`);
    return;
  }
  const m = master.replication;
  if (m?.brokerRole === 'SYNC_MASTER' && m.slavesInSync !== undefined && m.slavesInSync < (m.acksNeeded ?? 1)) {
    report.problems.push(`${master.id} is a SYNC_MASTER with ${m.slavesInSync} slave(s) in sync (needs ${m.acksNeeded ?? 1}): its sends answer SLAVE_NOT_AVAILABLE (stored on the master only)`);
  }
  for (const s of slaves) {
    const r = s.replication;
    if (r === undefined || r.error !== undefined) continue;
    if (r.haState === 'diverged' || r.haState === 'halted') report.problems.push(`${s.id}: replication stopped (${r.haState}): ${r.reason ?? 'see its log'}`);
    else if (r.haState !== undefined && r.haState !== 'replicating') report.warnings.push(`${s.id} is not replicating (${r.haState}${r.reason ? `: ${r.reason}` : ''})`);
  }
}

/** Asks every registered broker of the report (at once) and merges the answers. */
export async function addReplicationStatus(report: StatusReport, brokers: BrokerApi): Promise<void> {
  const addrs = new Set<string>();
  for (const c of report.clusters) for (const g of c.groups) for (const n of g.nodes) if (!n.missing && n.addr !== undefined) addrs.add(n.addr);
  const facts = new Map<string, BrokerFacts>();
  await Promise.all(
    [...addrs].map(async (addr) => {
      try {
        const runtime = await brokers.runtimeInfo(addr);
        // a broker without replication (a Java 4.x broker: code 907 unknown) still shows its offsets
        const ha = await brokers.haStatus(addr).catch(() => undefined);
        facts.set(addr, { runtime, ha });
      } catch (e) {
        facts.set(addr, { error: (e as Error).message });
      }
    }),
  );
  mergeReplication(report, facts);
}
