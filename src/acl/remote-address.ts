/**
 * Remote-address patterns of plain_acl.yml (apache/rocketmq acl `RemoteAddressStrategyFactory`):
 *
 *   `*`, `*.*.*.*`, `*:*:*:*:*:*:*:*`   every address
 *   `192.168.1.10`, `::1`               one address (IPv6 compared in expanded form)
 *   `192.168.1.{10,11,12}`              several values of the last segment
 *   `192.168.1.10,192.168.1.11`         a comma-separated list of addresses
 *   `192.168.1.*`, `192.168.*.*`        any value from a segment on (all later ones must be `*`)
 *   `192.168.1.10-20`, `192.168.10-20.*` a range in one segment (all later ones must be `*`)
 *   empty                               no address
 *
 * IPv6 ranges (`fe80::*`-style) are not supported here: they are refused with a clear message
 * instead of being half-understood.
 */
import net from 'node:net';

export type AddressMatcher = (ip: string) => boolean;

export class AddressPatternError extends Error {}

/** Expands an IPv6 address to 8 groups of 4 lower-case hex digits (`AclUtils.expandIP`). */
export function expandIPv6(ip: string): string {
  let text = ip.toLowerCase();
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

/** The client address as the ACL sees it: IPv4-mapped IPv6 as plain IPv4. */
export function normaliseRemoteIp(ip: string): string {
  const s = ip.replace(/^\[|\]$/g, '');
  return s.startsWith('::ffff:') && net.isIPv4(s.slice(7)) ? s.slice(7) : s;
}

function sameAddress(a: string, b: string): boolean {
  if (net.isIPv4(a) || net.isIPv4(b)) return a === b;
  return net.isIPv6(a) && net.isIPv6(b) && expandIPv6(a) === expandIPv6(b);
}

function octet(s: string, pattern: string): number {
  if (!/^\d{1,3}$/.test(s) || Number(s) > 255) throw new AddressPatternError(`"${pattern}": "${s}" is not a number 0-255`);
  return Number(s);
}

function ipv4Range(pattern: string): AddressMatcher {
  const segs = pattern.split('.');
  if (segs.length !== 4) throw new AddressPatternError(`"${pattern}": expected 4 dot-separated segments`);
  const ranges: [number, number][] = [];
  let open = false;
  for (const seg of segs) {
    const s = seg.trim();
    if (open && s !== '*') throw new AddressPatternError(`"${pattern}": every segment after a * or a range must be *`);
    if (s === '*') {
      ranges.push([0, 255]);
      open = true;
    } else if (s.includes('-')) {
      const [a, b, ...rest] = s.split('-');
      if (rest.length > 0 || a === undefined || b === undefined) throw new AddressPatternError(`"${pattern}": bad range "${s}"`);
      const lo = octet(a, pattern);
      const hi = octet(b, pattern);
      if (lo > hi) throw new AddressPatternError(`"${pattern}": range ${s} is empty`);
      ranges.push([lo, hi]);
      open = true;
    } else {
      const v = octet(s, pattern);
      ranges.push([v, v]);
    }
  }
  if (ranges[0]?.[0] === 0 && ranges[0][1] === 255 && segs[0]?.trim() === '*') {
    // `*.x.y.z` is not a RocketMQ form (the first segment is always literal)
    throw new AddressPatternError(`"${pattern}": the first segment must be a number (use * alone for every address)`);
  }
  return (ip) => {
    if (!net.isIPv4(ip)) return false;
    const o = ip.split('.').map(Number);
    return ranges.every(([lo, hi], i) => o[i]! >= lo && o[i]! <= hi);
  };
}

function literal(addr: string, pattern: string): string {
  const a = addr.trim();
  if (!net.isIPv4(a) && !net.isIPv6(a)) throw new AddressPatternError(`"${pattern}": "${a}" is not an IPv4 or IPv6 address`);
  return a;
}

/** Compiles one pattern; throws AddressPatternError saying what is wrong with it. */
export function compileAddressPattern(pattern: string): AddressMatcher {
  const p = pattern.trim();
  if (p === '') return () => false;
  if (p === '*' || p === '*.*.*.*' || p === '*:*:*:*:*:*:*:*') return () => true;
  if (p.endsWith('}')) {
    const open = p.lastIndexOf('{');
    const sep = p.includes(':') ? ':' : '.';
    if (open < 1 || p[open - 1] !== sep) throw new AddressPatternError(`"${pattern}": {a,b,…} must be the whole last segment`);
    const head = p.slice(0, open);
    const addrs = p.slice(open + 1, -1).split(',').map((v) => literal(head + v.trim(), pattern));
    return (ip) => addrs.some((a) => sameAddress(a, ip));
  }
  if (p.includes(',')) {
    const addrs = p.split(',').map((a) => literal(a, pattern));
    return (ip) => addrs.some((a) => sameAddress(a, ip));
  }
  if (p.includes('*') || p.includes('-')) {
    if (p.includes(':')) throw new AddressPatternError(`"${pattern}": IPv6 ranges are not supported (list the addresses, or use {a,b})`);
    return ipv4Range(p);
  }
  const one = literal(p, pattern);
  return (ip) => sameAddress(one, ip);
}
