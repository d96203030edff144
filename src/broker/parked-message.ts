/**
 * A message parked on a system topic — a delay level's SCHEDULE_TOPIC_XXXX, the timer's
 * rmq_sys_wheel_timer, a transaction's half topic — carries the topic and queue it is for in
 * REAL_TOPIC / REAL_QID. The schedule, the timer and the transaction service each read that pair
 * and rebuild the message for its real queue; this is the one reader and the one builder.
 */
import { PropertyKey } from '../protocol/message/constants.js';
import { copyHost } from '../protocol/message/host.js';
import { encodeProperties, type MessageProperties } from '../protocol/message/properties.js';
import type { MessageRecord } from '../protocol/message/record.js';
import type { PutMessage } from './store/index.js';

export interface RealDestination {
  topic: string;
  queueId: number;
}

/** REAL_TOPIC / REAL_QID of a parked message's properties; undefined when either is missing or invalid. */
export function realDestinationOf(props: MessageProperties): RealDestination | undefined {
  const topic = props.get(PropertyKey.REAL_TOPIC);
  const queueId = Number(props.get(PropertyKey.REAL_QUEUE_ID));
  if (topic === undefined || topic === '' || !Number.isInteger(queueId) || queueId < 0) return undefined;
  return { topic, queueId };
}

/**
 * A stored record put again on another topic and queue: body, flag, hosts, born time and
 * reconsume count carried over, the (already edited) properties re-encoded. `overrides` is for
 * what a caller changes beyond that (a transaction commit's sysFlag and prepared offset).
 */
export function repost(
  rec: MessageRecord,
  to: RealDestination,
  props: MessageProperties,
  overrides: Partial<Pick<PutMessage, 'sysFlag' | 'preparedTransactionOffset'>> = {},
): PutMessage {
  return {
    topic: to.topic,
    queueId: to.queueId,
    flag: rec.flag,
    body: Buffer.from(rec.body),
    properties: encodeProperties(props),
    sysFlag: overrides.sysFlag ?? rec.sysFlag,
    bornTimestamp: rec.bornTimestamp,
    // owned copies, like the body: the put may be held while the record's read buffer is not
    bornHost: copyHost(rec.bornHost),
    storeHost: copyHost(rec.storeHost),
    reconsumeTimes: rec.reconsumeTimes,
    preparedTransactionOffset: overrides.preparedTransactionOffset ?? 0,
  };
}
