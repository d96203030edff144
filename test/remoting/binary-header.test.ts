/**
 * The ROCKETMQ binary header codec (src/remoting/binary-header.ts) byte for byte, both ways, and
 * what it does with bytes that are not a header: a FrameError naming the field, never another
 * exception. The apache/rocketmq RocketMQSerializableTest layouts are in golden.test.ts; the
 * expected bytes here are written out by hand from the layout in docs/design/protocol.md#binary-header.
 */
import { describe, expect, it } from 'vitest';
import { BINARY_HEADER_FIXED_LENGTH, binaryHeaderMaxLength, decodeBinaryHeader, encodeBinaryHeader, writeBinaryHeader } from '../../src/remoting/binary-header.js';
import { FLAG_RESPONSE, type RemotingCommand } from '../../src/remoting/command.js';
import { FrameError } from '../../src/remoting/errors.js';
import { decodeCommand, encodeCommand, FrameDecoder, FrameWriter } from '../../src/remoting/frame-codec.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const ascii = (s: string) => Buffer.from(s, 'latin1').toString('hex');

describe('golden bytes', () => {
  it('a SEND_MESSAGE_V2-shaped request', () => {
    const cmd: RemotingCommand = { code: 310, language: 'JAVA', version: 409, opaque: 7, flag: 0, extFields: { a: 'PG', b: 'T' } };
    const expected = hex(
      '0136' + '00' + '0199' + '00000007' + '00000000' + // code 310, JAVA, version 409, opaque, flag
        '00000000' + // no remark
        '00000011' + // extFields block: 9 + 8 bytes
        '0001' + ascii('a') + '00000002' + ascii('PG') +
        '0001' + ascii('b') + '00000001' + ascii('T'),
    );
    expect(encodeBinaryHeader(cmd)).toEqual(expected);
    expect(decodeBinaryHeader(expected, 0, expected.length)).toEqual({ ...cmd, serializeType: 'ROCKETMQ' });
  });

  it('a response with a remark, UTF-8 beyond ASCII in remark, key and value', () => {
    const cmd: RemotingCommand = { code: 0, language: 'NODE_JS', version: 409, opaque: -2, flag: FLAG_RESPONSE, remark: 'ok 中', extFields: { ü: 'ÿ' } };
    const expected = hex(
      '0000' + '0d' + '0199' + 'fffffffe' + '00000001' +
        '00000006' + ascii('ok ') + 'e4b8ad' + // remark: 3 ASCII bytes + one 3-byte character
        '0000000a' + '0002' + 'c3bc' + '00000002' + 'c3bf',
    );
    expect(encodeBinaryHeader(cmd)).toEqual(expected);
    expect(decodeBinaryHeader(expected, 0, expected.length)).toEqual({ ...cmd, serializeType: 'ROCKETMQ' });
  });

  it('a language outside the table goes out as OTHER (7); negative codes keep their 16 bits', () => {
    const b = encodeBinaryHeader({ code: -1, language: 'COBOL', version: 0, opaque: 0, flag: 0 });
    expect(b.subarray(0, 3)).toEqual(hex('ffff07'));
    expect(decodeBinaryHeader(b, 0, b.length)).toMatchObject({ code: -1, language: 'OTHER' });
  });

  it('leaves out undefined values as JSON does, writes numbers as strings, keeps insertion order', () => {
    const ext = { z: '1', a: undefined, n: 5 } as unknown as Record<string, string>;
    const b = encodeBinaryHeader({ code: 1, language: 'JAVA', version: 1, opaque: 1, flag: 0, extFields: ext });
    expect(b.subarray(BINARY_HEADER_FIXED_LENGTH)).toEqual(hex('0001' + ascii('z') + '00000001' + ascii('1') + '0001' + ascii('n') + '00000001' + ascii('5')));
    expect(decodeBinaryHeader(b, 0, b.length).extFields).toEqual({ z: '1', n: '5' });
  });

  it('reads zero-length keys and values as null: the entry is dropped (Java reads them as null)', () => {
    const b = hex('0001' + '00' + '0001' + '00000001' + '00000000' + '00000000' + '00000016' + '0000' + '00000001' + ascii('x') + '0001' + ascii('k') + '00000000' + '0001' + ascii('v') + '00000001' + ascii('1'));
    expect(decodeBinaryHeader(b, 0, b.length).extFields).toEqual({ v: '1' });
  });

  it('decodes in place inside a larger buffer (start/end offsets)', () => {
    const h = encodeBinaryHeader({ code: 11, language: 'JAVA', version: 2, opaque: 3, flag: 0, extFields: { topic: 'T' } });
    const padded = Buffer.concat([Buffer.from('junk'), h, Buffer.from('more')]);
    expect(decodeBinaryHeader(padded, 4, 4 + h.length)).toMatchObject({ code: 11, opaque: 3, extFields: { topic: 'T' } });
  });

  it('binaryHeaderMaxLength bounds every encoding (ASCII, 2-, 3- and 4-byte characters)', () => {
    for (const s of ['', 'abc', 'é'.repeat(50), '中'.repeat(70), '😀'.repeat(40), `x${'中'.repeat(100)}`]) {
      const cmd: RemotingCommand = { code: 1, language: 'JAVA', version: 1, opaque: 1, flag: 0, remark: s, extFields: { [s || 'k']: s || 'v', k2: s } };
      const max = binaryHeaderMaxLength(cmd);
      const out = Buffer.alloc(max + 8, 0xee);
      const n = writeBinaryHeader(cmd, out, 4);
      expect(n).toBeLessThanOrEqual(max);
      expect(out.subarray(4 + n).every((x) => x === 0xee)).toBe(true);
      const back = decodeBinaryHeader(out, 4, 4 + n);
      expect(back.remark).toBe(s === '' ? undefined : s);
      if (s !== '') expect(back.extFields).toEqual({ [s]: s, k2: s });
    }
  });
});

describe('decoded strings and extFields', () => {
  it('every value decodes to itself while the intern table is reused and overwritten (lengths 1 to 65, ASCII and not)', () => {
    const values: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const len = 1 + (i % 65);
      values.push((String(i) + 'x'.repeat(len)).slice(0, len) + (i % 97 === 0 ? 'é' : ''));
    }
    for (const round of [0, 1]) {
      for (let i = 0; i < values.length; i += 2) {
        const ext = { k: values[i]!, [`key${i % 7}`]: values[i + 1]! };
        const header = encodeBinaryHeader({ code: 310, language: 'JAVA', version: 1, opaque: i + round, flag: 0, extFields: ext });
        expect(decodeBinaryHeader(header, 0, header.length).extFields).toEqual(ext);
      }
    }
  });

  it('extFields have no Object.prototype behind them: "__proto__" and "constructor" are plain keys', () => {
    const header = encodeBinaryHeader({ code: 310, language: 'JAVA', version: 1, opaque: 1, flag: 0, extFields: JSON.parse('{"__proto__":"p","constructor":"c"}') as Record<string, string> });
    const ext = decodeBinaryHeader(header, 0, header.length).extFields!;
    expect(Object.keys(ext)).toEqual(['__proto__', 'constructor']);
    expect(ext['__proto__']).toBe('p');
    expect(ext['constructor']).toBe('c');
    expect('toString' in ext).toBe(false);
    expect('hasOwnProperty' in ext).toBe(false);
  });
});

describe('frames with binary headers', () => {
  it('FrameWriter writes serialize type 1 when the command asks for ROCKETMQ, and it decodes back', () => {
    const cmd: RemotingCommand = { code: 310, language: 'JAVA', version: 409, opaque: 99, flag: 0, extFields: { a: 'PG', b: 'Topic' }, body: Buffer.from('hello'), serializeType: 'ROCKETMQ' };
    const frame = encodeCommand(cmd);
    const header = encodeBinaryHeader(cmd);
    expect(frame.readUInt32BE(0)).toBe(4 + header.length + 5);
    expect(frame.readUInt32BE(4)).toBe((1 << 24) | header.length);
    expect(frame.subarray(8, 8 + header.length)).toEqual(header);
    expect(decodeCommand(frame)).toEqual({ ...cmd, body: Buffer.from('hello') });
  });

  it('mixes JSON and binary frames on one stream', () => {
    const w = new FrameWriter();
    const base = { code: 11, language: 'JAVA', version: 409, flag: 0, extFields: { topic: 'T' } };
    for (let i = 0; i < 10; i++) w.write({ ...base, opaque: i, ...(i % 2 ? { serializeType: 'ROCKETMQ' as const } : {}) });
    const d = new FrameDecoder();
    d.push(Buffer.concat(w.take()));
    const got = [];
    for (let c = d.next(); c !== undefined; c = d.next()) got.push(c);
    expect(got.map((c) => [c.opaque, c.serializeType])).toEqual(Array.from({ length: 10 }, (_, i) => [i, i % 2 ? 'ROCKETMQ' : 'JSON']));
  });

  it('refuses a key too long for its 2-byte length, writing nothing', () => {
    const w = new FrameWriter();
    w.write({ code: 1, language: 'JAVA', version: 1, opaque: 1, flag: 0 });
    const before = w.pendingBytes;
    expect(() => w.write({ code: 1, language: 'JAVA', version: 1, opaque: 2, flag: 0, extFields: { ['k'.repeat(40_000)]: 'v' }, serializeType: 'ROCKETMQ' })).toThrow(/key of 40000 bytes, at most 32767/);
    expect(w.pendingBytes).toBe(before);
    w.write({ code: 1, language: 'JAVA', version: 1, opaque: 3, flag: 0, serializeType: 'ROCKETMQ' });
    const d = new FrameDecoder();
    d.push(Buffer.concat(w.take()));
    expect([d.next()?.opaque, d.next()?.opaque, d.next()]).toEqual([1, 3, undefined]);
  });
});

describe('bad input: a clear FrameError, never a crash', () => {
  const good = encodeBinaryHeader({ code: 310, language: 'JAVA', version: 409, opaque: 7, flag: 0, remark: 'r', extFields: { a: 'PG', b: 'T' } });
  const decode = (b: Buffer) => () => decodeBinaryHeader(b, 0, b.length);
  const patched = (at: number, v: number, width: 2 | 4 = 4) => {
    const b = Buffer.from(good);
    if (width === 4) b.writeInt32BE(v, at);
    else b.writeInt16BE(v, at);
    return b;
  };
  const remarkAt = 13;
  const extAt = remarkAt + 4 + 1;
  const firstKeyAt = extAt + 4;

  it.each([
    ['shorter than the fixed part', good.subarray(0, 20), /too short: 20 bytes, at least 21/],
    ['remark length past the header', patched(remarkAt, 1000), /remark length 1000 exceeds the header/],
    ['negative remark length', patched(remarkAt, -1), /remark length -1/],
    ['extFields length past the header', patched(extAt, 1000), /extFields length 1000 exceeds the header/],
    ['negative extFields length', patched(extAt, -5), /extFields length -5/],
    ['key length past the block', patched(firstKeyAt, 500, 2), /key length 500 exceeds the block/],
    ['negative key length', patched(firstKeyAt, -1, 2), /key length -1/],
    ['value length past the block', patched(firstKeyAt + 3, 999), /value length 999 exceeds the block/],
    ['an entry cut short', Buffer.concat([patched(extAt, 17 + 3).subarray(0, good.length), Buffer.from([0, 1, 0x63])]), /truncated extFields entry \(3 bytes left/],
  ])('%s', (_what, bytes, message) => {
    expect(decode(bytes)).toThrow(FrameError);
    expect(decode(bytes)).toThrow(message);
  });

  it('random bytes and every truncation of a good header decode or fail with FrameError only', () => {
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const tries: Buffer[] = [];
    for (let n = 0; n < good.length; n++) tries.push(good.subarray(0, n));
    for (let i = 0; i < 3000; i++) {
      const b = Buffer.from(good);
      for (let j = 0; j < 1 + Math.floor(rnd() * 4); j++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      tries.push(b);
      tries.push(Buffer.from(Array.from({ length: Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256))));
    }
    for (const b of tries) {
      try {
        decodeBinaryHeader(b, 0, b.length);
      } catch (e) {
        expect(e).toBeInstanceOf(FrameError);
      }
    }
  });

  it('a frame whose binary header is bad is a FrameError from the stream decoder', () => {
    const header = patched(extAt, 1000);
    const frame = Buffer.alloc(8 + header.length);
    frame.writeUInt32BE(4 + header.length, 0);
    frame.writeUInt32BE((1 << 24) | header.length, 4);
    header.copy(frame, 8);
    const d = new FrameDecoder();
    d.push(frame);
    expect(() => d.next()).toThrow(FrameError);
  });
});
