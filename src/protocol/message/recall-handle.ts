/**
 * The recall handle of a timer message (RocketMQ 5.3 `RecallMessageHandle.HandleV1`): the text
 * `v1 <topic> <brokerName> <timestamp> <messageId>` in URL-safe Base64 (with padding, as Java's
 * `Base64.getUrlEncoder()` writes it). The broker hands it out with the send result
 * (SendResultEntry.recall_handle, the remoting send reply's `recallHandle`); `timestamp` is the
 * delivery time in ms plus one (TIMER_OUT_MS + 1, as RocketMQ's SendMessageProcessor builds it),
 * `messageId` the message's UNIQ_KEY. The handle names the broker that holds the message, so a
 * recall can be routed to it.
 */

export interface RecallHandle {
  topic: string;
  brokerName: string;
  /** Delivery time + 1, ms since the epoch. */
  timestamp: number;
  /** The message's UNIQ_KEY (client message id). */
  messageId: string;
}

export class RecallHandleError extends Error {
  override readonly name = 'RecallHandleError';
}

const VERSION_1 = 'v1';

export function encodeRecallHandle(h: RecallHandle): string {
  // Java's URL encoder pads; Node's base64url does not
  const b64 = Buffer.from([VERSION_1, h.topic, h.brokerName, String(h.timestamp), h.messageId].join(' '), 'utf8').toString('base64url');
  return b64.padEnd(Math.ceil(b64.length / 4) * 4, '=');
}

/** Throws RecallHandleError saying what is wrong. Accepts the handle with or without Base64 padding. */
export function decodeRecallHandle(handle: string): RecallHandle {
  const text = handle.trim();
  if (text === '') throw new RecallHandleError('the recall handle is empty');
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(text)) throw new RecallHandleError('the recall handle is not URL-safe Base64 (as a send result gives it)');
  const raw = Buffer.from(text, 'base64url').toString('utf8');
  const items = raw.split(' ');
  if (items[0] !== VERSION_1) throw new RecallHandleError(`the recall handle is not a version 1 handle (it starts with ${JSON.stringify(items[0]?.slice(0, 8) ?? '')})`);
  if (items.length !== 5 || items.some((i) => i === '')) throw new RecallHandleError('the recall handle does not hold topic, broker name, timestamp and message id');
  const [, topic, brokerName, ts, messageId] = items as [string, string, string, string, string];
  const timestamp = Number(ts);
  if (!/^\d{1,16}$/.test(ts) || !Number.isSafeInteger(timestamp)) throw new RecallHandleError(`the recall handle's timestamp ${JSON.stringify(ts)} is not a time in milliseconds`);
  return { topic, brokerName, timestamp, messageId };
}
