/**
 * rmqctl's profile file: `$XDG_CONFIG_HOME/rmqctl/credentials` (default
 * `~/.config/rmqctl/credentials`, or RMQCTL_CREDENTIALS_FILE), section `[default]` or the one
 * RMQCTL_PROFILE names. INI-style:
 *
 *   [prod]
 *   # ACL credentials (both or neither)
 *   accessKey = rmq-admin
 *   secretKey = …
 *   # off | on | require; then the CA, and a client certificate with its key (both or neither)
 *   tls = require
 *   tlsCa = ~/.config/rmqctl/prod-ca.pem
 *   tlsCert = /etc/rmqctl/client.pem
 *   tlsKey = /etc/rmqctl/client.key
 *
 * Comments are whole lines; a value runs to the end of its line (a secret may hold `#`).
 * Like ssh with a private key, the file is refused when group or others may read or write it, or
 * when it belongs to another user. Paths are absolute or `~/…`. Problems name file:line and never
 * show a value that may be secret.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidInputError } from '../errors.js';
import { openToOthers } from '../util/file-mode.js';
import { expandHome } from '../util/home.js';

export const PROFILE_KEYS = ['accessKey', 'secretKey', 'tls', 'tlsCa', 'tlsCert', 'tlsKey'] as const;
export type ProfileKey = (typeof PROFILE_KEYS)[number];

export const TLS_MODES = ['off', 'on', 'require'] as const;
export type TlsMode = (typeof TLS_MODES)[number];

const PATH_KEYS: ReadonlySet<ProfileKey> = new Set(['tlsCa', 'tlsCert', 'tlsKey']);

export interface ProfileSetting {
  /** As written, except `tls` lower-cased and paths with `~/` expanded. */
  value: string;
  line: number;
}

export interface Profile {
  file: string;
  name: string;
  settings: Partial<Record<ProfileKey, ProfileSetting>>;
}

export interface ProfileLookup {
  env?: NodeJS.ProcessEnv;
  home?: string;
  /** Test hook: the uid the file must belong to (default: this process's). */
  uid?: number;
}

export function profileFile(env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  if (env.RMQCTL_CREDENTIALS_FILE) return env.RMQCTL_CREDENTIALS_FILE;
  const config = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config');
  return path.join(config, 'rmqctl', 'credentials');
}

/** Where a setting came from, for messages: `tlsCa ([prod] /root/.config/rmqctl/credentials:4)`. */
export function settingLabel(p: Profile, key: ProfileKey): string {
  const s = p.settings[key];
  return `${key} ([${p.name}] ${p.file}${s ? `:${s.line}` : ''})`;
}

/** The selected profile, or undefined when there is no file. Throws InvalidInputError on a misconfiguration. */
export function loadProfile(lookup: ProfileLookup = {}): Profile | undefined {
  const env = lookup.env ?? process.env;
  const home = lookup.home ?? os.homedir();
  const file = profileFile(env, home);
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InvalidInputError(`cannot read credentials file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const uid = lookup.uid ?? process.getuid?.();
  const open = openToOthers(st.mode);
  if (open !== undefined) {
    throw new InvalidInputError(`permissions ${open} for credentials file ${file} are too open: it must not be accessible by others (chmod 600 ${file})`);
  }
  if (uid !== undefined && st.uid !== uid) throw new InvalidInputError(`credentials file ${file} belongs to uid ${st.uid}, not to you (uid ${uid})`);
  return parseProfile(fs.readFileSync(file, 'utf8'), file, env.RMQCTL_PROFILE || 'default', home);
}

/** Reads `[name]` of the file's text; every problem names file:line (never a value that may be secret). */
export function parseProfile(text: string, file: string, name: string, home = os.homedir()): Profile {
  let section: string | undefined;
  const sections: string[] = [];
  const settings: Profile['settings'] = {};
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    const at = `${file}:${i + 1}`;
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const sec = /^\[([^\]]+)\]$/.exec(line);
    if (sec) {
      section = sec[1]!.trim();
      sections.push(section);
      return;
    }
    const kv = /^([A-Za-z_]+)\s*[=:]\s*(.*)$/.exec(line);
    if (!kv) return void problems.push(`${at}  expected "key = value" or "[profile]"`);
    if (section !== name) return;
    const key = kv[1]!;
    if (!(PROFILE_KEYS as readonly string[]).includes(key)) return void problems.push(`${at}  unknown key ${key} (expected one of ${PROFILE_KEYS.join(', ')})`);
    const k = key as ProfileKey;
    const first = settings[k];
    if (first) return void problems.push(`${at}  ${k} is set twice in [${name}] (first on line ${first.line})`);
    let value = kv[2]!.trim();
    if (value === '') return void problems.push(`${at}  ${k} is empty`);
    if (k === 'tls') {
      value = value.toLowerCase();
      if (!(TLS_MODES as readonly string[]).includes(value)) return void problems.push(`${at}  tls = ${kv[2]!.trim()}: expected ${TLS_MODES.join(', ')}`);
    }
    if (PATH_KEYS.has(k)) {
      value = expandHome(value, home);
      if (!path.isAbsolute(value)) return void problems.push(`${at}  ${k} must be an absolute path or start with ~/ (a relative path would depend on where rmqctl runs)`);
    }
    settings[k] = { value, line: i + 1 };
  });
  if (!sections.includes(name)) {
    problems.push(`${file}  no profile [${name}]${sections.length > 0 ? ` (the file has ${sections.map((s) => `[${s}]`).join(', ')})` : ''}`);
  }
  const pair = (a: ProfileKey, b: ProfileKey) => {
    if ((settings[a] === undefined) !== (settings[b] === undefined)) {
      problems.push(`${file}:${(settings[a] ?? settings[b])!.line}  profile [${name}] has ${settings[a] ? a : b} without ${settings[a] ? b : a} (both or neither)`);
    }
  };
  pair('accessKey', 'secretKey');
  pair('tlsCert', 'tlsKey');
  if (problems.length > 0) throw new InvalidInputError(`credentials file ${file} cannot be used`, problems);
  return { file, name, settings };
}
