/**
 * Where rmqctl finds the ACL credentials it signs requests with — never a command-line flag (a
 * flag value shows in every process list):
 *   1. RMQCTL_ACCESS_KEY + RMQCTL_SECRET_KEY from the environment (both or neither);
 *   2. `accessKey` + `secretKey` of the selected profile in the profile file (./profile.ts);
 *   3. otherwise nothing: requests go out unsigned.
 */
import { InvalidInputError } from '../errors.js';
import type { Credentials } from '../remoting/acl-signature.js';
import { loadProfile, type Profile, type ProfileLookup } from './profile.js';

export type CredentialsLookup = ProfileLookup;

export interface FoundCredentials {
  credentials: Credentials;
  /** Where they came from, for messages (never the secret). */
  source: string;
}

/** The environment's credentials, or undefined when it sets none. Throws InvalidInputError when it sets one of the two. */
export function environmentCredentials(env: NodeJS.ProcessEnv): FoundCredentials | undefined {
  const ak = env.RMQCTL_ACCESS_KEY;
  const sk = env.RMQCTL_SECRET_KEY;
  if (ak === undefined && sk === undefined) return undefined;
  if (!ak || !sk) throw new InvalidInputError(`set both RMQCTL_ACCESS_KEY and RMQCTL_SECRET_KEY, or neither (${ak ? 'RMQCTL_SECRET_KEY' : 'RMQCTL_ACCESS_KEY'} is empty or unset)`);
  return { credentials: { accessKey: ak, secretKey: sk }, source: 'environment (RMQCTL_ACCESS_KEY)' };
}

/** The profile's credentials, if it has them (the profile parser already checked they come as a pair). */
export function profileCredentials(profile: Profile | undefined): FoundCredentials | undefined {
  const ak = profile?.settings.accessKey;
  const sk = profile?.settings.secretKey;
  if (profile === undefined || ak === undefined || sk === undefined) return undefined;
  return { credentials: { accessKey: ak.value, secretKey: sk.value }, source: `${profile.file} [${profile.name}]` };
}

/** The credentials to use, or undefined when none are configured. Throws InvalidInputError on a misconfiguration. */
export function findCredentials(lookup: CredentialsLookup = {}): FoundCredentials | undefined {
  return environmentCredentials(lookup.env ?? process.env) ?? profileCredentials(loadProfile(lookup));
}
