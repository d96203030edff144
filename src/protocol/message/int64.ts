/**
 * int64 fields as JS numbers: commit-log and queue offsets and millisecond timestamps stay far below
 * 2^53, and plain numbers keep the store's hot path free of BigInt.
 */
export function readInt64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * 4294967296 + buf.readUInt32BE(at + 4);
}

export function writeInt64(buf: Buffer, value: number, at: number): void {
  buf.writeInt32BE(Math.floor(value / 4294967296), at);
  buf.writeUInt32BE(value >>> 0, at + 4);
}
