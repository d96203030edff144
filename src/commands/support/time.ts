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

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration from a flag: one or more `<number><unit>` parts, units ms, s, m, h, d (`90s`,
 * `1m30s`, `1.5h`, `500ms`). A bare number is refused: the unit must be said. Returns ms (> 0).
 */
export function parseDurationFlag(value: string, flag: string): number {
  const v = value.trim();
  const parts = [...v.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (v === '' || parts.map((p) => p[0]).join('') !== v) {
    throw new InvalidInputError(`${flag}: expected a duration such as 90s, 1m30s, 2h or 500ms (units ms, s, m, h, d), got '${value}'`);
  }
  const ms = Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * (DURATION_UNITS[p[2] as string] as number), 0));
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new InvalidInputError(`${flag}: the duration must be longer than 0, got '${value}'`);
  return ms;
}
