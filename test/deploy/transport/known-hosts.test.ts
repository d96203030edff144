import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprint, formatKnownHost, hostKeyName, keyTypeOf, parseKnownHosts, patternsMatch, verifyHostKey } from '../../../src/deploy/transport/known-hosts.js';
import { tmpDir } from '../../support/tmp.js';

// Expected values come from OpenSSH's own ssh-keygen (the reference implementation), run here.
function keypair(dir: string, type: 'ed25519' | 'ecdsa' | 'rsa', name: string): { line: string; blob: Buffer; file: string } {
  const file = path.join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', '', '-C', name, '-f', file]);
  const line = readFileSync(`${file}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  return { line, blob: Buffer.from(line.split(' ')[1]!, 'base64'), file };
}

describe('known_hosts', () => {
  it('fingerprints and key types agree with ssh-keygen -l for several key types', () => {
    const dir = tmpDir();
    for (const type of ['ed25519', 'ecdsa', 'rsa'] as const) {
      const k = keypair(dir, type, `k-${type}`);
      const expected = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${k.file}.pub`], { encoding: 'utf8' }).split(' ')[1];
      expect(fingerprint(k.blob)).toBe(expected);
      expect(keyTypeOf(k.blob)).toBe(k.line.split(' ')[0]);
    }
  });

  it('matches plain, [host]:port and hashed (ssh-keygen -H) entries like ssh-keygen -F does', () => {
    const dir = tmpDir();
    const a = keypair(dir, 'ed25519', 'a');
    const b = keypair(dir, 'ecdsa', 'b');
    const c = keypair(dir, 'rsa', 'c');
    const file = path.join(dir, 'known_hosts');
    writeFileSync(file, [`# comment`, `10.0.0.1 ${a.line}`, `[10.0.0.2]:2222 ${b.line}`, `db.example.com,10.0.0.3 ${c.line}`, ''].join('\n'));
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file]); // hashes every host name in place
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^\|1\|/m);
    const entries = parseKnownHosts(text);
    for (const [host, port, key] of [['10.0.0.1', 22, a], ['10.0.0.2', 2222, b], ['db.example.com', 22, c], ['10.0.0.3', 22, c]] as const) {
      // the reference finds it ...
      expect(execFileSync('ssh-keygen', ['-F', hostKeyName(host, port), '-f', file], { encoding: 'utf8' })).toContain(key.line.split(' ')[1]);
      // ... and so do we
      expect(verifyHostKey(entries, host, port, key.blob).kind).toBe('match');
    }
    // the port is part of the name: 10.0.0.2 on port 22 is not known
    expect(verifyHostKey(entries, '10.0.0.2', 22, b.blob).kind).toBe('unknown');
  });

  it('a different key of the same type is a changed key, naming the line', () => {
    const dir = tmpDir();
    const known = keypair(dir, 'ed25519', 'known');
    const other = keypair(dir, 'ed25519', 'other');
    const v = verifyHostKey(parseKnownHosts(`h1 ${known.line}\n`), 'h1', 22, other.blob);
    expect(v).toMatchObject({ kind: 'changed', known: [{ line: 1 }] });
  });

  it('known only under another key type is refused as changed, not accepted as new', () => {
    const dir = tmpDir();
    const rsa = keypair(dir, 'rsa', 'rsa');
    const ed = keypair(dir, 'ed25519', 'ed');
    expect(verifyHostKey(parseKnownHosts(`h1 ${rsa.line}\n`), 'h1', 22, ed.blob).kind).toBe('changed');
  });

  it('several key types for one host: each matches its own', () => {
    const dir = tmpDir();
    const rsa = keypair(dir, 'rsa', 'rsa');
    const ed = keypair(dir, 'ed25519', 'ed');
    const entries = parseKnownHosts(`h1 ${rsa.line}\nh1 ${ed.line}\n`);
    expect(verifyHostKey(entries, 'h1', 22, ed.blob).kind).toBe('match');
    expect(verifyHostKey(entries, 'h1', 22, rsa.blob).kind).toBe('match');
  });

  it('wildcards, negation, and @revoked', () => {
    expect(patternsMatch('*.example.com,!bad.example.com', 'good.example.com')).toBe(true);
    expect(patternsMatch('*.example.com,!bad.example.com', 'bad.example.com')).toBe(false);
    expect(patternsMatch('10.77.0.?', '10.77.0.5')).toBe(true);
    expect(patternsMatch('10.77.0.?', '10.77.0.15')).toBe(false);
    expect(patternsMatch('[10.77.0.*]:2222', '[10.77.0.12]:2222')).toBe(true);
    const dir = tmpDir();
    const k = keypair(dir, 'ed25519', 'k');
    const v = verifyHostKey(parseKnownHosts(`h1 ${k.line}\n@revoked * ${k.line}\n`), 'h1', 22, k.blob);
    expect(v.kind).toBe('revoked');
  });

  it('a recorded entry is read back by ssh-keygen -F', () => {
    const dir = tmpDir();
    const k = keypair(dir, 'ed25519', 'k');
    const file = path.join(dir, 'kh');
    writeFileSync(file, `${formatKnownHost('10.9.9.9', 2200, k.blob)}\n`);
    expect(execFileSync('ssh-keygen', ['-F', '[10.9.9.9]:2200', '-f', file], { encoding: 'utf8' })).toContain(k.line);
  });
});
