import { describe, expect, it } from 'vitest';
import { BROKER_KEYS, parseBrokerConfig } from '../../src/node-config/broker-keys.js';
import { coerceValue, escapePropertyValue } from '../../src/util/config-registry.js';
import { parseProperties } from '../../src/util/properties.js';

const parse = (text: string) => parseBrokerConfig(parseProperties(text), 'broker.properties');

describe('broker.properties registry', () => {
  it('parses typed values and fills RocketMQ defaults for the rest', () => {
    const { config, problems, unknown } = parse('brokerName=broker-a\nbrokerRole=SYNC_MASTER\nlistenPort=10921\nautoCreateTopicEnable=false\ndeleteWhen=4\n');
    expect(problems).toEqual([]);
    expect(unknown).toEqual([]);
    expect(config.brokerName).toBe('broker-a');
    expect(config.brokerRole).toBe('SYNC_MASTER');
    expect(config.listenPort).toBe(10921);
    expect(config.autoCreateTopicEnable).toBe(false);
    expect(config.deleteWhen).toBe('04');
    // RocketMQ defaults (MessageStoreConfig / BrokerConfig at apache/rocketmq HEAD)
    expect(config.fileReservedTime).toBe(72);
    expect(config.flushDiskType).toBe('ASYNC_FLUSH');
    expect(config.mappedFileSizeCommitLog).toBe(1073741824);
    // BrokerStartup: haListenPort 0 → listenPort + 1
    expect(config.haListenPort).toBe(10922);
    expect(config.brokerIP1).toBeNull();
  });

  it('names file:line for every bad value and the missing required key', () => {
    const { problems } = parse('# c\nlistenPort=abc\n\nflushDiskType=FAST\nmaxMessageSize=99999999999\n');
    expect(problems.map((p) => `${p.file}:${p.line}  ${p.message}`)).toEqual([
      'broker.properties:2  listenPort: "abc" is not an integer (expected an integer 3-65535)',
      'broker.properties:4  flushDiskType: "FAST" is not allowed (expected one of ASYNC_FLUSH, SYNC_FLUSH)',
      'broker.properties:5  maxMessageSize: 99999999999 is out of range (expected an integer 1-16777216)',
      'broker.properties:0  brokerName is required (broker group name; master and slaves share it)',
    ]);
  });

  it('sets unknown keys aside with a suggestion, as warnings', () => {
    const { unknown, problems } = parse('brokerName=a\nflushDiskTyp=SYNC_FLUSH\n');
    expect(problems).toEqual([]);
    expect(unknown).toEqual([{ file: 'broker.properties', line: 2, key: 'flushDiskTyp', message: 'unknown key flushDiskTyp (did you mean flushDiskType?)' }]);
  });

  it('forces masters to brokerId 0 and refuses a slave with id 0, as BrokerStartup does', () => {
    expect(parse('brokerName=a\nbrokerId=3\n').config.brokerId).toBe(0);
    expect(parse('brokerName=a\nbrokerRole=SLAVE\nbrokerId=0\n').problems.map((p) => p.line)).toEqual([3]);
  });

  it('every default in the table is a valid value of its own type', () => {
    for (const [key, k] of Object.entries(BROKER_KEYS)) {
      if (k.default === null) continue;
      expect(coerceValue(k.spec, k.default), key).toMatchObject({ ok: true });
    }
  });

  it('escapes values so java.util.Properties reads them back unchanged', () => {
    for (const v of ['plain', ' leading space', 'back\\slash', 'ünïcode', 'a=b:c#d!e']) {
      const entries = parseProperties(`k=${escapePropertyValue(v)}\n`);
      expect(entries).toEqual([{ key: 'k', value: v, line: 1 }]);
    }
    expect(() => escapePropertyValue('a\nb=c')).toThrow(/control character/);
  });
});
