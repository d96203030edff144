/**
 * The ACL credentials every rmqctl command that talks the wire protocol signs with (see
 * src/client/credentials.ts for where they come from), as RemotingClient options.
 */
import { findCredentials } from '../../client/credentials.js';
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
