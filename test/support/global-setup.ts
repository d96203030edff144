import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Tests run the shipped artifacts (dist/rmqd.js, dist/rmqctl.js): build them from the current source first. */
export default function setup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  execFileSync(process.execPath, ['bin/build.mjs'], { cwd: root, stdio: 'inherit' });
}
