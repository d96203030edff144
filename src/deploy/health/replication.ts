/**
 * Replication health of a slave: connected to its master and caught up within a bound.
 *
 * The seam: the broker is asked GET_BROKER_HA_STATUS (907), RocketMQ's own call for this
 * (`mqadmin haStatus`), whose body is HARuntimeInfo: `{master, masterCommitLogMaxOffset,
 * inSyncSlaveNums, haConnectionInfo: [{addr, slaveAckOffset, diff, inSync, …}], haClientRuntimeInfo:
 * {masterAddr, maxOffset, lastReadTimestamp, lastWriteTimestamp, masterFlushOffset, activated}}`.
 * A runtime without replication answers REQUEST_CODE_NOT_SUPPORTED: the check then reports that it
 * could not look (and passes), so deploys work before replication exists and check it once it does.
 * The master's end of the log comes from its runtime info (`commitLogMaxOffset`), so the lag is
 * measured against the master itself, not against what the slave believes.
 */
import { JsonCheck } from '../../protocol/json-check.js';

export interface HaClientInfo {
  masterAddr: string | undefined;
  /** How far the slave's commit log reaches. */
  maxOffset: number;
  /** Connected to its master's HA port. */
  activated: boolean;
  lastReadTimestamp: number;
}

export interface HaRuntimeInfo {
  master: boolean;
  masterCommitLogMaxOffset: number;
  inSyncSlaveNums: number;
  client: HaClientInfo;
}

/** Decodes HARuntimeInfo (fastjson names the boolean `isActivated` field `activated`; both accepted). */
export function decodeHaRuntimeInfo(body: Buffer | undefined): HaRuntimeInfo {
  const check = new JsonCheck('HARuntimeInfo');
  const o = check.body(body);
  const c = check.optionalObject(o.haClientRuntimeInfo, 'haClientRuntimeInfo') ?? {};
  return {
    master: check.booleanOr(o.master, 'master', false),
    masterCommitLogMaxOffset: check.integerOr(o.masterCommitLogMaxOffset, 'masterCommitLogMaxOffset', 0),
    inSyncSlaveNums: check.integerOr(o.inSyncSlaveNums, 'inSyncSlaveNums', 0),
    client: {
      masterAddr: check.optionalString(c.masterAddr, 'haClientRuntimeInfo.masterAddr') || undefined,
      maxOffset: check.integerOr(c.maxOffset, 'haClientRuntimeInfo.maxOffset', 0),
      activated: check.booleanOr(c.activated ?? c.isActivated, 'haClientRuntimeInfo.activated', false),
      lastReadTimestamp: check.integerOr(c.lastReadTimestamp, 'haClientRuntimeInfo.lastReadTimestamp', 0),
    },
  };
}

export interface ReplicationExpectation {
  /** The master's HA address the slave should follow (`brokerIP1:haPort`). */
  masterHaAddr: string;
  /** End of the master's commit log, read from the master just before. */
  masterMaxOffset: number;
  /** Largest tolerated lag in bytes. */
  maxLagBytes: number;
}

/** undefined when the slave is connected and within the bound; otherwise why not. Pure. */
export function replicationProblem(info: HaRuntimeInfo, e: ReplicationExpectation): string | undefined {
  if (info.master) return 'reports itself as a master in its HA status, expected a slave';
  if (!info.client.activated) return `not connected to its master's HA port${info.client.masterAddr ? ` ${info.client.masterAddr}` : ` (expected ${e.masterHaAddr})`}`;
  if (info.client.masterAddr && info.client.masterAddr !== e.masterHaAddr) return `replicates from ${info.client.masterAddr}, expected its master at ${e.masterHaAddr}`;
  const lag = e.masterMaxOffset - info.client.maxOffset;
  if (lag > e.maxLagBytes) return `behind its master by ${lag} bytes (slave at ${info.client.maxOffset}, master at ${e.masterMaxOffset}; limit ${e.maxLagBytes})`;
  return undefined;
}
