/**
 * Remote-address patterns of plain_acl.yml (apache/rocketmq acl `RemoteAddressStrategyFactory`):
 *
 *   `*`, `*.*.*.*`, `*:*:*:*:*:*:*:*`   every address
 *   `192.168.1.10`, `::1`               one address (IPv6 compared in expanded form)
 *   `192.168.1.{10,11,12}`              several values of the last segment
 *   `192.168.1.10,192.168.1.11`         a comma-separated list of addresses
 *   `192.168.1.*`, `192.168.*.*`        any value from a segment on (all later ones must be `*`)
 *   `192.168.1.10-20`, `192.168.10-20.*` a range in one segment (all later ones must be `*`)
 *   `fe80::*`, `fe80::1-ff`, `fd00::1:0-ff:*`, `2001:db8:*`  IPv6 ranges (see ./ipv6.ts)
 *   empty                               no address
 */
import net from 'node:net';
import { expandIPv6, inIPv6Range, ipv6Groups, parseIPv6Range } from './ipv6.js';

export type AddressMatcher = (ip: string) => boolean;

export class AddressPatternError extends Error {}

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

function ipv6Range(pattern: string): AddressMatcher {
  const parsed = parseIPv6Range(pattern);
  if (!parsed.ok) throw new AddressPatternError(parsed.problem);
  const { range } = parsed;
  return (ip) => net.isIPv6(ip) && inIPv6Range(range, ipv6Groups(ip));
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
    return p.includes(':') ? ipv6Range(p) : ipv4Range(p);
  }
  const one = literal(p, pattern);
  return (ip) => sameAddress(one, ip);
}
