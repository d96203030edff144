/**
 * Replication health of a slave: connected to its master and caught up within a bound.
 *
 * The broker is asked GET_BROKER_HA_STATUS (907), RocketMQ's own call for this (`mqadmin
 * haStatus`); its body, HARuntimeInfo, is decoded by `protocol/ha-runtime-info.ts`. rmqd adds the
 * HA client's state (`replicating` once the slave follows its master) and why it is not; a broker
 * that does not report a state is judged by its address and lag alone. A runtime without
 * replication answers REQUEST_CODE_NOT_SUPPORTED: the caller then reports that it could not look.
 * The master's end of the log comes from its runtime info (`commitLogMaxOffset`), so the lag is
 * measured against the master itself, not against what the slave believes.
 */
import type { HaRuntimeInfo } from '../../protocol/ha-runtime-info.js';

export interface ReplicationExpectation {
  /** The master's HA address the slave should follow (`brokerIP1:haPort`); unknown without a topology. */
  masterHaAddr?: string;
  /** End of the master's commit log, read from the master just before; unknown when the master does not answer. */
  masterMaxOffset?: number;
  /** Largest tolerated lag in bytes. */
  maxLagBytes: number;
}

/** undefined when the slave is connected and within the bound; otherwise why not. Pure. */
export function replicationProblem(info: HaRuntimeInfo, e: ReplicationExpectation): string | undefined {
  const c = info.haClientRuntimeInfo;
  if (info.master) return 'reports itself as a master in its HA status, expected a slave';
  if (c.state !== undefined && c.state !== 'replicating') {
    return `is not replicating from its master (HA state ${c.state}${c.reason ? `: ${c.reason}` : ''}${e.masterHaAddr ? `; expected to follow ${e.masterHaAddr}` : ''})`;
  }
  if (e.masterHaAddr && c.masterAddr && c.masterAddr !== e.masterHaAddr) return `replicates from ${c.masterAddr}, expected its master at ${e.masterHaAddr}`;
  const lag = e.masterMaxOffset === undefined ? 0 : e.masterMaxOffset - c.maxOffset;
  if (lag > e.maxLagBytes) return `is behind its master by ${lag} bytes (slave at ${c.maxOffset}, master at ${e.masterMaxOffset}; limit ${e.maxLagBytes})`;
  return undefined;
}
