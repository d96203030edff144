/**
 * Writes FileSets into a directory for review (`rmqctl render --out DIR`): one folder per host
 * holding each entry at its path relative to the host's layout root, plus manifest.json with
 * modes, owners and hashes (which a plain directory cannot hold).
 */
import { chmod, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError } from '../errors.js';
import { formatMode, sha256, type DesiredFile, type FileSet } from './fileset.js';
import { maskSecretText } from './mask.js';

/** Where an entry of a host goes under that host's folder. */
export function reviewPath(set: FileSet, entryPath: string): string {
  const rel = path.posix.relative(set.root, entryPath);
  // Outside the layout root (an explicit storeRoot on the local host): keep the absolute path.
  return rel.startsWith('..') || path.posix.isAbsolute(rel) ? entryPath.replace(/^\/+/, '') : rel;
}

export interface ManifestEntry {
  path: string;
  kind: 'file' | 'symlink' | 'dir';
  role: string;
  mode?: string;
  owner?: string | null;
  group?: string | null;
  sha256?: string;
  target?: string;
}

export function manifestOf(sets: readonly FileSet[]): { hosts: { host: string; root: string; entries: ManifestEntry[] }[] } {
  return {
    hosts: sets.map((s) => ({
      host: s.host,
      root: s.root,
      entries: s.entries.map((e): ManifestEntry => {
        if (e.kind === 'file') return { path: e.path, kind: e.kind, role: e.role, mode: formatMode(e.mode), owner: e.owner, group: e.group, sha256: e.secret ? sha256(reviewContent(e)) : e.sha256 };
        if (e.kind === 'dir') return { path: e.path, kind: e.kind, role: e.role, mode: formatMode(e.mode), owner: e.owner, group: e.group };
        return { path: e.path, kind: e.kind, role: e.role, target: e.target };
      }),
    })),
  };
}

/** What the review tree shows of a file: secrets masked (a review tree is for reading, not for hosts). */
function reviewContent(e: DesiredFile): Buffer | string {
  return e.secret ? maskSecretText(e.role, e.content.toString('utf8')) : e.content;
}

/** Writes the review tree; refuses a non-empty directory unless `force`. Returns the files written. */
export async function writeReviewTree(sets: readonly FileSet[], outDir: string, opts: { force?: boolean } = {}): Promise<number> {
  const existing = await readdir(outDir).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? [] : Promise.reject(e)));
  if (existing.length > 0 && !opts.force) throw new InvalidInputError(`${outDir} is not empty (expected an empty or new directory, or --force to write over it)`);
  let count = 0;
  for (const set of sets) {
    const hostDir = path.join(outDir, set.host);
    await mkdir(hostDir, { recursive: true });
    for (const e of set.entries) {
      const dest = path.join(hostDir, reviewPath(set, e.path));
      if (e.kind === 'dir') {
        await mkdir(dest, { recursive: true });
        continue;
      }
      await mkdir(path.dirname(dest), { recursive: true });
      if (e.kind === 'symlink') {
        await symlink(e.target, dest).catch(async (err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST' || !opts.force) throw err;
        });
      } else {
        await writeFile(dest, reviewContent(e));
        await chmod(dest, e.mode);
      }
      count++;
    }
  }
  await writeFile(path.join(outDir, 'manifest.json'), `${JSON.stringify(manifestOf(sets), null, 2)}\n`);
  return count;
}
