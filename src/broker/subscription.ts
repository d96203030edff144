/**
 * How the broker filters what a subscription receives (Java `FilterAPI.buildSubscriptionData`,
 * `ExpressionMessageFilter`):
 * - TAG: `*` (or nothing) takes every message; otherwise `TagA || TagB` takes messages whose
 *   consume-queue tags code is the hash of one of the tags (clients filter again by the string);
 * - SQL92 (`enablePropertyFilter=true` only): an expression over the message's properties,
 *   evaluated on each record a pull reads (../protocol/filter/sql92.ts). The consume queue
 *   cannot pre-filter it, so the tags-code filter is `null` and records are checked after reading.
 */
import { findProperty } from '../protocol/message/properties.js';
import { compileSql92, Sql92SyntaxError, type Sql92Filter } from '../protocol/filter/sql92.js';
import { javaStringHashCode } from '../protocol/message/tags.js';

export const SUB_ALL = '*';

/** The expression cannot be parsed (SUBSCRIPTION_PARSE_FAILED). */
export class SubscriptionParseError extends Error {
  override readonly name = 'SubscriptionParseError';
}

/** The broker does not filter by this kind of expression (RocketMQ answers SYSTEM_ERROR). */
export class SubscriptionNotSupportedError extends Error {
  override readonly name = 'SubscriptionNotSupportedError';
  constructor(readonly expressionType: string) {
    super(`The broker does not support consumer to filter message by ${expressionType}${expressionType === 'SQL92' ? ' (enablePropertyFilter is false)' : ''}`);
  }
}

/** What a pull keeps: consume-queue tags codes (null: all), then records whose properties match `sql`. */
export interface MessageFilter {
  tagCodes: ReadonlySet<number> | null;
  sql?: Sql92Filter;
}

export const ACCEPT_ALL: MessageFilter = { tagCodes: null };

/** Tag codes a subscription accepts; null for all. */
export function tagCodesOf(subscription: string | undefined): ReadonlySet<number> | null {
  if (subscription === undefined) return null;
  const s = subscription.trim();
  if (s === '' || s === SUB_ALL) return null;
  const tags = s
    .split('||')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  if (tags.length === 0) throw new SubscriptionParseError(`subscription ${JSON.stringify(subscription)} names no tag`);
  return new Set(tags.map(javaStringHashCode));
}

/** Compiled SQL92 expressions, by text (consumers of a group pull with the same one again and again). */
const compiled = new Map<string, Sql92Filter>();
const COMPILED_MAX = 1024;

function sqlFilter(expression: string): Sql92Filter {
  let f = compiled.get(expression);
  if (f === undefined) {
    try {
      f = compileSql92(expression);
    } catch (e) {
      if (e instanceof Sql92SyntaxError) throw new SubscriptionParseError(e.message);
      throw e;
    }
    if (compiled.size >= COMPILED_MAX) compiled.clear();
    compiled.set(expression, f);
  }
  return f;
}

/** The filter of a subscription; throws SubscriptionParseError or SubscriptionNotSupportedError. */
export function messageFilterOf(expressionType: string | undefined, subscription: string | undefined, enablePropertyFilter: boolean): MessageFilter {
  const type = expressionType === undefined || expressionType === '' ? 'TAG' : expressionType;
  if (type === 'TAG') return { tagCodes: tagCodesOf(subscription) };
  if (type !== 'SQL92' || !enablePropertyFilter) throw new SubscriptionNotSupportedError(type);
  return { tagCodes: null, sql: sqlFilter(subscription ?? '') };
}

/** Whether a record (its properties string) passes the filter's SQL part. */
export function propertiesMatch(filter: MessageFilter, properties: string): boolean {
  return filter.sql === undefined || filter.sql.matches((name) => findProperty(properties, name));
}
