/**
 * ACL on the gRPC port: the same accounts, addresses and permissions as the remoting port
 * (acl/: plain_acl.yml), checked the v5 way.
 *
 *   authentication  the `authorization` header (MQv2-HMAC-SHA1, grpc/signature.ts): an address in
 *                   globalWhiteRemoteAddresses needs none; otherwise a known access key whose
 *                   signature of x-mq-date-time verifies (or whose whiteRemoteAddress matches).
 *                   Refused: UNAUTHORIZED (40100), as the Proxy answers.
 *   authorization   per call, the topics (PUB to send, SUB to receive; ANY for a route) and the
 *                   consumer group (SUB, kept as `%RETRY%group` like RocketMQ 4.x) it touches.
 *                   Refused: FORBIDDEN (40300).
 * A refusal names the access key, never a secret, and is logged rate-limited.
 */
import type { AclAccount, AclPolicy } from '../../acl/config.js';
import { Perm, permits, type PermBits } from '../../acl/permission.js';
import { V2Error } from '../../grpc/codes.js';
import { parseAuthorization, verifyDateTimeSignature } from '../../grpc/signature.js';
import { RETRY_GROUP_TOPIC_PREFIX } from '../../protocol/topic-names.js';

export { Perm };

/** Who a call is, once authenticated: an account, or anonymous from a globally trusted address. */
export interface Caller {
  account?: AclAccount;
}

const shown = (s: string): string => (s.length > 64 ? `${s.slice(0, 61)}...` : s);

/** Checks a call's credentials; throws V2Error UNAUTHORIZED. */
export function authenticate(policy: AclPolicy, ip: string, authorization: string | undefined, dateTime: string | undefined): Caller {
  if (policy.globalWhite(ip)) return {};
  if (authorization === undefined || authorization === '') throw new V2Error('UNAUTHORIZED', 'no authorization header: this broker requires credentials (accessKey/secretKey)');
  const parsed = parseAuthorization(authorization);
  if (typeof parsed === 'string') throw new V2Error('UNAUTHORIZED', parsed);
  const account = policy.accounts.get(parsed.accessKey);
  if (account === undefined) throw new V2Error('UNAUTHORIZED', `No acl config for ${shown(parsed.accessKey)}`);
  if (account.trusted(ip)) return { account };
  if (dateTime === undefined || dateTime === '') throw new V2Error('UNAUTHORIZED', 'x-mq-date-time header is missing (it is what the signature signs)');
  if (!verifyDateTimeSignature(account.secretKey, dateTime, parsed.signature)) throw new V2Error('UNAUTHORIZED', `Check signature failed for accessKey=${shown(parsed.accessKey)}`);
  return { account };
}

/** What a call touches: topics by name, groups by name (checked as `%RETRY%group`). */
export type Needs = { topic?: string; topicPerm?: PermBits; group?: string }[];

/** Checks a caller's permissions on every resource; throws V2Error FORBIDDEN. Anonymous (white-listed) callers may do anything. */
export function authorize(caller: Caller, needs: Needs): void {
  const account = caller.account;
  if (account === undefined) return;
  if (account.admin && account.resources.size === 0) return;
  for (const n of needs) {
    if (n.group !== undefined) {
      const key = RETRY_GROUP_TOPIC_PREFIX + n.group;
      const listed = account.resources.get(key);
      if (!permits(Perm.SUB, listed ?? account.defaultGroupPerm)) {
        throw new V2Error('FORBIDDEN', `No ${listed === undefined ? 'default ' : ''}permission for group ${shown(n.group)} (accessKey=${shown(account.accessKey)})`);
      }
    }
    if (n.topic !== undefined) {
      const listed = account.resources.get(n.topic);
      const needed = n.topicPerm ?? Perm.SUB;
      if (!permits(needed, listed ?? account.defaultTopicPerm)) {
        const what = needed === Perm.PUB ? 'PUB' : needed === Perm.SUB ? 'SUB' : 'PUB or SUB';
        throw new V2Error('FORBIDDEN', `No ${listed === undefined ? 'default ' : ''}${what} permission for topic ${shown(n.topic)} (accessKey=${shown(account.accessKey)})`);
      }
    }
  }
}
