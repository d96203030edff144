/**
 * The Settings the broker answers a client's Telemetry `settings` with: the client's own, plus
 * what the server decides (the Proxy's `GrpcClientSettingsManager`), including everything the
 * Node client needs or it hangs or crashes (v5-protocol.md §1.4):
 *   - backoff_policy EXPONENTIAL (Node asserts it; it ignores CUSTOMIZED) with max_attempts:
 *     producers 3 (10 ms → 1 s, ×2), consumers the group's retryMaxTimes + 1 (1 s → 60 s, ×2);
 *   - publishing: max_body_size = the broker's maxMessageSize (> 0, or every send fails client
 *     side), validate_message_type true;
 *   - subscription: fifo (the group's consumeMessageOrderly), receive_batch_size, long_polling_timeout
 *     (the client's own when it set one, at most the broker's 30 s).
 */
import { durationMillis, durationOf } from '../../grpc/message.js';
import type { Settings, Settings__Output } from '../../grpc/generated/apache/rocketmq/v2/Settings.js';
import type { SubscriptionGroupConfig } from '../../protocol/group-config.js';

export interface ServerFacts {
  maxBodyBytes: number;
  /** The consumer group's configuration (consumers only). */
  group?: SubscriptionGroupConfig;
  receiveBatchSize: number;
  longPollingTimeoutMillis: number;
}

export const PRODUCER_MAX_ATTEMPTS = 3;

/** What goes back on the Telemetry stream for `client` (which has a publishing or subscription part). */
export function serverSettings(client: Settings__Output, facts: ServerFacts): Settings {
  const out: Settings = {
    ...(client.clientType !== undefined ? { clientType: client.clientType } : {}),
    ...(client.accessPoint ? { accessPoint: client.accessPoint } : {}),
    requestTimeout: client.requestTimeout ?? durationOf(3_000),
    metric: { on: false },
    ...(client.userAgent ? { userAgent: client.userAgent } : {}),
  };
  if (client.pubSub === 'publishing') {
    out.backoffPolicy = { maxAttempts: PRODUCER_MAX_ATTEMPTS, exponentialBackoff: { initial: durationOf(10), max: durationOf(1_000), multiplier: 2 } };
    out.publishing = { topics: client.publishing?.topics ?? [], maxBodySize: facts.maxBodyBytes, validateMessageType: true };
  } else if (client.pubSub === 'subscription') {
    const g = facts.group;
    out.backoffPolicy = { maxAttempts: (g?.retryMaxTimes ?? 16) + 1, exponentialBackoff: { initial: durationOf(1_000), max: durationOf(60_000), multiplier: 2 } };
    const sub = client.subscription;
    // the client's own long-poll time when it asked for one (PushConsumer longPollingTimeout), within the broker's limit
    const asked = durationMillis(sub?.longPollingTimeout);
    const longPoll = asked !== undefined && asked > 0 ? Math.min(asked, facts.longPollingTimeoutMillis) : facts.longPollingTimeoutMillis;
    out.subscription = {
      ...(sub?.group ? { group: sub.group } : {}),
      subscriptions: sub?.subscriptions ?? [],
      fifo: g?.consumeMessageOrderly ?? false,
      receiveBatchSize: facts.receiveBatchSize,
      longPollingTimeout: durationOf(longPoll),
    };
  }
  return out;
}
