/**
 * GET_TRANSACTION_STATE (rmqd's extension code 1_000_016): a master's transactional messages in
 * one answer — the half (prepared) messages still waiting for their producer's commit or rollback,
 * grouped by topic and producer group, and what the broker did since it started (commits,
 * rollbacks, checks sent, messages given up). `rmqctl topic describe` and `group describe` show it
 * (docs/design/transactions.md). The request may narrow the answer to one topic or one producer
 * group; the body is JSON.
 */
import { defineHeader, optional, type HeaderValues } from './header-spec.js';
import { JsonCheck } from './json-check.js';

export const GetTransactionStateRequestHeader = defineHeader('GetTransactionStateRequestHeader', {
  /** Only half messages for this topic. */
  topic: optional.string,
  /** Only half messages of this producer group. */
  producerGroup: optional.string,
  /** At most this many individual half messages in `halves` (default 0: none, only the groups). */
  maxHalves: optional.int,
});
export type GetTransactionStateRequest = HeaderValues<typeof GetTransactionStateRequestHeader>;

/** Pending half messages of one topic and producer group. */
export interface PendingGroupState {
  topic: string;
  producerGroup: string;
  /** Half messages neither committed nor rolled back (nor given up) yet. */
  pending: number;
  /** Store time of the oldest of them (ms). */
  oldestStoreTimestamp: number;
  /** Checks sent for them so far (a restart keeps the counts). */
  checks: number;
  /** The most checks one of them has had. */
  maxChecks: number;
}

/** One pending half message. */
export interface PendingHalfState {
  topic: string;
  queueId: number;
  producerGroup: string;
  /** The producer's message id (UNIQ_KEY), also the transaction id. */
  msgId: string;
  /** Queue offset in RMQ_SYS_TRANS_HALF_TOPIC (the header field tranStateTableOffset). */
  tranStateTableOffset: number;
  commitLogOffset: number;
  storeTimestamp: number;
  checks: number;
  /** When it was last checked (ms), 0 never. */
  lastCheckTimestamp: number;
}

/** What the broker did since it started. */
export interface TransactionTotals {
  prepared: number;
  committed: number;
  rolledBack: number;
  /** Given up after transactionCheckMax checks (copied to TRANS_CHECK_MAX_TIME_TOPIC). */
  discarded: number;
  /** CHECK_TRANSACTION_STATE sent to a producer (or the v5 recover command). */
  checks: number;
  /** Checks due while no producer of the group was connected (they count as checks, as RocketMQ's do). */
  checksWithoutProducer: number;
}

export interface TransactionState {
  brokerName: string;
  /** The check service runs (a master that has recovered its half messages). */
  active: boolean;
  transactionTimeOut: number;
  transactionCheckInterval: number;
  transactionCheckMax: number;
  /** Pending half messages over all topics and groups (before the request's narrowing). */
  pendingTotal: number;
  groups: PendingGroupState[];
  halves: PendingHalfState[];
  totals: TransactionTotals;
}

export function encodeTransactionState(s: TransactionState): Buffer {
  return Buffer.from(JSON.stringify(s), 'utf8');
}

export function decodeTransactionState(body: Buffer | undefined): TransactionState {
  const check = new JsonCheck('TransactionState');
  const o = check.body(body);
  const int = (v: unknown, p: string) => check.integer(v, p);
  const totals = check.object(o.totals, 'totals');
  return {
    brokerName: check.string(o.brokerName, 'brokerName'),
    active: o.active === true,
    transactionTimeOut: int(o.transactionTimeOut, 'transactionTimeOut'),
    transactionCheckInterval: int(o.transactionCheckInterval, 'transactionCheckInterval'),
    transactionCheckMax: int(o.transactionCheckMax, 'transactionCheckMax'),
    pendingTotal: int(o.pendingTotal, 'pendingTotal'),
    groups: check.array(o.groups ?? [], 'groups').map((g, i) => {
      const p = `groups[${i}]`;
      const x = check.object(g, p);
      return {
        topic: check.string(x.topic, `${p}.topic`),
        producerGroup: check.string(x.producerGroup, `${p}.producerGroup`),
        pending: int(x.pending, `${p}.pending`),
        oldestStoreTimestamp: int(x.oldestStoreTimestamp, `${p}.oldestStoreTimestamp`),
        checks: int(x.checks, `${p}.checks`),
        maxChecks: int(x.maxChecks, `${p}.maxChecks`),
      };
    }),
    halves: check.array(o.halves ?? [], 'halves').map((h, i) => {
      const p = `halves[${i}]`;
      const x = check.object(h, p);
      return {
        topic: check.string(x.topic, `${p}.topic`),
        queueId: int(x.queueId, `${p}.queueId`),
        producerGroup: check.string(x.producerGroup, `${p}.producerGroup`),
        msgId: check.string(x.msgId, `${p}.msgId`),
        tranStateTableOffset: int(x.tranStateTableOffset, `${p}.tranStateTableOffset`),
        commitLogOffset: int(x.commitLogOffset, `${p}.commitLogOffset`),
        storeTimestamp: int(x.storeTimestamp, `${p}.storeTimestamp`),
        checks: int(x.checks, `${p}.checks`),
        lastCheckTimestamp: int(x.lastCheckTimestamp, `${p}.lastCheckTimestamp`),
      };
    }),
    totals: {
      prepared: int(totals.prepared, 'totals.prepared'),
      committed: int(totals.committed, 'totals.committed'),
      rolledBack: int(totals.rolledBack, 'totals.rolledBack'),
      discarded: int(totals.discarded, 'totals.discarded'),
      checks: int(totals.checks, 'totals.checks'),
      checksWithoutProducer: int(totals.checksWithoutProducer, 'totals.checksWithoutProducer'),
    },
  };
}
