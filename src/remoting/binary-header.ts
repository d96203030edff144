/**
 * The ROCKETMQ binary header (serialize type 1), Java's `RocketMQSerializable` (docs/design/protocol.md#binary-header):
 * code i16, language u8, version i16, opaque i32, flag i32, remark (i32 length + UTF-8),
 * extFields (i32 block length, then entries of i16 key length + key, i32 value length + value).
 * A zero length reads as null. We decode it (Java and Go clients may send it) and can encode it
 * for tests and tools; replies always go out as JSON (ali-ons cannot read this form).
 */
import { LANGUAGE_CODES, type ExtFields, type RemotingCommand } from './command.js';
import { FrameError } from './errors.js';

const FIXED_PART = 2 + 1 + 2 + 4 + 4 + 4 + 4;

export function encodeBinaryHeader(cmd: RemotingCommand): Buffer {
  const remark = cmd.remark ? Buffer.from(cmd.remark, 'utf8') : undefined;
  const entries: [Buffer, Buffer][] = [];
  let extLen = 0;
  if (cmd.extFields) {
    for (const k of Object.keys(cmd.extFields).sort()) {
      const kb = Buffer.from(k, 'utf8');
      const vb = Buffer.from(cmd.extFields[k] as string, 'utf8');
      entries.push([kb, vb]);
      extLen += 2 + kb.length + 4 + vb.length;
    }
  }
  const out = Buffer.alloc(FIXED_PART + (remark?.length ?? 0) + extLen);
  let o = 0;
  o = out.writeInt16BE((cmd.code << 16) >> 16, o);
  const lang = LANGUAGE_CODES.indexOf(cmd.language as (typeof LANGUAGE_CODES)[number]);
  o = out.writeUInt8(lang < 0 ? LANGUAGE_CODES.indexOf('OTHER') : lang, o);
  o = out.writeInt16BE((cmd.version << 16) >> 16, o);
  o = out.writeInt32BE(cmd.opaque | 0, o);
  o = out.writeInt32BE(cmd.flag | 0, o);
  o = out.writeInt32BE(remark?.length ?? 0, o);
  if (remark) o += remark.copy(out, o);
  o = out.writeInt32BE(extLen, o);
  for (const [kb, vb] of entries) {
    o = out.writeInt16BE(kb.length, o);
    o += kb.copy(out, o);
    o = out.writeInt32BE(vb.length, o);
    o += vb.copy(out, o);
  }
  return out;
}

/** Decodes the binary header in buf[start, end). Every length is checked against the header's end. */
export function decodeBinaryHeader(buf: Buffer, start: number, end: number): RemotingCommand {
  if (end - start < FIXED_PART) throw new FrameError(`ROCKETMQ header too short: ${end - start} bytes, at least ${FIXED_PART} expected`);
  let o = start;
  const code = buf.readInt16BE(o);
  const langByte = buf.readUInt8(o + 2);
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
    extFields = Object.create(null) as ExtFields;
    while (o < extEnd) {
      if (extEnd - o < 2) throw new FrameError('ROCKETMQ header: truncated extFields key length');
      const kLen = buf.readInt16BE(o);
      o += 2;
      if (kLen < 0 || kLen > extEnd - o - 4) throw new FrameError(`ROCKETMQ header: extFields key length ${kLen} exceeds the block`);
      const key = buf.toString('utf8', o, o + kLen);
      o += kLen;
      const vLen = buf.readInt32BE(o);
      o += 4;
      if (vLen < 0 || vLen > extEnd - o) throw new FrameError(`ROCKETMQ header: extFields value length ${vLen} exceeds the block`);
      // Java reads a zero-length string as null; a null key or value carries nothing.
      if (kLen > 0 && vLen > 0) extFields[key] = buf.toString('utf8', o, o + vLen);
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
