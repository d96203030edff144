import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root (where package.json, templates/ and topologies/ live). Found by walking up
 * from this module, because the same code runs from src/ (tests) and from dist/ (bundled).
 */
function findPackageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'rmqctl') return dir;
      } catch {
        // not ours; keep walking
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('rmqctl: cannot find the package root (package.json named rmqctl)');
    dir = parent;
  }
}

export const packageRoot = findPackageRoot();
export const templatesDir = path.join(packageRoot, 'templates');
export const topologiesDir = path.join(packageRoot, 'topologies');
/** The bundled runtime that deploy ships to hosts and the local target runs. */
export const runtimeBundle = path.join(packageRoot, 'dist', 'rmqd.js');
