/**
 * OpenSSH known_hosts, sans-IO: parse the text, find the entries for a host, judge a presented host
 * key, format a new entry. Follows sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT": comma-separated host
 * patterns (`*`, `?`, `!negation`), `[host]:port` for ports other than 22, hashed names
 * (`|1|base64(salt)|base64(HMAC-SHA1(salt, name))`), and the `@revoked` / `@cert-authority` markers.
 */
import { createHash, createHmac } from 'node:crypto';

export interface KnownHostEntry {
  /** 1-based line in the file, for messages. */
  line: number;
  marker: 'revoked' | 'cert-authority' | undefined;
  patterns: string;
  keyType: string;
  /** The key blob (SSH wire format), decoded from base64. */
  key: Buffer;
}

export type HostKeyVerdict =
  | { kind: 'match'; entry: KnownHostEntry }
  | { kind: 'unknown'; knownTypes: string[] }
  | { kind: 'changed'; known: KnownHostEntry[] }
  | { kind: 'revoked'; entry: KnownHostEntry };

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] ?? '').trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const fields = raw.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked') marker = 'revoked';
    else if (fields[0] === '@cert-authority') marker = 'cert-authority';
    if (fields[0]?.startsWith('@')) fields.shift();
    const [patterns, keyType, b64] = fields;
    // A line we cannot read is skipped, as ssh does (it warns and goes on).
    if (!patterns || !keyType || !b64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) continue;
    out.push({ line: i + 1, marker, patterns, keyType, key: Buffer.from(b64, 'base64') });
  }
  return out;
}

/** The name ssh looks up: `host` on port 22, `[host]:port` otherwise. */
export function hostKeyName(host: string, port = 22): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

function hashedMatches(pattern: string, name: string): boolean {
  const [, magic, salt, hash] = pattern.split('|');
  if (magic !== '1' || !salt || !hash) return false;
  const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return mac === hash;
}

/** Whether a line's host-pattern list matches the looked-up name (a negated match excludes the line). */
export function patternsMatch(patterns: string, name: string): boolean {
  if (patterns.startsWith('|')) return hashedMatches(patterns, name);
  let matched = false;
  for (const p of patterns.split(',')) {
    if (p.startsWith('!')) {
      if (globToRegExp(p.slice(1)).test(name)) return false;
    } else if (globToRegExp(p).test(name)) {
      matched = true;
    }
  }
  return matched;
}

/** The key type written inside a key blob (its first SSH string), e.g. `ssh-ed25519`. */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** OpenSSH's fingerprint form: `SHA256:` + unpadded base64 of the key blob's SHA-256. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Judges the key a host presented against the known entries for that host name. */
export function verifyHostKey(entries: readonly KnownHostEntry[], host: string, port: number, presented: Buffer): HostKeyVerdict {
  const name = hostKeyName(host, port);
  const forHost = entries.filter((e) => e.marker !== 'cert-authority' && patternsMatch(e.patterns, name));
  const revoked = forHost.find((e) => e.marker === 'revoked' && e.key.equals(presented));
  if (revoked) return { kind: 'revoked', entry: revoked };
  const plain = forHost.filter((e) => e.marker === undefined);
  const match = plain.find((e) => e.key.equals(presented));
  if (match) return { kind: 'match', entry: match };
  const type = keyTypeOf(presented);
  const sameType = plain.filter((e) => keyTypeOf(e.key) === type);
  if (sameType.length > 0) return { kind: 'changed', known: sameType };
  // Known under other key types only. OpenSSH would ask; we refuse like a changed key, because
  // offering a new key type is exactly what an impostor without the real key would do.
  if (plain.length > 0) return { kind: 'changed', known: plain };
  return { kind: 'unknown', knownTypes: [] };
}

/** Key types known for a host, to prefer those in the host-key algorithm negotiation (as ssh does). */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const name = hostKeyName(host, port);
  return [...new Set(entries.filter((e) => e.marker === undefined && patternsMatch(e.patterns, name)).map((e) => keyTypeOf(e.key)))];
}

/** One known_hosts line for a newly accepted key. */
export function formatKnownHost(host: string, port: number, blob: Buffer): string {
  return `${hostKeyName(host, port)} ${keyTypeOf(blob)} ${blob.toString('base64')}`;
}
