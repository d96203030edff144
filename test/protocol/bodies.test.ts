/**
 * JSON bodies and the register body, against the layouts in docs/design/protocol.md#register-body and #json-bodies (taken
 * there from apache/rocketmq sources and the public issues #1506, #3369, #3389).
 */
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { JavaDouble, JavaMap, parseFastJson, toFastJson } from '../../src/protocol/fastjson.js';
import { decodeRegisterBrokerBody, encodeRegisterBrokerBody, type RegisterBrokerBody } from '../../src/protocol/register-broker-body.js';
import { decodeClusterInfo, decodeTopicRouteData, encodeClusterInfo, encodeTopicRouteData, type ClusterInfo, type TopicRouteData } from '../../src/protocol/route.js';
import { decodeTopicConfigLine, encodeTopicConfigLine, topicConfig } from '../../src/protocol/topic-config.js';
import { MQVersion } from '../../src/remoting/version.js';
import { permToString } from '../../src/protocol/perm.js';

const clusterInfo: ClusterInfo = {
  brokerAddrTable: { 'broker-a': { cluster: 'DefaultCluster', brokerName: 'broker-a', brokerAddrs: { '0': 'ip:10911' }, enableActingMaster: false } },
  clusterAddrTable: { DefaultCluster: ['broker-a'] },
};

describe('fastjson writer', () => {
  it('sorts fields and leaves nulls out', () => {
    expect(toFastJson({ b: 1, a: null, c: undefined, d: 'x', arr: [null, 1] })).toBe('{"arr":[null,1],"b":1,"d":"x"}');
  });

  it('writes ClusterInfo the way a Java NameServer does: bare Long keys (docs/design/protocol.md#route-data, issue #3369)', () => {
    expect(encodeClusterInfo(clusterInfo, { standard: false }).toString()).toBe(
      '{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"ip:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}},"clusterAddrTable":{"DefaultCluster":["broker-a"]}}',
    );
  });

  it('quotes those keys in standard mode (what a 4.9.4+ NameServer sends for routes)', () => {
    expect(encodeClusterInfo(clusterInfo).toString()).toContain('"brokerAddrs":{"0":"ip:10911"}');
  });

  it('writes object-keyed maps as fastjson does (TopicStatsTable, docs/design/protocol.md#maps-keyed-by-objects, issue #3389)', () => {
    const table = {
      offsetTable: new JavaMap([[{ topic: 't', brokerName: 'b', queueId: 0 }, { minOffset: 0, maxOffset: 0, lastUpdateTimestamp: 0 }]]),
      topicPutTps: new JavaDouble(0),
    };
    expect(toFastJson(table)).toBe('{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{"lastUpdateTimestamp":0,"maxOffset":0,"minOffset":0}},"topicPutTps":0.0}');
  });

  it('escapes non-ASCII in standard mode (BrowserCompatible) only', () => {
    expect(toFastJson({ s: 'é中' }, { standard: true })).toBe('{"s":"\\u00e9\\u4e2d"}');
    expect(toFastJson({ s: 'é中' })).toBe('{"s":"é中"}');
  });
});

describe('fastjson reader', () => {
  it('reads bare integer keys and object keys', () => {
    expect(decodeClusterInfo(encodeClusterInfo(clusterInfo, { standard: false }))).toEqual(clusterInfo);
    const parsed = parseFastJson('{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{"maxOffset":5}}}') as { offsetTable: JavaMap };
    expect(parsed.offsetTable).toBeInstanceOf(JavaMap);
    expect(parsed.offsetTable.entries).toEqual([[{ brokerName: 'b', queueId: 0, topic: 't' }, { maxOffset: 5 }]]);
  });

  it('rejects what is not JSON, and nesting deep enough to blow the stack', () => {
    expect(() => parseFastJson('{0:')).toThrow(/offset/);
    expect(() => parseFastJson(`${'{0:'.repeat(10_000)}1${'}'.repeat(10_000)}`)).toThrow(/nesting too deep/);
  });
});

describe('TopicRouteData', () => {
  const route: TopicRouteData = {
    queueDatas: [{ brokerName: 'broker-a', readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 }],
    brokerDatas: [{ cluster: 'c', brokerName: 'broker-a', brokerAddrs: { '0': '10.0.0.1:10911', '1': '10.0.0.2:10911' }, enableActingMaster: false }],
    filterServerTable: {},
  };

  it('encodes as in docs/design/protocol.md#route-data and decodes back', () => {
    expect(encodeTopicRouteData(route).toString()).toBe(
      '{"brokerDatas":[{"brokerAddrs":{"0":"10.0.0.1:10911","1":"10.0.0.2:10911"},"brokerName":"broker-a","cluster":"c","enableActingMaster":false}],' +
        '"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}',
    );
    expect(decodeTopicRouteData(encodeTopicRouteData(route))).toEqual(route);
    expect(decodeTopicRouteData(encodeTopicRouteData(route, { standard: false }))).toEqual(route);
  });

  it('reads the old topicSynFlag spelling, and names a bad field', () => {
    const old = '{"brokerDatas":[],"queueDatas":[{"brokerName":"b","perm":6,"readQueueNums":1,"topicSynFlag":2,"writeQueueNums":1}]}';
    expect(decodeTopicRouteData(Buffer.from(old)).queueDatas[0]?.topicSysFlag).toBe(2);
    expect(() => decodeTopicRouteData(Buffer.from('{"queueDatas":[{"brokerName":"b","perm":"rw"}]}'))).toThrow('invalid TopicRouteData: queueDatas[0].readQueueNums must be an integer, got nothing');
  });
});

describe('TopicConfig line form (compressed registrations)', () => {
  it('is `name readQ writeQ perm filterType attributes`, as Java TopicConfig.encode()', () => {
    const tc = topicConfig('T', { readQueueNums: 8, writeQueueNums: 4, perm: 6, attributes: { '+message.type': 'NORMAL' } });
    expect(encodeTopicConfigLine(tc)).toBe('T 8 4 6 SINGLE_TAG {"+message.type":"NORMAL"}');
    expect(decodeTopicConfigLine('T 8 4 6 SINGLE_TAG {"+message.type":"NORMAL"}')).toEqual(tc);
    expect(() => decodeTopicConfigLine('T 8 four 6 SINGLE_TAG')).toThrow(/writeQueueNums of topic T must be an integer/);
  });
});

describe('RegisterBrokerBody', () => {
  const body: RegisterBrokerBody = {
    topicConfigSerializeWrapper: {
      dataVersion: { counter: 3, stateVersion: 0, timestamp: 1700000000000 },
      topicConfigTable: { T: topicConfig('T', { readQueueNums: 4, writeQueueNums: 4 }) },
    },
    filterServerList: [],
  };

  it('JSON form as a Java broker writes it', () => {
    expect(encodeRegisterBrokerBody(body, { compressed: false, version: MQVersion.V4_9_8 }).toString()).toBe(
      '{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":3,"stateVersion":0,"timestamp":1700000000000},' +
        '"topicConfigTable":{"T":{"attributes":{},"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"T","topicSysFlag":0,"writeQueueNums":4}}}}',
    );
  });

  it('compressed form: the inflated bytes follow RegisterBrokerBody.encode(true) field by field', () => {
    // Hand-built from the layout in docs/design/protocol.md#register-body / Java RegisterBrokerBody.encode(true).
    const int = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeInt32BE(n);
      return b;
    };
    const chunk = (s: string) => Buffer.concat([int(Buffer.byteLength(s)), Buffer.from(s)]);
    const expected = Buffer.concat([
      chunk('{"counter":3,"stateVersion":0,"timestamp":1700000000000}'),
      int(1),
      chunk('T 4 4 6 SINGLE_TAG {}'),
      chunk('[]'),
      int(0), // topic queue mappings, V5_0_0 and later only
    ]);
    const encoded = encodeRegisterBrokerBody(body, { compressed: true, version: MQVersion.V5_0_0 });
    expect(encoded[0]).toBe(0x78); // a zlib stream, as java.util.zip.Deflater writes
    expect(zlib.inflateSync(encoded)).toEqual(expected);
    expect(decodeRegisterBrokerBody(zlib.deflateSync(expected), { compressed: true, version: MQVersion.V5_0_0 })).toEqual(body);
    // A 4.x broker's stream has no mapping section.
    const v4 = Buffer.concat([expected.subarray(0, expected.length - 4)]);
    expect(decodeRegisterBrokerBody(zlib.deflateSync(v4), { compressed: true, version: MQVersion.V4_9_8 })).toEqual(body);
  });

  it('refuses truncated, hostile and oversized compressed bodies with a reason', () => {
    const fmt = { compressed: true, version: MQVersion.V5_0_0 };
    expect(() => decodeRegisterBrokerBody(Buffer.from('not zlib'), fmt)).toThrow(/does not inflate/);
    expect(() => decodeRegisterBrokerBody(zlib.deflateSync(Buffer.from([0, 0, 0, 100, 1])), fmt)).toThrow(/data version length 100 runs past the end/);
    // 100 MiB of zeros compress to ~100 KiB; inflating is capped at 64 MiB.
    expect(() => decodeRegisterBrokerBody(zlib.deflateSync(Buffer.alloc(100 * 1024 * 1024)), fmt)).toThrow(/does not inflate/);
  });

  it('names the bad field of a JSON body', () => {
    const bad = Buffer.from('{"topicConfigSerializeWrapper":{"topicConfigTable":{"T":{"topicName":"T","perm":"6x"}}}}');
    expect(() => decodeRegisterBrokerBody(bad, { compressed: false, version: MQVersion.V4_9_8 })).toThrow('invalid RegisterBrokerBody: topicConfigSerializeWrapper.topicConfigTable.T.perm must be an integer, got "6x"');
  });
});

describe('perm', () => {
  it('prints as PermName.perm2String does', () => {
    expect([permToString(6), permToString(4), permToString(7), permToString(0)]).toEqual(['RW-', 'R--', 'RWX', '---']);
  });
});
