/**
 * RocketMQ request and response codes.
 *
 * RequestCode: every entry of the schema fixture `common.protocol.RequestCode.schema`
 * (/work/shared/fixtures/rocketmq-protocol-schema, apache/rocketmq test resources), plus the codes
 * that apache/rocketmq HEAD (8fc57f1468) `RequestCode.java` added since; entries not in the
 * fixture are marked. test/protocol/headers.test.ts checks this table against the fixture.
 * ResponseCode: `RemotingSysResponseCode` + `ResponseCode` at HEAD.
 */
export const RequestCode = {
  SEND_MESSAGE: 10,
  PULL_MESSAGE: 11,
  QUERY_MESSAGE: 12,
  QUERY_BROKER_OFFSET: 13,
  QUERY_CONSUMER_OFFSET: 14,
  UPDATE_CONSUMER_OFFSET: 15,
  UPDATE_AND_CREATE_TOPIC: 17,
  UPDATE_AND_CREATE_TOPIC_LIST: 18, // HEAD only (not in the 4.x schema fixture)
  GET_ALL_TOPIC_CONFIG: 21,
  GET_TOPIC_CONFIG_LIST: 22,
  GET_TOPIC_NAME_LIST: 23,
  UPDATE_BROKER_CONFIG: 25,
  GET_BROKER_CONFIG: 26,
  TRIGGER_DELETE_FILES: 27,
  GET_BROKER_RUNTIME_INFO: 28,
  SEARCH_OFFSET_BY_TIMESTAMP: 29,
  GET_MAX_OFFSET: 30,
  GET_MIN_OFFSET: 31,
  GET_EARLIEST_MSG_STORETIME: 32,
  VIEW_MESSAGE_BY_ID: 33,
  HEART_BEAT: 34,
  UNREGISTER_CLIENT: 35,
  CONSUMER_SEND_MSG_BACK: 36,
  END_TRANSACTION: 37,
  GET_CONSUMER_LIST_BY_GROUP: 38,
  CHECK_TRANSACTION_STATE: 39,
  NOTIFY_CONSUMER_IDS_CHANGED: 40,
  LOCK_BATCH_MQ: 41,
  UNLOCK_BATCH_MQ: 42,
  GET_ALL_CONSUMER_OFFSET: 43,
  GET_ALL_DELAY_OFFSET: 45,
  CHECK_CLIENT_CONFIG: 46,
  GET_CLIENT_CONFIG: 47, // HEAD only (not in the 4.x schema fixture)
  UPDATE_AND_CREATE_ACL_CONFIG: 50, // schema fixture only (removed at HEAD)
  DELETE_ACL_CONFIG: 51, // schema fixture only (removed at HEAD)
  GET_BROKER_CLUSTER_ACL_INFO: 52, // schema fixture only (removed at HEAD)
  UPDATE_GLOBAL_WHITE_ADDRS_CONFIG: 53, // schema fixture only (removed at HEAD)
  GET_BROKER_CLUSTER_ACL_CONFIG: 54, // schema fixture only (removed at HEAD)
  GET_TIMER_CHECK_POINT: 60, // HEAD only (not in the 4.x schema fixture)
  GET_TIMER_METRICS: 61, // HEAD only (not in the 4.x schema fixture)
  PUT_KV_CONFIG: 100,
  GET_KV_CONFIG: 101,
  DELETE_KV_CONFIG: 102,
  REGISTER_BROKER: 103,
  UNREGISTER_BROKER: 104,
  GET_ROUTEINFO_BY_TOPIC: 105,
  GET_BROKER_CLUSTER_INFO: 106,
  UPDATE_AND_CREATE_SUBSCRIPTIONGROUP: 200,
  GET_ALL_SUBSCRIPTIONGROUP_CONFIG: 201,
  GET_TOPIC_STATS_INFO: 202,
  GET_CONSUMER_CONNECTION_LIST: 203,
  GET_PRODUCER_CONNECTION_LIST: 204,
  WIPE_WRITE_PERM_OF_BROKER: 205,
  GET_ALL_TOPIC_LIST_FROM_NAMESERVER: 206,
  DELETE_SUBSCRIPTIONGROUP: 207,
  GET_CONSUME_STATS: 208,
  SUSPEND_CONSUMER: 209,
  RESUME_CONSUMER: 210,
  RESET_CONSUMER_OFFSET_IN_CONSUMER: 211,
  RESET_CONSUMER_OFFSET_IN_BROKER: 212,
  ADJUST_CONSUMER_THREAD_POOL: 213,
  WHO_CONSUME_THE_MESSAGE: 214,
  DELETE_TOPIC_IN_BROKER: 215,
  DELETE_TOPIC_IN_NAMESRV: 216,
  REGISTER_TOPIC_IN_NAMESRV: 217, // HEAD only (not in the 4.x schema fixture)
  GET_KVLIST_BY_NAMESPACE: 219,
  RESET_CONSUMER_CLIENT_OFFSET: 220,
  GET_CONSUMER_STATUS_FROM_CLIENT: 221,
  INVOKE_BROKER_TO_RESET_OFFSET: 222,
  INVOKE_BROKER_TO_GET_CONSUMER_STATUS: 223,
  GET_TOPICS_BY_CLUSTER: 224,
  UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST: 225, // HEAD only (not in the 4.x schema fixture)
  QUERY_TOPIC_CONSUME_BY_WHO: 300,
  REGISTER_FILTER_SERVER: 301,
  REGISTER_MESSAGE_FILTER_CLASS: 302,
  QUERY_CONSUME_TIME_SPAN: 303,
  GET_SYSTEM_TOPIC_LIST_FROM_NS: 304,
  GET_SYSTEM_TOPIC_LIST_FROM_BROKER: 305,
  CLEAN_EXPIRED_CONSUMEQUEUE: 306,
  GET_CONSUMER_RUNNING_INFO: 307,
  QUERY_CORRECTION_OFFSET: 308,
  CONSUME_MESSAGE_DIRECTLY: 309,
  SEND_MESSAGE_V2: 310,
  GET_UNIT_TOPIC_LIST: 311,
  GET_HAS_UNIT_SUB_TOPIC_LIST: 312,
  GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST: 313,
  CLONE_GROUP_OFFSET: 314,
  VIEW_BROKER_STATS_DATA: 315,
  CLEAN_UNUSED_TOPIC: 316,
  GET_BROKER_CONSUME_STATS: 317,
  UPDATE_NAMESRV_CONFIG: 318,
  GET_NAMESRV_CONFIG: 319,
  SEND_BATCH_MESSAGE: 320,
  QUERY_CONSUME_QUEUE: 321,
  QUERY_DATA_VERSION: 322,
  RESUME_CHECK_HALF_MESSAGE: 323,
  SEND_REPLY_MESSAGE: 324,
  SEND_REPLY_MESSAGE_V2: 325,
  PUSH_REPLY_MESSAGE_TO_CLIENT: 326,
  ADD_WRITE_PERM_OF_BROKER: 327,
  GET_ALL_PRODUCER_INFO: 328,
  DELETE_EXPIRED_COMMITLOG: 329,
  QUERY_TOPICS_BY_CONSUMER: 343, // HEAD only (not in the 4.x schema fixture)
  QUERY_SUBSCRIPTION_BY_CONSUMER: 345, // HEAD only (not in the 4.x schema fixture)
  GET_TOPIC_CONFIG: 351, // HEAD only (not in the 4.x schema fixture)
  GET_SUBSCRIPTIONGROUP_CONFIG: 352, // HEAD only (not in the 4.x schema fixture)
  UPDATE_AND_GET_GROUP_FORBIDDEN: 353, // HEAD only (not in the 4.x schema fixture)
  CHECK_ROCKSDB_CQ_WRITE_PROGRESS: 354, // HEAD only (not in the 4.x schema fixture)
  EXPORT_ROCKSDB_CONFIG_TO_JSON: 355, // HEAD only (not in the 4.x schema fixture)
  LITE_PULL_MESSAGE: 361, // HEAD only (not in the 4.x schema fixture)
  RECALL_MESSAGE: 370, // HEAD only (not in the 4.x schema fixture)
  QUERY_ASSIGNMENT: 400, // HEAD only (not in the 4.x schema fixture)
  SET_MESSAGE_REQUEST_MODE: 401, // HEAD only (not in the 4.x schema fixture)
  GET_ALL_MESSAGE_REQUEST_MODE: 402, // HEAD only (not in the 4.x schema fixture)
  UPDATE_AND_CREATE_STATIC_TOPIC: 513, // HEAD only (not in the 4.x schema fixture)
  GET_BROKER_MEMBER_GROUP: 901, // HEAD only (not in the 4.x schema fixture)
  ADD_BROKER: 902, // HEAD only (not in the 4.x schema fixture)
  REMOVE_BROKER: 903, // HEAD only (not in the 4.x schema fixture)
  BROKER_HEARTBEAT: 904, // HEAD only (not in the 4.x schema fixture)
  NOTIFY_MIN_BROKER_ID_CHANGE: 905, // HEAD only (not in the 4.x schema fixture)
  EXCHANGE_BROKER_HA_INFO: 906, // HEAD only (not in the 4.x schema fixture)
  GET_BROKER_HA_STATUS: 907, // HEAD only (not in the 4.x schema fixture)
  RESET_MASTER_FLUSH_OFFSET: 908, // HEAD only (not in the 4.x schema fixture)
  CONTROLLER_ALTER_SYNC_STATE_SET: 1001, // HEAD only (not in the 4.x schema fixture)
  CONTROLLER_ELECT_MASTER: 1002, // HEAD only (not in the 4.x schema fixture)
  CONTROLLER_REGISTER_BROKER: 1003, // HEAD only (not in the 4.x schema fixture)
  CONTROLLER_GET_REPLICA_INFO: 1004, // HEAD only (not in the 4.x schema fixture)
  CONTROLLER_GET_METADATA_INFO: 1005, // HEAD only (not in the 4.x schema fixture)
  CONTROLLER_GET_SYNC_STATE_DATA: 1006, // HEAD only (not in the 4.x schema fixture)
  GET_BROKER_EPOCH_CACHE: 1007, // HEAD only (not in the 4.x schema fixture)
  NOTIFY_BROKER_ROLE_CHANGED: 1008, // HEAD only (not in the 4.x schema fixture)
  UPDATE_CONTROLLER_CONFIG: 1009, // HEAD only (not in the 4.x schema fixture)
  GET_CONTROLLER_CONFIG: 1010, // HEAD only (not in the 4.x schema fixture)
  CLEAN_BROKER_DATA: 1011, // HEAD only (not in the 4.x schema fixture)
  CONTROLLER_GET_NEXT_BROKER_ID: 1012, // HEAD only (not in the 4.x schema fixture)
  CONTROLLER_APPLY_BROKER_ID: 1013, // HEAD only (not in the 4.x schema fixture)
  UPDATE_COLD_DATA_FLOW_CTR_CONFIG: 2001, // HEAD only (not in the 4.x schema fixture)
  REMOVE_COLD_DATA_FLOW_CTR_CONFIG: 2002, // HEAD only (not in the 4.x schema fixture)
  GET_COLD_DATA_FLOW_CTR_INFO: 2003, // HEAD only (not in the 4.x schema fixture)
  SET_COMMITLOG_READ_MODE: 2004, // HEAD only (not in the 4.x schema fixture)
  AUTH_CREATE_USER: 3001, // HEAD only (not in the 4.x schema fixture)
  AUTH_UPDATE_USER: 3002, // HEAD only (not in the 4.x schema fixture)
  AUTH_DELETE_USER: 3003, // HEAD only (not in the 4.x schema fixture)
  AUTH_GET_USER: 3004, // HEAD only (not in the 4.x schema fixture)
  AUTH_LIST_USER: 3005, // HEAD only (not in the 4.x schema fixture)
  AUTH_CREATE_ACL: 3006, // HEAD only (not in the 4.x schema fixture)
  AUTH_UPDATE_ACL: 3007, // HEAD only (not in the 4.x schema fixture)
  AUTH_DELETE_ACL: 3008, // HEAD only (not in the 4.x schema fixture)
  AUTH_GET_ACL: 3009, // HEAD only (not in the 4.x schema fixture)
  AUTH_LIST_ACL: 3010, // HEAD only (not in the 4.x schema fixture)
  POP_MESSAGE: 200050, // HEAD only (not in the 4.x schema fixture)
  ACK_MESSAGE: 200051, // HEAD only (not in the 4.x schema fixture)
  PEEK_MESSAGE: 200052, // HEAD only (not in the 4.x schema fixture)
  CHANGE_MESSAGE_INVISIBLETIME: 200053, // HEAD only (not in the 4.x schema fixture)
  NOTIFICATION: 200054, // HEAD only (not in the 4.x schema fixture)
  POLLING_INFO: 200055, // HEAD only (not in the 4.x schema fixture)
  POP_ROLLBACK: 200056, // HEAD only (not in the 4.x schema fixture)
  BATCH_ACK_MESSAGE: 200151, // HEAD only (not in the 4.x schema fixture)
} as const;
export type RequestCodeName = keyof typeof RequestCode;

export const ResponseCode = {
  RPC_TIME_OUT: -1006,
  RPC_SEND_TO_CHANNEL_FAILED: -1004,
  RPC_ADDR_IS_NULL: -1002,
  RPC_UNKNOWN: -1000,
  SUCCESS: 0,
  SYSTEM_ERROR: 1,
  SYSTEM_BUSY: 2,
  REQUEST_CODE_NOT_SUPPORTED: 3,
  TRANSACTION_FAILED: 4,
  FLUSH_DISK_TIMEOUT: 10,
  SLAVE_NOT_AVAILABLE: 11,
  FLUSH_SLAVE_TIMEOUT: 12,
  MESSAGE_ILLEGAL: 13,
  SERVICE_NOT_AVAILABLE: 14,
  VERSION_NOT_SUPPORTED: 15,
  NO_PERMISSION: 16,
  TOPIC_NOT_EXIST: 17,
  TOPIC_EXIST_ALREADY: 18,
  PULL_NOT_FOUND: 19,
  PULL_RETRY_IMMEDIATELY: 20,
  PULL_OFFSET_MOVED: 21,
  QUERY_NOT_FOUND: 22,
  SUBSCRIPTION_PARSE_FAILED: 23,
  SUBSCRIPTION_NOT_EXIST: 24,
  SUBSCRIPTION_NOT_LATEST: 25,
  SUBSCRIPTION_GROUP_NOT_EXIST: 26,
  FILTER_DATA_NOT_EXIST: 27,
  FILTER_DATA_NOT_LATEST: 28,
  INVALID_PARAMETER: 29,
  TRANSACTION_SHOULD_COMMIT: 200,
  TRANSACTION_SHOULD_ROLLBACK: 201,
  TRANSACTION_STATE_UNKNOW: 202,
  TRANSACTION_STATE_GROUP_WRONG: 203,
  NO_BUYER_ID: 204,
  NOT_IN_CURRENT_UNIT: 205,
  CONSUMER_NOT_ONLINE: 206,
  CONSUME_MSG_TIMEOUT: 207,
  NO_MESSAGE: 208,
  POLLING_FULL: 209,
  POLLING_TIMEOUT: 210,
  BROKER_NOT_EXIST: 211,
  BROKER_DISPATCH_NOT_COMPLETE: 212,
  BROADCAST_CONSUMPTION: 213,
  FLOW_CONTROL: 215,
  NOT_LEADER_FOR_QUEUE: 501,
  ILLEGAL_OPERATION: 604,
  GO_AWAY: 1500,
  CONTROLLER_FENCED_MASTER_EPOCH: 2000,
  CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH: 2001,
  CONTROLLER_INVALID_MASTER: 2002,
  CONTROLLER_INVALID_REPLICAS: 2003,
  CONTROLLER_MASTER_NOT_AVAILABLE: 2004,
  CONTROLLER_INVALID_REQUEST: 2005,
  CONTROLLER_BROKER_NOT_ALIVE: 2006,
  CONTROLLER_NOT_LEADER: 2007,
  CONTROLLER_BROKER_METADATA_NOT_EXIST: 2008,
  CONTROLLER_INVALID_CLEAN_BROKER_METADATA: 2009,
  CONTROLLER_BROKER_NEED_TO_BE_REGISTERED: 2010,
  CONTROLLER_MASTER_STILL_EXIST: 2011,
  CONTROLLER_ELECT_MASTER_FAILED: 2012,
  CONTROLLER_ALTER_SYNC_STATE_SET_FAILED: 2013,
  CONTROLLER_BROKER_ID_INVALID: 2014,
  CONTROLLER_JRAFT_INTERNAL_ERROR: 2015,
  CONTROLLER_BROKER_LIVE_INFO_NOT_EXISTS: 2016,
  USER_NOT_EXIST: 3001,
  POLICY_NOT_EXIST: 3002,
} as const;
export type ResponseCodeName = keyof typeof ResponseCode;

function invert(table: Readonly<Record<string, number>>): ReadonlyMap<number, string> {
  return new Map(Object.entries(table).map(([name, code]) => [code, name]));
}
const requestNames = invert(RequestCode);
const responseNames = invert(ResponseCode);

/** `GET_ROUTEINFO_BY_TOPIC(105)`-style label for logs and errors; unknown codes print as the number. */
export function requestCodeLabel(code: number): string {
  const name = requestNames.get(code);
  return name === undefined ? String(code) : `${name}(${code})`;
}

export function responseCodeLabel(code: number): string {
  const name = responseNames.get(code);
  return name === undefined ? String(code) : `${name}(${code})`;
}

/**
 * Request codes of rmqd's own extensions. Far above every code RocketMQ uses, so a Java server
 * answers them with REQUEST_CODE_NOT_SUPPORTED and a client can tell it is not talking to rmqd.
 */
export const RmqExtensionCode = {
  /** NameServer: every live broker with registration ages measured on the NameServer (bodies.ts BrokerLiveInfo). */
  GET_BROKER_LIVE_INFO: 1_000_001,
} as const;
