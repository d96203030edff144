/** The message type a send is counted under (RocketMQ 5's TopicMessageType rules), from encoded properties. */
import { describe, expect, it } from 'vitest';
import { messageTypeOf } from '../../../src/broker/metrics/message-type.js';
import { encodeProperties } from '../../../src/protocol/message/properties.js';

const props = (o: Record<string, string>) => encodeProperties(new Map(Object.entries(o)));

describe('messageTypeOf', () => {
  it('normal, fifo (sharding key), delay (level or timer), transaction; a name inside another value does not count', () => {
    expect(messageTypeOf(undefined)).toBe(0);
    expect(messageTypeOf('')).toBe(0);
    expect(messageTypeOf(props({ KEYS: 'k', TAGS: 'a', WAIT: 'true' }))).toBe(0);
    expect(messageTypeOf(props({ KEYS: 'k', __SHARDINGKEY: 'order-7' }))).toBe(1);
    expect(messageTypeOf(props({ DELAY: '3', TAGS: 'a' }))).toBe(2);
    expect(messageTypeOf(props({ TAGS: 'a', TIMER_DELIVER_MS: '1700000000000' }))).toBe(2);
    expect(messageTypeOf(props({ __STARTDELIVERTIME: '1700000000000' }))).toBe(2);
    // delay wins over a sharding key, transaction over both (TopicMessageType.parseFromMessageProperty)
    expect(messageTypeOf(props({ __SHARDINGKEY: 'g', DELAY: '2' }))).toBe(2);
    expect(messageTypeOf(props({ TRAN_MSG: 'true', DELAY: '2' }))).toBe(3);
    expect(messageTypeOf(props({ TRAN_MSG: 'false' }))).toBe(0);
    // the names as values or inside other names are not properties
    expect(messageTypeOf(props({ KEYS: 'DELAY', TAGS: '__SHARDINGKEY' }))).toBe(0);
    expect(messageTypeOf(props({ MY_DELAY: '3', X__SHARDINGKEY: 'g' }))).toBe(0);
  });
});
