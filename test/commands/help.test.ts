/**
 * `rmqctl --help` says what each topic is: every topic (the first word of a two-word command)
 * has its own description in package.json `oclif.topics`, and the help shows that text — not the
 * first subcommand's summary, which is what oclif falls back to without one.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, rmqctl } from '../support/cli.js';

interface Pkg {
  oclif: { topics?: Record<string, { description: string }> };
}
const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as Pkg;
const topicsInPkg = pkg.oclif.topics ?? {};
const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

/** The command classes oclif loads (package.json oclif.commands: explicit strategy, dist/rmqctl.js). */
async function commands(): Promise<Record<string, { summary?: string; description?: string }>> {
  const mod = (await import(path.join(repoRoot, 'dist', 'rmqctl.js'))) as { COMMANDS: Record<string, { summary?: string; description?: string }> };
  return mod.COMMANDS;
}

/** `NAME  text` rows of a help section (continuation lines joined), by name. */
function section(help: string, title: string): Map<string, string> {
  const lines = help.split('\n');
  const start = lines.indexOf(title);
  expect(start, `${title} section in:\n${help}`).toBeGreaterThanOrEqual(0);
  const rows = new Map<string, string>();
  let current: string | undefined;
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '' || !line.startsWith('  ')) break;
    const m = /^ {2}(\S+) {2,}(.*)$/.exec(line);
    if (m) rows.set((current = m[1]!), m[2]!);
    else if (current !== undefined) rows.set(current, `${rows.get(current)} ${line.trim()}`);
  }
  return rows;
}

describe('rmqctl --help topics', () => {
  it('every topic has its own description in package.json oclif.topics, and no topic is listed without commands', async () => {
    const ids = Object.keys(await commands());
    const topics = [...new Set(ids.filter((id) => id.includes(':')).map((id) => id.split(':')[0]!))].sort();
    expect(Object.keys(topicsInPkg).sort()).toEqual(topics);
    for (const t of topics) expect(topicsInPkg[t]!.description.length, t).toBeGreaterThan(20);
  });

  it('shows each topic with that description, never a subcommand summary, in `rmqctl --help` and `rmqctl <topic> --help`', async () => {
    const cmds = await commands();
    const summaries = new Set(Object.values(cmds).map((c) => squash(c.summary ?? c.description ?? '')));
    const r = await rmqctl(['--help']);
    expect(r.code, r.stderr).toBe(0);
    const shown = section(r.stdout, 'TOPICS');
    expect([...shown.keys()].sort()).toEqual(Object.keys(topicsInPkg).sort());
    for (const [topic, text] of shown) {
      expect(squash(text), topic).toBe(squash(topicsInPkg[topic]!.description));
      expect(summaries.has(squash(text)), `${topic} shows a subcommand's summary`).toBe(false);
    }
    const perTopic = await Promise.all(Object.keys(topicsInPkg).map(async (t) => [t, await rmqctl([t, '--help'])] as const));
    for (const [topic, h] of perTopic) {
      expect(h.code, h.stderr).toBe(0);
      expect(squash(h.stdout.split('\n\nUSAGE')[0]!), topic).toBe(squash(topicsInPkg[topic]!.description));
    }
  });
});
