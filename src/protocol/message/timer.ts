/**
 * Timer messages as the properties carry them (RocketMQ 5 `MessageConst`, HookUtils): a producer
 * asks for a delivery time with one of
 *   TIMER_DELIVER_MS     absolute time, ms since the epoch (v5 `delivery_timestamp`, Java `setDeliverTimeMs`)
 *   TIMER_DELAY_SEC      seconds from now (Java `setDelayTimeSec`)
 *   TIMER_DELAY_MS       milliseconds from now (Java `setDelayTimeMs`)
 *   __STARTDELIVERTIME   absolute time in ms (ali-ons / Aliyun ONS `setStartDeliverTime`)
 * and the broker records the time it decided in TIMER_OUT_MS. A recall marker carries the UNIQ_KEY
 * of the message it cancels in TIMER_DEL_UNIQKEY.
 */
import { PropertyKey } from './constants.js';
import { findProperty } from './properties.js';

/** A timer property whose value is not a time: the send is refused with this text. */
export class TimerPropertyError extends Error {
  override readonly name = 'TimerPropertyError';
}

const DIGITS = /^-?\d{1,16}$/;

function integerOf(key: string, raw: string): number {
  const n = Number(raw);
  if (!DIGITS.test(raw) || !Number.isSafeInteger(n)) throw new TimerPropertyError(`property ${key}=${JSON.stringify(raw)} is not an integer`);
  return n;
}

/**
 * The delivery time (ms) a message's properties ask for, relative to `now` for the delay forms;
 * undefined when none is set. The first present of TIMER_DELIVER_MS, __STARTDELIVERTIME,
 * TIMER_DELAY_SEC, TIMER_DELAY_MS wins (RocketMQ reads TIMER_DELAY_SEC before TIMER_DELIVER_MS;
 * a client sets only one). Throws TimerPropertyError for a value that is not an integer.
 */
export function requestedDeliverTime(properties: string, now: number): number | undefined {
  for (const key of [PropertyKey.TIMER_DELIVER_MS, PropertyKey.START_DELIVER_TIME]) {
    const at = findProperty(properties, key);
    if (at !== undefined) return integerOf(key, at);
  }
  const sec = findProperty(properties, PropertyKey.TIMER_DELAY_SEC);
  if (sec !== undefined) return now + integerOf(PropertyKey.TIMER_DELAY_SEC, sec) * 1000;
  const ms = findProperty(properties, PropertyKey.TIMER_DELAY_MS);
  if (ms !== undefined) return now + integerOf(PropertyKey.TIMER_DELAY_MS, ms);
  return undefined;
}

/** TIMER_OUT_MS of a stored timer record (or a recall marker): its delivery time; NaN when absent or malformed. */
export function timerOutMs(properties: string): number {
  const v = findProperty(properties, PropertyKey.TIMER_OUT_MS);
  return v === undefined ? Number.NaN : Number(v);
}
