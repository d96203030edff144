import fsp from 'node:fs/promises';
import path from 'node:path';

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
