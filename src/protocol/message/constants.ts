/**
 * Constants of RocketMQ's stored-message layout (`MessageDecoder`, `MessageSysFlag`, `MessageConst`
 * in apache/rocketmq), as facts: the numbers must match for real clients and stored data to agree.
 */

/** MAGICCODE of a record whose topic length is one byte (every record clients can decode). */
export const MAGIC_V1 = 0xdaa320a7 | 0; // -626843481
/** MAGICCODE of a record whose topic length is an int16 (topics longer than 127 bytes). */
export const MAGIC_V2 = 0xdaa320ab | 0; // -626843477
/** MAGICCODE of the blank record that pads a commit-log segment's end. */
export const MAGIC_BLANK = 0xcbd43194 | 0; // -875286124

/** A blank end-of-segment record is TOTALSIZE + MAGICCODE; a record is only started if this much room is left after it. */
export const END_OF_SEGMENT_MIN_BLANK = 8;

/** Longest topic (in UTF-8 bytes) a V1 record can carry; longer topics need V2. */
export const MAX_V1_TOPIC_BYTES = 127;
/** The properties length is a signed int16. */
export const MAX_PROPERTIES_BYTES = 32767;

/** Field offsets that do not depend on host lengths (`MessageDecoder` *_POSITION constants). */
export const Pos = {
  totalSize: 0,
  magic: 4,
  bodyCrc: 8,
  queueId: 12,
  flag: 16,
  queueOffset: 20,
  physicalOffset: 28,
  sysFlag: 36,
  bornTimestamp: 40,
  bornHost: 48,
} as const;

/** `MessageSysFlag` bits. */
export const SysFlag = {
  COMPRESSED: 0x1,
  MULTI_TAGS: 0x2,
  TRANSACTION_NOT_TYPE: 0x0,
  TRANSACTION_PREPARED_TYPE: 0x4,
  TRANSACTION_COMMIT_TYPE: 0x8,
  TRANSACTION_ROLLBACK_TYPE: 0xc,
  BORNHOST_V6: 0x10,
  STOREHOST_V6: 0x20,
  NEED_UNWRAP: 0x40,
  INNER_BATCH: 0x80,
  /** bits 8..10: compression type; 0 reads as zlib (old clients). */
  COMPRESSION_TYPE_MASK: 0x700,
} as const;

export const CompressionType = { ZLIB_DEFAULT: 0, LZ4: 1, ZSTD: 2, ZLIB: 3 } as const;

/** The transaction bits of a sysFlag (0 normal, 4 prepared, 8 commit, 12 rollback). */
export function transactionType(sysFlag: number): number {
  return sysFlag & 0xc;
}

/** Property string separators (`MessageDecoder.NAME_VALUE_SEPARATOR` / `PROPERTY_SEPARATOR`). */
export const NAME_VALUE_SEPARATOR = '\u0001';
export const PROPERTY_SEPARATOR = '\u0002';

/** `MessageConst` property keys (the subset a broker reads or writes, plus the common client ones). */
export const PropertyKey = {
  KEYS: 'KEYS',
  TAGS: 'TAGS',
  WAIT_STORE_MSG_OK: 'WAIT',
  DELAY_TIME_LEVEL: 'DELAY',
  RETRY_TOPIC: 'RETRY_TOPIC',
  REAL_TOPIC: 'REAL_TOPIC',
  REAL_QUEUE_ID: 'REAL_QID',
  TRANSACTION_PREPARED: 'TRAN_MSG',
  PRODUCER_GROUP: 'PGROUP',
  MIN_OFFSET: 'MIN_OFFSET',
  MAX_OFFSET: 'MAX_OFFSET',
  BUYER_ID: 'BUYER_ID',
  ORIGIN_MESSAGE_ID: 'ORIGIN_MESSAGE_ID',
  TRANSFER_FLAG: 'TRANSFER_FLAG',
  CORRECTION_FLAG: 'CORRECTION_FLAG',
  MQ2_FLAG: 'MQ2_FLAG',
  RECONSUME_TIME: 'RECONSUME_TIME',
  MSG_REGION: 'MSG_REGION',
  TRACE_SWITCH: 'TRACE_ON',
  UNIQ_CLIENT_MESSAGE_ID_KEYIDX: 'UNIQ_KEY',
  EXTEND_UNIQ_INFO: 'EXTEND_UNIQ_INFO',
  MAX_RECONSUME_TIMES: 'MAX_RECONSUME_TIMES',
  CONSUME_START_TIMESTAMP: 'CONSUME_START_TIME',
  INNER_NUM: 'INNER_NUM',
  INNER_BASE: 'INNER_BASE',
  TRANSACTION_ID: '__transactionId__',
  TRANSACTION_CHECK_TIMES: 'TRANSACTION_CHECK_TIMES',
  CHECK_IMMUNITY_TIME_IN_SECONDS: 'CHECK_IMMUNITY_TIME_IN_SECONDS',
  INSTANCE_ID: 'INSTANCE_ID',
  CORRELATION_ID: 'CORRELATION_ID',
  MESSAGE_REPLY_TO_CLIENT: 'REPLY_TO_CLIENT',
  MESSAGE_TTL: 'TTL',
  REPLY_MESSAGE_ARRIVE_TIME: 'ARRIVE_TIME',
  PUSH_REPLY_TIME: 'PUSH_REPLY_TIME',
  CLUSTER: 'CLUSTER',
  MESSAGE_TYPE: 'MSG_TYPE',
  SHARDING_KEY: '__SHARDINGKEY',
  CRC32: '__CRC32#',
  DLQ_ORIGIN_TOPIC: 'DLQ_ORIGIN_TOPIC',
  DLQ_ORIGIN_MESSAGE_ID: 'DLQ_ORIGIN_MESSAGE_ID',
  BORN_HOST: '__BORNHOST',
  BORN_TIMESTAMP: 'BORN_TIMESTAMP',
  TIMER_DELIVER_MS: 'TIMER_DELIVER_MS',
  TIMER_DELAY_SEC: 'TIMER_DELAY_SEC',
  /** POP: a delivered message's receipt handle (extraInfo) as a remoting client gets it. */
  POP_CK: 'POP_CK',
  /** POP: when the message was first delivered. */
  FIRST_POP_TIME: '1ST_POP_TIME',
} as const;

/** `MessageConst.KEY_SEPARATOR`: KEYS holds several keys separated by one space. */
export const KEY_SEPARATOR = ' ';
