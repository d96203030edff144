/**
 * The real runtime for deploy tests: dist/rmqd.js as built by the global setup, optionally with a
 * comment appended so that it is another release (another content hash) — e.g. to test an upgrade
 * and a rollback with two builds that both really run.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runtimeBundle } from '../../src/paths.js';
import { releaseOf, type RuntimeRelease } from '../../src/render/index.js';

export function runtimeRelease(tag?: string): RuntimeRelease {
  const content = readFileSync(runtimeBundle);
  return releaseOf(tag ? Buffer.concat([content, Buffer.from(`\n// release ${tag}\n`)]) : content);
}

/** That release as a file in `dir`, for `rmqctl deploy --runtime FILE`. */
export function runtimeFile(tag: string, dir: string): string {
  const file = path.join(dir, `rmqd-${tag}.js`);
  writeFileSync(file, runtimeRelease(tag).content);
  return file;
}
