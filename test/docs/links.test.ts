/**
 * The docs hold together: every relative link in README.md and docs/ reaches a file that exists,
 * and a `#section` reaches a heading of that file (GitHub's anchors, by github-slugger); every
 * `docs/….md#section` a source comment cites (src/, test/, bench/) exists too — so moving or
 * renaming a section fails here instead of leaving the code pointing nowhere.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import GithubSlugger from 'github-slugger';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/cli.js';

function filesUnder(dir: string, keep: (f: string) => boolean): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'golden' || e.name === 'snapshots' ? [] : filesUnder(p, keep);
    return keep(p) ? [p] : [];
  });
}

/** Lines outside fenced code blocks. */
function prose(text: string): string[] {
  let fenced = false;
  return text.split('\n').filter((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return false;
    }
    return !fenced;
  });
}

const anchorCache = new Map<string, Set<string>>();
/** The anchors GitHub gives a markdown file's headings. */
function anchorsOf(file: string): Set<string> {
  let set = anchorCache.get(file);
  if (set === undefined) {
    const slugger = new GithubSlugger();
    set = new Set(
      prose(readFileSync(file, 'utf8'))
        .map((l) => /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(l)?.[1])
        .filter((h): h is string => h !== undefined)
        .map((h) => slugger.slug(h.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1'))),
    );
    anchorCache.set(file, set);
  }
  return set;
}

/** Why `target` (relative to `fromDir`, maybe with #anchor) does not resolve, or undefined. */
function brokenLink(fromFile: string, target: string): string | undefined {
  const [rel, anchor] = target.split('#', 2) as [string, string | undefined];
  const file = rel === '' ? fromFile : path.resolve(path.dirname(fromFile), decodeURI(rel));
  if (!existsSync(file)) return `no file ${path.relative(repoRoot, file)}`;
  if (anchor === undefined || anchor === '') return undefined;
  if (statSync(file).isDirectory() || !file.endsWith('.md')) return `#${anchor} on a file that is not markdown`;
  return anchorsOf(file).has(anchor) ? undefined : `no section #${anchor} in ${path.relative(repoRoot, file)}`;
}

/** `a/{b,c}.ts` → `a/b.ts`, `a/c.ts`. */
function expandBraces(p: string): string[] {
  const m = /\{([^}]*)\}/.exec(p);
  if (!m) return [p];
  return m[1]!.split(',').flatMap((x) => expandBraces(p.slice(0, m.index) + x + p.slice(m.index + m[0].length)));
}

/** A repository path as docs write it: a file or folder, `*` in its last part, `.js` for a `.ts` module. */
function repoPathExists(rel: string): boolean {
  const p = path.join(repoRoot, rel);
  if (!rel.includes('*')) return existsSync(p) || existsSync(p.replace(/\.js$/, '.ts'));
  const dir = path.dirname(p);
  const name = new RegExp(`^${path.basename(p).replace(/\./g, '\\.').replace(/\*/g, '.*')}$`);
  return existsSync(dir) && readdirSync(dir).some((f) => name.test(f));
}

const docs = [path.join(repoRoot, 'README.md'), ...filesUnder(path.join(repoRoot, 'docs'), (f) => f.endsWith('.md'))];

describe('documentation links', () => {
  it('every relative link in README.md and docs/ reaches an existing file and section', () => {
    const broken: string[] = [];
    let checked = 0;
    for (const file of docs) {
      for (const line of prose(readFileSync(file, 'utf8'))) {
        for (const m of line.matchAll(/\]\(([^)\s]+)\)/g)) {
          const target = m[1]!;
          if (/^[a-z]+:/i.test(target)) continue; // http(s), mailto
          checked++;
          const why = brokenLink(file, target);
          if (why) broken.push(`${path.relative(repoRoot, file)}: (${target}) ${why}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
    expect(broken).toEqual([]);
  });

  it('every repository path README.md and docs/ name (src/…, test/…, bench/…) exists, so a move shows up here', () => {
    const missing: string[] = [];
    let named = 0;
    for (const file of docs) {
      for (const m of readFileSync(file, 'utf8').matchAll(/(?<![\w/.-])((?:src|test|bench|bin|templates|topologies)\/[\w./{},*-]*[\w*}])/g)) {
        for (const p of expandBraces(m[1]!)) {
          named++;
          if (!repoPathExists(p)) missing.push(`${path.relative(repoRoot, file)}: ${p}`);
        }
      }
    }
    expect(named).toBeGreaterThan(100);
    expect(missing).toEqual([]);
  });

  it('every docs/ section a source comment cites exists', () => {
    const sources = ['src', 'test', 'bench'].flatMap((d) => filesUnder(path.join(repoRoot, d), (f) => /\.(ts|mjs|js)$/.test(f) || path.basename(f) === 'compare'));
    const broken: string[] = [];
    let cited = 0;
    for (const file of sources) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\bdocs\/[\w/.-]+\.md(?:#[\w-]+)?/g)) {
        cited++;
        const why = brokenLink(path.join(repoRoot, 'README.md'), m[0]);
        if (why) broken.push(`${path.relative(repoRoot, file)}: ${m[0]}: ${why}`);
      }
    }
    expect(cited).toBeGreaterThan(30);
    expect(broken).toEqual([]);
  });
});
