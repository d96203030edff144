import { describe, expect, it } from 'vitest';
import { realDestinationOf, repost } from '../../src/broker/parked-message.js';
import { PropertyKey } from '../../src/protocol/message/constants.js';
import { decodeProperties } from '../../src/protocol/message/properties.js';
import { hostAddress } from '../../src/protocol/message/host.js';
import type { MessageRecord } from '../../src/protocol/message/record.js';

const props = (entries: Record<string, string>) => new Map(Object.entries(entries));

describe('realDestinationOf', () => {
  it('reads REAL_TOPIC / REAL_QID', () => {
    expect(realDestinationOf(props({ [PropertyKey.REAL_TOPIC]: 'orders', [PropertyKey.REAL_QUEUE_ID]: '3' }))).toEqual({ topic: 'orders', queueId: 3 });
  });

  it.each([
    ['no topic', { [PropertyKey.REAL_QUEUE_ID]: '1' }],
    ['an empty topic', { [PropertyKey.REAL_TOPIC]: '', [PropertyKey.REAL_QUEUE_ID]: '1' }],
    ['no queue', { [PropertyKey.REAL_TOPIC]: 't' }],
    ['a negative queue', { [PropertyKey.REAL_TOPIC]: 't', [PropertyKey.REAL_QUEUE_ID]: '-1' }],
    ['a fractional queue', { [PropertyKey.REAL_TOPIC]: 't', [PropertyKey.REAL_QUEUE_ID]: '1.5' }],
    ['a queue that is not a number', { [PropertyKey.REAL_TOPIC]: 't', [PropertyKey.REAL_QUEUE_ID]: 'x' }],
  ])('refuses %s', (_why, entries) => {
    expect(realDestinationOf(props(entries))).toBeUndefined();
  });
});

describe('repost', () => {
  const rec = {
    flag: 7,
    body: Buffer.from('hello'),
    sysFlag: 4,
    bornTimestamp: 1_700_000_000_000,
    bornHost: hostAddress('10.0.0.1', 4000),
    storeHost: hostAddress('10.0.0.2', 10911),
    reconsumeTimes: 2,
    physicalOffset: 4096,
  } as unknown as MessageRecord;

  it('carries the record over to the destination with the edited properties', () => {
    const p = props({ KEYS: 'k1', [PropertyKey.REAL_TOPIC]: 'orders' });
    p.delete(PropertyKey.REAL_TOPIC);
    const m = repost(rec, { topic: 'orders', queueId: 2 }, p);
    expect(m).toMatchObject({ topic: 'orders', queueId: 2, flag: 7, sysFlag: 4, bornTimestamp: rec.bornTimestamp, reconsumeTimes: 2, preparedTransactionOffset: 0 });
    expect(m.bornHost).toEqual(rec.bornHost);
    expect(m.storeHost).toEqual(rec.storeHost);
    expect(decodeProperties(m.properties)).toEqual(new Map([['KEYS', 'k1']]));
  });

  it('copies the body and the host addresses (a decoded record\'s are views of the buffer it was read from)', () => {
    const m = repost(rec, { topic: 't', queueId: 0 }, new Map());
    const sameBytes = (a: Buffer, b: Buffer) => a.buffer === b.buffer && a.byteOffset === b.byteOffset;
    expect(m.body).toEqual(rec.body);
    expect(sameBytes(m.body, rec.body)).toBe(false);
    expect(sameBytes(m.bornHost.ip, rec.bornHost.ip) || sameBytes(m.storeHost.ip, rec.storeHost.ip)).toBe(false);
  });

  it('takes a commit\'s sysFlag and prepared offset', () => {
    const m = repost(rec, { topic: 't', queueId: 0 }, new Map(), { sysFlag: 8, preparedTransactionOffset: 4096 });
    expect(m).toMatchObject({ sysFlag: 8, preparedTransactionOffset: 4096 });
  });
});
