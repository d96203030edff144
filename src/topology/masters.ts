/**
 * Which node of a broker group is its master when that is not the one the topology names: the
 * state a planned switchover (`rmqctl failover`) leaves, in `masters.yaml` of the cluster's state
 * directory. render, plan and deploy read it, so the next plan shows no change and a restarted
 * node comes back in its current role; an operator reads it (and `rmqctl status`) to see who is
 * master. Node ids stay what the topology makes them (they name store directories and units):
 * only brokerId, brokerRole and the HA addresses move.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { InvalidInputError } from '../errors.js';
import { writeFileAtomic } from '../util/durable-file.js';

export const MASTERS_FILE = 'masters.yaml';

/** One group's master as the last switchover left it. */
export interface GroupMaster {
  /** The node id of the master (e.g. broker-a-1). */
  master: string;
  /** The master's epoch then. */
  epoch: number;
  /** When (ISO time) and by what command. */
  since: string;
  by: string;
}

export interface MastersState {
  cluster: string;
  groups: Record<string, GroupMaster>;
}

/** Group name → master node id, as ModelOptions.masters takes it. */
export function mastersOf(state: MastersState): Record<string, string> {
  return Object.fromEntries(Object.entries(state.groups).map(([g, v]) => [g, v.master]));
}

export function mastersPath(stateDir: string): string {
  return path.join(stateDir, MASTERS_FILE);
}

/** The state of a cluster's state directory (an empty one when there is no file). */
export async function readMasters(stateDir: string, cluster: string): Promise<MastersState> {
  const file = mastersPath(stateDir);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { cluster, groups: {} };
    throw new InvalidInputError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const bad = (why: string) => new InvalidInputError(`${file}: ${why} (written by rmqctl failover; run it again to rewrite the file, e.g. \`rmqctl failover <topology> <group> --to <node>\` with the node that is master now)`);
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw bad(`not YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  const o = doc.toJS() as { cluster?: unknown; groups?: unknown } | null;
  if (o === null || typeof o !== 'object') throw bad('expected a map with cluster and groups');
  if (o.cluster !== cluster) throw bad(`it is for cluster ${JSON.stringify(o.cluster)}, not ${cluster}`);
  const groups: Record<string, GroupMaster> = {};
  if (o.groups !== undefined && o.groups !== null) {
    if (typeof o.groups !== 'object' || Array.isArray(o.groups)) throw bad('groups must be a map of group name: {master, epoch, since, by}');
    for (const [name, v] of Object.entries(o.groups as Record<string, unknown>)) {
      const g = v as Partial<GroupMaster> | null;
      if (g === null || typeof g !== 'object' || typeof g.master !== 'string' || !Number.isSafeInteger(g.epoch)) throw bad(`groups.${name} must have master (a node id) and epoch (an integer)`);
      groups[name] = { master: g.master, epoch: g.epoch as number, since: String(g.since ?? ''), by: String(g.by ?? '') };
    }
  }
  return { cluster, groups };
}

/** Writes the state (atomically); a group whose master is the topology's own again is dropped by the caller. */
export async function writeMasters(stateDir: string, state: MastersState): Promise<string> {
  const file = mastersPath(stateDir);
  await fsp.mkdir(stateDir, { recursive: true, mode: 0o750 });
  const lines = [
    '# The current master of each broker group whose master is not the one the topology names.',
    '# Written by `rmqctl failover` (a planned switchover); rmqctl render, plan and deploy read it,',
    '# so the nodes keep their current roles. Change it with `rmqctl failover`, not by hand.',
    `cluster: ${state.cluster}`,
    Object.keys(state.groups).length === 0 ? 'groups: {}' : 'groups:',
  ];
  for (const name of Object.keys(state.groups).sort()) {
    const g = state.groups[name]!;
    lines.push(`  ${name}:`, `    master: ${g.master}`, `    epoch: ${g.epoch}`, `    since: ${JSON.stringify(g.since)}`, `    by: ${JSON.stringify(g.by)}`);
  }
  await writeFileAtomic(file, `${lines.join('\n')}\n`, { mode: 0o640 });
  return file;
}
