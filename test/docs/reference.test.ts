/**
 * docs/reference/ is generated (npm run docs:reference, bin/gen-reference.mjs) from oclif's manifest
 * of the built CLI and from the properties key registries. This fails, naming what is missing, when
 * a command, argument, flag or key is not in the committed pages, when a page lists one that no
 * longer exists, and when a page differs in any other way from what the generator writes now.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadManifest, REFERENCE_FILES, renderReference, type ManifestCommand } from '../../bin/gen-reference.mjs';
import { BROKER_KEYS } from '../../src/node-config/broker-keys.js';
import { NAMESRV_KEYS } from '../../src/node-config/namesrv-keys.js';
import { repoRoot } from '../support/cli.js';

const REGENERATE = 'run `npm run docs:reference` and commit docs/reference/';
const committed = (file: string): string => {
  try {
    return readFileSync(path.join(repoRoot, file), 'utf8');
  } catch {
    return '';
  }
};

let manifest: Record<string, ManifestCommand>;
let rendered: Record<string, string>;

beforeAll(async () => {
  manifest = (await loadManifest(repoRoot)).commands;
  rendered = await renderReference(repoRoot);
}, 60_000);

/** The committed cli.md cut into sections by command heading: `rmqctl topic create` → its text. */
function cliSections(text: string): Map<string, string> {
  const parts = text.split(/^## (rmqctl [^\n]+)$/m);
  const out = new Map<string, string>();
  for (let i = 1; i < parts.length; i += 2) out.set(parts[i]!, parts[i + 1] ?? '');
  return out;
}
const heading = (id: string) => `rmqctl ${id.split(':').join(' ')}`;

/** Keys that have a row in a committed properties page. */
const keyRows = (text: string) => [...text.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!);

describe('docs/reference', () => {
  it('the manifest holds every command of the explicit command table (dist/rmqctl.js COMMANDS)', async () => {
    const { COMMANDS } = (await import(path.join(repoRoot, 'dist', 'rmqctl.js'))) as { COMMANDS: Record<string, unknown> };
    expect(Object.keys(manifest).sort()).toEqual(Object.keys(COMMANDS).sort());
  });

  it('cli.md has every command, argument and flag, and no command that no longer exists', () => {
    const sections = cliSections(committed(REFERENCE_FILES.cli));
    const visible = Object.values(manifest).filter((c) => !c.hidden);
    const missing: string[] = [];
    for (const cmd of visible) {
      const section = sections.get(heading(cmd.id));
      if (section === undefined) {
        missing.push(`command ${heading(cmd.id)}`);
        continue;
      }
      for (const a of Object.values(cmd.args).filter((x) => !x.hidden)) if (!section.includes(`| \`${a.name.toUpperCase()}\` |`)) missing.push(`${heading(cmd.id)}: argument ${a.name}`);
      for (const f of Object.values(cmd.flags).filter((x) => !x.hidden)) if (!section.includes(`| \`--${f.name}\``)) missing.push(`${heading(cmd.id)}: flag --${f.name}`);
    }
    expect(missing, `missing from ${REFERENCE_FILES.cli}: ${REGENERATE}`).toEqual([]);
    const gone = [...sections.keys()].filter((h) => !visible.some((c) => heading(c.id) === h));
    expect(gone, `commands in ${REFERENCE_FILES.cli} that no longer exist: ${REGENERATE}`).toEqual([]);
  });

  it.each([
    ['broker', REFERENCE_FILES.broker, BROKER_KEYS],
    ['namesrv', REFERENCE_FILES.namesrv, NAMESRV_KEYS],
  ] as const)('%s properties page lists exactly the keys of the registry', (_, file, registry) => {
    const rows = keyRows(committed(file));
    expect(
      Object.keys(registry).filter((k) => !rows.includes(k)),
      `keys missing from ${file}: ${REGENERATE}`,
    ).toEqual([]);
    expect(
      rows.filter((k) => !(k in registry)),
      `keys in ${file} that the registry no longer has: ${REGENERATE}`,
    ).toEqual([]);
  });

  it('every committed page is exactly what the generator writes now (descriptions, types, defaults)', () => {
    const stale = Object.entries(rendered)
      .filter(([file, text]) => committed(file) !== text)
      .map(([file]) => file);
    expect(stale, REGENERATE).toEqual([]);
  });
});
