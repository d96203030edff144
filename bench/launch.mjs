// What the bench launchers (bench/compare, bench/soak, bench/scale, bench/warmup) share: build
// dist/rmqd.js (the runtime as deploy ships it), bundle bench/peers/NAME.ts next to node_modules
// (npm packages stay external), then run its main(argv, { rmqd, ...deps }) and return its exit code.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function launch(name, deps = {}) {
  const argv = process.argv.slice(2);
  if (!argv.includes('--help')) execFileSync(process.execPath, [path.join(root, 'bin', 'build.mjs')], { stdio: ['ignore', 2, 2] });
  const outfile = path.join(root, 'node_modules', '.cache', 'rmq-bench', `${name}.mjs`);
  await build({
    absWorkingDir: root,
    entryPoints: [`bench/peers/${name}.ts`],
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    sourcemap: 'inline',
    logLevel: 'warning',
    banner: { js: "import { createRequire as __rmqCreateRequire } from 'node:module'; const require = __rmqCreateRequire(import.meta.url);" },
  });
  const { main } = await import(pathToFileURL(outfile).href);
  return main(argv, { rmqd: path.join(root, 'dist', 'rmqd.js'), ...deps });
}
