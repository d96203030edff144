import { InvalidInputError, RmqError } from '../../errors.js';
import type { SubscriptionData } from '../../protocol/heartbeat.js';
import { compileSql92, Sql92SyntaxError } from '../../protocol/filter/sql92.js';
import { javaStringHashCode } from '../../protocol/message/tags.js';

/**
 * What a consumer selects from a topic (Java `MessageSelector`): a tag expression (`*`,
 * `TagA || TagB`) or `{ sql }`, a SQL92 expression over message properties that the broker
 * evaluates (it needs `enablePropertyFilter=true`).
 */
export type MessageSelector = string | { sql: string };

/** SubscriptionData for a selector (Java FilterAPI.buildSubscriptionData / build(topic, sql, SQL92)). */
export function subscriptionData(topic: string, selector: MessageSelector): SubscriptionData {
  if (typeof selector !== 'string') {
    try {
      compileSql92(selector.sql); // refused here, with the column, rather than by every broker later
    } catch (e) {
      if (e instanceof Sql92SyntaxError) throw new InvalidInputError(`subscription to ${topic}: ${e.message}`, [`${selector.sql}`, `${' '.repeat(e.column - 1)}^ ${e.detail}`]);
      throw e;
    }
    return { topic, subString: selector.sql, classFilterMode: false, tagsSet: [], codeSet: [], subVersion: Date.now(), expressionType: 'SQL92' };
  }
  const s = selector.trim();
  const all = s === '' || s === '*';
  const tags = all
    ? []
    : s
        .split('||')
        .map((t) => t.trim())
        .filter((t) => t !== '');
  if (!all && tags.length === 0) throw new RmqError(`subscription ${JSON.stringify(selector)} names no tag: use '*' or 'TagA || TagB'`);
  return { topic, subString: all ? '*' : s, classFilterMode: false, tagsSet: tags, codeSet: tags.map(javaStringHashCode), subVersion: Date.now(), expressionType: 'TAG' };
}
