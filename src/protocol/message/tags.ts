/** Java's `String.hashCode()` over UTF-16 code units: s[0]*31^(n-1) + … + s[n-1], as an int32. */
export function javaStringHashCode(s: string): number {
  return javaStringHashCodeFrom(0, s);
}

/**
 * The Java hash of `prefix + s` from the hash of `prefix`, without building that string. (Its own
 * function, not an optional argument of javaStringHashCode: that one is passed to `Array.map`.)
 */
export function javaStringHashCodeFrom(prefixHash: number, s: string): number {
  let h = prefixHash;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * The consume-queue tags code of a message (`MessageExtBrokerInner.tagsString2tagsCode`): the hash
 * of its TAGS value, 0 when it has none. ali-ons sends the literal tag "null" for tagless messages,
 * which hashes like any other tag.
 */
export function tagsCode(tags: string | undefined): number {
  return tags === undefined || tags === '' ? 0 : javaStringHashCode(tags);
}
