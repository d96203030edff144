export { MessageStore, type StoreOptions } from './message-store.js';
export { STORE_DEFAULTS, resolveStoreConfig, type FlushDiskType, type StoreConfig } from './store-config.js';
export { StoreCorruptionError, StoreLockedError } from './errors.js';
export type { DispatchEvent, GetMessageResult, GetMessageStatus, PutMessage, PutMessageResult, PutMessageStatus } from './types.js';
export type { StoreRefusalCode, StoreWriteState, DiskMeasurement } from './write-gate.js';
export type { Truncation } from './open.js';
