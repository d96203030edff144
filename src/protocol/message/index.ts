/** RocketMQ's message encodings: stored records, properties, msgIds, batch bodies, tag codes. */
export * from './constants.js';
export * from './properties.js';
export * from './crc32.js';
export * from './tags.js';
export * from './host.js';
export * from './int64.js';
export * from './record.js';
export * from './msg-id.js';
export * from './batch.js';
export * from './compression.js';
