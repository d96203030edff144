import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RemotingCommand } from '../../src/remoting/command.js';
import { FrameError } from '../../src/remoting/errors.js';
import { decodeCommand, encodeCommand, FrameDecoder, FrameWriter } from '../../src/remoting/frame-codec.js';

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
const jsonFrame = (header: string, body = Buffer.alloc(0)) => {
  const h = Buffer.from(header, 'utf8');
  return Buffer.concat([u32(4 + h.length + body.length), u32(h.length), h, body]);
};

const arbCommand: fc.Arbitrary<RemotingCommand> = fc.record(
  {
    code: fc.integer({ min: -32768, max: 400000 }),
    language: fc.constantFrom('JAVA', 'GO', 'NODE_JS'),
    version: fc.integer({ min: 0, max: 500 }),
    opaque: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
    flag: fc.integer({ min: 0, max: 3 }),
    remark: fc.string({ unit: 'grapheme', maxLength: 40 }),
    extFields: fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 30 }), { maxKeys: 8 }),
    body: fc.uint8Array({ minLength: 1, maxLength: 40_000 }).map((a) => Buffer.from(a)),
  },
  { requiredKeys: ['code', 'language', 'version', 'opaque', 'flag'] },
);

/** Splits `buf` at the given cut points (sorted, deduplicated) into chunks. */
function split(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

describe('FrameDecoder', () => {
  it('round-trips any command through encode → decode', () => {
    fc.assert(
      fc.property(arbCommand, (cmd) => {
        const back = decodeCommand(encodeCommand(cmd));
        expect(back).toEqual({ ...cmd, serializeType: 'JSON' });
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same frames however the stream is cut into chunks', () => {
    fc.assert(
      fc.property(fc.array(arbCommand, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 30 }), (cmds, cuts) => {
        const stream = Buffer.concat(cmds.map((c) => encodeCommand(c)));
        const d = new FrameDecoder();
        const got: RemotingCommand[] = [];
        for (const chunk of split(stream, cuts)) {
          d.push(chunk);
          for (let c = d.next(); c !== undefined; c = d.next()) got.push(c);
        }
        expect(got).toEqual(cmds.map((c) => ({ ...c, serializeType: 'JSON' })));
        expect(d.bufferedBytes).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('decodes a frame that lies in one chunk without copying its body', () => {
    const chunk = encodeCommand({ code: 1, language: 'JAVA', version: 1, opaque: 1, flag: 0, body: Buffer.alloc(1000, 7) });
    const d = new FrameDecoder();
    d.push(chunk);
    const cmd = d.next();
    expect(cmd?.body?.buffer).toBe(chunk.buffer);
  });

  it('feeds one byte at a time without re-copying what is buffered', () => {
    const frame = encodeCommand({ code: 1, language: 'JAVA', version: 1, opaque: 1, flag: 0, body: Buffer.alloc(5000, 1) });
    const d = new FrameDecoder();
    for (let i = 0; i < frame.length - 1; i++) {
      d.push(frame.subarray(i, i + 1));
      expect(d.next()).toBeUndefined();
    }
    d.push(frame.subarray(frame.length - 1));
    expect(d.next()?.body?.length).toBe(5000);
  });

  it('rejects a frame over the limit as soon as its length field arrives', () => {
    const d = new FrameDecoder(1024);
    d.push(Buffer.concat([u32(1025), u32(10)]));
    expect(() => d.next()).toThrow(/frame length 1025 exceeds the limit of 1024/);
  });

  it('rejects the 16 MiB default limit + 1', () => {
    const d = new FrameDecoder();
    d.push(Buffer.concat([u32(16 * 1024 * 1024 + 1), u32(10)]));
    expect(() => d.next()).toThrow(FrameError);
  });

  it('rejects a header length larger than the frame', () => {
    const d = new FrameDecoder();
    d.push(Buffer.concat([u32(10), u32(7), Buffer.alloc(6)]));
    expect(() => d.next()).toThrow(/header length 7 exceeds the frame \(6 bytes/);
  });

  it('rejects a frame too small for the header-length word', () => {
    const d = new FrameDecoder();
    d.push(Buffer.concat([u32(3), u32(0)]));
    expect(() => d.next()).toThrow(/too small/);
  });

  it('rejects an unknown serialize type', () => {
    const d = new FrameDecoder();
    d.push(Buffer.concat([u32(4), u32(0x02000000)]));
    expect(() => d.next()).toThrow(/serialize type 2/);
  });

  it('rejects a header that is not JSON, or not a command', () => {
    expect(() => decodeCommand(jsonFrame('{"code":'))).toThrow(/not valid JSON/);
    expect(() => decodeCommand(jsonFrame('[1]'))).toThrow(/not an object/);
    expect(() => decodeCommand(jsonFrame('{"code":1.5}'))).toThrow(/"code" must be a 32-bit integer/);
    expect(() => decodeCommand(jsonFrame('{"code":1,"extFields":{"a":{"b":1}}}'))).toThrow(/extFields.a must be a string, number or boolean/);
    expect(() => decodeCommand(jsonFrame('{"code":1,"remark":5}'))).toThrow(/"remark" must be a string/);
  });

  it('accepts numbers, booleans and nulls in extFields (as ali-ons sends them)', () => {
    const cmd = decodeCommand(jsonFrame('{"code":105,"flag":0,"opaque":3,"extFields":{"topic":"T","queueId":0,"k":false,"x":null,"big":1700000000000}}'));
    expect(cmd.extFields).toEqual({ topic: 'T', queueId: '0', k: 'false', big: '1700000000000' });
    expect(cmd.language).toBe('JAVA');
  });
});

describe('FrameWriter', () => {
  const small = (i: number): RemotingCommand => ({ code: 10, language: 'JAVA', version: 1, opaque: i, flag: 0, body: Buffer.alloc(100, i) });

  it('packs many small frames into one buffer', () => {
    const w = new FrameWriter();
    for (let i = 0; i < 100; i++) w.write(small(i));
    const parts = w.take();
    expect(parts).toHaveLength(1);
    expect(w.pendingBytes).toBe(0);
    const d = new FrameDecoder();
    d.push(parts[0] as Buffer);
    for (let i = 0; i < 100; i++) expect(d.next()?.opaque).toBe(i);
  });

  it('hands large bodies over as they are, without copying', () => {
    const big = Buffer.alloc(100_000, 3);
    const w = new FrameWriter();
    w.write(small(1));
    w.write({ ...small(2), body: big });
    w.write(small(3));
    const parts = w.take();
    expect(parts.some((p) => p === big)).toBe(true);
    const d = new FrameDecoder();
    for (const p of parts) d.push(p);
    expect([d.next()?.opaque, d.next()?.body?.length, d.next()?.opaque]).toEqual([1, 100_000, 3]);
  });

  it('refuses to encode a frame over the limit and writes nothing', () => {
    const w = new FrameWriter(1000);
    expect(() => w.write({ ...small(1), body: Buffer.alloc(2000) })).toThrow(/refusing to send a \d+-byte frame/);
    expect(w.take()).toEqual([]);
  });
});

describe('hostile extFields keys', () => {
  it('keeps "__proto__" as an ordinary key and leaves prototypes alone', () => {
    const cmd = decodeCommand(jsonFrame('{"code":1,"extFields":{"__proto__":"x","constructor":"y"}}'));
    expect(Object.keys(cmd.extFields ?? {})).toEqual(['__proto__', 'constructor']);
    expect(cmd.extFields?.['__proto__']).toBe('x');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
