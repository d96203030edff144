import net from 'node:net';

/** A socket address as a record stores it: 4 (IPv4) or 16 (IPv6) address bytes and a port. */
export interface HostAddress {
  ip: Buffer;
  port: number;
}

function parseIPv4(s: string): Buffer | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = Buffer.alloc(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    out[i] = Number(p);
  }
  return out;
}

function parseIPv6(s: string): Buffer | undefined {
  if (!net.isIPv6(s)) return undefined;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const words: number[] = [];
  let tail = s;
  let v4: Buffer | undefined;
  const lastColon = tail.lastIndexOf(':');
  if (tail.slice(lastColon + 1).includes('.')) {
    v4 = parseIPv4(tail.slice(lastColon + 1));
    if (!v4) return undefined;
    tail = tail.slice(0, lastColon + 1) + '0:0';
  }
  const halves = tail.split('::');
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - rest.length;
  for (const h of head) words.push(parseInt(h, 16));
  for (let i = 0; halves.length > 1 && i < missing; i++) words.push(0);
  for (const h of rest) words.push(parseInt(h, 16));
  if (words.length !== 8) return undefined;
  const out = Buffer.alloc(16);
  words.forEach((w, i) => out.writeUInt16BE(w, i * 2));
  if (v4) v4.copy(out, 12);
  return out;
}

/** Address bytes of an IPv4 or IPv6 literal (IPv4-mapped IPv6 such as ::ffff:1.2.3.4 becomes 4 bytes, as Java's InetAddress does). */
export function ipToBytes(address: string): Buffer {
  const v4 = parseIPv4(address);
  if (v4) return v4;
  const v6 = parseIPv6(address.replace(/^\[|\]$/g, ''));
  if (!v6) throw new RangeError(`not an IP address: ${JSON.stringify(address)}`);
  const mapped = v6.subarray(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff;
  return mapped ? Buffer.from(v6.subarray(12)) : v6;
}

/** A host address that owns its bytes (a decoded record's are views into the bytes it was read from). */
export function copyHost(h: HostAddress): HostAddress {
  return { ip: Buffer.from(h.ip), port: h.port };
}

export function hostAddress(address: string, port: number): HostAddress {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw new RangeError(`not a port: ${port}`);
  return { ip: ipToBytes(address), port };
}

/** `1.2.3.4:10911` or `[2001:db8::1]:10911` */
export function parseHostAddress(s: string): HostAddress {
  const m = /^\[(.+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  if (!m) throw new RangeError(`not a host:port address: ${JSON.stringify(s)}`);
  return hostAddress(m[1]!, Number(m[2]));
}

export function formatIp(ip: Uint8Array): string {
  if (ip.length === 4) return `${ip[0]}.${ip[1]}.${ip[2]}.${ip[3]}`;
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((ip[i]! << 8) | ip[i + 1]!).toString(16));
  // compress the longest run of zero words, as inet_ntop does
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return words.join(':');
  return `${words.slice(0, best).join(':')}::${words.slice(best + bestLen).join(':')}`;
}

export function formatHostAddress(h: HostAddress): string {
  return h.ip.length === 4 ? `${formatIp(h.ip)}:${h.port}` : `[${formatIp(h.ip)}]:${h.port}`;
}
