/**
 * The v5 request signature (sans-IO). Every call of a client that has credentials carries
 *
 *   x-mq-date-time: 20240101T120000Z
 *   authorization:  MQv2-HMAC-SHA1 Credential=<accessKey>[/…], SignedHeaders=x-mq-date-time, Signature=<hex>
 *
 * where the signature is HEX(HMAC-SHA1(secretKey, x-mq-date-time)) — upper case from the Node and
 * Java clients (rocketmq-clients `nodejs/src/util` `sign`, `BaseClient.getRequestMetadata`). The
 * Proxy parses it the same way (`DefaultAuthenticationContextBuilder`: the access key is the first
 * `/`-separated part of Credential, the signed content the date-time header) and compares in
 * constant time. Only the date-time is signed; like the Proxy, no clock-skew window is enforced.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const AUTHORIZATION_HEADER = 'authorization';
export const DATE_TIME_HEADER = 'x-mq-date-time';
export const ALGORITHM = 'MQv2-HMAC-SHA1';

export interface ParsedAuthorization {
  accessKey: string;
  signedHeaders: string[];
  /** As sent (hex). */
  signature: string;
}

/** Parses an authorization header value; a string saying what is wrong when it is not one. */
export function parseAuthorization(value: string): ParsedAuthorization | string {
  const v = value.trim();
  if (!v.startsWith(`${ALGORITHM} `)) return `authorization: expected the ${ALGORITHM} scheme`;
  const fields = new Map<string, string>();
  for (const part of v.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return 'authorization: expected Credential=…, SignedHeaders=…, Signature=…';
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signature = fields.get('Signature');
  const signed = fields.get('SignedHeaders');
  if (credential === undefined || credential === '') return 'authorization: Credential is missing';
  if (signature === undefined || !/^[0-9A-Fa-f]{40}$/.test(signature)) return 'authorization: Signature must be 40 hex digits (HMAC-SHA1)';
  const accessKey = credential.split('/')[0] ?? '';
  if (accessKey === '') return 'authorization: Credential has no access key';
  return { accessKey, signature, signedHeaders: (signed ?? DATE_TIME_HEADER).split(';').map((h) => h.trim().toLowerCase()) };
}

/** HEX(HMAC-SHA1(secretKey, dateTime)), upper case — what clients send. */
export function signDateTime(secretKey: string, dateTime: string): string {
  return createHmac('sha1', secretKey).update(dateTime, 'utf8').digest('hex').toUpperCase();
}

/** The header a client with these credentials sends (for our own tools and tests). */
export function authorizationHeader(accessKey: string, secretKey: string, dateTime: string): string {
  return `${ALGORITHM} Credential=${accessKey}, SignedHeaders=${DATE_TIME_HEADER}, Signature=${signDateTime(secretKey, dateTime)}`;
}

/** `x-mq-date-time` for now: yyyyMMdd'T'HHmmss'Z' in UTC. */
export function requestDateTime(now = new Date()): string {
  return `${now.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
}

/** Whether `signature` (hex, any case) is the HMAC of `dateTime` under `secretKey` (constant time). */
export function verifyDateTimeSignature(secretKey: string, dateTime: string, signature: string): boolean {
  const expected = createHmac('sha1', secretKey).update(dateTime, 'utf8').digest();
  if (!/^[0-9A-Fa-f]{40}$/.test(signature)) return false;
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}
