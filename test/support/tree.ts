import { lstatSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Golden trees keep file modes in a manifest (`MODES_FILE`) because git stores only 644/755:
 * a rendered 0640 config checked out from git would read back as 0644.
 */
export const MODES_FILE = '.modes';

/**
 * Every file (mode + content) and symlink (target) under dir, keyed by relative path. Directories
 * themselves are not listed: git keeps no empty ones, so goldens cannot hold them. When dir holds
 * a modes manifest, modes come from it instead of the file system.
 */
export function snapshotTree(dir: string): Record<string, string> {
  let manifest: Map<string, string> | undefined;
  try {
    manifest = new Map(
      readFileSync(path.join(dir, MODES_FILE), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [mode = '', ...rest] = l.split(' ');
          return [rest.join(' '), mode] as const;
        }),
    );
  } catch {
    manifest = undefined;
  }
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = lstatSync(p);
      const rel = path.relative(dir, p);
      if (rel === MODES_FILE) continue;
      if (st.isSymbolicLink()) out[rel] = `-> ${readlinkSync(p)}`;
      else if (st.isDirectory()) walk(p);
      else out[rel] = `${manifest ? (manifest.get(rel) ?? '?') : (st.mode & 0o777).toString(8)}\n${readFileSync(p, 'utf8')}`;
    }
  };
  walk(dir);
  return out;
}

/** Writes dir's modes manifest (used when goldens are regenerated). */
export function writeModesManifest(dir: string): void {
  const lines: string[] = [];
  for (const [rel, v] of Object.entries(snapshotTree(dir))) {
    if (!v.startsWith('-> ')) lines.push(`${v.slice(0, v.indexOf('\n'))} ${rel}`);
  }
  writeFileSync(path.join(dir, MODES_FILE), `${lines.join('\n')}\n`);
}

/** Every file under dir (recursively), as full paths. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}
