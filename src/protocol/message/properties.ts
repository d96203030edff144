import { NAME_VALUE_SEPARATOR, PROPERTY_SEPARATOR } from './constants.js';

/** Message properties in the order they were written (order matters for byte-exact re-encoding). */
export type MessageProperties = Map<string, string>;

/**
 * `key 0x01 value 0x02` repeated, with the trailing 0x02 Java and ali-ons both write
 * (`MessageDecoder.messageProperties2String`).
 */
export function encodeProperties(props: ReadonlyMap<string, string>): string {
  let s = '';
  for (const [k, v] of props) s += k + NAME_VALUE_SEPARATOR + v + PROPERTY_SEPARATOR;
  return s;
}

/**
 * Parses a property string as Java's `MessageDecoder.string2messageProperties` does: items are
 * split on 0x02; an item shorter than 3 chars, or without a non-empty key and value around its
 * first 0x01, is skipped (so a trailing separator is harmless). A repeated key keeps its last value.
 */
export function decodeProperties(s: string): MessageProperties {
  const map: MessageProperties = new Map();
  const len = s.length;
  let index = 0;
  while (index < len) {
    let end = s.indexOf(PROPERTY_SEPARATOR, index);
    if (end < 0) end = len;
    if (end - index >= 3) {
      const sep = s.indexOf(NAME_VALUE_SEPARATOR, index);
      if (sep > index && sep < end - 1) map.set(s.slice(index, sep), s.slice(sep + 1, end));
    }
    index = end + 1;
  }
  return map;
}

/**
 * One property's value straight from the encoded string, without building a map (hot path:
 * the store reads TAGS / KEYS / UNIQ_KEY / WAIT of every message). Same rules as decodeProperties;
 * the last occurrence wins.
 */
export function findProperty(s: string, key: string): string | undefined {
  if (key.length === 0) return undefined;
  let found: string | undefined;
  // searched for the key alone and its separator checked after: `key + 0x01` would be a new string per call
  for (let at = s.indexOf(key); at >= 0; at = s.indexOf(key, at + 1)) {
    const valueStart = at + key.length + 1;
    // a match must be a whole key: at 0 or right after a property separator, and followed by 0x01
    if ((at !== 0 && s.charCodeAt(at - 1) !== 2) || s.charCodeAt(valueStart - 1) !== 1) continue;
    let end = s.indexOf(PROPERTY_SEPARATOR, valueStart);
    if (end < 0) end = s.length;
    if (end > valueStart) found = s.slice(valueStart, end);
  }
  return found;
}
