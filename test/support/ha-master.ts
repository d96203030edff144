/** A real HaMaster over a store, on a free loopback port, closed when the test finishes. */
import { onTestFinished } from 'vitest';
import { HaMaster } from '../../src/broker/ha/ha-master.js';
import type { MessageStore } from '../../src/broker/store/index.js';
import { freePort } from './ports.js';

export type HaMasterOptions = ConstructorParameters<typeof HaMaster>[0];

export async function startHaMaster(store: MessageStore, over: Partial<HaMasterOptions> = {}): Promise<HaMaster> {
  const m = new HaMaster({
    store,
    port: await freePort(),
    host: '127.0.0.1',
    transferBatchSize: 32 * 1024,
    heartbeatIntervalMillis: 5_000,
    housekeepingIntervalMillis: 20_000,
    slaveTimeoutMillis: 3_000,
    slaveFallbehindMax: 256 * 1024 * 1024,
    outOfSyncMillis: 2_000,
    acksNeeded: 1,
    acceptSlaves: true,
    ...over,
  });
  await m.listen();
  onTestFinished(() => m.close());
  return m;
}
