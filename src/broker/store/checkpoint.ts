import fsp from 'node:fs/promises';
import { crc32 } from '../../protocol/message/crc32.js';
import { readInt64, writeInt64 } from '../../protocol/message/int64.js';
import { writeFileAtomic } from '../../util/durable-file.js';

/**
 * The checkpoint: how far each part of the store is known durable. Recovery re-verifies the
 * commit log and rebuilds consume queues and the index from `min(logicsDurable, indexDurable)`.
 * Layout (big-endian): magic "RMQCKPT1", commitLogFlushed, logicsDurable, indexDurable,
 * writtenAt (ms), CRC32 of the preceding 40 bytes.
 */
export interface Checkpoint {
  /** Every commit-log byte below this offset had been fdatasync'ed. */
  commitLogFlushed: number;
  /** Consume-queue entries of every record below this commit-log offset had been fsync'ed. */
  logicsDurable: number;
  /** Index entries of every record below this commit-log offset had been fsync'ed. */
  indexDurable: number;
  writtenAt: number;
}

const MAGIC = Buffer.from('RMQCKPT1');
const SIZE = 44;

export function encodeCheckpoint(c: Checkpoint): Buffer {
  const b = Buffer.alloc(SIZE);
  MAGIC.copy(b, 0);
  writeInt64(b, c.commitLogFlushed, 8);
  writeInt64(b, c.logicsDurable, 16);
  writeInt64(b, c.indexDurable, 24);
  writeInt64(b, c.writtenAt, 32);
  b.writeUInt32BE(crc32(b.subarray(0, 40)), 40);
  return b;
}

/** undefined when absent; throws on a damaged file (the caller decides how to recover). */
export async function readCheckpoint(file: string): Promise<Checkpoint | undefined> {
  let b: Buffer;
  try {
    b = await fsp.readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  if (b.length !== SIZE || !b.subarray(0, 8).equals(MAGIC) || b.readUInt32BE(40) !== crc32(b.subarray(0, 40))) {
    throw new Error(`checkpoint file ${file} is damaged (${b.length} bytes)`);
  }
  return { commitLogFlushed: readInt64(b, 8), logicsDurable: readInt64(b, 16), indexDurable: readInt64(b, 24), writtenAt: readInt64(b, 32) };
}

export function writeCheckpoint(file: string, c: Checkpoint): Promise<void> {
  return writeFileAtomic(file, encodeCheckpoint(c));
}
