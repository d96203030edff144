import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeProperties, encodeProperties, findProperty, javaStringHashCode, javaStringHashCodeFrom, tagsCode } from '../../../src/protocol/message/index.js';

describe('message properties string', () => {
  it('encodes key 0x01 value 0x02 with a trailing separator, in insertion order', () => {
    // the expectation of ali-ons' "should messageProperties2String ok" test
    const s = encodeProperties(new Map([['foo', 'bar'], ['xxx', 'yyy'], ['a', '中文']]));
    expect(s).toBe('foo\u0001bar\u0002xxx\u0001yyy\u0002a\u0001中文\u0002');
    expect([...decodeProperties(s)]).toEqual([['foo', 'bar'], ['xxx', 'yyy'], ['a', '中文']]);
  });

  it('skips items Java skips: shorter than 3 chars, empty key or value, no separator', () => {
    // MessageDecoder.string2messageProperties: needs newIndex - index >= 3 and a separator strictly inside
    const s = 'a\u0001\u0002\u0001b\u0002ab\u0002k\u0001v\u0002nosep\u0002TAGS\u0001x\u0002';
    expect([...decodeProperties(s)]).toEqual([['k', 'v'], ['TAGS', 'x']]);
    expect(decodeProperties('').size).toBe(0);
    expect([...decodeProperties('k\u0001v')]).toEqual([['k', 'v']]); // no trailing separator
  });

  it('reads one property without building a map, agreeing with the full parser', () => {
    const s = 'XTAGS\u0001no\u0002TAGS\u0001TagA\u0002KEYS\u0001k1 k2\u0002WAIT\u0001false\u0002';
    expect(findProperty(s, 'TAGS')).toBe('TagA');
    expect(findProperty(s, 'KEYS')).toBe('k1 k2');
    expect(findProperty(s, 'WAIT')).toBe('false');
    expect(findProperty(s, 'UNIQ_KEY')).toBeUndefined();
    expect(findProperty('TAGS\u0001\u0002', 'TAGS')).toBeUndefined();
    for (const k of ['TAGS', 'KEYS', 'WAIT', 'XTAGS']) expect(findProperty(s, k)).toBe(decodeProperties(s).get(k));
  });

  it('agrees with the full parser on any string of keys, values and separators (property)', () => {
    const piece = fc.constantFrom('K', 'KA', 'A', 'x', '\u0001', '\u0002');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 24 }), (parts) => {
        const s = parts.join('');
        for (const k of ['K', 'KA', 'A']) expect(findProperty(s, k)).toBe(decodeProperties(s).get(k));
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('tags code', () => {
  it("is Java's String.hashCode", () => {
    // values of "...".hashCode() on a JVM
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('hello')).toBe(99162322);
    expect(javaStringHashCode('Hello World')).toBe(-862545276);
    expect(javaStringHashCode('TagA')).toBe(2598919);
    // UTF-16 code units, as Java: U+1F600 is the pair D83D DE00 → 0xD83D * 31 + 0xDE00
    expect(javaStringHashCode('\u{1F600}')).toBe(0xd83d * 31 + 0xde00);
    expect(tagsCode(undefined)).toBe(0);
    expect(tagsCode('null')).toBe(javaStringHashCode('null'));
  });

  it('continues from a prefix\'s hash (the key index hashes topic#key without building it)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => javaStringHashCodeFrom(javaStringHashCode(a), b) === javaStringHashCode(a + b)));
    // passed to Array.map (subscriptions' tag codes), the index must not change the hash
    expect(['TagA', 'TagB'].map(javaStringHashCode)).toEqual([javaStringHashCode('TagA'), javaStringHashCode('TagB')]);
  });
});
