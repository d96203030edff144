/**
 * A message as a producer builds it, checked as Java's client `Validators.checkMessage` does,
 * and its property string (`key 0x01 value 0x02`, docs/design/protocol.md#properties): TAGS, KEYS, WAIT, UNIQ_KEY,
 * then the user's properties. Names RocketMQ reserves for itself cannot be user properties.
 */
import { InvalidInputError } from '../errors.js';
import { NAME_VALUE_SEPARATOR, PropertyKey, PROPERTY_SEPARATOR } from '../protocol/message/constants.js';
import { topicNameProblem } from '../protocol/topic-names.js';

export interface Message {
  topic: string;
  body: Buffer | Uint8Array | string;
  /** One tag (consumers filter on it). */
  tags?: string;
  /** Business keys, indexed by the broker: `message get --key` finds the message by any of them. */
  keys?: string | readonly string[];
  /** User properties. */
  properties?: Readonly<Record<string, string>>;
  /** The user int flag stored with the message. */
  flag?: number;
  /** false: with SYNC_FLUSH the broker acknowledges before the fsync (property WAIT=false). */
  waitStoreMsgOK?: boolean;
  /**
   * Deliver later: level 1..N of the broker's `messageDelayLevel` (default 1s 5s 10s 30s 1m 2m 3m
   * 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h; a higher level means the highest). Property DELAY.
   */
  delayTimeLevel?: number;
}

/** Property names used by RocketMQ itself (MessageConst.STRING_HASH_SET): not allowed as user properties. */
const RESERVED_PROPERTIES: ReadonlySet<string> = new Set(Object.values(PropertyKey));

export class InvalidMessageError extends InvalidInputError {
  override readonly name: string = 'InvalidMessageError';
}

const SEPARATORS = /[\u0001\u0002]/;

function checkText(what: string, s: string): void {
  if (SEPARATORS.test(s)) throw new InvalidMessageError(`${what} ${JSON.stringify(s)} contains a \\u0001 or \\u0002 character, which separate properties`);
}

export function bodyBytes(body: Message['body']): Buffer {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** The message's KEYS entries (space separated on the wire, so a key cannot contain a space). */
export function keysOf(m: Message): string[] {
  if (m.keys === undefined) return [];
  const list = typeof m.keys === 'string' ? m.keys.split(' ') : [...m.keys];
  return list.filter((k) => k !== '');
}

/** Throws InvalidMessageError saying what is wrong with `m` (`topicChecked`: its topic name is known to be valid). */
export function checkMessage(m: Message, body: Buffer, maxMessageSize: number, topicChecked = false): void {
  if (!topicChecked) {
    const problem = topicNameProblem(m.topic);
    if (problem !== undefined) throw new InvalidMessageError(problem);
  }
  if (body.length === 0) throw new InvalidMessageError('the message body is empty');
  if (body.length > maxMessageSize) throw new InvalidMessageError(`the message body is ${body.length} bytes, more than maxMessageSize ${maxMessageSize}`);
  if (m.flag !== undefined && !(Number.isInteger(m.flag) && m.flag >= -0x80000000 && m.flag <= 0x7fffffff)) throw new InvalidMessageError(`flag ${m.flag} is not a 32-bit integer`);
  if (m.delayTimeLevel !== undefined && !(Number.isInteger(m.delayTimeLevel) && m.delayTimeLevel >= 0 && m.delayTimeLevel <= 1000)) {
    throw new InvalidMessageError(`delayTimeLevel ${m.delayTimeLevel} is not a delay level: expected an integer 1..N of the broker's messageDelayLevel (0: no delay)`);
  }
  if (m.tags !== undefined) {
    if (m.tags === '') throw new InvalidMessageError('the tag is empty (leave it out for no tag)');
    checkText('tag', m.tags);
    if (m.tags.includes('||')) throw new InvalidMessageError(`tag ${JSON.stringify(m.tags)} contains "||", which separates tags in subscriptions`);
  }
  if (typeof m.keys !== 'string' && m.keys !== undefined) {
    for (const k of m.keys) if (k.includes(' ')) throw new InvalidMessageError(`key ${JSON.stringify(k)} contains a space, which separates keys`);
  }
  for (const k of keysOf(m)) checkText('key', k);
  for (const [k, v] of Object.entries(m.properties ?? {})) {
    if (k === '' || v === '') throw new InvalidMessageError(`property ${JSON.stringify(k)}: names and values must not be empty (RocketMQ drops such properties)`);
    if (RESERVED_PROPERTIES.has(k)) throw new InvalidMessageError(`property ${k} is used by RocketMQ itself; choose another name`);
    checkText('property name', k);
    checkText(`property ${k} value`, v);
  }
}

/** The property string sent for `m`, with `uniqKey` as its UNIQ_KEY. */
export function messagePropertyString(m: Message, uniqKey: string): string {
  let s = '';
  const add = (k: string, v: string) => {
    s += k + NAME_VALUE_SEPARATOR + v + PROPERTY_SEPARATOR;
  };
  if (m.tags !== undefined) add(PropertyKey.TAGS, m.tags);
  const keys = keysOf(m);
  if (keys.length > 0) add(PropertyKey.KEYS, keys.join(' '));
  if (m.waitStoreMsgOK === false) add(PropertyKey.WAIT_STORE_MSG_OK, 'false');
  if (m.delayTimeLevel !== undefined && m.delayTimeLevel > 0) add(PropertyKey.DELAY_TIME_LEVEL, String(m.delayTimeLevel));
  add(PropertyKey.UNIQ_CLIENT_MESSAGE_ID_KEYIDX, uniqKey);
  if (m.properties !== undefined) for (const k in m.properties) add(k, m.properties[k] as string);
  return s;
}
