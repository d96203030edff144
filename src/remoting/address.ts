/**
 * `host:port` addresses as RocketMQ writes them (brokerAddr, namesrvAddr entries). IPv6 hosts
 * are written in brackets: `[::1]:9876`.
 */
import { InvalidInputError } from '../errors.js';

export interface HostPort {
  host: string;
  port: number;
}

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;

/** Parses `host:port`; throws InvalidInputError saying what is wrong. */
export function parseHostPort(addr: string): HostPort {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(addr) ?? /^([^:[\]]+):(\d+)$/.exec(addr);
  if (!m) throw new InvalidInputError(`invalid address "${addr}": expected host:port (IPv6 as [addr]:port)`);
  const host = m[1] as string;
  const port = Number(m[2]);
  if (!(port >= 1 && port <= 65535)) throw new InvalidInputError(`invalid address "${addr}": port must be 1-65535`);
  const bracketed = addr.startsWith('[');
  if (bracketed ? !IPV6.test(host) || !host.includes(':') : !HOST.test(host)) {
    throw new InvalidInputError(`invalid address "${addr}": "${host}" is not a host name or IP address`);
  }
  return { host, port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * A NameServer list as RocketMQ writes it (`namesrvAddr`, NAMESRV_ADDR, `--namesrv`):
 * `a:9876;b:9876`. Empty entries are ignored; every entry must be a valid address; duplicates drop.
 */
export function parseAddressList(list: string, what = 'NameServer address list'): string[] {
  const entries = list
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (entries.length === 0) throw new InvalidInputError(`empty ${what}: expected host:port[;host:port...]`);
  const problems: string[] = [];
  const out: string[] = [];
  for (const e of entries) {
    try {
      const addr = formatHostPort(parseHostPort(e));
      if (!out.includes(addr)) out.push(addr);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (problems.length > 0) throw new InvalidInputError(`invalid ${what} "${list}"`, problems);
  return out;
}
