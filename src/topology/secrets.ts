/**
 * Resolves a topology's secret references (`{ env: NAME }` from the environment of whoever runs
 * rmqctl, `{ file: path }` from this machine): the `acl:` section here, TLS keys in tls-files.ts —
 * only when files are
 * rendered (plan, render, deploy), never stored in the model. A secret file is refused when group
 * or others may read it, as ssh refuses a private key.
 */
import fs from 'node:fs';
import { InvalidInputError } from '../errors.js';
import { openToOthers } from '../util/file-mode.js';
import { expandHome } from '../util/home.js';
import type { AclSection, SecretRef } from './schema.js';

/** accessKey → secret value, as resolved from the references. */
export type ResolvedSecrets = ReadonlyMap<string, string>;

export interface SecretEnvironment {
  env?: NodeJS.ProcessEnv;
  home?: string;
}

const PRINTABLE = /^[\x21-\x7e]{6,}$/;

/** The text a secret reference points at, or a problem naming `field` (never the value). */
export function readSecretRef(ref: SecretRef, field: string, what: string, where: SecretEnvironment = {}): { value: string; source: string } | { problem: string } {
  const env = where.env ?? process.env;
  if ('env' in ref) {
    const value = env[ref.env];
    if (value === undefined || value === '') return { problem: `${field}: environment variable ${ref.env} is not set (it holds ${what})` };
    return { value, source: `environment variable ${ref.env}` };
  }
  const file = expandHome(ref.file, where.home);
  try {
    const st = fs.statSync(file);
    const open = openToOthers(st.mode);
    if (open !== undefined) return { problem: `${field}: permissions ${open} for ${file} are too open (expected chmod 600)` };
    return { value: fs.readFileSync(file, 'utf8'), source: file };
  } catch (e) {
    return { problem: `${field}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
}

export function resolveAclSecrets(acl: AclSection, where: SecretEnvironment = {}): ResolvedSecrets {
  const problems: string[] = [];
  const out = new Map<string, string>();
  const resolve = (ref: SecretRef, field: string, accessKey: string) => {
    const r = readSecretRef(ref, field, `the secret of ${accessKey}`, where);
    if ('problem' in r) return void problems.push(r.problem);
    const value = 'file' in ref ? r.value.replace(/\r?\n$/, '') : r.value;
    if (!PRINTABLE.test(value)) return void problems.push(`${field}: the secret of ${accessKey} must be at least 6 printable ASCII characters without spaces (value not shown)`);
    out.set(accessKey, value);
  };
  resolve(acl.admin.secretKey, 'acl.admin.secretKey', acl.admin.accessKey);
  acl.accounts.forEach((a, i) => resolve(a.secretKey, `acl.accounts[${i}].secretKey`, a.accessKey));
  if (problems.length > 0) throw new InvalidInputError('ACL secrets cannot be resolved', problems);
  return out;
}
