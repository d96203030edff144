import { describe, expect, it } from 'vitest';
import {
  BatchFormatError,
  UniqKeyGenerator,
  decodeBatchBody,
  encodeBatchBody,
  formatHostAddress,
  hostAddress,
  offsetMsgId,
  parseHostAddress,
  parseOffsetMsgId,
  parseUniqKey,
} from '../../../src/protocol/message/index.js';

describe('offset msgId', () => {
  it('parses the id of ali-ons\' decodeMessageId test', () => {
    const id = parseOffsetMsgId('0ADA91A6000029CC0000006504009B6F');
    expect(formatHostAddress(id.storeHost)).toBe('10.218.145.166:10700'); // ali-ons test
    expect(id.commitLogOffset).toBe(433858845551); // ali-ons test
    expect(offsetMsgId(id.storeHost, id.commitLogOffset)).toBe('0ADA91A6000029CC0000006504009B6F');
  });

  it('handles IPv6 store hosts (56 hex chars) and rejects other shapes', () => {
    const h = parseHostAddress('[2001:db8::7]:10911');
    const id = offsetMsgId(h, 2 ** 40 + 5);
    expect(id).toHaveLength(56);
    expect(parseOffsetMsgId(id)).toEqual({ storeHost: h, commitLogOffset: 2 ** 40 + 5 });
    expect(() => parseOffsetMsgId('xyz')).toThrow(/32 or 56 hex/);
    expect(() => parseOffsetMsgId('0ADA91A6000029CC0000006504009B6')).toThrow(RangeError);
  });

  it('maps IPv4-mapped IPv6 addresses to 4 bytes, like Java', () => {
    expect(hostAddress('::ffff:127.0.0.1', 1).ip).toEqual(Buffer.from([127, 0, 0, 1]));
    expect(() => hostAddress('not-an-ip', 1)).toThrow(/not an IP/);
  });
});

describe('UNIQ_KEY', () => {
  it('lays out ip + pid + instance hash + ms since month start + counter (MessageClientIDSetter)', () => {
    const now = new Date(2026, 10, 28, 12, 0, 0, 0).getTime();
    const gen = new UniqKeyGenerator(Buffer.from([10, 0, 0, 1]), 0x12345, 0x0badf00d, now);
    const a = gen.next(now);
    const b = gen.next(now + 5);
    expect(a).toMatch(/^[0-9A-F]{32}$/);
    expect(a.slice(0, 20)).toBe('0A000001' + '2345' + '0BADF00D');
    const pa = parseUniqKey(a, now + 1000);
    expect(pa).toMatchObject({ pid: 0x2345, instanceHash: 0x0badf00d, time: now, counter: 0 });
    expect(parseUniqKey(b, now + 1000)).toMatchObject({ time: now + 5, counter: 1 });
    expect(() => parseUniqKey('12')).toThrow(RangeError);
  });

  it('writes the time as an int32 (two\'s complement past 2^31 ms, as Java) and the counter as uint16, wrapping', () => {
    // the last day of a 31-day month is more than 2^31 ms after its start: Java's int overflows
    const start = new Date(2026, 0, 1).getTime();
    const late = start + 2 ** 31 + 1234;
    const gen = new UniqKeyGenerator(Buffer.from([10, 0, 0, 1]), 1, 2, late);
    const expected = Buffer.alloc(6);
    expected.writeInt32BE((late - start) | 0, 0);
    expected.writeUInt16BE(0, 4);
    expect(gen.next(late).slice(20)).toBe(expected.toString('hex').toUpperCase());
    for (let i = 1; i < 0x10000; i++) gen.next(late);
    expect(gen.next(late).slice(-4)).toBe('0000'); // 65,536 ids later the counter wraps
    expect(gen.next(start + 7).slice(20)).toBe('000000070001');
  });
});

describe('batch body (SEND_BATCH_MESSAGE)', () => {
  it('round-trips and keeps each message\'s flag, body and properties', () => {
    const items = [
      { flag: 0, body: Buffer.from('one'), properties: 'KEYS\u0001k1\u0002' },
      { flag: 5, body: Buffer.alloc(0), properties: '' },
      { flag: -1, body: Buffer.from('three'), properties: 'TAGS\u0001t\u0002' },
    ];
    const body = encodeBatchBody(items);
    // first item: TOTALSIZE = 4+4+4+4 + 4+3 + 2+8 (MessageDecoder.encodeMessage)
    expect(body.readInt32BE(0)).toBe(33);
    expect(decodeBatchBody(body)).toEqual(items);
  });

  it('refuses malformed bodies with the position of the bad message', () => {
    const body = encodeBatchBody([{ flag: 0, body: Buffer.from('x'), properties: '' }]);
    expect(() => decodeBatchBody(body.subarray(0, body.length - 1))).toThrow(BatchFormatError);
    const lying = Buffer.from(body);
    lying.writeInt32BE(1000, 16); // body length beyond the message
    expect(() => decodeBatchBody(lying)).toThrow(/batch message 1 at byte 0: body length 1000/);
  });
});
