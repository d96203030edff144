/**
 * The topic table on real files: system topics, TBW102 and auto-creation (Java
 * TopicConfigManager.createTopicInSendMessageMethod), data versions, persistence in RocketMQ's
 * topics.json layout, coalesced writes, and a damaged file refusing the start.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TopicConfigManager, type TopicManagerOptions } from '../../src/broker/topic-config-manager.js';
import { InvalidInputError } from '../../src/errors.js';
import { topicConfig } from '../../src/protocol/topic-config.js';
import { tmpDir } from '../support/tmp.js';

function options(dir: string, over: Partial<TopicManagerOptions> = {}): TopicManagerOptions {
  return {
    file: path.join(dir, 'config', 'topics.json'),
    clusterName: 'C1',
    brokerName: 'broker-a',
    autoCreateTopicEnable: true,
    defaultTopicQueueNums: 8,
    clusterTopicEnable: true,
    brokerTopicEnable: true,
    traceTopicEnable: false,
    msgTraceTopicName: 'RMQ_SYS_TRACE_TOPIC',
    ...over,
  };
}

describe('TopicConfigManager', () => {
  it('starts with the system topics, TBW102 carrying INHERIT; the cluster and broker names are system topics of this broker', async () => {
    const m = await TopicConfigManager.load(options(tmpDir()));
    expect(m.get('TBW102')).toMatchObject({ perm: 7, readQueueNums: 8, writeQueueNums: 8 });
    expect(m.get('C1')).toMatchObject({ perm: 7, readQueueNums: 16 });
    expect(m.get('broker-a')).toMatchObject({ perm: 7, readQueueNums: 1 });
    expect(m.get('SCHEDULE_TOPIC_XXXX')).toMatchObject({ readQueueNums: 18 });
    for (const t of ['TBW102', 'C1', 'broker-a', 'rmq_sys_anything', 'SELF_TEST_TOPIC']) expect(m.isSystemTopic(t)).toBe(true);
    expect(m.isSystemTopic('Orders')).toBe(false);
  });

  it('creates unknown topics from TBW102 on send (min of the queue counts, INHERIT dropped), and not from a template without INHERIT', async () => {
    const m = await TopicConfigManager.load(options(tmpDir()));
    const changes: string[] = [];
    m.onChange((t, c) => changes.push(`${t}:${c}`));
    const v = m.dataVersion.counter;
    expect(await m.createOnSend('New', 'TBW102', 4, 0, 'test')).toMatchObject({ readQueueNums: 4, writeQueueNums: 4, perm: 6 });
    expect(await m.createOnSend('Wide', 'TBW102', 64, 0, 'test')).toMatchObject({ readQueueNums: 8, writeQueueNums: 8 });
    expect(await m.createOnSend('FromPlain', 'SELF_TEST_TOPIC', 4, 0, 'test')).toBeUndefined();
    expect(await m.createOnSend('FromMissing', 'NoTemplate', 4, 0, 'test')).toBeUndefined();
    expect(m.dataVersion.counter).toBe(v + 2);
    expect(changes).toEqual(['New:created', 'Wide:created']);
  });

  it('without autoCreateTopicEnable: no TBW102 (also when an old topics.json has one), nothing created on send', async () => {
    const dir = tmpDir();
    await (await TopicConfigManager.load(options(dir))).update(topicConfig('Kept', { readQueueNums: 2, writeQueueNums: 2 }));
    const m = await TopicConfigManager.load(options(dir, { autoCreateTopicEnable: false }));
    expect(m.get('TBW102')).toBeUndefined();
    expect(m.get('Kept')).toBeDefined();
    expect(await m.createOnSend('New', 'TBW102', 4, 0, 'test')).toBeUndefined();
    const onDisk = JSON.parse(readFileSync(options(dir).file, 'utf8')) as { topicConfigTable: Record<string, unknown> };
    expect(onDisk.topicConfigTable.TBW102).toBeUndefined();
  });

  it('persists every change in RocketMQ layout; an identical update is a no-op; concurrent changes all land', async () => {
    const dir = tmpDir();
    const m = await TopicConfigManager.load(options(dir));
    expect(await m.update(topicConfig('A', { readQueueNums: 2, writeQueueNums: 2 }))).toBe('created');
    const v = m.dataVersion.counter;
    expect(await m.update(topicConfig('A', { readQueueNums: 2, writeQueueNums: 2 }))).toBe('unchanged');
    expect(m.dataVersion.counter).toBe(v);
    expect(await m.update(topicConfig('A', { readQueueNums: 4, writeQueueNums: 4 }))).toBe('updated');
    await Promise.all(Array.from({ length: 20 }, (_, i) => m.update(topicConfig(`P${i}`))));
    expect(await m.delete('A')).toBe(true);
    expect(await m.delete('A')).toBe(false);
    const onDisk = JSON.parse(readFileSync(options(dir).file, 'utf8')) as { dataVersion: { counter: number; stateVersion: number; timestamp: number }; topicConfigTable: Record<string, unknown> };
    expect(onDisk.dataVersion).toEqual(m.dataVersion);
    expect(Object.keys(onDisk.topicConfigTable).filter((t) => t.startsWith('P'))).toHaveLength(20);
    expect(onDisk.topicConfigTable.A).toBeUndefined();
    expect(onDisk.topicConfigTable.P3).toEqual({ attributes: {}, order: false, perm: 6, readQueueNums: 16, topicFilterType: 'SINGLE_TAG', topicName: 'P3', topicSysFlag: 0, writeQueueNums: 16 });
    const again = await TopicConfigManager.load(options(dir));
    expect(again.get('P19')).toEqual(m.get('P19'));
    expect(again.dataVersion).toEqual(m.dataVersion);
  });

  it('refuses to start on a damaged topics.json, naming the file and the problem', async () => {
    const dir = tmpDir();
    const file = options(dir).file;
    await TopicConfigManager.load(options(dir));
    writeFileSync(file, '{"dataVersion":{"counter":1},"topicConfigTable":{"A":{"topicName":"B"}}}');
    await expect(TopicConfigManager.load(options(dir))).rejects.toThrow(InvalidInputError);
    await expect(TopicConfigManager.load(options(dir))).rejects.toThrow(/topics\.json is damaged .*topicConfigTable\.A\.topicName/);
    writeFileSync(file, '{"dataVersion":');
    await expect(TopicConfigManager.load(options(dir))).rejects.toThrow(/damaged \(not JSON/);
  });
});
