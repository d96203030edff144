/**
 * Codes and header specs against the schema fixtures of apache/rocketmq (test/fixtures/
 * rocketmq-protocol-schema: one file per header class with its fields and Java types).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RequestCode, requestCodeLabel, ResponseCode, responseCodeLabel } from '../../src/remoting/codes.js';
import { decodeHeader, encodeHeader, HeaderFieldError, type FieldType, type HeaderSpec } from '../../src/protocol/header-spec.js';
import { BROKER_HEADERS, SendMessageRequestHeaderV2 } from '../../src/protocol/headers/broker.js';
import { NAMESRV_HEADERS, RegisterBrokerRequestHeader } from '../../src/protocol/headers/namesrv.js';

/** Copied from /work/shared/fixtures/rocketmq-protocol-schema = apache/rocketmq 8fc57f1468, test/src/test/resources/schema/protocol/. */
const schemaDir = path.join(import.meta.dirname, '..', 'fixtures', 'rocketmq-protocol-schema');

/** `Field name : private java.lang.Integer null` lines of a schema file. */
function schemaFields(file: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(path.join(schemaDir, file), 'utf8').split('\n')) {
    const m = /^Field (\w+) : \S+ (?:static )?(?:final )?([\w.]+)/.exec(line);
    if (m && !line.includes(' static ')) out.set(m[1] as string, m[2] as string);
  }
  return out;
}

const JAVA_TYPES: Record<string, FieldType> = {
  'java.lang.String': 'string',
  'java.lang.Integer': 'int',
  int: 'int',
  'java.lang.Long': 'long',
  long: 'long',
  'java.lang.Boolean': 'boolean',
  boolean: 'boolean',
  'java.lang.Double': 'double',
  double: 'double',
};

/** Header classes of the 4.x schema that HEAD removed (ACL 1.0, filter server); nothing sends them to us. */
const REMOVED_AT_HEAD = new Set([
  'CreateAccessConfigRequestHeader',
  'DeleteAccessConfigRequestHeader',
  'GetBrokerAclConfigResponseHeader',
  'GetBrokerClusterAclConfigResponseHeader',
  'RegisterFilterServerRequestHeader',
  'RegisterFilterServerResponseHeader',
  'RegisterMessageFilterClassRequestHeader',
  'UpdateGlobalWhiteAddrsConfigRequestHeader',
]);

describe('request codes', () => {
  it('include every code of the RequestCode schema fixture with the same number', () => {
    const fixture = schemaFields('common.protocol.RequestCode.schema');
    const text = readFileSync(path.join(schemaDir, 'common.protocol.RequestCode.schema'), 'utf8');
    const values = new Map([...text.matchAll(/^Field (\w+) : public int (-?\d+)$/gm)].map((m) => [m[1] as string, Number(m[2])]));
    expect(values.size).toBe(fixture.size);
    for (const [name, value] of values) expect([name, (RequestCode as Record<string, number>)[name]]).toEqual([name, value]);
  });

  it('have readable labels', () => {
    expect(requestCodeLabel(RequestCode.GET_ROUTEINFO_BY_TOPIC)).toBe('GET_ROUTEINFO_BY_TOPIC(105)');
    expect(requestCodeLabel(123456)).toBe('123456');
    expect(responseCodeLabel(ResponseCode.TOPIC_NOT_EXIST)).toBe('TOPIC_NOT_EXIST(17)');
  });
});

describe('header specs', () => {
  const specs = new Map<string, HeaderSpec>([...NAMESRV_HEADERS, ...BROKER_HEADERS].map((s) => [s.name, s]));
  const files = readdirSync(schemaDir).filter((f) => f.includes('.header.'));

  it('cover every header class of the fixtures (bar the ones HEAD removed)', () => {
    const classes = files.map((f) => f.replace(/\.schema$/, '').split('.').pop() as string);
    expect(classes.filter((c) => !specs.has(c) && !REMOVED_AT_HEAD.has(c))).toEqual([]);
  });

  for (const file of files) {
    const cls = file.replace(/\.schema$/, '').split('.').pop() as string;
    if (REMOVED_AT_HEAD.has(cls)) continue;
    it(`${cls}: every fixture field with the fixture's type`, () => {
      const spec = specs.get(cls) as HeaderSpec;
      for (const [name, javaType] of schemaFields(file)) {
        expect([name, spec.fields[name]?.type]).toEqual([name, JAVA_TYPES[javaType]]);
      }
    });
  }

  it('decode typed values and name a missing required field', () => {
    const ext = { brokerName: 'broker-a', brokerAddr: '10.0.0.1:10911', clusterName: 'C', haServerAddr: '10.0.0.1:10912', brokerId: '1', heartbeatTimeoutMillis: '10000' };
    expect(decodeHeader(RegisterBrokerRequestHeader, ext)).toEqual({ ...ext, brokerId: 1, heartbeatTimeoutMillis: 10000, compressed: false, bodyCrc32: 0 });
    const { brokerName: _, ...withoutName } = ext;
    expect(() => decodeHeader(RegisterBrokerRequestHeader, withoutName)).toThrow(new HeaderFieldError('RegisterBrokerRequestHeader', 'brokerName', 'missing required header field "brokerName" (RegisterBrokerRequestHeader)'));
  });

  it('reject malformed numbers, naming the field', () => {
    const ext = { a: 'PG', b: 'T', c: 'TBW102', d: '4', e: 'zero', f: '0', g: '1', h: '0' };
    expect(() => decodeHeader(SendMessageRequestHeaderV2, ext)).toThrow('header field "e" (SendMessageRequestHeaderV2) must be a 32-bit integer, got "zero"');
    expect(() => decodeHeader(SendMessageRequestHeaderV2, { ...ext, e: '0', g: '99999999999999999999' })).toThrow(/"g" .* within ±2\^53/);
  });

  it('read booleans the way Java does', () => {
    const base = { a: 'PG', b: 'T', c: 'TBW102', d: '4', e: '0', f: '0', g: '1', h: '0' };
    expect(decodeHeader(SendMessageRequestHeaderV2, { ...base, k: 'TRUE' }).k).toBe(true);
    expect(decodeHeader(SendMessageRequestHeaderV2, { ...base, k: 'yes' }).k).toBe(false);
  });

  it('encode to strings, writing defaults as Java writes primitives', () => {
    expect(encodeHeader(RegisterBrokerRequestHeader, { brokerName: 'b', brokerAddr: 'a:1', clusterName: 'C', haServerAddr: 'a:2', brokerId: 0 })).toEqual({
      brokerName: 'b',
      brokerAddr: 'a:1',
      clusterName: 'C',
      haServerAddr: 'a:2',
      brokerId: '0',
      compressed: 'false',
      bodyCrc32: '0',
    });
  });
});
