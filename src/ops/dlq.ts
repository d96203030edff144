/**
 * A consumer group's dead-letter queue (`%DLQ%<group>`): what is in it over a time range, and
 * sending chosen messages back to the group. Resending is the broker's own send-back
 * (CONSUMER_SEND_MSG_BACK, as a consumer does after a failure) asked of the master that stores the
 * DLQ copy, with a reconsume budget of one more attempt: the broker puts a copy into
 * `%RETRY%<group>` (RETRY_TOPIC keeps naming the original topic), delivered after delay level 1
 * (1 s) to that group only — never to other groups of the original topic. A copy that fails again
 * goes back to the DLQ.
 */
import { PropertyKey } from '../protocol/message/constants.js';
import { decodeProperties } from '../protocol/message/properties.js';
import { DLQ_GROUP_TOPIC_PREFIX } from '../protocol/topic-names.js';
import type { AdminClient } from '../client/admin.js';
import type { BrokerApi } from '../client/broker-api.js';
import type { GroupApi } from '../client/group-api.js';
import { findById, type FoundMessage } from './message-lookup.js';
import { findByTime, type RangeOptions, type RangeResult } from './message-range.js';

export const dlqTopicOf = (group: string): string => `${DLQ_GROUP_TOPIC_PREFIX}${group}`;

/** The DLQ's messages stored within the range, newest first; an empty result when the group has no DLQ yet. */
export async function listDlq(d: { admin: AdminClient; brokers: BrokerApi }, group: string, range: RangeOptions): Promise<RangeResult> {
  const topic = dlqTopicOf(group);
  if ((await d.admin.topicRoute(topic)) === undefined) return { messages: [], truncated: false, problems: [] };
  return findByTime(d, topic, range);
}

/** The topic a dead letter was first sent to. */
export function originalTopicOf(m: FoundMessage): string | undefined {
  const props = decodeProperties(m.record.properties);
  return props.get(PropertyKey.RETRY_TOPIC) ?? props.get(PropertyKey.DLQ_ORIGIN_TOPIC);
}

export interface ResendOutcome {
  /** The DLQ copy's offset msgId. */
  id: string;
  ok: boolean;
  /** Where the copy went: `%RETRY%<group>`, for the original topic. */
  topic?: string;
  error?: string;
}

/** Sends each DLQ message (by offset msgId) back to `group`; each message's outcome on its own. */
export async function resendDlq(d: { admin: AdminClient; brokers: BrokerApi; groups: GroupApi }, group: string, offsetMsgIds: readonly string[]): Promise<ResendOutcome[]> {
  const dlq = dlqTopicOf(group);
  return Promise.all(
    offsetMsgIds.map(async (id): Promise<ResendOutcome> => {
      try {
        const [m] = await findById(d, id, dlq);
        if (m === undefined || m.record.topic !== dlq) throw new Error(`${id} is not a message of ${dlq}`);
        const originTopic = originalTopicOf(m);
        await d.groups.sendBack(m.addr, {
          commitLogOffset: m.record.physicalOffset,
          group,
          delayLevel: 1,
          ...(originTopic !== undefined ? { originTopic } : {}),
          originMsgId: decodeProperties(m.record.properties).get(PropertyKey.ORIGIN_MESSAGE_ID) ?? id,
          // one more attempt than it has had: the broker sends it to the retry topic, not straight back here
          maxReconsumeTimes: m.record.reconsumeTimes + 1,
        });
        return { id, ok: true, topic: `%RETRY%${group}` };
      } catch (e) {
        return { id, ok: false, error: (e as Error).message };
      }
    }),
  );
}
