import type { MessageRecord } from '../../protocol/message/record.js';

/** `PutMessageStatus`: the broker maps these to response codes (docs/design/protocol.md#send). */
export type PutMessageStatus =
  | 'PUT_OK'
  | 'FLUSH_DISK_TIMEOUT'
  | 'FLUSH_SLAVE_TIMEOUT'
  | 'SLAVE_NOT_AVAILABLE'
  | 'SERVICE_NOT_AVAILABLE'
  | 'CREATE_MAPPED_FILE_FAILED'
  | 'MESSAGE_ILLEGAL'
  | 'PROPERTIES_SIZE_EXCEEDED'
  | 'OS_PAGE_CACHE_BUSY'
  | 'UNKNOWN_ERROR';

/**
 * A message as the broker hands it to the store: the record fields the producer and broker decide.
 * The store fills in queue offset, physical offset, store timestamp and CRC.
 */
export type PutMessage = Pick<
  MessageRecord,
  'topic' | 'queueId' | 'flag' | 'body' | 'properties' | 'sysFlag' | 'bornTimestamp' | 'bornHost' | 'storeHost' | 'reconsumeTimes' | 'preparedTransactionOffset'
>;

export interface PutMessageResult {
  status: PutMessageStatus;
  /** Why, for statuses other than PUT_OK / *_TIMEOUT. */
  remark?: string;
  /** Set once the message was appended (PUT_OK and the timeout statuses). */
  appended?: {
    physicalOffset: number;
    /** Queue offset of the (first) message. */
    queueOffset: number;
    /** Offset msgIds, one per message (several for a batch). */
    msgIds: string[];
    wroteBytes: number;
    /** Commit-log offset just past the last record (what replication acks must reach). */
    endOffset: number;
    storeTimestamp: number;
    count: number;
  };
}

/** `GetMessageStatus` (docs/design/protocol.md#pull maps them to pull response codes). */
export type GetMessageStatus =
  | 'FOUND'
  | 'NO_MATCHED_MESSAGE'
  | 'MESSAGE_WAS_REMOVING'
  | 'OFFSET_FOUND_NULL'
  | 'OFFSET_OVERFLOW_BADLY'
  | 'OFFSET_OVERFLOW_ONE'
  | 'OFFSET_TOO_SMALL'
  | 'NO_MATCHED_LOGIC_QUEUE'
  | 'NO_MESSAGE_IN_QUEUE';

export interface GetMessageResult {
  status: GetMessageStatus;
  /** Stored records, as they are in the commit log, one buffer each (send them as they are). */
  records: Buffer[];
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
  /** Sum of records' sizes. */
  bufferTotalSize: number;
}

/** Fired for each new consume-queue entry once its record is in the commit log (long polling wakes on it). */
export interface DispatchEvent {
  topic: string;
  queueId: number;
  queueOffset: number;
  physicalOffset: number;
  size: number;
  tagsCode: number;
  storeTimestamp: number;
}
