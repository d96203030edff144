#!/usr/bin/env node
// Builds the two shipped artifacts with esbuild:
//  dist/rmqd.js    the runtime (NameServer | Broker): one self-contained file, no node_modules
//                  needed, so deploy can push it to a host as is.
//  dist/rmqctl.js  the CLI: commands bundled, npm dependencies left external (resolved from
//                  node_modules at run time; oclif loads this file through its explicit strategy).
//  dist/console/   the web page `rmqctl console` serves (Vite: Preact + uPlot from console/,
//                  everything bundled, nothing fetched at run time).
// Type checking is separate (`npm run typecheck`); esbuild only strips types.
import { build } from 'esbuild';
import { build as viteBuild } from 'vite';
import { fileURLToPath } from 'node:url';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { etcdProtoPlugin } from './etcd-descriptor.mjs';
import { v2DescriptorModule } from './v2-descriptor.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// The v5 gRPC protocol (apache.rocketmq.v2) read from the pinned package's .proto files now, at
// build time, and embedded as the module `rmq:v2-descriptor` (src/grpc/descriptor.ts loads it).
const v2DescriptorPlugin = {
  name: 'rmq-v2-descriptor',
  setup(b) {
    b.onResolve({ filter: /^rmq:v2-descriptor$/ }, (args) => ({ path: args.path, namespace: 'rmq-v2-descriptor' }));
    b.onLoad({ filter: /.*/, namespace: 'rmq-v2-descriptor' }, () => ({ contents: v2DescriptorModule(), loader: 'js' }));
  },
};

// ESM bundles that contain CommonJS code need a real `require` for Node built-ins.
const requireShim = "import { createRequire as __rmqCreateRequire } from 'node:module'; const require = __rmqCreateRequire(import.meta.url);";

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  logLevel: 'warning',
  banner: { js: requireShim },
  plugins: [v2DescriptorPlugin, etcdProtoPlugin],
};

// The page is always a production build, whatever NODE_ENV the caller has (vitest's global setup
// runs this with NODE_ENV=test, which would otherwise bundle development builds of the UI libraries).
process.env.NODE_ENV = 'production';

/**
 * esbuild writes code ASCII-only (charset: ascii) but keeps some comments as they are, and one
 * non-ASCII character anywhere makes V8 hold a script's whole source as a two-byte string: 2.8 MB
 * more heap in every rmqd process. Escaping what is left (\uXXXX: the same character in a string,
 * template, regular expression or identifier; only text in a comment) keeps the source one-byte.
 */
async function asciiOnly(file) {
  const text = await readFile(path.join(root, file), 'utf8');
  const ascii = text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (ascii !== text) await writeFile(path.join(root, file), ascii);
}

await Promise.all([
  build({ ...common, entryPoints: ['src/runtime/main.ts'], outfile: 'dist/rmqd.js' }).then(() => asciiOnly('dist/rmqd.js')),
  build({ ...common, entryPoints: ['src/commands/index.ts'], outfile: 'dist/rmqctl.js', packages: 'external' }).then(() => asciiOnly('dist/rmqctl.js')),
  viteBuild({ configFile: path.join(root, 'console', 'vite.config.mjs') }),
]);
