/**
 * The console's web page: the files `npm run build` puts in dist/console (Vite; sources in
 * console/), read once at start. Only those exact paths are served — a request names a file of
 * that list or gets the page itself (`/`) — so no path from a request ever reaches the filesystem.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { RmqError } from '../../errors.js';
import { packageRoot } from '../../paths.js';

export const consoleAssetsDir = path.join(packageRoot, 'dist', 'console');

export interface Asset {
  body: Buffer;
  type: string;
  /** Hashed file names never change content: cache them. */
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** URL path (`/index.html`, `/assets/index-3f2a.js`) → file. Throws when the page was not built. */
export function loadAssets(dir = consoleAssetsDir): Map<string, Asset> {
  const out = new Map<string, Asset>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = path.join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else {
        const rel = path.relative(dir, full).split(path.sep).join('/');
        out.set(`/${rel}`, { body: readFileSync(full), type: TYPES[path.extname(name)] ?? 'application/octet-stream', immutable: rel.startsWith('assets/') });
      }
    }
  };
  try {
    walk(dir);
  } catch (e) {
    throw new RmqError(`the console's page is not built (${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): run \`npm run build\` in the rmqctl package`);
  }
  if (!out.has('/index.html')) throw new RmqError(`the console's page is not built (${dir} has no index.html): run \`npm run build\` in the rmqctl package`);
  return out;
}
