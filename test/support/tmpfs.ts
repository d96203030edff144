/**
 * A small file system of its own for a test (tmpfs with a size limit, mounted as root): a store on
 * it really runs out of space — writes fail with ENOSPC — and `fill`/`free` move its use up and down.
 * Unmounted when the current test finishes; register it before starting processes that use it, so
 * they are stopped first (test-finished hooks run last-registered first).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, rmdirSync, statfsSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';

/** Mounting needs root (CI runs as root). */
export const canMountTmpfs = process.getuid?.() === 0;

export interface SmallFs {
  dir: string;
  /** Percent used, as `df` computes it. */
  usedPercent(): number;
  freeBytes(): number;
  /** Writes a ballast file until the file system is `percent` full (100: until ENOSPC, 0 bytes left). Returns its path. */
  fill(percent: number, name?: string): string;
}

export function smallFs(sizeBytes: number): SmallFs {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rmq-smallfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0755`, 'tmpfs', dir]);
  onTestFinished(() => {
    try {
      execFileSync('umount', [dir]);
    } catch {
      execFileSync('umount', ['-l', dir]);
    }
    rmdirSync(dir);
  });
  const stat = () => statfsSync(dir);
  const usedPercent = () => {
    const s = stat();
    return ((s.blocks - s.bavail) / s.blocks) * 100;
  };
  const freeBytes = () => {
    const s = stat();
    return s.bavail * s.bsize;
  };
  return {
    dir,
    usedPercent,
    freeBytes,
    fill(percent, name = `ballast-${Date.now()}`) {
      const file = path.join(dir, name);
      const fd = openSync(file, 'a');
      const chunk = Buffer.alloc(64 * 1024, 0xee);
      try {
        for (let size = chunk.length; usedPercent() < percent; ) {
          try {
            writeSync(fd, chunk, 0, size);
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
            if (size === 1) break;
            size = Math.max(1, size >> 2);
          }
        }
      } finally {
        closeSync(fd);
      }
      return file;
    },
  };
}

/** Removes a ballast file `fill` wrote. */
export function removeBallast(file: string): void {
  rmSync(file, { force: true });
}
