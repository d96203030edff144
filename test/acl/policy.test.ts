/**
 * The ACL check without sockets: the file format (plain_acl.yml shape) and its errors, address
 * patterns (RocketMQ's RemoteAddressStrategyFactory forms), and the decision for each request —
 * expected outcomes follow RocketMQ 4.x PlainPermissionManager.validate / Permission.checkPermission.
 */
import { describe, expect, it } from 'vitest';
import { checkRequest, isRefusal } from '../../src/acl/access-control.js';
import { AclConfigError, parseAclConfig } from '../../src/acl/config.js';
import { Perm, permits } from '../../src/acl/permission.js';
import { expandIPv6 } from '../../src/acl/ipv6.js';
import { compileAddressPattern } from '../../src/acl/remote-address.js';
import { ADMIN_CODES } from '../../src/acl/resources.js';
import { signRequest } from '../../src/remoting/acl-signature.js';
import { RequestCode } from '../../src/remoting/codes.js';
import { createRequest, type ExtFields } from '../../src/remoting/command.js';

const YAML = `
globalWhiteRemoteAddresses:
  - 10.10.103.*
accounts:
  - accessKey: RocketMQ
    secretKey: 12345678
    whiteRemoteAddress: 192.168.0.{1,2}
    admin: false
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - topicA=DENY
      - topicB=PUB|SUB
      - topicC=SUB
    groupPerms:
      - groupA=DENY
      - groupB=PUB|SUB
  - accessKey: rocketmq2
    secretKey: "12345678"
    admin: true
`;
const policy = parseAclConfig(YAML, 'plain_acl.yml');
const user = { accessKey: 'RocketMQ', secretKey: '12345678' };
const admin = { accessKey: 'rocketmq2', secretKey: '12345678' };

function signed(code: number, ext: ExtFields, creds = user, body?: Buffer) {
  const r = createRequest(code, { extFields: { ...ext }, ...(body ? { body } : {}) });
  return signRequest(r, creds);
}
const verdict = (r: ReturnType<typeof createRequest>, ip = '127.0.0.1') => {
  const v = checkRequest(policy, r, ip);
  return isRefusal(v) ? v.remark : 'ok';
};

describe('permission bits (Permission.checkPermission)', () => {
  it('DENY wins, ANY takes PUB or SUB, else a shared bit', () => {
    expect(permits(Perm.PUB, Perm.PUB | Perm.SUB)).toBe(true);
    expect(permits(Perm.PUB, Perm.SUB)).toBe(false);
    expect(permits(Perm.SUB, Perm.DENY | Perm.SUB)).toBe(false);
    expect(permits(Perm.ANY, Perm.SUB)).toBe(true);
    expect(permits(Perm.ANY, Perm.DENY)).toBe(false);
  });
});

describe('address patterns', () => {
  const m = (p: string, ip: string) => compileAddressPattern(p)(ip);
  it('matches the RocketMQ forms', () => {
    expect(m('*', '1.2.3.4')).toBe(true);
    expect(m('*.*.*.*', '::1')).toBe(true);
    expect(m('', '1.2.3.4')).toBe(false);
    expect(m('192.168.1.10', '192.168.1.10')).toBe(true);
    expect(m('192.168.1.10', '192.168.1.11')).toBe(false);
    expect(m('192.168.1.{10,11}', '192.168.1.11')).toBe(true);
    expect(m('192.168.1.{10,11}', '192.168.1.12')).toBe(false);
    expect(m('192.168.1.10,10.0.0.1', '10.0.0.1')).toBe(true);
    expect(m('192.168.1.*', '192.168.1.200')).toBe(true);
    expect(m('192.168.*.*', '192.169.1.1')).toBe(false);
    expect(m('192.168.1.10-20', '192.168.1.20')).toBe(true);
    expect(m('192.168.1.10-20', '192.168.1.21')).toBe(false);
    expect(m('192.168.10-20.*', '192.168.15.3')).toBe(true);
    expect(m('::1', '0:0:0:0:0:0:0:1')).toBe(true);
    expect(expandIPv6('fe80::1')).toBe('fe80:0000:0000:0000:0000:0000:0000:0001');
  });
  it('refuses what it cannot read, saying why', () => {
    expect(() => compileAddressPattern('192.168.1')).toThrow(/not an IPv4 or IPv6 address/);
    expect(() => compileAddressPattern('192.168.*')).toThrow(/4 dot-separated/);
    expect(() => compileAddressPattern('192.168.*.5')).toThrow(/after a \* or a range must be \*/);
    expect(() => compileAddressPattern('192.168.1.20-10')).toThrow(/empty/);
    expect(() => compileAddressPattern('192.168.1.300-301')).toThrow(/not a number 0-255/);
    expect(() => compileAddressPattern('fe80::*:1')).toThrow(/only stand in the last groups/);
    expect(() => compileAddressPattern('host.example')).toThrow();
  });
});

describe('ACL file', () => {
  const problems = (text: string): string[] => {
    try {
      parseAclConfig(text, 'acl.yml');
    } catch (e) {
      if (e instanceof AclConfigError) return [...e.problems];
      throw e;
    }
    return [];
  };
  it('reads plain_acl.yml as RocketMQ ships it (numeric secret, groups as retry topics)', () => {
    const a = policy.accounts.get('RocketMQ');
    expect(a?.secretKey).toBe('12345678');
    expect(a?.resources.get('%RETRY%groupB')).toBe(Perm.PUB | Perm.SUB);
    expect(a?.resources.get('topicA')).toBe(Perm.DENY);
    expect(policy.accounts.get('rocketmq2')?.admin).toBe(true);
  });
  it('names file, line and field for each problem, without ever showing a secret', () => {
    const p = problems(`accounts:\n  - accessKey: short\n    secretKey: tiny-s\n    defaultTopicPerm: ALL\n    topicPerms: [t=READ]\n    adminn: true\n  - accessKey: RocketMQ\n    secretKey: my-secret-value\n    whiteRemoteAddress: 1.2.3\n  - accessKey: RocketMQ\n    secretKey: "x y"\n`);
    const text = p.join('\n');
    expect(text).toMatch(/acl\.yml:2:\d+ +accounts\[0\]\.accessKey +.*at least 6/);
    expect(text).toMatch(/acl\.yml:4:\d+ +accounts\[0\]\.defaultTopicPerm/);
    expect(text).toMatch(/acl\.yml:5:\d+ +accounts\[0\]\.topicPerms\[0\] .*name=PERM/);
    expect(text).toMatch(/accounts\[0\].*adminn/);
    expect(text).toMatch(/acl\.yml:11:\d+ +accounts\[2\]\.secretKey .*value not shown/);
    expect(text).not.toContain('x y');
    expect(problems('accounts:\n  - accessKey: RocketMQ\n    secretKey: my-secret-value\n    whiteRemoteAddress: 1.2.3\n').join('\n')).toMatch(/:4:\d+ +accounts\[0\]\.whiteRemoteAddress .*not an IPv4/);
    expect(problems('accounts:\n  - {accessKey: RocketMQ, secretKey: aaaaaaaa}\n  - {accessKey: RocketMQ, secretKey: bbbbbbbb}\n').join('\n')).toMatch(/:3:\d+ +accounts\[1\]\.accessKey +duplicate/);
    expect(problems('accounts: [').join('\n')).toMatch(/YAML syntax/);
  });
});

describe('checking a request', () => {
  it('authenticates: no key, unknown key, bad signature are refused with RocketMQ remarks', () => {
    expect(verdict(createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { extFields: { topic: 'topicB' } }))).toBe('No accessKey is configured');
    expect(verdict(signed(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'topicB' }, { accessKey: 'nobody1', secretKey: 'x' }))).toBe('No acl config for nobody1');
    expect(verdict(signed(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'topicB' }, { ...user, secretKey: 'wrong-secret' }))).toBe('Check signature failed for accessKey=RocketMQ');
    expect(verdict(signed(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'topicB' }))).toBe('ok');
  });

  it('a tampered body or header fails the signature', () => {
    const r = signed(RequestCode.SEND_MESSAGE_V2, { a: 'groupB', b: 'topicB' }, user, Buffer.from('original'));
    expect(verdict(r)).toBe('ok');
    expect(verdict({ ...r, body: Buffer.from('tampered') })).toMatch(/Check signature failed/);
    expect(verdict({ ...r, extFields: { ...r.extFields, b: 'topicC' } })).toMatch(/Check signature failed/);
  });

  it('authorizes sends and pulls by topic and group, with defaults', () => {
    expect(verdict(signed(RequestCode.SEND_MESSAGE_V2, { a: 'g', b: 'topicB' }))).toBe('ok');
    expect(verdict(signed(RequestCode.SEND_MESSAGE_V2, { a: 'g', b: 'topicC' }))).toBe('No permission for topic topicC');
    expect(verdict(signed(RequestCode.SEND_MESSAGE_V2, { a: 'g', b: 'topicA' }))).toBe('No permission for topic topicA');
    expect(verdict(signed(RequestCode.SEND_MESSAGE, { producerGroup: 'g', topic: 'other' }))).toBe('No default permission for topic other');
    expect(verdict(signed(RequestCode.PULL_MESSAGE, { consumerGroup: 'groupB', topic: 'topicC' }))).toBe('ok');
    expect(verdict(signed(RequestCode.PULL_MESSAGE, { consumerGroup: 'groupA', topic: 'topicC' }))).toBe('No permission for group groupA');
    // default group perm SUB
    expect(verdict(signed(RequestCode.PULL_MESSAGE, { consumerGroup: 'anyGroup', topic: 'topicB' }))).toBe('ok');
    // a retry topic counts as its group: sending to %RETRY%groupA needs SUB on groupA
    expect(verdict(signed(RequestCode.SEND_MESSAGE_V2, { a: 'groupA', b: '%RETRY%groupA' }))).toBe('No permission for group groupA');
    expect(verdict(signed(RequestCode.CONSUMER_SEND_MSG_BACK, { group: 'groupB', originTopic: 'topicC' }))).toBe('No permission for topic topicC');
  });

  it('reads the groups and topics of a heartbeat body', () => {
    const hb = (group: string, topic: string) => Buffer.from(JSON.stringify({ clientID: 'c', consumerDataSet: [{ groupName: group, subscriptionDataSet: [{ topic }] }], producerDataSet: [] }));
    expect(verdict(signed(RequestCode.HEART_BEAT, {}, user, hb('groupB', 'topicC')))).toBe('ok');
    expect(verdict(signed(RequestCode.HEART_BEAT, {}, user, hb('groupA', 'topicC')))).toBe('No permission for group groupA');
    expect(verdict(signed(RequestCode.HEART_BEAT, {}, user, hb('groupB', 'topicA')))).toBe('No permission for topic topicA');
  });

  it('admin codes need an admin account', () => {
    for (const code of [RequestCode.UPDATE_AND_CREATE_TOPIC, RequestCode.DELETE_TOPIC_IN_BROKER, RequestCode.DELETE_TOPIC_IN_NAMESRV, RequestCode.UPDATE_BROKER_CONFIG, RequestCode.REGISTER_BROKER]) {
      expect(ADMIN_CODES.has(code)).toBe(true);
      expect(verdict(signed(code, { topic: 'topicB' }))).toBe(`Need admin permission for request code=${code}, but accessKey=RocketMQ is not`);
      expect(verdict(signed(code, { topic: 'topicB' }, admin))).toBe('ok');
    }
  });

  it('white-listed addresses: global skips everything, per-account skips the signature', () => {
    expect(verdict(createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, { extFields: { topic: 't' } }), '10.10.103.7')).toBe('ok');
    expect(verdict(createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, { extFields: { topic: 't' } }), '10.10.104.7')).toBe('No accessKey is configured');
    expect(verdict(signed(RequestCode.PULL_MESSAGE, { topic: 't', consumerGroup: 'g' }, { ...user, secretKey: 'not-it' }), '192.168.0.2')).toBe('ok');
    expect(verdict(signed(RequestCode.PULL_MESSAGE, { topic: 't', consumerGroup: 'g' }, { ...user, secretKey: 'not-it' }), '192.168.0.3')).toMatch(/signature/);
  });

  it('an unreadable heartbeat body is refused, not thrown', () => {
    expect(verdict(signed(RequestCode.HEART_BEAT, {}, user, Buffer.from('{not json')))).toMatch(/Cannot tell which resources/);
  });
});
