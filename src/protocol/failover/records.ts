/**
 * Automatic failover's records in etcd (failover: auto) — the contract between the brokers of a
 * group, which keep them, and rmqctl, which reads them (status) — under
 * `<prefix>/<cluster>/<group>/`:
 *   leader              LeaderRecord, bound to the master's lease: who may take writes now
 *   epoch               the group's epoch (a decimal number): bumped by every election, in the
 *                       same transaction that writes the leader
 *   members/<node>      MemberRecord, bound to that node's own session lease: its role and log end
 *   failovers/<epoch>   FailoverRecord: how the master of that epoch got it, and what it may have lost
 *   truncations/<epoch>/<node>  TruncationRecord: what a former master cut when it rejoined
 * JSON values; readers ignore fields they do not know.
 */

export const DEFAULT_ETCD_PREFIX = '/rmqctl';

export function groupPrefix(prefix: string, cluster: string, group: string): string {
  return `${prefix.replace(/\/+$/, '')}/${cluster}/${group}/`;
}

export const keys = {
  leader: (g: string) => `${g}leader`,
  epoch: (g: string) => `${g}epoch`,
  members: (g: string) => `${g}members/`,
  member: (g: string, node: string) => `${g}members/${node}`,
  failovers: (g: string) => `${g}failovers/`,
  failover: (g: string, epoch: number) => `${g}failovers/${String(epoch).padStart(10, '0')}`,
  truncations: (g: string) => `${g}truncations/`,
  truncation: (g: string, epoch: number, node: string) => `${g}truncations/${String(epoch).padStart(10, '0')}/${node}`,
};

export interface LeaderRecord {
  node: string;
  /** Remoting and HA addresses the group's slaves follow. */
  addr: string;
  haAddr: string;
  epoch: number;
  /** When it became master (ms since epoch). */
  since: number;
  /** The commit-log offset its epoch starts at. */
  startOffset: number;
}

export interface MemberRecord {
  node: string;
  addr: string;
  haAddr: string;
  role: 'master' | 'slave' | 'candidate';
  /** The epoch of its log's last entry, and where its log ends. */
  epoch: number;
  offset: number;
  /** A master: the slaves it counts in sync now (node names or addresses). */
  inSync?: string[];
  /** When this record was written (ms since epoch). */
  at: number;
}

export interface FailoverRecord {
  epoch: number;
  /** The node that became master, and the one it replaced (undefined for the first election). */
  to: string;
  from?: string;
  at: number;
  /** How: the first master, an election after the lease expired, or a planned handover. */
  reason: 'bootstrap' | 'lease-expired' | 'handover' | 'reacquired';
  /** The new epoch's first offset. */
  startOffset: number;
  /** The former master's log end as it last published it, and how far behind that the new master was (bytes the former master may hold that nobody replicated). */
  previousMasterOffset?: number;
  lossBytesAtMost?: number;
  /** SYNC groups promise that none of those bytes was acknowledged. */
  replication: 'sync' | 'async';
}

export interface TruncationRecord {
  node: string;
  /** The log ended here and was cut back to here. */
  from: number;
  to: number;
  bytes: number;
  messages: number;
  at: number;
}

export function decodeRecord<T>(value: string | null | undefined): T | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  try {
    const o = JSON.parse(value) as unknown;
    return o !== null && typeof o === 'object' ? (o as T) : undefined;
  } catch {
    return undefined;
  }
}
