/**
 * IPv6 address patterns (src/acl/ipv6.ts via compileAddressPattern): golden cases quoted from
 * apache/rocketmq's own tests, property tests against a reference that works on numbers (never on
 * pattern text), and the places that read patterns (ACL file, broker haAllowedAddresses, topology).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it, onTestFinished } from 'vitest';
import { AclConfigError, parseAclConfig } from '../../src/acl/config.js';
import { expandIPv6, parseIPv6Range } from '../../src/acl/ipv6.js';
import { AddressPatternError, compileAddressPattern } from '../../src/acl/remote-address.js';
import { loadBrokerConfig } from '../../src/broker/broker-properties.js';
import { InvalidInputError } from '../../src/errors.js';
import { parseTopology } from '../../src/topology/index.js';
import { TopologyError } from '../../src/util/problems.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { RequestCode, ResponseCode } from '../../src/remoting/codes.js';
import { createRequest } from '../../src/remoting/command.js';
import { ADMIN, SECRETS } from '../support/acl.js';
import { startCluster } from '../support/cluster.js';
import { tmpDir } from '../support/tmp.js';

const m = (pattern: string, ip: string) => compileAddressPattern(pattern)(ip);
/** Java's Integer.toHexString: negative numbers as their 32-bit two's complement. */
const javaHex = (i: number) => (i >>> 0).toString(16);

describe('golden cases from apache/rocketmq', () => {
  // acl/src/test/java/org/apache/rocketmq/acl/plain/RemoteAddressStrategyTest.java,
  // rangeNetaddressStrategyTest "IPv6 test" block and its helper rangeIPv6NetaddressStrategyTest:
  // for i in -10 .. 65536+100, head + toHexString(i) matches exactly when start <= i <= end.
  const sweep = (pattern: string, head: string, start: number, end: number) => {
    const matcher = compileAddressPattern(pattern);
    const wrong: string[] = [];
    for (let i = -10; i < 65536 + 100; i++) {
      const ip = head + javaHex(i);
      if (matcher(ip) !== (i >= start && i <= end)) wrong.push(ip);
    }
    expect(wrong).toEqual([]);
  };
  it('RemoteAddressStrategyTest.rangeNetaddressStrategyTest (IPv6 part)', () => {
    sweep('1050::0005:0600:300c:1-200', '1050::0005:0600:300c:', 0x1, 0x200);
    sweep('1050::0005:0600:300c:*', '1050::0005:0600:300c:', 0x0, 0xffff);
    sweep('1050::0005:0600:3001:*', '1050::0005:0600:300c:', 1, 0); // isFalse = false: nothing matches
    sweep('1050::0005:0600:300c:1-200:*', '1050::0005:0600:300c:1:', 0x0, 0xffff);
    sweep('1050::0005:0600:300c:1-200:*', '1050::0005:0600:300c:201:', 1, 0);
  });

  it('RemoteAddressStrategyTest.multipleNetaddressStrategyTest / multipleIPv6NetaddressStrategyTest', () => {
    for (const pattern of ['1050::0005:0600:300c:1,1050::0005:0600:300c:2,1050::0005:0600:300c:3', '1050::0005:0600:300c:{1,2,3}']) {
      for (const last of ['1', '2', '3']) expect(m(pattern, `1050:0000:0000:0000:0005:0600:300c:${last}`)).toBe(true);
      for (const last of ['4', '0']) expect(m(pattern, `1050:0000:0000:0000:0005:0600:300c:${last}`)).toBe(false);
    }
  });

  it('RemoteAddressStrategyTest.netaddressStrategyFactoryTest: every IPv6 form it builds compiles', () => {
    for (const pattern of [
      '*:*:*:*:*:*:*:*',
      '1050:0000:0000:0000:0005:0600:300c:326b',
      '1050::0005:0600:300c:3261,1050::0005:0600:300c:3262,1050::0005:0600:300c:3263',
      '1050::0005:0600:300c:3261:{1,2,3}',
      '1050::0005:0600:300c:3261:1-200',
      '1050:0005:0600:300c:3261:*',
      '1050::0005:0600:300c:3261:1-20:*',
    ]) {
      expect(() => compileAddressPattern(pattern), pattern).not.toThrow();
    }
    expect(m('*:*:*:*:*:*:*:*', '2001:db8::1')).toBe(true);
  });

  it('RemoteAddressStrategyTest.oneNetaddressStrategyTest (IPv6 part) and verifyTest / multipleNetaddressStrategyExceptionTest', () => {
    expect(m('::1', '')).toBe(false);
    expect(m('::1', '::2')).toBe(false);
    expect(m('::1', '::1')).toBe(true);
    expect(m('::1', '0000:0000:0000:0000:0000:0000:0000:0001')).toBe(true);
    expect(() => compileAddressPattern('::1ggg')).toThrow(AddressPatternError);
    expect(() => compileAddressPattern('::1,2,3}')).toThrow(AddressPatternError);
  });

  it('AclUtilsTest.testV6ipProcess: the prefix a range pattern fixes', () => {
    // v6ipProcess returns the expanded head; here that head is the range's prefix
    const prefix = (p: string) => {
      const r = parseIPv6Range(p);
      if (!r.ok) throw new Error(r.problem);
      return r.range.prefix.map((g) => g.toString(16).padStart(4, '0')).join(':');
    };
    expect(prefix('5::7:6:1-200:*')).toBe('0005:0000:0000:0000:0007:0006');
    expect(prefix('5::7:6:1-200')).toBe('0005:0000:0000:0000:0000:0007:0006');
    expect(prefix('5::7:6:*')).toBe('0005:0000:0000:0000:0000:0007:0006');
    expect(prefix('5:7:6:*')).toBe('0005:0007:0006');
  });

  it('AclUtilsTest.testExpandIP (upper case there, lower case here)', () => {
    expect(expandIPv6('::')).toBe('0000:0000:0000:0000:0000:0000:0000:0000');
    expect(expandIPv6('::1')).toBe('0000:0000:0000:0000:0000:0000:0000:0001');
    expect(expandIPv6('3::')).toBe('0003:0000:0000:0000:0000:0000:0000:0000');
    expect(expandIPv6('2::2')).toBe('0002:0000:0000:0000:0000:0000:0000:0002');
    expect(expandIPv6('4::aac4:92')).toBe('0004:0000:0000:0000:0000:0000:aac4:0092');
    expect(expandIPv6('ab23:56:901a::cc6:765:bb:9011')).toBe('ab23:0056:901a:0000:0cc6:0765:00bb:9011');
    expect(expandIPv6('ab23:56:901a:1:cc6:765:bb:9011')).toBe('ab23:0056:901a:0001:0cc6:0765:00bb:9011');
  });

  it('AclUtils.IPv6AddressCheck: * only at the end, a-b only in the last group or the one before a final *', () => {
    for (const bad of ['1050::*:1', '1050::1-2:3', '1050::1-2:3:*', '1050:*::1', '*:1::1', '1-2::*']) {
      expect(() => compileAddressPattern(bad), bad).toThrow(AddressPatternError);
    }
  });
});

describe('IPv6 patterns: what each refusal says', () => {
  const refusal = (p: string) => {
    try {
      compileAddressPattern(p);
    } catch (e) {
      expect(e).toBeInstanceOf(AddressPatternError);
      return (e as Error).message;
    }
    return 'accepted';
  };
  it('names the pattern and the problem', () => {
    expect(refusal('fe80::*:1')).toBe('"fe80::*:1": * and a-b may only stand in the last groups (every group after a * or a range must be *)');
    expect(refusal('fe80::20-10')).toBe('"fe80::20-10": range 20-10 is empty');
    expect(refusal('fe80::1-10000')).toBe('"fe80::1-10000": "1-10000" is not a hex range a-b (1-4 hex digits each side)');
    expect(refusal('fe80::g:*')).toBe('"fe80::g:*": "g" is not a hex group (1-4 hex digits)');
    expect(refusal('1::2::*')).toBe('"1::2::*": "::" may appear only once');
    expect(refusal('fe80:::*')).toBe('"fe80:::*": ":::" is not IPv6 (at most "::")');
    expect(refusal('1:2:3:4:5:6:7:8:*')).toBe('"1:2:3:4:5:6:7:8:*": too many groups: an IPv6 address has 8');
    expect(refusal('1:2:3:4:5:6::7:*')).toBe('"1:2:3:4:5:6::7:*": too many groups: the prefix with "::" and the range and * groups make more than 8');
    expect(refusal('*:1:*')).toBe('"*:1:*": the first group must be hex (use * alone, or *:*:*:*:*:*:*:*, for every address)');
  });
  it('takes the forms beyond RocketMQ\'s with their plain meaning', () => {
    expect(m('::*', '::5')).toBe(true);
    expect(m('::*', '1::5')).toBe(false);
    expect(m('fd00:1:*:*', 'fd00:1:2:3::9')).toBe(true);
    expect(m('fd00:1:*:*', 'fd00:2::')).toBe(false);
    expect(m('fe80::*', 'fe80::1%eth0')).toBe(true); // a zone on the client address is not part of it
    expect(m('fe80::*', '10.0.0.1')).toBe(false);
    expect(m('fe80::*', 'not an address')).toBe(false);
  });
});

// ── properties against a reference on numbers ────────────────────────────────────────────────

/** A range as the reference sees it: first `prefix.length` groups fixed, the next in [lo, hi]. */
interface Model {
  prefix: number[];
  lo: number;
  hi: number;
  stars: number; // trailing `*` groups after the range group
  compress: { at: number; len: number } | null; // the zero run written as `::`
}

const referenceMatch = (model: Model, groups: number[]) =>
  model.prefix.every((v, i) => groups[i] === v) && groups[model.prefix.length]! >= model.lo && groups[model.prefix.length]! <= model.hi;

const group = fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(0, 1, 0xffff));
const hexStyle = fc.constantFrom('bare', 'padded', 'upper');
const writeGroup = (v: number, style: string) => {
  const s = style === 'padded' ? v.toString(16).padStart(4, '0') : v.toString(16);
  return style === 'upper' ? s.toUpperCase() : s;
};

const modelArb: fc.Arbitrary<Model> = fc
  .record({ stars: fc.integer({ min: 0, max: 3 }), compressed: fc.boolean(), a: group, b: group, star: fc.boolean() })
  .chain(({ stars, compressed, a, b, star }) => {
    const [lo, hi] = star ? [0, 0xffff] : [Math.min(a, b), Math.max(a, b)];
    const full = 7 - stars; // prefix groups when `::` fills the address to 8
    if (!compressed) {
      return fc.array(group, { minLength: 1, maxLength: full }).map((prefix): Model => ({ prefix, lo, hi, stars, compress: null }));
    }
    return fc
      .record({ prefix: fc.array(group, { minLength: full, maxLength: full }), at: fc.nat(full - 1), len: fc.integer({ min: 1, max: full }) })
      .map(({ prefix, at, len }): Model => {
        const run = Math.min(len, full - at);
        const p = prefix.map((v, i) => (i >= at && i < at + run ? 0 : v));
        return { prefix: p, lo, hi, stars, compress: { at, len: run } };
      });
  });

function writePattern(model: Model, style: string): string {
  const g = (v: number) => writeGroup(v, style);
  let prefix: string;
  if (model.compress) {
    const { at, len } = model.compress;
    prefix = `${model.prefix.slice(0, at).map(g).join(':')}::${model.prefix.slice(at + len).map(g).join(':')}`;
  } else {
    prefix = model.prefix.map(g).join(':');
  }
  const range = model.lo === 0 && model.hi === 0xffff && style !== 'upper' ? '*' : `${g(model.lo)}-${g(model.hi)}`;
  const sep = prefix.endsWith('::') ? '' : ':';
  return `${prefix}${sep}${range}${':*'.repeat(model.stars)}`;
}

/** An address in one of the ways clients and the kernel write it. */
function writeAddress(groups: number[], style: string): string {
  const parts = groups.map((v) => writeGroup(v, style === 'compressed' ? 'bare' : style));
  if (style !== 'compressed') return parts.join(':');
  // the longest run of zero groups (two or more) as `::`
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  if (best.at < 0) return parts.join(':');
  return `${parts.slice(0, best.at).join(':')}::${parts.slice(best.at + best.len).join(':')}`;
}

/** Addresses worth asking about: inside the prefix at the range's edges, one group off, or anywhere. */
const addressFor = (model: Model) =>
  fc.oneof(
    fc.array(group, { minLength: 8, maxLength: 8 }),
    fc
      .record({
        edge: fc.constantFrom(model.lo - 1, model.lo, model.hi, model.hi + 1, Math.floor((model.lo + model.hi) / 2)),
        tail: fc.array(group, { minLength: 8, maxLength: 8 }),
        flip: fc.option(fc.nat(model.prefix.length - 1), { nil: undefined }),
      })
      .map(({ edge, tail, flip }) => {
        const groups = [...model.prefix, Math.min(0xffff, Math.max(0, edge)), ...tail].slice(0, 8);
        if (flip !== undefined) groups[flip] = (groups[flip]! + 1) & 0xffff;
        return groups;
      }),
  );

describe('IPv6 range patterns: properties', () => {
  it('a pattern written any way matches exactly the addresses the reference says, written any way', () => {
    fc.assert(
      fc.property(
        modelArb.chain((model) => fc.tuple(fc.constant(model), hexStyle, fc.array(fc.tuple(addressFor(model), fc.constantFrom('bare', 'padded', 'upper', 'compressed')), { minLength: 1, maxLength: 20 }))),
        ([model, style, addresses]) => {
          const pattern = writePattern(model, style);
          const matcher = compileAddressPattern(pattern);
          for (const [groups, addrStyle] of addresses) {
            expect(matcher(writeAddress(groups, addrStyle)), `${pattern} vs ${writeAddress(groups, addrStyle)}`).toBe(referenceMatch(model, groups));
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('any string of pattern characters either compiles or is refused with AddressPatternError, and a compiled matcher never throws', () => {
    const text = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.*-{},'.split(''), ' '), maxLength: 40 });
    const ip = fc.oneof(fc.ipV6(), fc.ipV4(), fc.string({ maxLength: 20 }));
    fc.assert(
      fc.property(text, fc.array(ip, { maxLength: 5 }), (pattern, ips) => {
        let matcher: ((ip: string) => boolean) | undefined;
        try {
          matcher = compileAddressPattern(pattern);
        } catch (e) {
          expect(e).toBeInstanceOf(AddressPatternError);
          return;
        }
        for (const a of ips) expect(typeof matcher(a)).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });
});

// ── the places that read patterns ─────────────────────────────────────────────────────────────

describe('IPv6 patterns where patterns are read', () => {
  it('plain_acl.yml: global and per-account patterns', () => {
    const policy = parseAclConfig(
      `globalWhiteRemoteAddresses: ['fd00:10::*']
accounts:
  - accessKey: app-v6
    secretKey: "12345678"
    whiteRemoteAddress: 'fd00:20::1:0-ff:*'
`,
      'acl.yml',
    );
    expect(policy.globalWhite('fd00:10::7')).toBe(true);
    expect(policy.globalWhite('fd00:11::7')).toBe(false);
    expect(policy.accounts.get('app-v6')?.trusted('fd00:20::1:5:9')).toBe(true);
    expect(policy.accounts.get('app-v6')?.trusted('fd00:20::1:100:9')).toBe(false);
    const err = (() => {
      try {
        parseAclConfig(`globalWhiteRemoteAddresses: ['fd00::*:1']\n`, 'acl.yml');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(AclConfigError);
    expect((err as AclConfigError).problems.join('\n')).toMatch(/^acl\.yml:1:\d+ +globalWhiteRemoteAddresses\[0\] +"fd00::\*:1": \* and a-b may only stand in the last groups/m);
  });

  it('broker haAllowedAddresses takes an IPv6 range and refuses a broken one with the file named', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'broker.properties');
    writeFileSync(file, 'brokerName=broker-a\nbrokerIP1=127.0.0.1\nnamesrvAddr=127.0.0.1:9876\nhaAllowedAddresses=fd00::10-1f\n');
    expect(loadBrokerConfig(file).config.haAllowedAddresses).toBe('fd00::10-1f');
    writeFileSync(file, 'brokerName=broker-a\nbrokerIP1=127.0.0.1\nnamesrvAddr=127.0.0.1:9876\nhaAllowedAddresses=fd00::1f-10\n');
    const err = (() => {
      try {
        loadBrokerConfig(file);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).problems.join('\n')).toContain(`${file}  haAllowedAddresses "fd00::1f-10": range 1f-10 is empty`);
  });

  it('topology acl: patterns', () => {
    const topo = (pattern: string) => `cluster: v6
mode: single-master
hosts:
  - {name: mq1, address: 10.0.0.1}
nameservers:
  - {host: mq1}
brokers:
  - name: broker-a
    master: {host: mq1}
acl:
  admin:
    accessKey: rmq-admin
    secretKey: { env: RMQ_TEST_ADMIN_SECRET }
  globalWhiteRemoteAddresses: ['${pattern}']
`;
    expect(() => parseTopology(topo('fd00:10::*'), 'v6.yaml')).not.toThrow();
    let problems = '';
    try {
      parseTopology(topo('fd00::*:1'), 'v6.yaml');
    } catch (e) {
      if (!(e instanceof TopologyError)) throw e;
      problems = e.problems.join('\n');
    }
    expect(problems).toMatch(/^v6\.yaml:14:\d+ +acl\.globalWhiteRemoteAddresses\[0\] +"fd00::\*:1": \* and a-b may only stand in the last groups .*fd00::\*/m);
  });
});

describe('an IPv6 range on a real node', () => {
  it('a NameServer trusts [::1] by a globalWhiteRemoteAddresses range and still refuses the same unsigned request from 127.0.0.1', async () => {
    // 0:0:0:0:0:0:0:0-ff: the RocketMQ-readable form (no leading "::") of ::0 … ::ff, which holds ::1
    const yaml = `globalWhiteRemoteAddresses: ['0:0:0:0:0:0:0:0-ff']
accounts:
  - accessKey: ${ADMIN.accessKey}
    secretKey: ${SECRETS.admin}
    admin: true
`;
    const c = await startCluster({ acl: { yaml, nodeAccount: ADMIN } });
    const port = c.namesrvs[0]!.port;
    const anon = new RemotingClient();
    onTestFinished(() => anon.shutdown());
    const ask = async (addr: string) => (await anon.request(addr, createRequest(RequestCode.GET_BROKER_CLUSTER_INFO), 5_000)).code;
    expect(await ask(`[::1]:${port}`)).toBe(ResponseCode.SUCCESS);
    expect(await ask(`127.0.0.1:${port}`)).toBe(ResponseCode.NO_PERMISSION);
  });
});

