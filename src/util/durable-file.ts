/**
 * File I/O that survives a crash: promisified fd calls, whole-buffer writes and reads at a
 * position, fsync of a directory, and the one atomic small-file write every part of rmqctl uses
 * (broker state files, store checkpoint, consumer offsets on disk, the local deploy target).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

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

/**
 * `readAt` on the calling thread (a pread without the thread pool): for bytes that are in the page
 * cache the copy costs microseconds, where the thread pool's round trip costs two wake-ups.
 */
export function readAtSync(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/**
 * `writev` on the calling thread: a small write into the page cache costs microseconds, where the
 * thread pool's round trip costs two wake-ups (and on a busy 2-core machine a pool thread that
 * runs instead of the event loop). Returns the bytes written (short writes are the caller's).
 */
export function writevSync(fd: number, buffers: readonly NodeJS.ArrayBufferView[], position: number): number {
  return fs.writevSync(fd, buffers, position);
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

export interface AtomicWriteOptions {
  /** Mode of the new file (default 0640); set on the temp file before any byte is written. */
  mode?: number;
  uid?: number;
  gid?: number;
}

/**
 * Replaces `file` atomically: a uniquely named temp file beside it (created exclusively, with its
 * final mode and owner before the content goes in, so a secret is never readable by others even
 * for a moment), fsynced, renamed over the file, then the directory fsynced. A crash leaves the
 * old file or the new one, never half of either; a failed write leaves no temp file behind.
 */
export async function writeFileAtomic(file: string, data: Buffer | string, opts: AtomicWriteOptions = {}): Promise<void> {
  const mode = opts.mode ?? 0o640;
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await fsp.open(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, mode);
  try {
    if (opts.uid !== undefined || opts.gid !== undefined) await fh.chown(opts.uid ?? -1, opts.gid ?? -1);
    await fh.chmod(mode); // the umask may have narrowed the mode given to open
    await fh.writeFile(data);
    await fh.datasync();
    await fh.close();
    await fsp.rename(tmp, file);
  } catch (e) {
    await fh.close().catch(() => {});
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(path.dirname(file));
}
