/**
 * The transactional records as RocketMQ lays them out (src/broker/transaction/records.ts): the half
 * message parked in RMQ_SYS_TRANS_HALF_TOPIC with its real topic and queue, the commit back on them
 * naming its half, op records both ways, the check request a producer decodes; and the pending
 * table's indexes and remembered outcomes (pending.ts).
 */
import { describe, expect, it } from 'vitest';
import { checkRequestOf, commitOf, halfInfoOf, halfOf, isHalfSend, opOf, parseOp } from '../../../src/broker/transaction/records.js';
import { PendingHalves, type PendingHalf } from '../../../src/broker/transaction/pending.js';
import { decodeHeader } from '../../../src/protocol/header-spec.js';
import { CheckTransactionStateRequestHeader } from '../../../src/protocol/headers/broker.js';
import { PropertyKey, SysFlag, transactionType } from '../../../src/protocol/message/constants.js';
import { hostAddress } from '../../../src/protocol/message/host.js';
import { decodeProperties, encodeProperties } from '../../../src/protocol/message/properties.js';
import { decodeRecord, encodeRecord } from '../../../src/protocol/message/record.js';
import { RequestCode } from '../../../src/remoting/codes.js';
import type { PutMessage } from '../../../src/broker/store/index.js';

const host = hostAddress('10.0.0.1', 10911);
const sent = {
  topic: 'Orders',
  queueId: 3,
  flag: 7,
  body: Buffer.from('order-1'),
  properties: encodeProperties(new Map([[PropertyKey.TAGS, 'TagA'], [PropertyKey.KEYS, 'k1 k2'], [PropertyKey.UNIQ_CLIENT_MESSAGE_ID_KEYIDX, 'U1'], [PropertyKey.TRANSACTION_PREPARED, 'true'], [PropertyKey.CHECK_IMMUNITY_TIME_IN_SECONDS, '20'], ['color', 'blue']])),
  sysFlag: SysFlag.TRANSACTION_PREPARED_TYPE | SysFlag.MULTI_TAGS,
  bornTimestamp: 1_700_000_000_000,
  bornHost: hostAddress('10.0.0.9', 5555),
  storeHost: host,
  reconsumeTimes: 0,
  preparedTransactionOffset: 0,
};

/** `m` as the store would hand it back at `phys` / queue offset `queueOffset`. */
function stored(m: PutMessage, phys: number, queueOffset: number) {
  return decodeRecord(encodeRecord({ ...m, queueOffset, physicalOffset: phys, storeTimestamp: 1_700_000_000_100 }));
}

describe('transaction records', () => {
  it('half → commit keeps the message and names its half; ops parse back; a check request decodes as a producer reads it', () => {
    expect(isHalfSend(sent.properties, 0)).toBe(true);
    expect(isHalfSend('', SysFlag.TRANSACTION_PREPARED_TYPE)).toBe(true);
    expect(isHalfSend(encodeProperties(new Map([['a', 'b']])), SysFlag.TRANSACTION_COMMIT_TYPE)).toBe(false);
    const half = halfOf(sent, 'PG');
    expect(half.topic).toBe('RMQ_SYS_TRANS_HALF_TOPIC');
    expect(half.queueId).toBe(0);
    expect(transactionType(half.sysFlag)).toBe(SysFlag.TRANSACTION_NOT_TYPE); // takes a queue slot in the half topic
    expect(half.sysFlag & SysFlag.MULTI_TAGS).toBe(SysFlag.MULTI_TAGS);
    expect(halfInfoOf(half.properties)).toEqual({ topic: 'Orders', queueId: 3, producerGroup: 'PG', uniqKey: 'U1', immunityMillis: 20_000 });
    const rec = stored(half, 4096, 17);
    const commit = commitOf(rec);
    expect(commit).toMatchObject({ topic: 'Orders', queueId: 3, flag: 7, preparedTransactionOffset: 4096, bornTimestamp: sent.bornTimestamp });
    expect(transactionType(commit.sysFlag)).toBe(SysFlag.TRANSACTION_COMMIT_TYPE);
    expect(commit.body.toString()).toBe('order-1');
    const props = decodeProperties(commit.properties);
    expect(props.has(PropertyKey.REAL_TOPIC)).toBe(false);
    expect(props.has(PropertyKey.REAL_QUEUE_ID)).toBe(false);
    expect(Object.fromEntries(props)).toMatchObject({ TAGS: 'TagA', KEYS: 'k1 k2', UNIQ_KEY: 'U1', TRAN_MSG: 'true', PGROUP: 'PG', color: 'blue' });

    const d = opOf('d', '17,18', host, 1, 'rollback');
    expect(parseOp(decodeProperties(d.properties).get(PropertyKey.TAGS), d.body.toString(), decodeProperties(d.properties).get('TRAN_OUTCOME'))).toEqual({ kind: 'done', halfOffsets: [17, 18], outcome: 'rollback' });
    expect(parseOp('k', '17:3,x:1,18:1', undefined)).toEqual({ kind: 'checked', checks: [[17, 3], [18, 1]] });
    expect(parseOp('d', '17', 'weird')).toEqual({ kind: 'done', halfOffsets: [17], outcome: undefined });
    expect(parseOp('z', '17', undefined)).toEqual({ kind: 'unknown' });

    const info = halfInfoOf(half.properties)!;
    const req = checkRequestOf(rec, info);
    expect(req.code).toBe(RequestCode.CHECK_TRANSACTION_STATE);
    expect(decodeHeader(CheckTransactionStateRequestHeader, req.extFields)).toMatchObject({ topic: 'Orders', tranStateTableOffset: 17, commitLogOffset: 4096, msgId: 'U1', transactionId: 'U1' });
    const body = decodeRecord(req.body!);
    expect([body.topic, body.queueId, body.body.toString(), body.physicalOffset]).toEqual(['Orders', 3, 'order-1', 4096]);
  });

  it('pending halves: found by offset, commit-log offset and UNIQ_KEY (copies of a retried send together); outcomes remembered', () => {
    const t = new PendingHalves();
    const p = (halfOffset: number, phys: number, uniqKey: string): PendingHalf => ({ topic: 'T', queueId: 0, producerGroup: 'G', uniqKey, immunityMillis: 0, halfOffset, phys, storeTimestamp: 0, checks: 0, lastCheckAt: 0 });
    expect(t.add(p(1, 100, 'A'))).toBe(true);
    expect(t.add(p(1, 100, 'A'))).toBe(false);
    t.add(p(2, 200, 'A')); // the same message stored again by a retried send
    t.add(p(3, 300, 'B'));
    expect(t.withUniq('A').map((x) => x.halfOffset)).toEqual([1, 2]);
    expect(t.atPhys(300)?.halfOffset).toBe(3);
    t.remove(1, 'commit');
    expect(t.withUniq('A').map((x) => x.halfOffset)).toEqual([2]);
    expect(t.outcomeOf(100, undefined)).toBe('commit');
    expect(t.outcomeOf(undefined, 'A')).toBe('commit');
    t.remove(3, undefined); // how it ended is not known: nothing remembered
    expect(t.outcomeOf(300, 'B')).toBeUndefined();
    expect(t.size).toBe(1);
  });
});
