/**
 * The HA replication wire format (docs/design/protocol.md#ha-replication-stream; Java 4.x `HAConnection`/`HAService.HAClient`,
 * 5.x `DefaultHAConnection`/`DefaultHAClient`): raw TCP, no remoting frames. Sans-IO: bytes in,
 * values out.
 *
 * - slave → master: bare 8-byte big-endian int64s, each the slave's commit-log max offset. The
 *   first is where the master starts sending; later ones are acknowledgements.
 * - master → slave: `[int64 masterPhyOffset][int32 size][size bytes of raw commit log]`; a frame
 *   with size 0 is a heartbeat.
 */
import { readInt64, writeInt64 } from '../../protocol/message/int64.js';

/** Bytes of one slave report. */
export const REPORT_SIZE = 8;
/** Bytes of a transfer frame's header. */
export const TRANSFER_HEADER_SIZE = 12;
/**
 * Largest frame body a slave accepts: Java's haTransferBatchSize is configurable (32 KiB default);
 * anything near the frame limit of the remoting protocol is a broken or hostile peer.
 */
export const MAX_TRANSFER_BODY = 16 * 1024 * 1024;

/** A peer sent bytes that are not this protocol. The connection must be dropped. */
export class HaProtocolError extends Error {
  override readonly name = 'HaProtocolError';
}

export function encodeOffsetReport(offset: number): Buffer {
  const b = Buffer.allocUnsafe(REPORT_SIZE);
  writeInt64(b, offset, 0);
  return b;
}

/**
 * Master side: reports arrive in any split; only the latest complete one matters (Java reads the
 * last whole 8 bytes of its buffer). Keeps at most 7 bytes between chunks.
 */
export class OffsetReportReader {
  private partial = Buffer.alloc(0);

  /** Feeds bytes; returns the latest complete report in them (undefined when none completed). */
  push(chunk: Buffer): number | undefined {
    const buf = this.partial.length > 0 ? Buffer.concat([this.partial, chunk]) : chunk;
    const whole = buf.length - (buf.length % REPORT_SIZE);
    this.partial = Buffer.from(buf.subarray(whole));
    if (whole === 0) return undefined;
    const v = readInt64(buf, whole - REPORT_SIZE);
    if (v < 0) throw new HaProtocolError(`slave reported a negative offset ${v}`);
    return v;
  }
}

export function encodeTransferHeader(masterPhyOffset: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(TRANSFER_HEADER_SIZE);
  writeInt64(b, masterPhyOffset, 0);
  b.writeInt32BE(size, 8);
  return b;
}

/**
 * The frames for `data` read from the master's commit log at `offset`, split at `batchSize`
 * (haTransferBatchSize): header and body buffers, ready for one writev.
 */
export function encodeTransfer(offset: number, data: Buffer, batchSize: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += batchSize) {
    const body = data.subarray(at, Math.min(data.length, at + batchSize));
    out.push(encodeTransferHeader(offset + at, body.length), body);
  }
  return out;
}

export interface TransferFrame {
  masterPhyOffset: number;
  /** Empty for a heartbeat. */
  data: Buffer;
}

/** Slave side: complete frames out of a byte stream, in order. */
export class TransferReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** Bytes received but not yet returned as frames. */
  get pending(): number {
    return this.buffered;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** Every complete frame buffered so far. Throws HaProtocolError on an impossible header. */
  frames(): TransferFrame[] {
    const out: TransferFrame[] = [];
    if (this.buffered < TRANSFER_HEADER_SIZE) return out;
    // the first frame still incomplete: no need to join the chunks yet
    const first = this.chunks[0] as Buffer;
    if (first.length >= TRANSFER_HEADER_SIZE) {
      const size = first.readInt32BE(8);
      if (size >= 0 && size <= MAX_TRANSFER_BODY && this.buffered < TRANSFER_HEADER_SIZE + size) return out;
    }
    const buf = this.chunks.length === 1 ? first : Buffer.concat(this.chunks, this.buffered);
    let at = 0;
    while (buf.length - at >= TRANSFER_HEADER_SIZE) {
      const masterPhyOffset = readInt64(buf, at);
      const size = buf.readInt32BE(at + 8);
      if (masterPhyOffset < 0 || size < 0 || size > MAX_TRANSFER_BODY) {
        throw new HaProtocolError(`impossible transfer header at stream byte ${at}: offset ${masterPhyOffset}, size ${size}`);
      }
      if (buf.length - at < TRANSFER_HEADER_SIZE + size) break;
      const start = at + TRANSFER_HEADER_SIZE;
      out.push({ masterPhyOffset, data: buf.subarray(start, start + size) });
      at = start + size;
    }
    const rest = buf.subarray(at);
    // a view, not a copy: socket chunks are never reused, so frames and the tail can share them
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }
}
