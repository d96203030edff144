import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

/** RocketMQ names segment files by their start offset, zero-padded to 20 digits (`UtilAll.offset2FileName`). */
export function offsetFileName(offset: number): string {
  return String(offset).padStart(20, '0');
}

/** Files of a directory named by a 20-digit offset, sorted by that offset; other names are ignored. */
export async function listOffsetFiles(dir: string): Promise<{ start: number; path: string }[]> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names
    .filter((n) => /^\d{20}$/.test(n))
    .map((n) => ({ start: Number(n), path: path.join(dir, n) }))
    .sort((a, b) => a.start - b.start);
}

export const fdatasync = promisify(fs.fdatasync);
export const fsync = promisify(fs.fsync);
export const close = promisify(fs.close);
export const ftruncate = promisify(fs.ftruncate);
export const open = promisify(fs.open);
export const fstat = promisify(fs.fstat);

export function writev(fd: number, buffers: readonly NodeJS.ArrayBufferView[], position: number): Promise<number> {
  return new Promise((resolve, reject) => fs.writev(fd, buffers, position, (err, n) => (err ? reject(err) : resolve(n))));
}

/** Writes all of buf at position (looping over short writes). */
export async function writeFully(fd: number, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    done += await new Promise<number>((resolve, reject) =>
      fs.write(fd, buf, done, buf.length - done, position + done, (err, n) => (err ? reject(err) : resolve(n))),
    );
  }
}

/** Reads exactly `length` bytes at `position` (fewer only at end of file). */
export async function readAt(fd: number, length: number, position: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = await new Promise<number>((resolve, reject) =>
      fs.read(fd, buf, done, length - done, position + done, (err, k) => (err ? reject(err) : resolve(k))),
    );
    if (n === 0) break;
    done += n;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/** fsync a directory so that files created, renamed or removed in it stay so after a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fd = await open(dir, 'r');
  try {
    await fsync(fd);
  } finally {
    await close(fd);
  }
}

/** Writes a small file atomically: temp file, fsync, rename, fsync of the directory. */
export async function writeFileAtomic(file: string, data: Buffer | string): Promise<void> {
  const tmp = `${file}.tmp`;
  const fd = await open(tmp, 'w', 0o640);
  try {
    await writeFully(fd, Buffer.isBuffer(data) ? data : Buffer.from(data), 0);
    await fdatasync(fd);
  } finally {
    await close(fd);
  }
  await fsp.rename(tmp, file);
  await fsyncDir(path.dirname(file));
}
