import { hostAddress } from '../../src/protocol/message/host.js';
import { encodeProperties } from '../../src/protocol/message/properties.js';
import { MessageStore } from '../../src/broker/store/index.js';
import type { PutMessage, StoreConfig } from '../../src/broker/store/index.js';
import { onTestFinished } from 'vitest';

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

/** Opens a store that is closed when the test ends (if the test did not close it). */
export async function openStore(dir: string, over: Partial<StoreConfig> = {}, opts: Parameters<typeof MessageStore.open>[1] = {}): Promise<MessageStore> {
  const store = await MessageStore.open({ storePathRootDir: dir, ...SMALL_STORE, ...over }, opts);
  onTestFinished(() => store.close().catch(() => {}));
  return store;
}

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
