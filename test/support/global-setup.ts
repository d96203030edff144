import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureDebianPackages } from './system-packages.js';

/**
 * Tests run the shipped artifacts (dist/rmqd.js, dist/rmqctl.js): build them from the current
 * source first. As root, the Debian packages the suite drives are installed first if missing.
 */
export default function setup(): void {
  ensureDebianPackages();
  const root = fileURLToPath(new URL('../..', import.meta.url));
  execFileSync(process.execPath, ['bin/build.mjs'], { cwd: root, stdio: 'inherit' });
}
