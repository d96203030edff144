import { onTestFinished } from 'vitest';
import { MessageStore } from '../../src/broker/store/index.js';
import type { StoreConfig } from '../../src/broker/store/index.js';
import { SMALL_STORE } from './store-messages.js';

export { SMALL_STORE, message } from './store-messages.js';

/** Opens a store that is closed when the test ends (if the test did not close it). */
export async function openStore(dir: string, over: Partial<StoreConfig> = {}, opts: Parameters<typeof MessageStore.open>[1] = {}): Promise<MessageStore> {
  const store = await MessageStore.open({ storePathRootDir: dir, ...SMALL_STORE, ...over }, opts);
  onTestFinished(() => store.close().catch(() => {}));
  return store;
}
