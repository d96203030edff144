import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/**
 * Every file (mode + content) and symlink (target) under dir, keyed by relative path. Directories
 * themselves are not listed: git keeps no empty ones, so goldens cannot hold them.
 */
export function snapshotTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = lstatSync(p);
      const rel = path.relative(dir, p);
      if (st.isSymbolicLink()) out[rel] = `-> ${readlinkSync(p)}`;
      else if (st.isDirectory()) walk(p);
      else out[rel] = `${(st.mode & 0o777).toString(8)}\n${readFileSync(p, 'utf8')}`;
    }
  };
  walk(dir);
  return out;
}
