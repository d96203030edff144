/**
 * The JSON header (serialize type 0): Java's RemotingCommand as fastjson writes it — keys in
 * alphabetical order, null fields left out (docs/design/protocol.md#json-header).
 */
import type { ExtFields, RemotingCommand } from './command.js';
import { FrameError } from './errors.js';

/**
 * The header text of `cmd` as Java writes it: `{"code":…,"extFields":{…},"flag":…,"language":"…",
 * "opaque":…,"remark":"…","serializeTypeCurrentRPC":"JSON","version":…}` — fastjson's alphabetical
 * field order, null fields left out. extFields keys go out in insertion order: Java writes them in
 * HashMap order, which no reader depends on.
 *
 * Measured against a hand-written string builder for this fixed shape (bench/remoting.ts, git
 * history): JSON.stringify of an object literal in field order is as fast or faster, and escapes
 * every string correctly, so that is what this is.
 */
export function encodeJsonHeader(cmd: RemotingCommand): string {
  return JSON.stringify({
    code: cmd.code | 0,
    extFields: cmd.extFields,
    flag: cmd.flag | 0,
    language: cmd.language,
    opaque: cmd.opaque | 0,
    remark: cmd.remark,
    serializeTypeCurrentRPC: 'JSON',
    version: cmd.version | 0,
  });
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
 * extFields values: strings as they are; numbers and booleans (ali-ons sends them) turned into
 * their string form in place, which is what fastjson makes of them on the Java side; null entries
 * dropped. The parsed object is kept (no copy): JSON.parse makes even a "__proto__" key an own
 * property, and readers look keys up with Object.hasOwn (decodeHeader does).
 */
function extFieldsOf(v: unknown): ExtFields | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new FrameError('JSON header: "extFields" must be an object');
  const ext = v as Record<string, unknown>;
  for (const k in ext) {
    const val = ext[k];
    if (typeof val === 'string') continue;
    if (typeof val === 'number' || typeof val === 'boolean') ext[k] = String(val);
    else if (val === null) delete ext[k];
    else throw new FrameError(`JSON header: extFields.${k} must be a string, number or boolean`);
  }
  return ext as ExtFields;
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
