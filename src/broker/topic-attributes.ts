/**
 * Topic attributes of RocketMQ 5 (`CreateTopicRequestHeader.attributes`, Java `AttributeParser`):
 * a modification list `+key=value,-key` applied to the topic's current attributes. This broker
 * knows `message.type` (what kind of message the topic carries); other keys are refused rather
 * than stored and ignored.
 */

const MESSAGE_TYPES = ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION'] as const;

export class TopicAttributeError extends Error {
  override readonly name = 'TopicAttributeError';
}

const KNOWN: Record<string, readonly string[]> = { 'message.type': MESSAGE_TYPES };

/** The attributes after applying `modification` to `current`. Throws TopicAttributeError naming the bad entry. */
export function applyAttributeModification(current: Readonly<Record<string, string>>, modification: string | undefined): Record<string, string> {
  const out: Record<string, string> = { ...current };
  if (modification === undefined || modification.trim() === '') return out;
  const seen = new Set<string>();
  for (const item of modification.split(',')) {
    const kv = item.trim();
    const add = /^\+([\w.]+)=(.+)$/.exec(kv);
    const del = /^-([\w.]+)$/.exec(kv);
    const key = add?.[1] ?? del?.[1];
    if (key === undefined) throw new TopicAttributeError(`attribute ${JSON.stringify(kv)}: expected +key=value or -key`);
    if (seen.has(key)) throw new TopicAttributeError(`attribute ${key} given twice`);
    seen.add(key);
    const allowed = KNOWN[key];
    if (allowed === undefined) throw new TopicAttributeError(`attribute ${key} is not supported (supported: ${Object.keys(KNOWN).join(', ')})`);
    if (add) {
      const value = add[2] as string;
      if (value === 'MIXED') throw new TopicAttributeError('MIXED message type is not supported.');
      if (!allowed.includes(value)) throw new TopicAttributeError(`attribute ${key}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
      out[key] = value;
    } else {
      delete out[key];
    }
  }
  return out;
}
