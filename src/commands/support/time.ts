import { InvalidInputError } from '../../errors.js';

/**
 * A point in time from a flag: `now`, epoch milliseconds (digits), or an ISO-8601 date/time
 * (`2026-11-28T17:00:00Z`; without a zone it is local time, as Date reads it). Returns ms.
 */
export function parseTimeFlag(value: string, flag: string, now = Date.now()): number {
  const v = value.trim();
  if (v === 'now') return now;
  if (/^\d+$/.test(v)) {
    const ms = Number(v);
    if (Number.isSafeInteger(ms)) return ms;
  } else if (/^\d{4}-\d{2}-\d{2}/.test(v)) {
    const ms = Date.parse(v);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new InvalidInputError(`${flag}: expected 'now', epoch milliseconds or an ISO-8601 time such as 2026-11-28T17:00:00Z, got '${value}'`);
}
