/**
 * The observed side of a plan: what is on a host now. A small read-only view, shaped so that a
 * deploy Target (SSH or local) satisfies it as is; here: the empty host (`--offline`) and this
 * machine's file system (the local target's state directory).
 */
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import type { RemoteStat } from '../transport/ssh.js';

export interface ObservedHost {
  /** Contents, or undefined when missing. */
  readFile(path: string): Promise<Buffer | undefined>;
  /** Does not follow symlinks; undefined when missing. */
  lstat(path: string): Promise<RemoteStat | undefined>;
  /** Sorted entry names, or undefined when the directory is missing. */
  readdir(path: string): Promise<string[] | undefined>;
  readlink(path: string): Promise<string | undefined>;
}

/** A host with nothing on it: what `plan --offline` compares against. */
export const EMPTY_HOST: ObservedHost = {
  readFile: async () => undefined,
  lstat: async () => undefined,
  readdir: async () => undefined,
  readlink: async () => undefined,
};

const missing = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR';

/** This machine's file system, read-only (paths are absolute: the model's, already under the state dir). */
export const LOCAL_FS: ObservedHost = {
  async readFile(p) {
    return readFile(p).catch((e: unknown) => (missing(e) ? undefined : Promise.reject(e)));
  },
  async lstat(p) {
    try {
      const s = await lstat(p);
      const type = s.isFile() ? 'file' : s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'symlink' : 'other';
      return { type, mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, size: s.size, mtimeMs: s.mtimeMs };
    } catch (e) {
      if (missing(e)) return undefined;
      throw e;
    }
  },
  async readdir(p) {
    return readdir(p).then((names) => names.sort(), (e: unknown) => (missing(e) ? undefined : Promise.reject(e)));
  },
  async readlink(p) {
    return readlink(p).catch((e: unknown) => (missing(e) || (e as NodeJS.ErrnoException).code === 'EINVAL' ? undefined : Promise.reject(e)));
  },
};
