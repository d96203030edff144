import { RmqError } from '../../errors.js';
import type { SubscriptionData } from '../../protocol/heartbeat.js';
import { javaStringHashCode } from '../../protocol/message/tags.js';

/** SubscriptionData for a tag expression (Java FilterAPI.buildSubscriptionData). */
export function subscriptionData(topic: string, expression: string): SubscriptionData {
  const s = expression.trim();
  const all = s === '' || s === '*';
  const tags = all
    ? []
    : s
        .split('||')
        .map((t) => t.trim())
        .filter((t) => t !== '');
  if (!all && tags.length === 0) throw new RmqError(`subscription ${JSON.stringify(expression)} names no tag: use '*' or 'TagA || TagB'`);
  return { topic, subString: all ? '*' : s, classFilterMode: false, tagsSet: tags, codeSet: tags.map(javaStringHashCode), subVersion: Date.now(), expressionType: 'TAG' };
}
