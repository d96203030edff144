/**
 * The ACL credentials and TLS settings every rmqctl command that talks the wire protocol uses:
 * flags, then the environment, then the selected profile of the profile file (see
 * src/settings/credentials.ts, src/settings/tls.ts and src/settings/profile.ts).
 */
import { Flags } from '@oclif/core';
import { environmentCredentials, profileCredentials } from '../../settings/credentials.js';
import { loadProfile, type Profile } from '../../settings/profile.js';
import { resolveClientTls } from '../../settings/tls.js';
import type { ClientTls } from '../../remoting/tls-config.js';
import type { Credentials } from '../../remoting/acl-signature.js';

let cachedProfile: { value: Profile | undefined } | undefined;
let cached: { value: Credentials | undefined } | undefined;

/** The profile of this run, read once; throws InvalidInputError (exit 2) when the file is misconfigured. */
export function cliProfile(): Profile | undefined {
  cachedProfile ??= { value: loadProfile() };
  return cachedProfile.value;
}

/** The credentials of this run, looked up once; throws InvalidInputError (exit 2) when misconfigured. */
export function cliCredentials(): Credentials | undefined {
  cached ??= { value: (environmentCredentials(process.env) ?? profileCredentials(cliProfile()))?.credentials };
  return cached.value;
}

/** `{ credentials }` when there are any, to spread into client options. */
export function signingOptions(): { credentials?: Credentials } {
  const c = cliCredentials();
  return c === undefined ? {} : { credentials: c };
}

/** The TLS flags every command that talks the wire protocol has (env and profile fallbacks in src/settings/tls.ts). */
export const tlsFlags = {
  tls: Flags.boolean({ description: 'connect with TLS, verifying server certificates; plain text only to a server that speaks no TLS [env: RMQCTL_TLS=on; profile: tls = on]' }),
  'tls-require': Flags.boolean({ description: 'TLS only: never connect in plain text [env: RMQCTL_TLS=require; profile: tls = require]' }),
  'tls-ca': Flags.string({ description: 'PEM CA bundle to verify servers against [default: $RMQCTL_TLS_CA, else the profile\'s tlsCa, else the system roots]', helpValue: 'FILE' }),
  'tls-cert': Flags.string({ description: 'client certificate (PEM) for servers that require one [default: $RMQCTL_TLS_CERT, else the profile\'s tlsCert]', helpValue: 'FILE' }),
  'tls-key': Flags.string({ description: 'private key of --tls-cert (PEM, mode 0600) [default: $RMQCTL_TLS_KEY, else the profile\'s tlsKey]', helpValue: 'FILE' }),
};

export type TlsFlagValues = { tls?: boolean; 'tls-require'?: boolean; 'tls-ca'?: string; 'tls-cert'?: string; 'tls-key'?: string };

/** `{ credentials, tls }` for a command's clients: ACL signing and TLS as its flags, environment and profile say. */
export function connectOptions(flags: TlsFlagValues): { credentials?: Credentials; tls?: ClientTls } {
  const choice = { tls: flags.tls, tlsRequire: flags['tls-require'], ca: flags['tls-ca'], cert: flags['tls-cert'], key: flags['tls-key'] };
  const tls = resolveClientTls(choice, process.env, cliProfile());
  return { ...signingOptions(), ...(tls ? { tls } : {}) };
}
