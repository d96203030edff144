/**
 * Where rmqctl finds the ACL credentials it signs requests with — never a command-line flag (a
 * flag value shows in every process list):
 *   1. RMQCTL_ACCESS_KEY + RMQCTL_SECRET_KEY from the environment (both or neither);
 *   2. the profile file `$XDG_CONFIG_HOME/rmqctl/credentials` (default `~/.config/rmqctl/credentials`,
 *      or RMQCTL_CREDENTIALS_FILE), section `[default]` or the one RMQCTL_PROFILE names:
 *
 *        [default]
 *        accessKey = rmq-admin
 *        secretKey = …
 *
 *      Like ssh with a private key, the file is refused when group or others may read or write
 *      it, or when it belongs to another user.
 *   3. otherwise nothing: requests go out unsigned.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidInputError } from '../errors.js';
import type { Credentials } from '../protocol/acl-signature.js';

export interface CredentialsLookup {
  env?: NodeJS.ProcessEnv;
  home?: string;
  /** Test hook: the uid the file must belong to (default: this process's). */
  uid?: number;
}

export interface FoundCredentials {
  credentials: Credentials;
  /** Where they came from, for messages (never the secret). */
  source: string;
}

export function credentialsFile(env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  if (env.RMQCTL_CREDENTIALS_FILE) return env.RMQCTL_CREDENTIALS_FILE;
  const config = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config');
  return path.join(config, 'rmqctl', 'credentials');
}

/** The credentials to use, or undefined when none are configured. Throws InvalidInputError on a misconfiguration. */
export function findCredentials(lookup: CredentialsLookup = {}): FoundCredentials | undefined {
  const env = lookup.env ?? process.env;
  const ak = env.RMQCTL_ACCESS_KEY;
  const sk = env.RMQCTL_SECRET_KEY;
  if (ak !== undefined || sk !== undefined) {
    if (!ak || !sk) throw new InvalidInputError(`set both RMQCTL_ACCESS_KEY and RMQCTL_SECRET_KEY, or neither (${ak ? 'RMQCTL_SECRET_KEY' : 'RMQCTL_ACCESS_KEY'} is empty or unset)`);
    return { credentials: { accessKey: ak, secretKey: sk }, source: 'environment (RMQCTL_ACCESS_KEY)' };
  }
  const file = credentialsFile(env, lookup.home);
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InvalidInputError(`cannot read credentials file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const uid = lookup.uid ?? process.getuid?.();
  if ((st.mode & 0o077) !== 0) {
    throw new InvalidInputError(`permissions ${(st.mode & 0o777).toString(8).padStart(4, '0')} for credentials file ${file} are too open: it must not be accessible by others (chmod 600 ${file})`);
  }
  if (uid !== undefined && st.uid !== uid) throw new InvalidInputError(`credentials file ${file} belongs to uid ${st.uid}, not to you (uid ${uid})`);
  const profile = env.RMQCTL_PROFILE || 'default';
  return { credentials: parseProfile(fs.readFileSync(file, 'utf8'), file, profile), source: `${file} [${profile}]` };
}

/** Reads `[profile]` of an INI-style credentials file; problems name file:line (never a value). */
export function parseProfile(text: string, file: string, profile: string): Credentials {
  let section: string | undefined;
  const found: Partial<Record<'accessKey' | 'secretKey', string>> = {};
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const sec = /^\[([^\]]+)\]$/.exec(line);
    if (sec) {
      section = sec[1]!.trim();
      return;
    }
    const kv = /^([A-Za-z_]+)\s*[=:]\s*(.*)$/.exec(line);
    if (!kv) return void problems.push(`${file}:${i + 1}  expected "key = value" or "[profile]"`);
    if (section !== profile) return;
    const key = kv[1]!;
    if (key !== 'accessKey' && key !== 'secretKey') return void problems.push(`${file}:${i + 1}  unknown key ${key} (expected accessKey or secretKey)`);
    found[key] = kv[2]!.trim();
  });
  if (found.accessKey === undefined || found.secretKey === undefined || found.accessKey === '' || found.secretKey === '') {
    problems.push(`${file}  profile [${profile}] needs accessKey and secretKey`);
  }
  if (problems.length > 0) throw new InvalidInputError(`credentials file ${file} cannot be used`, problems);
  return { accessKey: found.accessKey!, secretKey: found.secretKey! };
}
