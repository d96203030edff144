/**
 * The ROCKETMQ binary header (serialize type 1), Java's `RocketMQSerializable` (docs/design/protocol.md#binary-header):
 * code i16, language u8, version i16, opaque i32, flag i32, remark (i32 length + UTF-8),
 * extFields (i32 block length, then entries of i16 key length + key, i32 value length + value).
 * A zero length reads as null. Java and Go clients send it when configured to; a connection
 * answers a request in the form the request came in (connection.ts), so a client that chose this
 * form reads no JSON at all. Sans-IO: bytes in, values out; every length is checked against the
 * header's end, and a bad one is a FrameError naming it (the connection closes, nothing else).
 */
import { LANGUAGE_CODES, type ExtFields, type RemotingCommand } from './command.js';
import { FrameError } from './errors.js';

/** code 2 + language 1 + version 2 + opaque 4 + flag 4 + remark length 4 + extFields length 4. */
export const BINARY_HEADER_FIXED_LENGTH = 2 + 1 + 2 + 4 + 4 + 4 + 4;
const MAX_KEY_BYTES = 0x7fff;
const OTHER = LANGUAGE_CODES.indexOf('OTHER');
const LANGUAGE_INDEX: ReadonlyMap<string, number> = new Map(LANGUAGE_CODES.map((l, i) => [l, i]));

/** The values of extFields as they go out: strings as they are, null and undefined left out (as JSON.stringify does). */
function extValue(v: unknown): string | undefined {
  return typeof v === 'string' ? v : v === undefined || v === null ? undefined : String(v);
}

/**
 * An upper bound of the header's byte length (UTF-8 takes at most 3 bytes per UTF-16 unit), so
 * a writer can reserve room and encode in one pass.
 */
export function binaryHeaderMaxLength(cmd: RemotingCommand): number {
  let n = BINARY_HEADER_FIXED_LENGTH + (cmd.remark ? cmd.remark.length * 3 : 0);
  const ext = cmd.extFields;
  if (ext !== undefined) {
    for (const k in ext) {
      const v = extValue(ext[k]);
      if (v !== undefined) n += 6 + (k.length + v.length) * 3;
    }
  }
  return n;
}

/** Writes `s` as UTF-8 at out[pos]; returns the byte count. ASCII (nearly every header string) is copied byte by byte. */
function putString(out: Buffer, pos: number, s: string): number {
  const n = s.length;
  if (n <= 64) {
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      out[pos + i] = c;
    }
    if (i === n) return n;
  }
  return out.write(s, pos, 'utf8');
}

/**
 * Writes the binary header of `cmd` at out[at]; returns its byte length. `out` must have
 * binaryHeaderMaxLength(cmd) bytes from `at`. Throws FrameError for a key longer than the
 * 2-byte length allows (bytes may have been written past `at`; the caller does not count them).
 * extFields go out in insertion order (Java writes its HashMap's order; readers build a map).
 */
export function writeBinaryHeader(cmd: RemotingCommand, out: Buffer, at: number): number {
  let o = at;
  out.writeInt16BE((cmd.code << 16) >> 16, o);
  out[o + 2] = LANGUAGE_INDEX.get(cmd.language) ?? OTHER;
  out.writeInt16BE((cmd.version << 16) >> 16, o + 3);
  out.writeInt32BE(cmd.opaque | 0, o + 5);
  out.writeInt32BE(cmd.flag | 0, o + 9);
  o += 13;
  const remarkLen = cmd.remark ? putString(out, o + 4, cmd.remark) : 0;
  out.writeInt32BE(remarkLen, o);
  o += 4 + remarkLen;
  const blockAt = o;
  o += 4;
  const ext = cmd.extFields;
  if (ext !== undefined) {
    for (const k in ext) {
      const v = extValue(ext[k]);
      if (v === undefined) continue;
      const kLen = putString(out, o + 2, k);
      if (kLen > MAX_KEY_BYTES) throw new FrameError(`ROCKETMQ header: extFields key of ${kLen} bytes, at most ${MAX_KEY_BYTES} fit its 2-byte length`);
      out.writeInt16BE(kLen, o);
      o += 2 + kLen;
      const vLen = putString(out, o + 4, v);
      out.writeInt32BE(vLen, o);
      o += 4 + vLen;
    }
  }
  out.writeInt32BE(o - blockAt - 4, blockAt);
  return o - at;
}

/** The binary header of `cmd` as a buffer of its own (tests, tools; FrameWriter writes in place). */
export function encodeBinaryHeader(cmd: RemotingCommand): Buffer {
  const out = Buffer.allocUnsafe(binaryHeaderMaxLength(cmd));
  const n = writeBinaryHeader(cmd, out, 0);
  return out.subarray(0, n);
}

/** Single-byte ASCII strings, so one-letter keys (SEND_MESSAGE_V2's a…m) cost a table lookup. */
const ASCII_CHARS: readonly string[] = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i));

/**
 * The last string decoded per hash slot, for ASCII strings of at most INTERN_MAX_BYTES: header
 * values repeat request after request (group, topic, "TBW102", "false", the same millisecond's
 * timestamp), and a hit costs a byte comparison instead of a new string — the broker decodes a
 * header per message, and these strings were most of its young-generation garbage. A slot holds
 * one string (≤ 64 KiB in all).
 *
 * A string is kept only when its slot saw the same hash on the miss before (its second sighting):
 * values that never repeat (a message id, a queue offset, a timestamp) would otherwise sit in the
 * table — an old-generation array — for about a thousand decodes, and every scavenge copied them
 * through the remembered set and promoted them on the next.
 */
const INTERN_SLOTS = 1024;
const INTERN_MAX_BYTES = 64;
const interned: (string | undefined)[] = new Array<string | undefined>(INTERN_SLOTS).fill(undefined);
/** Per slot, the hash of the last string that missed (numbers only: nothing here for the GC to trace). */
const lastMissHash = new Int32Array(INTERN_SLOTS);

function readString(buf: Buffer, start: number, end: number): string {
  const n = end - start;
  if (n === 1) {
    const c = buf[start] as number;
    if (c < 0x80) return ASCII_CHARS[c] as string;
  }
  if (n > INTERN_MAX_BYTES) return buf.toString('utf8', start, end);
  let h = 0x811c9dc5 ^ n; // FNV-1a over the bytes
  for (let i = start; i < end; i++) {
    const c = buf[i] as number;
    if (c >= 0x80) return buf.toString('utf8', start, end);
    h = Math.imul(h ^ c, 16777619);
  }
  const slot = (h ^ (h >>> 15)) & (INTERN_SLOTS - 1);
  const hit = interned[slot];
  if (hit !== undefined && hit.length === n) {
    let i = 0;
    while (i < n && hit.charCodeAt(i) === buf[start + i]) i++;
    if (i === n) return hit;
  }
  const s = buf.toString('latin1', start, end);
  if (lastMissHash[slot] === h) interned[slot] = s;
  else lastMissHash[slot] = h;
  return s;
}

/**
 * extFields as decoded: no Object.prototype behind the keys (a key named "__proto__" or
 * "constructor" is just a key), yet a fast-properties object — `Object.create(null)` starts in
 * dictionary mode, several times larger and slower to fill; objects built by one constructor in
 * one key order share their hidden class.
 */
const DecodedExtFields = function DecodedExtFields(this: ExtFields) {} as unknown as new () => ExtFields;
DecodedExtFields.prototype = Object.create(null) as object;

/** Decodes the binary header in buf[start, end). Every length is checked against the header's end. */
export function decodeBinaryHeader(buf: Buffer, start: number, end: number): RemotingCommand {
  if (end - start < BINARY_HEADER_FIXED_LENGTH) throw new FrameError(`ROCKETMQ header too short: ${end - start} bytes, at least ${BINARY_HEADER_FIXED_LENGTH} expected`);
  let o = start;
  const code = buf.readInt16BE(o);
  const langByte = buf[o + 2] as number;
  const version = buf.readInt16BE(o + 3);
  const opaque = buf.readInt32BE(o + 5);
  const flag = buf.readInt32BE(o + 9);
  o += 13;
  const remarkLen = buf.readInt32BE(o);
  o += 4;
  if (remarkLen < 0 || remarkLen > end - o - 4) throw new FrameError(`ROCKETMQ header: remark length ${remarkLen} exceeds the header`);
  const remark = remarkLen > 0 ? buf.toString('utf8', o, o + remarkLen) : undefined;
  o += remarkLen;
  const extLen = buf.readInt32BE(o);
  o += 4;
  if (extLen < 0 || extLen > end - o) throw new FrameError(`ROCKETMQ header: extFields length ${extLen} exceeds the header`);
  const extEnd = o + extLen;
  let extFields: ExtFields | undefined;
  if (extLen > 0) {
    extFields = new DecodedExtFields();
    while (o < extEnd) {
      if (extEnd - o < 6) throw new FrameError(`ROCKETMQ header: truncated extFields entry (${extEnd - o} bytes left in the block)`);
      const kLen = buf.readInt16BE(o);
      o += 2;
      if (kLen < 0 || kLen > extEnd - o - 4) throw new FrameError(`ROCKETMQ header: extFields key length ${kLen} exceeds the block`);
      const key = readString(buf, o, o + kLen);
      o += kLen;
      const vLen = buf.readInt32BE(o);
      o += 4;
      if (vLen < 0 || vLen > extEnd - o) throw new FrameError(`ROCKETMQ header: extFields value length ${vLen} exceeds the block`);
      // Java reads a zero-length string as null; a null key or value carries nothing.
      if (kLen > 0 && vLen > 0) extFields[key] = readString(buf, o, o + vLen);
      o += vLen;
    }
  }
  const cmd: RemotingCommand = {
    code,
    language: LANGUAGE_CODES[langByte] ?? 'OTHER',
    version,
    opaque,
    flag,
    serializeType: 'ROCKETMQ',
  };
  if (remark !== undefined) cmd.remark = remark;
  if (extFields !== undefined) cmd.extFields = extFields;
  return cmd;
}
