/**
 * What each request touches, for authorization: the topics and groups it needs PUB or SUB on, and
 * whether it needs an admin account. One table from request code to resources, as RocketMQ's
 * `PlainAccessResource.parse` (4.x) builds it: topics by name, groups as their retry topic
 * `%RETRY%group` (a request on a retry topic therefore counts as one on its group).
 *
 * Beyond RocketMQ (deviations, listed in docs/guide/security.md): every code that changes cluster state,
 * reads configuration, or is cluster-internal (broker registration, slave sync) needs an admin
 * account — RocketMQ 4.x lists only five admin codes and leaves the rest open to any valid
 * signature; offset and time-index lookups need SUB on the topic.
 */
import { RequestCode } from '../remoting/codes.js';
import { parseFastJson } from '../protocol/fastjson.js';
import { isRetryTopic, RETRY_GROUP_TOPIC_PREFIX } from '../protocol/topic-names.js';
import type { ExtFields, RemotingCommand } from '../remoting/command.js';
import { Perm, type PermBits } from './permission.js';

const R = RequestCode;

/** Request codes only an admin account may send (RocketMQ's `Permission.ADMIN_CODE` first). */
export const ADMIN_CODES: ReadonlySet<number> = new Set<number>([
  // RocketMQ 4.x Permission.ADMIN_CODE
  R.UPDATE_AND_CREATE_TOPIC, R.UPDATE_BROKER_CONFIG, R.DELETE_TOPIC_IN_BROKER, R.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, R.DELETE_SUBSCRIPTIONGROUP,
  // topic / group administration in bulk or elsewhere
  R.UPDATE_AND_CREATE_TOPIC_LIST, R.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST, R.UPDATE_AND_CREATE_STATIC_TOPIC, R.DELETE_TOPIC_IN_NAMESRV,
  R.REGISTER_TOPIC_IN_NAMESRV, R.CLONE_GROUP_OFFSET, R.UPDATE_AND_GET_GROUP_FORBIDDEN,
  // offsets reset by an operator
  R.RESET_CONSUMER_OFFSET_IN_BROKER, R.INVOKE_BROKER_TO_RESET_OFFSET, R.RESET_CONSUMER_CLIENT_OFFSET, R.RESET_CONSUMER_OFFSET_IN_CONSUMER,
  R.INVOKE_BROKER_TO_GET_CONSUMER_STATUS,
  // configuration (read and write): 25/318 were the CVE-2023-33246 vector
  R.GET_BROKER_CONFIG, R.UPDATE_NAMESRV_CONFIG, R.GET_NAMESRV_CONFIG, R.UPDATE_CONTROLLER_CONFIG, R.GET_CONTROLLER_CONFIG,
  R.UPDATE_COLD_DATA_FLOW_CTR_CONFIG, R.REMOVE_COLD_DATA_FLOW_CTR_CONFIG, R.SET_COMMITLOG_READ_MODE, R.SET_MESSAGE_REQUEST_MODE,
  R.PUT_KV_CONFIG, R.DELETE_KV_CONFIG,
  // ACL administration (4.x) and ACL 2.0 user/policy administration
  R.UPDATE_AND_CREATE_ACL_CONFIG, R.DELETE_ACL_CONFIG, R.GET_BROKER_CLUSTER_ACL_INFO, R.UPDATE_GLOBAL_WHITE_ADDRS_CONFIG, R.GET_BROKER_CLUSTER_ACL_CONFIG,
  R.AUTH_CREATE_USER, R.AUTH_UPDATE_USER, R.AUTH_DELETE_USER, R.AUTH_GET_USER, R.AUTH_LIST_USER,
  R.AUTH_CREATE_ACL, R.AUTH_UPDATE_ACL, R.AUTH_DELETE_ACL, R.AUTH_GET_ACL, R.AUTH_LIST_ACL,
  // store maintenance
  R.TRIGGER_DELETE_FILES, R.CLEAN_EXPIRED_CONSUMEQUEUE, R.CLEAN_UNUSED_TOPIC, R.DELETE_EXPIRED_COMMITLOG, R.RESET_MASTER_FLUSH_OFFSET,
  R.EXPORT_ROCKSDB_CONFIG_TO_JSON, R.CHECK_ROCKSDB_CQ_WRITE_PROGRESS,
  // broker permissions and membership
  R.WIPE_WRITE_PERM_OF_BROKER, R.ADD_WRITE_PERM_OF_BROKER, R.ADD_BROKER, R.REMOVE_BROKER,
  // cluster-internal: broker ↔ NameServer registration, slave ↔ master sync, controller
  R.REGISTER_BROKER, R.UNREGISTER_BROKER, R.BROKER_HEARTBEAT, R.QUERY_DATA_VERSION, R.REGISTER_FILTER_SERVER,
  R.GET_ALL_TOPIC_CONFIG, R.GET_ALL_CONSUMER_OFFSET, R.GET_ALL_DELAY_OFFSET, R.GET_ALL_SUBSCRIPTIONGROUP_CONFIG,
  R.NOTIFY_MIN_BROKER_ID_CHANGE, R.EXCHANGE_BROKER_HA_INFO, R.GET_BROKER_EPOCH_CACHE, R.NOTIFY_BROKER_ROLE_CHANGED, R.CLEAN_BROKER_DATA,
  R.CONTROLLER_ALTER_SYNC_STATE_SET, R.CONTROLLER_ELECT_MASTER, R.CONTROLLER_REGISTER_BROKER, R.CONTROLLER_GET_REPLICA_INFO,
  R.CONTROLLER_GET_METADATA_INFO, R.CONTROLLER_GET_SYNC_STATE_DATA, R.CONTROLLER_GET_NEXT_BROKER_ID, R.CONTROLLER_APPLY_BROKER_ID,
  // client control through the broker
  R.SUSPEND_CONSUMER, R.RESUME_CONSUMER, R.ADJUST_CONSUMER_THREAD_POOL, R.CONSUME_MESSAGE_DIRECTLY,
]);

export type NeededResources = [resource: string, perm: PermBits][];

const retryOf = (group: string | undefined): string => RETRY_GROUP_TOPIC_PREFIX + (group ?? '');

/** A topic header value: a retry topic is its group's (SUB), any other topic needs `perm`. */
function topicNeeds(out: NeededResources, topic: string | undefined, perm: PermBits): void {
  if (topic === undefined) return;
  out.push(isRetryTopic(topic) ? [topic, Perm.SUB] : [topic, perm]);
}

type Extract = (ext: ExtFields, body: Buffer | undefined, out: NeededResources) => void;

/** Group and topic from the usual header names. */
const groupAndTopic = (groupField: string, topicField: string | undefined): Extract => (ext, _b, out) => {
  out.push([retryOf(ext[groupField]), Perm.SUB]);
  if (topicField !== undefined) topicNeeds(out, ext[topicField], Perm.SUB);
};

const EXTRACT = new Map<number, Extract>([
  // RocketMQ 4.x PlainAccessResource.parse
  [R.SEND_MESSAGE, (e, _b, o) => (isRetryTopic(e.topic ?? '') ? o.push([retryOf(e.group), Perm.SUB]) : topicNeeds(o, e.topic, Perm.PUB))],
  [R.SEND_MESSAGE_V2, (e, _b, o) => (isRetryTopic(e.b ?? '') ? o.push([retryOf(e.a), Perm.SUB]) : topicNeeds(o, e.b, Perm.PUB))],
  [R.SEND_BATCH_MESSAGE, (e, _b, o) => (isRetryTopic(e.b ?? '') ? o.push([retryOf(e.a), Perm.SUB]) : topicNeeds(o, e.b, Perm.PUB))],
  [R.SEND_REPLY_MESSAGE, (e, _b, o) => topicNeeds(o, e.topic, Perm.PUB)],
  [R.SEND_REPLY_MESSAGE_V2, (e, _b, o) => topicNeeds(o, e.b, Perm.PUB)],
  [R.CONSUMER_SEND_MSG_BACK, (e, _b, o) => {
    o.push([retryOf(e.group), Perm.SUB]);
    if (e.originTopic !== undefined) o.push([e.originTopic, Perm.PUB]);
  }],
  [R.PULL_MESSAGE, groupAndTopic('consumerGroup', 'topic')],
  [R.LITE_PULL_MESSAGE, groupAndTopic('consumerGroup', 'topic')],
  [R.QUERY_MESSAGE, (e, _b, o) => topicNeeds(o, e.topic, Perm.SUB)],
  [R.HEART_BEAT, (_e, body, o) => heartbeatNeeds(body, o)],
  [R.UNREGISTER_CLIENT, (e, _b, o) => {
    if (e.consumerGroup !== undefined) o.push([retryOf(e.consumerGroup), Perm.SUB]);
  }],
  [R.GET_CONSUMER_LIST_BY_GROUP, groupAndTopic('consumerGroup', undefined)],
  [R.UPDATE_CONSUMER_OFFSET, groupAndTopic('consumerGroup', 'topic')],
  [R.QUERY_CONSUMER_OFFSET, groupAndTopic('consumerGroup', 'topic')],
  // ours: lookups that read a topic's data
  [R.GET_MAX_OFFSET, (e, _b, o) => topicNeeds(o, e.topic, Perm.SUB)],
  [R.GET_MIN_OFFSET, (e, _b, o) => topicNeeds(o, e.topic, Perm.SUB)],
  [R.SEARCH_OFFSET_BY_TIMESTAMP, (e, _b, o) => topicNeeds(o, e.topic, Perm.SUB)],
  [R.GET_EARLIEST_MSG_STORETIME, (e, _b, o) => topicNeeds(o, e.topic, Perm.SUB)],
  [R.GET_CONSUME_STATS, (e, _b, o) => {
    o.push([retryOf(e.consumerGroup), Perm.SUB]);
    if (e.topic !== undefined && e.topic !== '') topicNeeds(o, e.topic, Perm.SUB);
  }],
]);

/** HEART_BEAT: each consumer group (SUB) and every topic it subscribes to (SUB). */
function heartbeatNeeds(body: Buffer | undefined, out: NeededResources): void {
  if (body === undefined || body.length === 0) return;
  const data = parseFastJson(body.toString('utf8')) as { consumerDataSet?: unknown } | null;
  const consumers = data?.consumerDataSet;
  if (!Array.isArray(consumers)) return;
  for (const c of consumers as { groupName?: unknown; subscriptionDataSet?: unknown }[]) {
    out.push([retryOf(String(c?.groupName)), Perm.SUB]);
    const subs = c?.subscriptionDataSet;
    if (Array.isArray(subs)) for (const s of subs as { topic?: unknown }[]) if (typeof s?.topic === 'string') topicNeeds(out, s.topic, Perm.SUB);
  }
}

/**
 * The resources `request` needs. Throws when the request is too malformed to tell (e.g. a
 * heartbeat body that is not JSON): the caller refuses it.
 */
export function neededResources(request: RemotingCommand): NeededResources {
  const out: NeededResources = [];
  EXTRACT.get(request.code)?.(request.extFields ?? {}, request.body, out);
  return out;
}
