/**
 * GET_BROKER_HA_STATUS (907) reply body: Java's `HARuntimeInfo` (apache/rocketmq HEAD,
 * `remoting/.../protocol/body/HARuntimeInfo.java`, what `mqadmin haStatus` prints), with the
 * field names fastjson writes from its getters, plus rmqd's own fields (marked) that Java readers
 * ignore: the HA state, lag in time, divergence, the slave socket's local address (the master
 * lists slaves by their socket address; the slave's `localAddr` is the same pair, which is how a
 * status display matches the two views).
 */
import { toFastJson } from './fastjson.js';
import { JsonCheck } from './json-check.js';

/** One slave connection as the master sees it. */
export interface HaConnectionInfo {
  /** Slave socket `ip:port`. */
  addr: string;
  slaveAckOffset: number;
  /** Master max offset − slaveAckOffset. */
  diff: number;
  inSync: boolean;
  transferredByteInSecond: number;
  transferFromWhere: number;
  /** rmqd: `transferring`, `handshake`, `ahead` (the slave's log is past ours: diverged). */
  state?: string;
  /** rmqd: ms between the oldest message the slave lacks being stored and now; 0 when it has everything. */
  lagMillis?: number;
  /** rmqd: when the connection opened (ms since epoch). */
  connectedSince?: number;
  /** rmqd: SYNC_MASTER sends wait for this slave's acknowledgement (connected, replicating, not silent). */
  available?: boolean;
  /** rmqd: why `inSync` (or `available`) is false. */
  outOfSyncReason?: string;
  /** rmqd: when the slave last reported (ms since epoch). */
  lastReportTimestamp?: number;
  /** rmqd: ms since the slave last reported. */
  silentMillis?: number;
  /** rmqd: ms the slave has been missing bytes the master had written (0: it has all written bytes). */
  behindMillis?: number;
}

/** A slave's HA client. */
export interface HaClientInfo {
  /** Master HA address. */
  masterAddr: string;
  transferredByteInSecond: number;
  /** The slave's commit-log max offset. */
  maxOffset: number;
  lastReadTimestamp: number;
  lastWriteTimestamp: number;
  masterFlushOffset: number;
  /** rmqd: idle | connecting | verifying | replicating | diverged | halted | stopped. */
  state?: string;
  /** rmqd: why diverged/halted, or the last connection failure. */
  reason?: string;
  /** rmqd: this side's socket `ip:port` (matches the master's `addr` for this slave). */
  localAddr?: string;
  /** rmqd: offset acknowledged to the master last. */
  reportedOffset?: number;
}

export interface HaRuntimeInfo {
  master: boolean;
  masterCommitLogMaxOffset: number;
  inSyncSlaveNums: number;
  haConnectionInfo: HaConnectionInfo[];
  haClientRuntimeInfo: HaClientInfo;
  /** rmqd: ASYNC_MASTER | SYNC_MASTER | SLAVE. */
  brokerRole?: string;
  /** rmqd: slave acknowledgements a SYNC_MASTER send waits for. */
  acksNeeded?: number;
  /** rmqd: slaves SYNC sends wait for now; below acksNeeded a SYNC_MASTER answers SLAVE_NOT_AVAILABLE at once. */
  availableSlaveNums?: number;
  /** rmqd: haSlaveOutOfSyncMillis — unacknowledged (or behind) this long and a slave is out of sync. */
  outOfSyncAfterMillis?: number;
  /** rmqd: no report at all this long (haSendHeartbeatInterval + haSlaveOutOfSyncMillis) and a slave is silent. */
  silentAfterMillis?: number;
}

export function encodeHaRuntimeInfo(info: HaRuntimeInfo): Buffer {
  return Buffer.from(toFastJson(info), 'utf8');
}

export function decodeHaRuntimeInfo(body: Buffer | undefined): HaRuntimeInfo {
  const check = new JsonCheck('HARuntimeInfo');
  const o = check.body(body);
  const optString = (v: unknown, p: string) => check.optionalString(v, p);
  const optInt = (v: unknown, p: string) => (v === undefined || v === null ? undefined : check.integer(v, p));
  const withDefined = <T extends object>(base: T, extra: Record<string, unknown>): T => {
    for (const [k, v] of Object.entries(extra)) if (v !== undefined) (base as Record<string, unknown>)[k] = v;
    return base;
  };
  const conns = check.array(o.haConnectionInfo ?? [], 'haConnectionInfo').map((v, i) => {
    const p = `haConnectionInfo[${i}]`;
    const c = check.object(v, p);
    return withDefined<HaConnectionInfo>(
      {
        addr: check.string(c.addr ?? '', `${p}.addr`),
        slaveAckOffset: check.integerOr(c.slaveAckOffset, `${p}.slaveAckOffset`, -1),
        diff: check.integerOr(c.diff, `${p}.diff`, 0),
        inSync: check.booleanOr(c.inSync, `${p}.inSync`, false),
        transferredByteInSecond: check.integerOr(c.transferredByteInSecond, `${p}.transferredByteInSecond`, 0),
        transferFromWhere: check.integerOr(c.transferFromWhere, `${p}.transferFromWhere`, 0),
      },
      {
        state: optString(c.state, `${p}.state`),
        lagMillis: optInt(c.lagMillis, `${p}.lagMillis`),
        connectedSince: optInt(c.connectedSince, `${p}.connectedSince`),
        available: c.available === undefined || c.available === null ? undefined : check.booleanOr(c.available, `${p}.available`, false),
        outOfSyncReason: optString(c.outOfSyncReason, `${p}.outOfSyncReason`),
        lastReportTimestamp: optInt(c.lastReportTimestamp, `${p}.lastReportTimestamp`),
        silentMillis: optInt(c.silentMillis, `${p}.silentMillis`),
        behindMillis: optInt(c.behindMillis, `${p}.behindMillis`),
      },
    );
  });
  const cl = check.optionalObject(o.haClientRuntimeInfo, 'haClientRuntimeInfo') ?? {};
  const p = 'haClientRuntimeInfo';
  const client = withDefined<HaClientInfo>(
    {
      masterAddr: check.optionalString(cl.masterAddr, `${p}.masterAddr`) ?? '',
      transferredByteInSecond: check.integerOr(cl.transferredByteInSecond, `${p}.transferredByteInSecond`, 0),
      maxOffset: check.integerOr(cl.maxOffset, `${p}.maxOffset`, 0),
      lastReadTimestamp: check.integerOr(cl.lastReadTimestamp, `${p}.lastReadTimestamp`, 0),
      lastWriteTimestamp: check.integerOr(cl.lastWriteTimestamp, `${p}.lastWriteTimestamp`, 0),
      masterFlushOffset: check.integerOr(cl.masterFlushOffset, `${p}.masterFlushOffset`, 0),
    },
    {
      state: optString(cl.state, `${p}.state`),
      reason: optString(cl.reason, `${p}.reason`),
      localAddr: optString(cl.localAddr, `${p}.localAddr`),
      reportedOffset: optInt(cl.reportedOffset, `${p}.reportedOffset`),
    },
  );
  return withDefined<HaRuntimeInfo>(
    {
      master: check.booleanOr(o.master, 'master', false),
      masterCommitLogMaxOffset: check.integerOr(o.masterCommitLogMaxOffset, 'masterCommitLogMaxOffset', 0),
      inSyncSlaveNums: check.integerOr(o.inSyncSlaveNums, 'inSyncSlaveNums', 0),
      haConnectionInfo: conns,
      haClientRuntimeInfo: client,
    },
    {
      brokerRole: optString(o.brokerRole, 'brokerRole'),
      acksNeeded: optInt(o.acksNeeded, 'acksNeeded'),
      availableSlaveNums: optInt(o.availableSlaveNums, 'availableSlaveNums'),
      outOfSyncAfterMillis: optInt(o.outOfSyncAfterMillis, 'outOfSyncAfterMillis'),
      silentAfterMillis: optInt(o.silentAfterMillis, 'silentAfterMillis'),
    },
  );
}
