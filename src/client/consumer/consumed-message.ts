/**
 * A message as a consumer's handler sees it (Java `MessageExt` after the client's decoding): body
 * decompressed, properties parsed, msgId = the producer's UNIQ_KEY (else the offset msgId), and a
 * retry delivered under the topic it was first sent to (Java `resetRetryAndNamespace`): `topic` is
 * the original, `queue` the %RETRY% queue it was pulled from.
 */
import { PropertyKey } from '../../protocol/message/constants.js';
import { uncompressedBody } from '../../protocol/message/compression.js';
import { formatHostAddress } from '../../protocol/message/host.js';
import { offsetMsgId } from '../../protocol/message/msg-id.js';
import { decodeProperties } from '../../protocol/message/properties.js';
import type { MessageRecord } from '../../protocol/message/record.js';
import type { MessageQueue } from '../../protocol/message-queue.js';
import { RETRY_GROUP_TOPIC_PREFIX } from '../../protocol/topic-names.js';

export interface ConsumedMessage {
  /** The topic the producer sent it to (also for a retry). */
  topic: string;
  /** The queue it was pulled from (a %RETRY% queue for a retry). */
  queue: MessageQueue;
  queueOffset: number;
  commitLogOffset: number;
  /** The producer's message id (UNIQ_KEY); the offset msgId when the producer set none. */
  msgId: string;
  /** Store address + commit-log offset of this copy. */
  offsetMsgId: string;
  tags: string | undefined;
  keys: string[];
  /** Decompressed. */
  body: Buffer;
  /** Every property, RocketMQ's own included. */
  properties: ReadonlyMap<string, string>;
  /** How many times it was delivered before (0 the first time). */
  reconsumeTimes: number;
  bornTimestamp: number;
  storeTimestamp: number;
  bornHost: string;
  storeHost: string;
  flag: number;
  sysFlag: number;
  /** The stored record, as pulled. */
  record: MessageRecord;
}

export function toConsumedMessage(r: MessageRecord, queue: MessageQueue, consumerGroup: string): ConsumedMessage {
  const properties = decodeProperties(r.properties);
  const offsetId = offsetMsgId(r.storeHost, r.physicalOffset);
  const retryTopic = properties.get(PropertyKey.RETRY_TOPIC);
  const topic = retryTopic !== undefined && r.topic === `${RETRY_GROUP_TOPIC_PREFIX}${consumerGroup}` ? retryTopic : r.topic;
  return {
    topic,
    queue,
    queueOffset: r.queueOffset,
    commitLogOffset: r.physicalOffset,
    msgId: properties.get(PropertyKey.UNIQ_CLIENT_MESSAGE_ID_KEYIDX) ?? offsetId,
    offsetMsgId: offsetId,
    tags: properties.get(PropertyKey.TAGS),
    keys: (properties.get(PropertyKey.KEYS) ?? '').split(' ').filter((k) => k !== ''),
    body: uncompressedBody(r.sysFlag, r.body),
    properties,
    reconsumeTimes: r.reconsumeTimes,
    bornTimestamp: r.bornTimestamp,
    storeTimestamp: r.storeTimestamp,
    bornHost: formatHostAddress(r.bornHost),
    storeHost: formatHostAddress(r.storeHost),
    flag: r.flag,
    sysFlag: r.sysFlag,
    record: r,
  };
}
