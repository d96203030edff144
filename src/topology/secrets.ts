/**
 * Resolves the secret references of a topology's `acl:` section (`{ env: NAME }` from the
 * environment of whoever runs rmqctl, `{ file: path }` from this machine) — only when files are
 * rendered (plan, render, deploy), never stored in the model. A secret file is refused when group
 * or others may read it, as ssh refuses a private key.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidInputError } from '../errors.js';
import type { ResolvedSecrets } from '../acl/acl-file-text.js';
import type { AclSection, SecretRef } from './schema.js';

export interface SecretEnvironment {
  env?: NodeJS.ProcessEnv;
  home?: string;
}

const PRINTABLE = /^[\x21-\x7e]{6,}$/;

export function resolveAclSecrets(acl: AclSection, where: SecretEnvironment = {}): ResolvedSecrets {
  const env = where.env ?? process.env;
  const home = where.home ?? os.homedir();
  const problems: string[] = [];
  const out = new Map<string, string>();
  const resolve = (ref: SecretRef, field: string, accessKey: string) => {
    let value: string | undefined;
    if ('env' in ref) {
      value = env[ref.env];
      if (value === undefined || value === '') return void problems.push(`${field}: environment variable ${ref.env} is not set (it holds the secret of ${accessKey})`);
    } else {
      const file = ref.file.startsWith('~/') ? path.join(home, ref.file.slice(2)) : ref.file;
      try {
        const st = fs.statSync(file);
        if ((st.mode & 0o077) !== 0) return void problems.push(`${field}: permissions ${(st.mode & 0o777).toString(8).padStart(4, '0')} for ${file} are too open (expected chmod 600)`);
        value = fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
      } catch (e) {
        return void problems.push(`${field}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    if (!PRINTABLE.test(value)) return void problems.push(`${field}: the secret of ${accessKey} must be at least 6 printable ASCII characters without spaces (value not shown)`);
    out.set(accessKey, value);
  };
  resolve(acl.admin.secretKey, 'acl.admin.secretKey', acl.admin.accessKey);
  acl.accounts.forEach((a, i) => resolve(a.secretKey, `acl.accounts[${i}].secretKey`, a.accessKey));
  if (problems.length > 0) throw new InvalidInputError('ACL secrets cannot be resolved', problems);
  return out;
}
