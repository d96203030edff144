/**
 * `version` header values: ordinals of Java's `MQVersion.Version` enum (apache/rocketmq
 * common/.../MQVersion.java at 8fc57f1468), only the ones whose value changes server behaviour.
 */
export const MQVersion = {
  /** REGISTER_BROKER bodies from brokers at or above this are RegisterBrokerBody. */
  V3_0_11: 37,
  /** Consumers below this cannot be asked for their running info (the broker refuses to forward). */
  V3_1_8_SNAPSHOT: 77,
  /** ali-ons sends this. */
  V3_4_9: 121,
  /** GET_ROUTEINFO_BY_TOPIC answers in standard JSON from this version on. */
  V4_9_4: 401,
  V4_9_8: 409,
  /** Compressed RegisterBrokerBody carries the topic-queue-mapping section from this version on. */
  V5_0_0: 413,
  /** Java servers answer GO_AWAY while shutting down only to clients above this version. */
  V5_3_1: 475,
  V5_3_3: 479,
} as const;

/**
 * The version our client, broker and NameServer put in every command: the last 4.x release.
 * High enough for standard-JSON routes (≥ V4_9_4); below V5_3_1 so a Java server that is shutting
 * down closes the channel instead of answering GO_AWAY, which a 4.x client does not expect either.
 */
export const RMQ_PROTOCOL_VERSION: number = MQVersion.V4_9_8;
