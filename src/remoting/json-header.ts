/**
 * The JSON header (serialize type 0): Java's RemotingCommand as fastjson writes it — keys in
 * alphabetical order, null fields left out (protocol.md §1.2). Encoding is hand-written for this
 * one fixed shape because it runs once per frame (bench/ compares it with JSON.stringify).
 */
import type { ExtFields, RemotingCommand } from './command.js';
import { FrameError } from './errors.js';

/** Characters that need escaping in a JSON string (plus surrogates, left to JSON.stringify). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A JSON string literal; the common all-plain case avoids JSON.stringify. */
export function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

function writeExtFields(ext: ExtFields): string {
  const keys = Object.keys(ext);
  if (keys.length > 1) keys.sort();
  let s = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    if (i > 0) s += ',';
    s += `${jsonString(k)}:${jsonString(ext[k] as string)}`;
  }
  return `${s}}`;
}

/**
 * The header text of `cmd`, byte for byte what Java writes for the same command:
 * `{"code":…,"extFields":{…},"flag":…,"language":"…","opaque":…,"remark":"…","serializeTypeCurrentRPC":"JSON","version":…}`.
 */
export function encodeJsonHeader(cmd: RemotingCommand): string {
  let s = `{"code":${cmd.code | 0}`;
  if (cmd.extFields !== undefined) s += `,"extFields":${writeExtFields(cmd.extFields)}`;
  s += `,"flag":${cmd.flag | 0},"language":${jsonString(cmd.language)},"opaque":${cmd.opaque | 0}`;
  if (cmd.remark !== undefined) s += `,"remark":${jsonString(cmd.remark)}`;
  return `${s},"serializeTypeCurrentRPC":"JSON","version":${cmd.version | 0}}`;
}

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

/** An int field: a JSON integer, or an integer-valued string (fastjson coerces those too). */
function intField(obj: Record<string, unknown>, key: string, dflt: number): number {
  const v = obj[key];
  if (v === undefined || v === null) return dflt;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d{1,10}$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isInteger(n) || n < INT32_MIN || n > INT32_MAX) {
    throw new FrameError(`JSON header: "${key}" must be a 32-bit integer, got ${JSON.stringify(v)?.slice(0, 40)}`);
  }
  return n;
}

/**
 * extFields values: strings as they are; numbers and booleans (ali-ons sends them) as their
 * string form, which is what fastjson makes of them on the Java side; null entries dropped.
 */
function extFieldsOf(v: unknown): ExtFields | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new FrameError('JSON header: "extFields" must be an object');
  // No prototype: a key like "__proto__" stays an ordinary entry.
  const out: ExtFields = Object.create(null) as ExtFields;
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (typeof val === 'string') out[k] = val;
    else if (typeof val === 'number' || typeof val === 'boolean') out[k] = String(val);
    else if (val !== null) throw new FrameError(`JSON header: extFields.${k} must be a string, number or boolean`);
  }
  return out;
}

/** Decodes the JSON header in buf[start, end). Throws FrameError when it is not a RemotingCommand. */
export function decodeJsonHeader(buf: Buffer, start: number, end: number): RemotingCommand {
  let parsed: unknown;
  try {
    parsed = JSON.parse(buf.toString('utf8', start, end));
  } catch (e) {
    throw new FrameError(`JSON header is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new FrameError('JSON header is not an object');
  const obj = parsed as Record<string, unknown>;
  const language = obj.language ?? 'JAVA';
  if (typeof language !== 'string') throw new FrameError('JSON header: "language" must be a string');
  const remark = obj.remark;
  if (remark !== undefined && remark !== null && typeof remark !== 'string') throw new FrameError('JSON header: "remark" must be a string');
  const cmd: RemotingCommand = {
    code: intField(obj, 'code', 0),
    language,
    version: intField(obj, 'version', 0),
    opaque: intField(obj, 'opaque', 0),
    flag: intField(obj, 'flag', 0),
    serializeType: 'JSON',
  };
  if (typeof remark === 'string') cmd.remark = remark;
  const ext = extFieldsOf(obj.extFields);
  if (ext !== undefined) cmd.extFields = ext;
  return cmd;
}
