import { describe, expect, it } from 'vitest';
import { encodePopped } from '../../../src/broker/pop/remoting-handlers.js';
import type { PoppedMessage } from '../../../src/broker/pop/types.js';
import { hostAddress } from '../../../src/protocol/message/host.js';
import { decodeProperties } from '../../../src/protocol/message/properties.js';
import { decodeRecord, encodeRecord, verifyRecordCrc } from '../../../src/protocol/message/record.js';

function stored(properties: string, v6 = false) {
  const host = v6 ? hostAddress('::1', 10911) : hostAddress('127.0.0.1', 10911);
  return encodeRecord({ queueId: 2, flag: 7, queueOffset: 42, physicalOffset: 4242, sysFlag: 0, bornTimestamp: 1, bornHost: host, storeTimestamp: 2, storeHost: host, reconsumeTimes: 1, preparedTransactionOffset: 0, body: Buffer.from('hello'), topic: 'T', properties });
}

function popped(raw: Buffer, attempt: number): PoppedMessage {
  const rec = decodeRecord(raw);
  return { record: { ...rec, reconsumeTimes: rec.reconsumeTimes + attempt - 1 }, properties: decodeProperties(rec.properties), tags: undefined, keys: [], msgId: 'id', messageGroup: undefined, receiptHandle: '42 1000 30000 77 0 broker-a 2 42 4242', deliveryAttempt: attempt + 1, invisibleUntil: 31000, firstPopTime: 1000 };
}

describe('encodePopped (the remoting POP answer)', () => {
  for (const [what, props, v6] of [
    ['properties with the trailing separator', 'TAGS\u0001a\u0002KEYS\u0001k\u0002', false],
    ['properties without it', 'TAGS\u0001a', false],
    ['no properties', '', false],
    ['IPv6 hosts', 'TAGS\u0001a\u0002', true],
  ] as const) {
    it(`appends POP_CK and 1ST_POP_TIME and counts reconsumeTimes up: ${what}`, () => {
      const raw = stored(props, v6);
      const m = popped(raw, 3);
      const patched = encodePopped(m, raw);
      const full = encodePopped(m); // written afresh
      for (const b of [patched, full]) {
        const r = decodeRecord(b);
        expect(r.totalSize).toBe(b.length);
        expect(verifyRecordCrc(r)).toBe(true);
        expect(r.reconsumeTimes).toBe(3);
        expect(r.queueOffset).toBe(42);
        expect(r.body.toString()).toBe('hello');
        const p = decodeProperties(r.properties);
        expect(p.get('POP_CK')).toBe(m.receiptHandle);
        expect(p.get('1ST_POP_TIME')).toBe('1000');
        for (const [k, v] of decodeProperties(props)) expect(p.get(k)).toBe(v);
      }
      expect(decodeProperties(decodeRecord(patched).properties)).toEqual(decodeProperties(decodeRecord(full).properties));
    });
  }
});
