import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FileSet } from '../../src/render/index.js';

/**
 * Puts a local host's FileSet on disk at its real paths (under a test's state directory) — what
 * a deploy to the local target leaves behind, minus the processes — so plans can be taken
 * against a real "after deploy" state.
 */
export function applyFileSet(set: FileSet): void {
  for (const e of set.entries) {
    if (!e.path.startsWith(`${set.root}/`)) throw new Error(`test bug: ${e.path} is outside ${set.root}`);
    if (e.kind === 'dir') {
      mkdirSync(e.path, { recursive: true });
      chmodSync(e.path, e.mode);
      continue;
    }
    mkdirSync(path.dirname(e.path), { recursive: true });
    rmSync(e.path, { force: true });
    if (e.kind === 'symlink') symlinkSync(e.target, e.path);
    else {
      writeFileSync(e.path, e.content);
      chmodSync(e.path, e.mode);
    }
  }
}
