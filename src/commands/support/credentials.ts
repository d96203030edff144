/**
 * The ACL credentials every rmqctl command that talks the wire protocol signs with (see
 * src/client/credentials.ts for where they come from), as RemotingClient options.
 */
import { Flags } from '@oclif/core';
import { findCredentials } from '../../client/credentials.js';
import { resolveClientTls } from '../../client/tls-options.js';
import type { ClientTls } from '../../remoting/tls-config.js';
import type { Credentials } from '../../protocol/acl-signature.js';

let cached: { value: Credentials | undefined } | undefined;

/** The credentials of this run, looked up once; throws InvalidInputError (exit 2) when misconfigured. */
export function cliCredentials(): Credentials | undefined {
  cached ??= { value: findCredentials()?.credentials };
  return cached.value;
}

/** `{ credentials }` when there are any, to spread into client options. */
export function signingOptions(): { credentials?: Credentials } {
  const c = cliCredentials();
  return c === undefined ? {} : { credentials: c };
}

/** The TLS flags every command that talks the wire protocol has (env fallbacks in src/client/tls-options.ts). */
export const tlsFlags = {
  tls: Flags.boolean({ description: 'connect with TLS, verifying server certificates; plain text only to a server that speaks no TLS [env: RMQCTL_TLS=on]' }),
  'tls-require': Flags.boolean({ description: 'TLS only: never connect in plain text [env: RMQCTL_TLS=require]' }),
  'tls-ca': Flags.string({ description: 'PEM CA bundle to verify servers against [default: $RMQCTL_TLS_CA, else the system roots]', helpValue: 'FILE' }),
  'tls-cert': Flags.string({ description: 'client certificate (PEM) for servers that require one [default: $RMQCTL_TLS_CERT]', helpValue: 'FILE' }),
  'tls-key': Flags.string({ description: 'private key of --tls-cert (PEM, mode 0600) [default: $RMQCTL_TLS_KEY]', helpValue: 'FILE' }),
};

export type TlsFlagValues = { tls?: boolean; 'tls-require'?: boolean; 'tls-ca'?: string; 'tls-cert'?: string; 'tls-key'?: string };

/** `{ credentials, tls }` for a command's clients: ACL signing and TLS as its flags and environment say. */
export function connectOptions(flags: TlsFlagValues): { credentials?: Credentials; tls?: ClientTls } {
  const tls = resolveClientTls({ tls: flags.tls, tlsRequire: flags['tls-require'], ca: flags['tls-ca'], cert: flags['tls-cert'], key: flags['tls-key'] });
  return { ...signingOptions(), ...(tls ? { tls } : {}) };
}
