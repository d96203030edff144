/**
 * Frames on the TCP stream, sans-IO (docs/design/protocol.md#frames):
 *
 *   length: u32 BE (bytes after this field) | headerLengthAndType: u32 BE (type << 24 | headerLength)
 *   | header | body
 *
 * FrameDecoder takes chunks as they arrive and hands out whole commands; FrameWriter turns
 * commands into as few buffers as possible for one socket write. Neither touches a socket.
 */
import { type RemotingCommand, SerializeType } from './command.js';
import { binaryHeaderMaxLength, decodeBinaryHeader, writeBinaryHeader } from './binary-header.js';
import { FrameError } from './errors.js';
import { decodeJsonHeader, encodeJsonHeader } from './json-header.js';

/** Java's NettyDecoder default (`com.rocketmq.remoting.frameMaxLength`): 16 MiB. */
export const DEFAULT_MAX_FRAME_LENGTH = 16 * 1024 * 1024;

/** The header-length word: serialize type in the high byte, header length in the low 24 bits. */
export function markProtocolType(headerLength: number, type: number): number {
  return ((type << 24) | (headerLength & 0x00ffffff)) >>> 0;
}

/**
 * Incremental decoder over a list of received chunks. A frame that lies inside one chunk is
 * decoded in place (the body is a view of that chunk); a frame spread over several chunks is
 * copied exactly once, when its last byte has arrived. Errors (FrameError) are final: the stream
 * cannot be resynchronised, so the caller closes the connection.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  /** Read position inside chunks[0]. */
  private offset = 0;
  private buffered = 0;
  /** Length field of the frame being assembled, once read and checked; -1 before. */
  private frameLength = -1;

  constructor(private readonly maxFrameLength: number = DEFAULT_MAX_FRAME_LENGTH) {}

  /** Bytes received and not yet returned as frames. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The next complete command, or undefined until more bytes arrive. */
  next(): RemotingCommand | undefined {
    if (this.frameLength < 0) {
      if (this.buffered < 8) return undefined;
      const length = this.peekUInt32(0);
      if (length > this.maxFrameLength) throw new FrameError(`frame length ${length} exceeds the limit of ${this.maxFrameLength} bytes`);
      if (length < 4) throw new FrameError(`frame length ${length} is too small to hold the header-length word`);
      const word = this.peekUInt32(4);
      const type = word >>> 24;
      const headerLength = word & 0xffffff;
      if (type !== SerializeType.JSON && type !== SerializeType.ROCKETMQ) throw new FrameError(`unknown header serialize type ${type}`);
      if (headerLength > length - 4) throw new FrameError(`header length ${headerLength} exceeds the frame (${length - 4} bytes after the header-length word)`);
      this.frameLength = length;
    }
    const total = 4 + this.frameLength;
    if (this.buffered < total) return undefined;
    const frame = this.take(total);
    this.frameLength = -1;
    return decodeFrame(frame, 4, total);
  }

  /** Reads a u32 at `pos` bytes past the read position, across chunk boundaries. */
  private peekUInt32(pos: number): number {
    const first = this.chunks[0] as Buffer;
    const at = this.offset + pos;
    if (at + 4 <= first.length) return first.readUInt32BE(at);
    let v = 0;
    for (let i = 0; i < 4; i++) v = v * 256 + this.byteAt(pos + i);
    return v;
  }

  private byteAt(pos: number): number {
    let p = this.offset + pos;
    for (const c of this.chunks) {
      if (p < c.length) return c[p] as number;
      p -= c.length;
    }
    throw new Error('FrameDecoder: read past the buffered bytes');
  }

  /** Removes `n` buffered bytes and returns them as one buffer (a view when they lie in one chunk). */
  private take(n: number): Buffer {
    const first = this.chunks[0] as Buffer;
    this.buffered -= n;
    if (first.length - this.offset >= n) {
      const out = first.subarray(this.offset, this.offset + n);
      this.offset += n;
      if (this.offset === first.length) {
        this.chunks.shift();
        this.offset = 0;
      }
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0] as Buffer;
      const avail = c.length - this.offset;
      const want = n - filled;
      if (avail <= want) {
        c.copy(out, filled, this.offset);
        filled += avail;
        this.chunks.shift();
        this.offset = 0;
      } else {
        c.copy(out, filled, this.offset, this.offset + want);
        this.offset += want;
        filled += want;
      }
    }
    return out;
  }
}

/** Decodes one frame laid out in buf[start - 4, end) (start points at the header-length word). */
function decodeFrame(buf: Buffer, start: number, end: number): RemotingCommand {
  const word = buf.readUInt32BE(start);
  const headerLength = word & 0xffffff;
  const headerStart = start + 4;
  const headerEnd = headerStart + headerLength;
  const cmd = word >>> 24 === SerializeType.JSON ? decodeJsonHeader(buf, headerStart, headerEnd) : decodeBinaryHeader(buf, headerStart, headerEnd);
  if (end > headerEnd) cmd.body = buf.subarray(headerEnd, end);
  return cmd;
}

/** Decodes a single complete frame (length field included); for tests and one-shot tools. */
export function decodeCommand(frame: Buffer, maxFrameLength = DEFAULT_MAX_FRAME_LENGTH): RemotingCommand {
  const d = new FrameDecoder(maxFrameLength);
  d.push(frame);
  const cmd = d.next();
  if (cmd === undefined) throw new FrameError(`incomplete frame: ${frame.length} bytes`);
  if (d.bufferedBytes !== 0) throw new FrameError(`${d.bufferedBytes} bytes after the frame`);
  return cmd;
}

/** Encodes one command (header as FrameWriter.write picks it) into a single new buffer; FrameWriter is the batched form. */
export function encodeCommand(cmd: RemotingCommand, maxFrameLength = DEFAULT_MAX_FRAME_LENGTH): Buffer {
  const w = new FrameWriter(maxFrameLength);
  w.write(cmd);
  const parts = w.take();
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}

/** Bodies at least this big are handed to the socket as they are instead of being copied. */
const ZERO_COPY_BODY = 16 * 1024;
const ARENA_SIZE = 64 * 1024;

/**
 * Collects encoded frames for one socket write. Small frames are written back to back into an
 * arena buffer (one allocation for many frames); large bodies stay separate buffers so they are
 * never copied. `take()` returns the pieces in order, ready for one cork/writev.
 */
export class FrameWriter {
  private arena: Buffer = Buffer.allocUnsafe(ARENA_SIZE);
  private used = 0;
  /** Start of the arena bytes not yet cut into `parts`. */
  private cut = 0;
  private parts: Buffer[] = [];
  private pending = 0;

  constructor(private readonly maxFrameLength: number = DEFAULT_MAX_FRAME_LENGTH) {}

  /** Bytes written and not yet taken. */
  get pendingBytes(): number {
    return this.pending;
  }

  /**
   * Appends `cmd` as one frame: a binary (ROCKETMQ) header when `cmd.serializeType` says so, JSON
   * otherwise. Throws (writing nothing) when the frame would exceed the limit.
   */
  write(cmd: RemotingCommand): void {
    const binary = cmd.serializeType === 'ROCKETMQ';
    const body = cmd.body;
    const bodyLength = body === undefined ? 0 : body.length;
    const copyBody = bodyLength < ZERO_COPY_BODY;
    // Room for the header's worst case (UTF-8: 3 bytes per UTF-16 unit), so it is encoded straight
    // into the arena and its byte length learnt from the write itself.
    const json = binary ? '' : (cmd.jsonTemplate?.json(cmd) ?? encodeJsonHeader(cmd));
    const reserve = 8 + (binary ? binaryHeaderMaxLength(cmd) : json.length * 3) + (copyBody ? bodyLength : 0);
    if (this.arena.length - this.used < reserve) this.newArena(reserve);
    const at = this.used;
    const headerLength = binary ? writeBinaryHeader(cmd, this.arena, at + 8) : this.arena.write(json, at + 8, 'utf8');
    const frameLength = 4 + headerLength + bodyLength;
    if (frameLength > this.maxFrameLength || headerLength > 0xffffff) {
      throw new FrameError(`refusing to send a ${frameLength}-byte frame: the limit is ${this.maxFrameLength} bytes`);
    }
    this.arena.writeUInt32BE(frameLength, at);
    this.arena.writeUInt32BE(markProtocolType(headerLength, binary ? SerializeType.ROCKETMQ : SerializeType.JSON), at + 4);
    this.used = at + 8 + headerLength;
    if (body !== undefined && bodyLength > 0) {
      if (copyBody) {
        body.copy(this.arena, this.used);
        this.used += bodyLength;
      } else {
        this.cutArena();
        this.parts.push(body);
      }
    }
    this.pending += 4 + frameLength;
  }

  /** Appends an already encoded frame (tests, fuzzing, proxies). */
  writeRaw(frame: Buffer): void {
    this.cutArena();
    this.parts.push(frame);
    this.pending += frame.length;
  }

  /** The pieces written since the last take, in order. */
  take(): Buffer[] {
    this.cutArena();
    const parts = this.parts;
    this.parts = [];
    this.pending = 0;
    return parts;
  }

  private cutArena(): void {
    if (this.used > this.cut) {
      this.parts.push(this.arena.subarray(this.cut, this.used));
      this.cut = this.used;
    }
  }

  private newArena(atLeast: number): void {
    this.cutArena();
    this.arena = Buffer.allocUnsafe(Math.max(ARENA_SIZE, atLeast));
    this.used = 0;
    this.cut = 0;
  }
}
