/**
 * The commit-log records of RocketMQ's two-phase transactional messages
 * (docs/design/transactions.md), as RocketMQ lays them out:
 *
 *   half     the producer's message parked in RMQ_SYS_TRANS_HALF_TOPIC queue 0, its real topic and
 *            queue in REAL_TOPIC / REAL_QID, TRAN_MSG=true, PGROUP = its producer group, the
 *            transaction bits of its sysFlag cleared (TransactionalMessageBridge.parseHalfMessageInner)
 *   commit   the message on its real topic and queue, sysFlag TRANSACTION_COMMIT_TYPE and
 *            PREPAREDTRANSACTIONOFFSET = the half's commit-log offset, REAL_TOPIC / REAL_QID removed
 *            (EndTransactionProcessor.endMessageTransaction)
 *   op       RMQ_SYS_TRANS_OP_HALF_TOPIC queue 0: tag `d` + the half queue offsets done (committed,
 *            rolled back, given up), comma-separated (TransactionalMessageUtil.REMOVE_TAG); and
 *            rmqd's tag `k` + `offset:checks,…`, the check counts (RocketMQ re-puts the whole half
 *            message instead, to the same end)
 *   discard  a half checked transactionCheckMax times, copied to TRANS_CHECK_MAX_TIME_TOPIC queue 0
 *            (DefaultTransactionalMessageCheckListener.resolveDiscardMsg)
 */
import { encodeHeader } from '../../protocol/header-spec.js';
import { CheckTransactionStateRequestHeader } from '../../protocol/headers/broker.js';
import { PropertyKey, SysFlag, transactionType } from '../../protocol/message/constants.js';
import type { HostAddress } from '../../protocol/message/host.js';
import { offsetMsgId } from '../../protocol/message/msg-id.js';
import { decodeProperties, encodeProperties, findProperty } from '../../protocol/message/properties.js';
import { encodeRecord, measureRecord, type MessageRecord } from '../../protocol/message/record.js';
import { TRANS_CHECK_MAX_TIME_TOPIC, TRANS_HALF_TOPIC, TRANS_OP_HALF_TOPIC } from '../../protocol/topic-names.js';
import { RequestCode } from '../../remoting/codes.js';
import { createRequest, type RemotingCommand } from '../../remoting/command.js';
import { realDestinationOf, repost } from '../parked-message.js';
import type { PutMessage } from '../store/index.js';

export const HALF_QUEUE = 0;
export const OP_QUEUE = 0;
/** Op tag: the half messages named in the body are done (RocketMQ's REMOVE_TAG). */
export const REMOVE_TAG = 'd';
/** Op tag (rmqd): `offset:checks` pairs, the check counts of half messages. */
export const CHECKED_TAG = 'k';
/** Property of a `d` op record (rmqd): how the halves ended — commit, rollback, discard or lost. */
export const OUTCOME_PROPERTY = 'TRAN_OUTCOME';
const OUTCOMES = ['commit', 'rollback', 'discard', 'lost'] as const;
export type OpOutcome = (typeof OUTCOMES)[number];

/** A send that is the first phase of a transaction: TRAN_MSG=true, or the prepared sysFlag (ali-ons sets both). */
export function isHalfSend(properties: string, sysFlag: number): boolean {
  return transactionType(sysFlag) === SysFlag.TRANSACTION_PREPARED_TYPE || findProperty(properties, PropertyKey.TRANSACTION_PREPARED) === 'true';
}

const withTxBits = (sysFlag: number, tx: number) => (sysFlag & ~0xc) | tx;

/** The half record for a producer's message bound for `m.topic`/`m.queueId`. */
export function halfOf(m: PutMessage, producerGroup: string): PutMessage {
  const props = decodeProperties(m.properties);
  props.set(PropertyKey.TRANSACTION_PREPARED, 'true');
  if (!props.has(PropertyKey.PRODUCER_GROUP)) props.set(PropertyKey.PRODUCER_GROUP, producerGroup);
  props.set(PropertyKey.REAL_TOPIC, m.topic);
  props.set(PropertyKey.REAL_QUEUE_ID, String(m.queueId));
  return { ...m, topic: TRANS_HALF_TOPIC, queueId: HALF_QUEUE, properties: encodeProperties(props), sysFlag: withTxBits(m.sysFlag, SysFlag.TRANSACTION_NOT_TYPE), preparedTransactionOffset: 0 };
}

/** The stored size of `m`'s record (what the store will append). */
export function recordSize(m: PutMessage): number {
  return measureRecord(m, Buffer.from(m.topic, 'utf8'), Buffer.from(m.properties, 'utf8')).total;
}

/** What the broker keeps of a half message in memory (the rest is read back from the log). */
export interface HalfInfo {
  topic: string;
  queueId: number;
  producerGroup: string;
  /** UNIQ_KEY: the producer's message id, also the transaction id. */
  uniqKey: string;
  /** CHECK_IMMUNITY_TIME_IN_SECONDS × 1000, 0 when absent. */
  immunityMillis: number;
}

/** The fields of a half record's properties; undefined when it is not a valid half message. */
export function halfInfoOf(properties: string): HalfInfo | undefined {
  const props = decodeProperties(properties);
  const to = realDestinationOf(props);
  if (to === undefined) return undefined;
  const immunity = Number(props.get(PropertyKey.CHECK_IMMUNITY_TIME_IN_SECONDS));
  return {
    ...to,
    producerGroup: props.get(PropertyKey.PRODUCER_GROUP) ?? '',
    uniqKey: props.get(PropertyKey.UNIQ_CLIENT_MESSAGE_ID_KEYIDX) ?? '',
    immunityMillis: Number.isFinite(immunity) && immunity > 0 ? Math.min(immunity, 86_400) * 1000 : 0,
  };
}

/** The committed message: the half's body and properties on its real topic and queue. */
export function commitOf(half: MessageRecord): PutMessage {
  const props = decodeProperties(half.properties);
  const to = realDestinationOf(props);
  // a half without its destination is never pending (halfInfoOf refused it), so never committed
  if (to === undefined) throw new Error(`half message at ${half.physicalOffset} has no valid REAL_TOPIC/REAL_QID`);
  props.delete(PropertyKey.REAL_TOPIC);
  props.delete(PropertyKey.REAL_QUEUE_ID);
  return repost(half, to, props, {
    sysFlag: withTxBits(half.sysFlag, SysFlag.TRANSACTION_COMMIT_TYPE),
    preparedTransactionOffset: half.physicalOffset,
  });
}

/** A half message given up after transactionCheckMax checks, as kept in TRANS_CHECK_MAX_TIME_TOPIC. */
export function discardOf(half: MessageRecord): PutMessage {
  return {
    topic: TRANS_CHECK_MAX_TIME_TOPIC,
    queueId: 0,
    flag: half.flag,
    body: Buffer.from(half.body),
    properties: half.properties,
    sysFlag: half.sysFlag,
    bornTimestamp: half.bornTimestamp,
    bornHost: half.bornHost,
    storeHost: half.storeHost,
    reconsumeTimes: half.reconsumeTimes,
    preparedTransactionOffset: 0,
  };
}

/** An op record with `tag`, `body` and, for a `d` record, how the halves ended. */
export function opOf(tag: string, body: string, storeHost: HostAddress, now: number, outcome?: OpOutcome): PutMessage {
  const props = new Map([[PropertyKey.TAGS as string, tag]]);
  if (outcome !== undefined) props.set(OUTCOME_PROPERTY, outcome);
  return {
    topic: TRANS_OP_HALF_TOPIC,
    queueId: OP_QUEUE,
    flag: 0,
    body: Buffer.from(body, 'utf8'),
    properties: encodeProperties(props),
    sysFlag: 0,
    bornTimestamp: now,
    bornHost: storeHost,
    storeHost,
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
  };
}

/** What an op record says. */
export type OpRecord = { kind: 'done'; halfOffsets: number[]; outcome: OpOutcome | undefined } | { kind: 'checked'; checks: [halfOffset: number, checks: number][] } | { kind: 'unknown' };

export function parseOp(tags: string | undefined, body: string, outcome?: string): OpRecord {
  const items = body.split(',').filter((s) => s !== '');
  if (tags === REMOVE_TAG) {
    const halfOffsets = items.map(Number).filter((n) => Number.isSafeInteger(n) && n >= 0);
    return { kind: 'done', halfOffsets, outcome: (OUTCOMES as readonly string[]).includes(outcome ?? '') ? (outcome as OpOutcome) : undefined };
  }
  if (tags === CHECKED_TAG) {
    const checks: [number, number][] = [];
    for (const it of items) {
      const [o, c] = it.split(':').map(Number);
      if (Number.isSafeInteger(o) && Number.isSafeInteger(c) && (o as number) >= 0 && (c as number) >= 0) checks.push([o as number, c as number]);
    }
    return { kind: 'checked', checks };
  }
  return { kind: 'unknown' };
}

/**
 * CHECK_TRANSACTION_STATE for a half message (AbstractTransactionalMessageCheckListener.sendCheckMessage):
 * the half's offsets and ids in the header, the message itself — back on its real topic and queue —
 * as the body.
 */
export function checkRequestOf(half: MessageRecord, info: HalfInfo): RemotingCommand {
  const extFields = encodeHeader(CheckTransactionStateRequestHeader, {
    topic: info.topic,
    tranStateTableOffset: half.queueOffset,
    commitLogOffset: half.physicalOffset,
    msgId: info.uniqKey,
    transactionId: info.uniqKey,
    offsetMsgId: offsetMsgId(half.storeHost, half.physicalOffset),
  });
  const body = encodeRecord({
    queueId: info.queueId,
    flag: half.flag,
    queueOffset: half.queueOffset,
    physicalOffset: half.physicalOffset,
    sysFlag: half.sysFlag,
    bornTimestamp: half.bornTimestamp,
    bornHost: half.bornHost,
    storeTimestamp: half.storeTimestamp,
    storeHost: half.storeHost,
    reconsumeTimes: half.reconsumeTimes,
    preparedTransactionOffset: half.preparedTransactionOffset,
    body: half.body,
    topic: info.topic,
    properties: half.properties,
    bodyCrc: half.bodyCrc,
  });
  return createRequest(RequestCode.CHECK_TRANSACTION_STATE, { extFields, body });
}
