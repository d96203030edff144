/**
 * Tag subscriptions (Java `FilterAPI.buildSubscriptionData`): `*` (or nothing) takes every
 * message; otherwise `TagA || TagB` takes messages whose consume-queue tags code is the hash of
 * one of the tags. The broker filters by code; clients filter again by the tag string.
 */
import { javaStringHashCode } from '../protocol/message/tags.js';

export const SUB_ALL = '*';

export class SubscriptionParseError extends Error {
  override readonly name = 'SubscriptionParseError';
}

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
