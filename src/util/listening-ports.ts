/**
 * TCP ports something listens on, on this machine (Linux: /proc/net/tcp and tcp6, state LISTEN).
 * Used to keep a new topology off ports a running cluster (or anything else) already holds.
 */
import { readFileSync } from 'node:fs';

const LISTEN = '0A';

/** Ports with a listening socket (IPv4 or IPv6); empty where /proc/net is not readable. */
export function listeningTcpPorts(files: readonly string[] = ['/proc/net/tcp', '/proc/net/tcp6']): Set<number> {
  const out = new Set<number>();
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      if (cols[3] !== LISTEN || local === undefined) continue;
      const port = parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
      if (Number.isInteger(port) && port > 0) out.add(port);
    }
  }
  return out;
}
