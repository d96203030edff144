/**
 * The ACL check of one request (RocketMQ 4.x `PlainPermissionManager.validate`), sans-IO:
 *   1. a client address in globalWhiteRemoteAddresses passes without any check;
 *   2. no AccessKey → refused; an AccessKey no account has → refused;
 *   3. a client address in the account's whiteRemoteAddress skips the signature and permission check;
 *   4. a signature that does not verify with the account's secret → refused;
 *   5. an admin request code from a non-admin account → refused;
 *   6. every topic/group the request touches must be permitted (listed permission, else the default).
 * A refusal carries RocketMQ's remark (with the access key, never a secret) and a short reason.
 */
import { verifySignature, ACCESS_KEY_FIELD } from '../remoting/acl-signature.js';
import { isRetryTopic, RETRY_GROUP_TOPIC_PREFIX } from '../protocol/topic-names.js';
import type { RemotingCommand } from '../remoting/command.js';
import type { AclAccount, AclPolicy } from './config.js';
import { permits } from './permission.js';
import { ADMIN_CODES, neededResources } from './resources.js';

export type RefusalReason = 'no access key' | 'unknown access key' | 'bad signature' | 'admin required' | 'no permission' | 'malformed request';

export interface AclRefusal {
  reason: RefusalReason;
  /** The response remark (RocketMQ's wording). */
  remark: string;
  /** As sent by the client (truncated); absent when none was sent. */
  accessKey?: string;
}

export interface AclGrant {
  /** The authenticated account; absent when a white-listed address let the request through. */
  account?: AclAccount;
}

/** What a client-chosen string may show in remarks and logs. */
const shown = (s: string): string => (s.length > 64 ? `${s.slice(0, 61)}...` : s);

const describeResource = (r: string): string => (isRetryTopic(r) ? `group ${r.slice(RETRY_GROUP_TOPIC_PREFIX.length)}` : `topic ${r}`);

/** Checks `request` from client address `ip` against `policy`: a refusal, or the grant. */
export function checkRequest(policy: AclPolicy, request: RemotingCommand, ip: string): AclRefusal | AclGrant {
  if (policy.globalWhite(ip)) return {};
  const given = request.extFields?.[ACCESS_KEY_FIELD];
  if (given === undefined || given === '') return { reason: 'no access key', remark: 'No accessKey is configured' };
  const accessKey = shown(given);
  const account = policy.accounts.get(given);
  if (account === undefined) return { reason: 'unknown access key', remark: `No acl config for ${accessKey}`, accessKey };
  if (account.trusted(ip)) return { account };
  if (!verifySignature(request, account.secretKey)) return { reason: 'bad signature', remark: `Check signature failed for accessKey=${accessKey}`, accessKey };
  if (ADMIN_CODES.has(request.code) && !account.admin) {
    return { reason: 'admin required', remark: `Need admin permission for request code=${request.code}, but accessKey=${accessKey} is not`, accessKey };
  }
  // RocketMQ: an admin account that lists no resources may touch every topic and group.
  if (account.admin && account.resources.size === 0) return { account };
  let needed;
  try {
    needed = neededResources(request);
  } catch {
    return { reason: 'malformed request', remark: `Cannot tell which resources request code=${request.code} touches`, accessKey };
  }
  for (const [resource, perm] of needed) {
    const listed = account.resources.get(resource);
    const owned = listed ?? (isRetryTopic(resource) ? account.defaultGroupPerm : account.defaultTopicPerm);
    if (!permits(perm, owned)) {
      return { reason: 'no permission', remark: `No ${listed === undefined ? 'default ' : ''}permission for ${shown(describeResource(resource))}`, accessKey };
    }
  }
  return { account };
}

export const isRefusal = (r: AclRefusal | AclGrant): r is AclRefusal => 'reason' in r;
