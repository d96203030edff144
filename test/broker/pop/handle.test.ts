import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeHandle, encodeHandle, newNonce } from '../../../src/broker/pop/handle.js';

const fields = fc.record({
  nonce: fc.integer({ min: 1, max: 0x7fffffff }).filter((n) => n !== 999),
  popTime: fc.integer({ min: 0, max: 2 ** 45 }),
  invisibleMs: fc.integer({ min: 0, max: 12 * 3600_000 }),
  brokerName: fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/),
  queueId: fc.integer({ min: 0, max: 0x7fffffff }),
  queueOffset: fc.integer({ min: 0, max: 2 ** 50 }),
  commitLogOffset: fc.integer({ min: 0, max: 2 ** 50 }),
});

describe('receipt handle codec', () => {
  it('round-trips every field', () => {
    fc.assert(
      fc.property(fields, (f) => {
        expect(decodeHandle(encodeHandle(f))).toEqual(f);
      }),
    );
  });

  it("is RocketMQ's extraInfo layout: ckOffset popTime invisibleTime reviveQid topicType brokerName queueId queueOffset commitLogOffset", () => {
    const h = encodeHandle({ nonce: 12345, popTime: 1700000000000, invisibleMs: 30000, brokerName: 'broker-a', queueId: 3, queueOffset: 42, commitLogOffset: 9999 });
    expect(h).toBe('42 1700000000000 30000 12345 0 broker-a 3 42 9999');
  });

  it('accepts the 8-field form a Java client rebuilds after CHANGE_MESSAGE_INVISIBLETIME', () => {
    expect(decodeHandle('42 1700000000000 30000 12345 0 broker-a 3 42')).toEqual({ nonce: 12345, popTime: 1700000000000, invisibleMs: 30000, brokerName: 'broker-a', queueId: 3, queueOffset: 42, commitLogOffset: -1 });
  });

  it('refuses anything else without throwing', () => {
    const bad = [
      '',
      'garbage',
      '42 1 2 3 0 b 3 42 9 10', // 10 fields
      '41 1700000000000 30000 12345 0 broker-a 3 42 9', // ckOffset is not the queue offset
      '42 1700000000000 30000 0 0 broker-a 3 42 9', // nonce 0
      '42 1700000000000 30000 12345 1 broker-a 3 42 9', // retry topic type
      '42 1700000000000 30000 2147483648 0 broker-a 3 42 9', // nonce past 31 bits
      '42 -1 30000 12345 0 broker-a 3 42 9',
      '42 1e3 30000 12345 0 broker-a 3 42 9',
      '42 99999999999999999 30000 12345 0 broker-a 3 42 9',
      'x'.repeat(600),
    ];
    for (const h of bad) expect(decodeHandle(h), h).toBeUndefined();
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (s) => void decodeHandle(s)));
    expect(decodeHandle(undefined as unknown as string)).toBeUndefined();
  });

  it('nonces are 31-bit, never 0 or 999', () => {
    for (let i = 0; i < 10_000; i++) {
      const n = newNonce();
      expect(n > 0 && n <= 0x7fffffff && n !== 999).toBe(true);
    }
  });
});
