/**
 * A sent message's type as RocketMQ 5 labels its metrics (TopicMessageType.parseFromMessageProperty
 * and BrokerMetricsManager.getMessageType): transaction (TRAN_MSG=true), delay (a delay level or
 * timer property), fifo (a sharding key — a message group), else normal. Hot path: a few substring
 * test on the encoded properties (one regular expression), a closer look only when one of the names occurs.
 */
import { PropertyKey } from '../../protocol/message/constants.js';
import { findProperty } from '../../protocol/message/properties.js';
import type { MessageTypeIndex } from '../stats.js';

const DELAY_KEYS = [PropertyKey.DELAY_TIME_LEVEL, PropertyKey.TIMER_DELIVER_MS, PropertyKey.TIMER_DELAY_SEC, 'TIMER_DELAY_MS', '__STARTDELIVERTIME'];

/** Any property name that can make a message other than normal, at the start of an item. One scan for the common case. */
const SPECIAL = new RegExp(`(?:^|\u0002)(?:${[PropertyKey.TRANSACTION_PREPARED, ...DELAY_KEYS, PropertyKey.SHARDING_KEY].join('|')})\u0001`);

export function messageTypeOf(properties: string | undefined): MessageTypeIndex {
  if (properties === undefined || properties === '' || !SPECIAL.test(properties)) return 0;
  if (properties.includes(PropertyKey.TRANSACTION_PREPARED) && findProperty(properties, PropertyKey.TRANSACTION_PREPARED) === 'true') return 3;
  for (const k of DELAY_KEYS) if (properties.includes(k) && findProperty(properties, k) !== undefined) return 2;
  if (properties.includes(PropertyKey.SHARDING_KEY) && findProperty(properties, PropertyKey.SHARDING_KEY) !== undefined) return 1;
  return 0;
}
