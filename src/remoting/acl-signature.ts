/**
 * RocketMQ ACL 1.0 request signing (sans-IO): the `AccessKey` / `Signature` extFields that
 * Apache's `AclClientRPCHook` and ali-ons add, and the check a server makes of them.
 *
 * The signed content (apache/rocketmq `AclUtils.combineRequestContent`, server side
 * `PlainAccessResource.parse`): every extFields value — `AccessKey` included, `Signature` and
 * `_UNIQUE_KEY_QUERY` excluded — in ascending key order (Java TreeMap: UTF-16 code-unit order,
 * which is also what Array#sort does), concatenated as UTF-8, then the raw body. The signature is
 * base64(HMAC-SHA1(secretKey, content)) (`AclUtils.calSignature`).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ExtFields, RemotingCommand } from './command.js';

/** extFields names of the scheme (`SessionCredentials`). */
export const ACCESS_KEY_FIELD = 'AccessKey';
export const SIGNATURE_FIELD = 'Signature';
export const SECURITY_TOKEN_FIELD = 'SecurityToken';
/** Left out of the signed content by the server (`MixAll.UNIQUE_MSG_QUERY_FLAG`). */
const UNSIGNED_FIELDS = new Set([SIGNATURE_FIELD, '_UNIQUE_KEY_QUERY']);

export interface Credentials {
  accessKey: string;
  secretKey: string;
}

/** The header part of the signed content: sorted extFields values (see module comment). */
function headerContent(extFields: ExtFields | undefined): string {
  let text = '';
  if (extFields !== undefined) {
    const keys = Object.keys(extFields).sort();
    for (const k of keys) if (!UNSIGNED_FIELDS.has(k)) text += extFields[k];
  }
  return text;
}

/** The bytes that are signed: sorted extFields values (see module comment), then the body. */
export function signatureContent(extFields: ExtFields | undefined, body: Buffer | undefined): Buffer {
  const head = Buffer.from(headerContent(extFields), 'utf8');
  return body === undefined || body.length === 0 ? head : Buffer.concat([head, body]);
}

/** base64 HMAC-SHA1 of `content` keyed with `secretKey`. */
export function computeSignature(content: Buffer, secretKey: string): string {
  return createHmac('sha1', secretKey).update(content).digest('base64');
}

/** The signature of a command's content, fed to the HMAC in two parts (no copy of the body). */
function signatureOf(extFields: ExtFields | undefined, body: Buffer | undefined, secretKey: string): string {
  const h = createHmac('sha1', secretKey).update(headerContent(extFields), 'utf8');
  if (body !== undefined && body.length > 0) h.update(body);
  return h.digest('base64');
}

/**
 * Signs `cmd` in place: sets `AccessKey`, then `Signature` over the result (so the access key is
 * part of what is signed, as in AclClientRPCHook).
 */
export function signRequest(cmd: RemotingCommand, creds: Credentials): RemotingCommand {
  const ext: ExtFields = cmd.extFields ?? {};
  delete ext[SIGNATURE_FIELD];
  ext[ACCESS_KEY_FIELD] = creds.accessKey;
  ext[SIGNATURE_FIELD] = signatureOf(ext, cmd.body, creds.secretKey);
  cmd.extFields = ext;
  return cmd;
}

/** Whether `cmd` carries a valid signature for `secretKey` (constant-time comparison). */
export function verifySignature(cmd: RemotingCommand, secretKey: string): boolean {
  const given = cmd.extFields?.[SIGNATURE_FIELD];
  if (given === undefined) return false;
  const expected = Buffer.from(signatureOf(cmd.extFields, cmd.body, secretKey), 'utf8');
  const actual = Buffer.from(given, 'utf8');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
