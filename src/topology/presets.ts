/**
 * Presets: the topologies shipped in `topologies/`. A preset name works wherever a topology path
 * does (`rmqctl plan 2m-2s-sync`); an existing file of the same name wins.
 */
import { readdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError } from '../errors.js';
import { topologiesDir } from '../paths.js';

/** Names of the shipped presets, sorted. */
export function listPresets(): string[] {
  return readdirSync(topologiesDir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

export function presetPath(name: string): string {
  return path.join(topologiesDir, `${name}.yaml`);
}

/** A topology reference → the file to read and the name to show in problems. */
export async function resolveTopologyRef(ref: string): Promise<{ path: string; display: string }> {
  const s = await stat(ref).catch(() => undefined);
  if (s?.isFile()) return { path: ref, display: ref };
  if (s?.isDirectory()) throw new InvalidInputError(`${ref} is a directory (expected a topology file or a preset name)`);
  const presets = listPresets();
  if (presets.includes(ref)) return { path: presetPath(ref), display: presetPath(ref) };
  throw new InvalidInputError(`${ref}: no such file, and not a preset (presets: ${presets.join(', ')})`);
}
