/**
 * `rmqctl deploy --plan plan.json` applies a saved plan only if it is still exactly what a plan
 * made now would say: same cluster and runtime, same desired files (the topology and templates
 * did not change), same state on every host (nothing changed there since), same actions (no node
 * started or stopped since). Otherwise it refuses, naming each host and file that moved. Pure.
 */
import { isDeepStrictEqual } from 'node:util';
import { InvalidInputError } from '../../errors.js';
import type { EntryChange, ObservedEntry, Plan } from './plan.js';
import { describeAction } from './format.js';

export interface DriftProblem {
  host?: string;
  path?: string;
  message: string;
}

const observedText = (o: ObservedEntry | undefined) =>
  !o ? 'nothing' : o.kind === 'symlink' ? `a symlink → ${o.target}` : o.kind === 'file' ? `a file (${o.mode}, ${o.size} bytes${o.sha256 ? `, sha256 ${o.sha256.slice(0, 12)}` : ''})` : `a ${o.kind === 'dir' ? 'directory' : o.kind} (${o.mode})`;

const desired = (e: EntryChange) => ({ kind: e.kind, mode: e.mode, owner: e.owner, group: e.group, sha256: e.sha256, target: e.target });

/** Why `saved` can no longer be applied as is, given `fresh` (a plan made now); [] = apply it. */
export function planDrift(saved: Plan, freshPlan: Plan): DriftProblem[] {
  // compare as saved: JSON has no undefined-valued keys
  const fresh = JSON.parse(JSON.stringify(freshPlan)) as Plan;
  const out: DriftProblem[] = [];
  if (saved.cluster !== fresh.cluster) return [{ message: `the plan is for cluster ${saved.cluster}, the topology is cluster ${fresh.cluster}` }];
  if (saved.release.sha256 !== fresh.release.sha256) out.push({ message: `the plan ships runtime release ${saved.release.id}, this deploy ships ${fresh.release.id}` });
  const freshHosts = new Map(fresh.hosts.map((h) => [h.host, h]));
  for (const sh of saved.hosts) {
    const fh = freshHosts.get(sh.host);
    if (!fh) {
      out.push({ host: sh.host, message: 'is in the plan but no longer in the topology' });
      continue;
    }
    if (sh.observed === 'empty' && fh.observed !== 'empty') out.push({ host: sh.host, message: 'was planned --offline (against an empty host): plan it against the host to apply it' });
    const freshEntries = new Map(fh.entries.map((e) => [e.path, e]));
    for (const se of sh.entries) {
      const fe = freshEntries.get(se.path);
      freshEntries.delete(se.path);
      if (!fe) {
        out.push({ host: sh.host, path: se.path, message: se.change === 'delete' ? `is gone since the plan (it was to be deleted)` : 'is no longer rendered by the topology' });
        continue;
      }
      if (se.change !== 'delete' && !isDeepStrictEqual(desired(se), desired(fe))) out.push({ host: sh.host, path: se.path, message: 'renders differently now than when planned (the topology, templates or runtime changed)' });
      else if (!isDeepStrictEqual(se.current, fe.current)) out.push({ host: sh.host, path: se.path, message: `changed on the host since the plan: it was ${observedText(se.current)}, now ${observedText(fe.current)}` });
    }
    for (const fe of freshEntries.values()) out.push({ host: sh.host, path: fe.path, message: fe.change === 'delete' ? 'appeared on the host since the plan' : 'is rendered now but was not in the plan' });
  }
  for (const fh of fresh.hosts) if (!saved.hosts.some((h) => h.host === fh.host)) out.push({ host: fh.host, message: 'is in the topology but not in the plan' });
  // Files equal, but a node started, stopped or restarted since: the actions tell.
  if (out.length === 0 && !isDeepStrictEqual(saved.actions, fresh.actions)) {
    const s = saved.actions.map(describeAction);
    const f = fresh.actions.map(describeAction);
    for (const a of s.filter((x) => !f.includes(x))) out.push({ host: a.slice(0, a.indexOf(':')), message: `planned "${a.slice(a.indexOf(':') + 2)}" is no longer needed` });
    for (const a of f.filter((x) => !s.includes(x))) out.push({ host: a.slice(0, a.indexOf(':')), message: `"${a.slice(a.indexOf(':') + 2)}" is needed now but not in the plan` });
    if (out.length === 0) out.push({ message: 'the actions are the same but in another order' });
  }
  return out;
}

/** Reads a saved plan (rmqctl plan --out / --json): checked enough to compare, with a clear error otherwise. */
export function parseSavedPlan(text: string, file: string): Plan {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new InvalidInputError(`${file}: not a plan: ${(e as Error).message} (expected the JSON written by rmqctl plan --out)`);
  }
  const p = v as Partial<Plan>;
  if (typeof p !== 'object' || p === null || p.version !== 1 || typeof p.cluster !== 'string' || !Array.isArray(p.hosts) || !Array.isArray(p.actions) || typeof p.release?.sha256 !== 'string') {
    throw new InvalidInputError(`${file}: not a version 1 plan (expected the JSON written by rmqctl plan --out: version, cluster, release, hosts, actions)`);
  }
  return p as Plan;
}
