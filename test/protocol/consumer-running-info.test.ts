/**
 * ConsumerRunningInfo (GET_CONSUMER_RUNNING_INFO reply body). The expected text is written from
 * apache/rocketmq HEAD's ConsumerRunningInfo / ProcessQueueInfo / ConsumeStatus / SubscriptionData
 * fields as fastjson serialises a RemotingSerializable: fields in alphabetical order, the
 * TreeMap<MessageQueue, ProcessQueueInfo> with MessageQueue objects as keys (docs/design/protocol.md#maps-keyed-by-objects),
 * doubles with a decimal point, empty maps as {}.
 */
import { describe, expect, it } from 'vitest';
import { decodeConsumerRunningInfo, encodeConsumerRunningInfo, type ConsumerRunningInfo, type ProcessQueueInfo } from '../../src/protocol/consumer-running-info.js';

const pq = (commitOffset: number): ProcessQueueInfo => ({
  commitOffset,
  cachedMsgMinOffset: 0,
  cachedMsgMaxOffset: 0,
  cachedMsgCount: 0,
  cachedMsgSizeInMiB: 0,
  transactionMsgMinOffset: 0,
  transactionMsgMaxOffset: 0,
  transactionMsgCount: 0,
  locked: false,
  tryUnlockTimes: 0,
  lastLockTimestamp: 0,
  droped: false,
  lastPullTimestamp: 1700000000000,
  lastConsumeTimestamp: 1700000000001,
});

const info: ConsumerRunningInfo = {
  properties: { PROP_CONSUME_TYPE: 'CONSUME_PASSIVELY', PROP_CONSUMER_START_TIMESTAMP: '1700000000000' },
  subscriptionSet: [{ topic: 'T', subString: '*', classFilterMode: false, tagsSet: [], codeSet: [], subVersion: 5, expressionType: 'TAG' }],
  // given out of order: written in Java's MessageQueue order (topic, brokerName, queueId)
  mqTable: [
    { topic: 'T', brokerName: 'b', queueId: 1, info: pq(7) },
    { topic: 'T', brokerName: 'a', queueId: 0, info: pq(3) },
  ],
  statusTable: { T: { pullRT: 1.5, pullTPS: 0, consumeRT: 2, consumeOKTPS: 10, consumeFailedTPS: 0, consumeFailedMsgs: 4 } },
};

const pqText = (o: number) =>
  `{"cachedMsgCount":0,"cachedMsgMaxOffset":0,"cachedMsgMinOffset":0,"cachedMsgSizeInMiB":0,"commitOffset":${o},"droped":false,"lastConsumeTimestamp":1700000000001,"lastLockTimestamp":0,"lastPullTimestamp":1700000000000,"locked":false,"transactionMsgCount":0,"transactionMsgMaxOffset":0,"transactionMsgMinOffset":0,"tryUnlockTimes":0}`;

describe('ConsumerRunningInfo body', () => {
  it('is written as fastjson writes Java’s ConsumerRunningInfo', () => {
    const text = encodeConsumerRunningInfo(info).toString('utf8');
    expect(text).toBe(
      '{"mqPopTable":{},' +
        `"mqTable":{{"brokerName":"a","queueId":0,"topic":"T"}:${pqText(3)},{"brokerName":"b","queueId":1,"topic":"T"}:${pqText(7)}},` +
        // a java.util.Properties (a Hashtable) has no defined order; ours is written sorted like the rest
        '"properties":{"PROP_CONSUMER_START_TIMESTAMP":"1700000000000","PROP_CONSUME_TYPE":"CONSUME_PASSIVELY"},' +
        '"statusTable":{"T":{"consumeFailedMsgs":4,"consumeFailedTPS":0.0,"consumeOKTPS":10.0,"consumeRT":2.0,"pullRT":1.5,"pullTPS":0.0}},' +
        '"subscriptionSet":[{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":5,"tagsSet":[],"topic":"T"}],' +
        '"userConsumerInfo":{}}',
    );
  });

  it('reads back what it writes, and an empty reply (a consumer holding nothing)', () => {
    const back = decodeConsumerRunningInfo(encodeConsumerRunningInfo(info));
    expect(back.mqTable.map((q) => [q.brokerName, q.queueId, q.info.commitOffset])).toEqual([
      ['a', 0, 3],
      ['b', 1, 7],
    ]);
    expect(back.statusTable.T?.consumeFailedMsgs).toBe(4);
    expect(back.properties.PROP_CONSUME_TYPE).toBe('CONSUME_PASSIVELY');
    expect(back.subscriptionSet[0]?.topic).toBe('T');
    expect(decodeConsumerRunningInfo(Buffer.from('{"mqTable":{},"properties":{},"subscriptionSet":[]}')).mqTable).toEqual([]);
  });

  it('names the field when a reply is malformed', () => {
    expect(() => decodeConsumerRunningInfo(Buffer.from('{"mqTable":{{"brokerName":"a","queueId":"x","topic":"T"}:{}}}'))).toThrow(/mqTable\[0\]\.key\.queueId/);
  });
});
