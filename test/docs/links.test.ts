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
