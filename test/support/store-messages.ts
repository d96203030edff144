import { hostAddress } from '../../src/protocol/message/host.js';
import { encodeProperties } from '../../src/protocol/message/properties.js';
import type { PutMessage, StoreConfig } from '../../src/broker/store/index.js';

/** Small segments and files so tests roll files quickly. */
export const SMALL_STORE: Partial<StoreConfig> = {
  mappedFileSizeCommitLog: 64 * 1024,
  consumeQueueUnitsPerFile: 64,
  maxHashSlotNum: 256,
  maxIndexNum: 1000,
  writeBlockBytes: 16 * 1024,
  memoryCacheBytes: 64 * 1024,
  flushIntervalConsumeQueue: 50,
  flushIntervalCommitLog: 20,
};

export function message(topic: string, queueId: number, body: string | Buffer, props: Record<string, string> = {}): PutMessage {
  return {
    topic,
    queueId,
    flag: 0,
    body: Buffer.isBuffer(body) ? body : Buffer.from(body),
    properties: encodeProperties(new Map(Object.entries(props))),
    sysFlag: 0,
    bornTimestamp: Date.now(),
    bornHost: hostAddress('127.0.0.1', 40000),
    storeHost: hostAddress('127.0.0.1', 10911),
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
  };
}
