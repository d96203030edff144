/**
 * The import graph of src/, read from esbuild's metafile of the two shipped bundles (so it is
 * exactly what is built): every import between top-level folders points down the layer table
 * below, no two sibling folders import each other (directly or around a circle), and the rmqd
 * runtime bundle holds only the runtime's layers — nothing of topology/, render/, deploy/, ops/,
 * settings/, client/ or commands/. A new upward import fails here, naming the file and import.
 * docs/design/layers.md explains the table.
 */
import { build, type Metafile } from 'esbuild';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

/** Bottom to top; a folder may import its own layer's folders' siblings only when listed together, and any lower layer. */
const LAYERS: readonly (readonly string[])[] = [
  ['util', 'errors.ts', 'paths.ts'],
  ['remoting'],
  ['protocol', 'grpc'],
  ['node-config'],
  ['acl'],
  ['client', 'settings'],
  ['broker', 'namesrv'],
  ['runtime'],
  ['topology'],
  ['render'],
  ['ops'],
  ['deploy'],
  ['commands'],
];
/** What dist/rmqd.js may contain. */
const RUNTIME_FOLDERS = new Set(['util', 'errors.ts', 'paths.ts', 'remoting', 'protocol', 'grpc', 'node-config', 'acl', 'broker', 'namesrv', 'runtime']);

const layerOf = new Map(LAYERS.flatMap((folders, i) => folders.map((f) => [f, i] as const)));
const topFolder = (file: string) => file.split('/')[1] as string; // src/<folder>/...
const dirOf = (file: string) => path.posix.dirname(file);

interface Edge {
  from: string;
  to: string;
}

let metafile: Metafile;
let edges: Edge[];

beforeAll(async () => {
  const root = path.resolve(import.meta.dirname, '..', '..');
  const r = await build({
    absWorkingDir: root,
    entryPoints: { rmqd: 'src/runtime/main.ts', rmqctl: 'src/commands/index.ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    write: false,
    metafile: true,
    outdir: 'out',
    logLevel: 'silent',
  });
  metafile = r.metafile;
  edges = Object.entries(metafile.inputs).flatMap(([from, info]) =>
    from.startsWith('src/') ? info.imports.filter((i) => i.path.startsWith('src/')).map((i) => ({ from, to: i.path })) : [],
  );
}, 60_000);

describe('the import graph', () => {
  it('knows every top-level folder of src/', () => {
    const unknown = [...new Set(Object.keys(metafile.inputs).filter((f) => f.startsWith('src/')).map(topFolder))].filter((f) => !layerOf.has(f));
    expect(unknown, 'add new top-level folders to LAYERS (and docs/design/layers.md)').toEqual([]);
  });

  it('imports only downward (or within a folder, or between the folders of one layer)', () => {
    const upward = edges
      .filter((e) => topFolder(e.from) !== topFolder(e.to))
      .filter((e) => (layerOf.get(topFolder(e.to)) ?? 99) > (layerOf.get(topFolder(e.from)) ?? -1))
      .map((e) => `${e.from} -> ${e.to}`);
    expect(upward).toEqual([]);
  });

  it('has no circle between top-level folders', () => {
    const g = new Map<string, Set<string>>();
    for (const e of edges) {
      const a = topFolder(e.from);
      const b = topFolder(e.to);
      if (a !== b) g.set(a, (g.get(a) ?? new Set()).add(b));
    }
    expect(circles(g)).toEqual([]);
  });

  it('has no circle between sibling folders at any depth (a folder may use its parent folder\'s own files)', () => {
    const g = new Map<string, Set<string>>();
    for (const e of edges) {
      const a = dirOf(e.from);
      const b = dirOf(e.to);
      // parent/child pairs are the "folder root assembles its parts, the parts share its root files" pattern
      if (a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`)) continue;
      g.set(a, (g.get(a) ?? new Set()).add(b));
    }
    expect(circles(g)).toEqual([]);
  });

  it('keeps deploy-side code out of the rmqd runtime bundle', () => {
    const out = Object.entries(metafile.outputs).find(([file]) => file.endsWith('rmqd.js'));
    expect(out).toBeDefined();
    const folders = [...new Set(Object.keys(out![1].inputs).filter((f) => f.startsWith('src/')).map(topFolder))];
    expect(folders.filter((f) => !RUNTIME_FOLDERS.has(f))).toEqual([]);
    expect(folders).toContain('broker');
  });
});

/** Each edge a→b that lies on a circle (b reaches a), as "a -> b". */
function circles(g: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const reaches = (from: string, to: string): boolean => {
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length > 0) {
      const n = stack.pop() as string;
      if (n === to) return true;
      if (seen.has(n)) continue;
      seen.add(n);
      stack.push(...(g.get(n) ?? []));
    }
    return false;
  };
  return [...g].flatMap(([a, bs]) => [...bs].filter((b) => reaches(b, a)).map((b) => `${a} -> ${b}`)).sort();
}
