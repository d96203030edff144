/**
 * Topic and group names as RocketMQ checks them (`TopicValidator` at apache/rocketmq HEAD):
 * characters `[%|a-zA-Z0-9_-]`, at most 127 characters (255 for `%RETRY%` / `%DLQ%` topics, whose
 * names embed a group), and the reserved system topics, some of which no client may send to.
 */

export const TBW102 = 'TBW102';
export const SCHEDULE_TOPIC = 'SCHEDULE_TOPIC_XXXX';
export const RETRY_GROUP_TOPIC_PREFIX = '%RETRY%';
export const DLQ_GROUP_TOPIC_PREFIX = '%DLQ%';
export const SYSTEM_TOPIC_PREFIX = 'rmq_sys_';
/** Transactional messages: half (prepared) messages, their op records, and those given up after transactionCheckMax checks. */
export const TRANS_HALF_TOPIC = 'RMQ_SYS_TRANS_HALF_TOPIC';
export const TRANS_OP_HALF_TOPIC = 'RMQ_SYS_TRANS_OP_HALF_TOPIC';
export const TRANS_CHECK_MAX_TIME_TOPIC = 'TRANS_CHECK_MAX_TIME_TOPIC';

const TOPIC_MAX_LENGTH = 127;
const RETRY_OR_DLQ_TOPIC_MAX_LENGTH = 255;
const GROUP_MAX_LENGTH = 120;
const NAME_CHARS = /^[%|a-zA-Z0-9_-]+$/;

/** Groups every broker has for itself (SubscriptionGroupManager.init; MixAll names). */
export const SYSTEM_GROUP_NAMES: readonly string[] = [
  'TOOLS_CONSUMER',
  'FILTERSRV_CONSUMER',
  'SELF_TEST_C_GROUP',
  'CID_ONS-HTTP-PROXY',
  'CID_ONSAPI_PULL',
  'CID_ONSAPI_PERMISSION',
  'CID_ONSAPI_OWNER',
  'CID_RMQ_SYS_TRANS',
];

/** Topics the broker owns; clients may read some of them but not create or delete them. */
export const RESERVED_TOPICS: ReadonlySet<string> = new Set([
  TBW102,
  SCHEDULE_TOPIC,
  'SCHEDULE_TOPIC_XXXX_V2',
  'BenchmarkTest',
  'RMQ_SYS_TRANS_HALF_TOPIC',
  'RMQ_SYS_TRACE_TOPIC',
  'RMQ_SYS_TRANS_OP_HALF_TOPIC',
  'TRANS_CHECK_MAX_TIME_TOPIC',
  'SELF_TEST_TOPIC',
  'OFFSET_MOVED_EVENT',
  'CHECKPOINT_TOPIC',
]);

/** `NOT_ALLOWED_SEND_TOPIC_SET`: internal topics a producer may not write to. */
const NOT_ALLOWED_SEND: ReadonlySet<string> = new Set([
  SCHEDULE_TOPIC,
  'SCHEDULE_TOPIC_XXXX_V2',
  'RMQ_SYS_TRANS_HALF_TOPIC',
  'RMQ_SYS_TRANS_OP_HALF_TOPIC',
  'TRANS_CHECK_MAX_TIME_TOPIC',
  'SELF_TEST_TOPIC',
  'OFFSET_MOVED_EVENT',
]);

export const isRetryTopic = (topic: string): boolean => topic.startsWith(RETRY_GROUP_TOPIC_PREFIX);
export const isDlqTopic = (topic: string): boolean => topic.startsWith(DLQ_GROUP_TOPIC_PREFIX);

/** Why `topic` is not a valid topic name (RocketMQ's wording), or undefined when it is. */
export function topicNameProblem(topic: string): string | undefined {
  if (topic.trim() === '') return 'The specified topic is blank.';
  if (!NAME_CHARS.test(topic)) return `The specified topic: ${topic}, contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$`;
  if (isRetryTopic(topic) || isDlqTopic(topic)) {
    if (topic.length > RETRY_OR_DLQ_TOPIC_MAX_LENGTH) return `The specified topic is DLQ or Retry topic: ${topic}, and it's longer than topic max length: ${RETRY_OR_DLQ_TOPIC_MAX_LENGTH}`;
  } else if (topic.length > TOPIC_MAX_LENGTH) {
    return `The specified topic: ${topic}, is longer than topic max length: ${TOPIC_MAX_LENGTH}`;
  }
  return undefined;
}

/** Why `group` is not a valid producer/consumer group name, or undefined when it is. */
export function groupNameProblem(group: string): string | undefined {
  if (group.trim() === '') return 'The specified group is blank.';
  if (!NAME_CHARS.test(group)) return `The specified group: ${group}, contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$`;
  if (group.length > GROUP_MAX_LENGTH) return `The specified group: ${group}, is longer than group max length: ${GROUP_MAX_LENGTH}`;
  return undefined;
}

/** A reserved topic name, or one in the `rmq_sys_` namespace. */
export function isSystemTopicName(topic: string): boolean {
  return RESERVED_TOPICS.has(topic) || topic.startsWith(SYSTEM_TOPIC_PREFIX);
}

export function isNotAllowedSendTopic(topic: string): boolean {
  return NOT_ALLOWED_SEND.has(topic);
}
