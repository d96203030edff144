/**
 * IPv6 address text and RocketMQ's IPv6 range patterns (acl `RangeRemoteAddressStrategy` with
 * `AclUtils.IPv6AddressCheck` / `v6ipProcess` / `expandIP`):
 *
 *   `fe80::*`                  the last group any value (`::` fills the prefix to 7 groups)
 *   `fe80::1-ff`               the last group in a hex range
 *   `fe80::1:10-1f:*`          a range in the 7th group, the 8th any (prefix filled to 6 groups)
 *   `2001:db8:*`               no `::`: the groups given are a prefix, every later group is free
 *   `2001:db8:0-ff:*:*`        more trailing `*` groups (RocketMQ takes one; the meaning is the same
 *                              as for IPv4's `10.1.*.*`: the range group, then any values)
 *   `::*`, `::1-ff`            a prefix that is all `::` (RocketMQ reads no group and fails at the
 *                              first match; here it means what it says: 0:0:0:0:0:0:0:x)
 *
 * Sans-IO and throw-free: a pattern parses to a range or to the reason it is not one.
 */

/** Expands an IPv6 address to 8 groups of 4 lower-case hex digits (`AclUtils.expandIP`). */
export function expandIPv6(ip: string): string {
  let text = ip.toLowerCase().replace(/%.*$/, ''); // a zone (fe80::1%eth0) is not part of the address
  // an IPv4 tail (::ffff:1.2.3.4) as two hex groups
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1] !== undefined) {
    const o = v4[1].split('.').map(Number);
    text = text.slice(0, -v4[1].length) + `${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head === '' || head === undefined ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => g.padStart(4, '0')).join(':');
}

/** The 8 groups of a valid IPv6 address as numbers. */
export function ipv6Groups(ip: string): number[] {
  return expandIPv6(ip).split(':').map((g) => parseInt(g, 16));
}

/** Addresses whose first `prefix.length` groups equal `prefix` and whose next group is in [lo, hi]. */
export interface IPv6Range {
  readonly prefix: readonly number[];
  readonly lo: number;
  readonly hi: number;
}

export type IPv6RangeParse = { ok: true; range: IPv6Range } | { ok: false; problem: string };

const HEX_GROUP = /^[0-9a-f]{1,4}$/i;

function hexGroups(text: string): number[] | string {
  if (text === '') return [];
  const groups = text.split(':');
  const bad = groups.find((g) => !HEX_GROUP.test(g));
  return bad === undefined ? groups.map((g) => parseInt(g, 16)) : bad;
}

/** The range group: `*` or `a-b` with 1-4 hex digits each side. */
function rangeGroup(token: string): { lo: number; hi: number } | string {
  if (token === '*') return { lo: 0, hi: 0xffff };
  const m = /^([0-9a-f]{1,4})-([0-9a-f]{1,4})$/i.exec(token);
  if (!m) return `"${token}" is not a hex range a-b (1-4 hex digits each side)`;
  const lo = parseInt(m[1]!, 16);
  const hi = parseInt(m[2]!, 16);
  return lo <= hi ? { lo, hi } : `range ${token} is empty`;
}

/**
 * Reads an IPv6 range pattern (one with `*` or `-`). `::` in the prefix stands for enough zero
 * groups to make 8 groups in all; without `::` the groups given are a prefix.
 */
export function parseIPv6Range(pattern: string): IPv6RangeParse {
  const fail = (why: string): IPv6RangeParse => ({ ok: false, problem: `"${pattern}": ${why}` });
  const LAST_GROUPS = '* and a-b may only stand in the last groups (every group after a * or a range must be *)';
  if (pattern.includes(':::')) return fail('":::" is not IPv6 (at most "::")');
  const first = pattern.slice(0, pattern.indexOf(':'));
  if (first.includes('*') || first.includes('-')) return fail('the first group must be hex (use * alone, or *:*:*:*:*:*:*:*, for every address)');
  // split off the trailing `*` groups, then the range group before them
  let rest = pattern;
  let stars = 0;
  while (rest.endsWith(':*') && !rest.endsWith('::*')) {
    rest = rest.slice(0, -2);
    stars++;
  }
  if (rest.endsWith('::*')) {
    rest = rest.slice(0, -1);
    stars++;
  }
  // `…:a-b` (the range group) or, with only `*` at the end, the first trailing `*` is the range group
  const lastColon = rest.lastIndexOf(':');
  let token = rest.slice(lastColon + 1);
  let prefixText = rest.slice(0, lastColon);
  if (token === '' || !token.includes('-')) {
    if (stars === 0) return fail(LAST_GROUPS);
    token = '*';
    stars--;
    prefixText = rest.endsWith(':') ? rest.slice(0, -1) : rest;
  }
  if (prefixText.endsWith(':') && !prefixText.endsWith('::')) prefixText += ':';
  if (prefixText.includes('*') || prefixText.includes('-')) {
    return fail(LAST_GROUPS);
  }
  const range = rangeGroup(token);
  if (typeof range === 'string') return fail(range);
  const total = 8 - 1 - stars; // groups the prefix must fill when it has `::`
  let prefix: number[];
  const halves = prefixText.split('::');
  if (halves.length > 2) return fail('"::" may appear only once');
  if (halves.length === 2) {
    const left = hexGroups(halves[0]!);
    const right = hexGroups(halves[1]!);
    if (typeof left === 'string' || typeof right === 'string') return fail(`"${typeof left === 'string' ? left : right}" is not a hex group (1-4 hex digits)`);
    const zeros = total - left.length - right.length;
    if (zeros < 1) return fail(`too many groups: the prefix with "::" and the range and * groups make more than 8`);
    prefix = [...left, ...Array<number>(zeros).fill(0), ...right];
  } else {
    const groups = hexGroups(prefixText);
    if (typeof groups === 'string') return fail(`"${groups}" is not a hex group (1-4 hex digits)`);
    if (groups.length === 0) return fail('the first group must be hex (use * alone, or *:*:*:*:*:*:*:*, for every address)');
    if (groups.length > total) return fail('too many groups: an IPv6 address has 8');
    prefix = groups;
  }
  return { ok: true, range: { prefix, lo: range.lo, hi: range.hi } };
}

/** Whether the groups of an address fall in the range. */
export function inIPv6Range(range: IPv6Range, groups: readonly number[]): boolean {
  const g = groups[range.prefix.length];
  return g !== undefined && g >= range.lo && g <= range.hi && range.prefix.every((v, i) => groups[i] === v);
}
