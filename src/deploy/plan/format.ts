/** The human form of a plan: per host, entries with diffs; then the actions; then a summary line. */
import type { EntryChange, Plan, PlanAction } from './plan.js';

const SIGN: Record<EntryChange['change'], string> = { create: '+', update: '~', unchanged: '=', delete: '-' };
const ROLE_NAME = { namesrv: 'NameServer', master: 'master', slave: 'slave' } as const;

function describeEntry(e: EntryChange): string {
  const attrs = e.kind === 'symlink' ? `→ ${e.target}` : e.kind === 'file' && e.owner !== undefined && e.owner !== null ? `${e.mode} ${e.owner}:${e.group}` : (e.mode ?? '');
  const why = e.reasons.length > 0 ? `  (${e.reasons.join(', ')})` : '';
  return `  ${SIGN[e.change]} ${e.change.padEnd(9)} ${e.kind.padEnd(7)} ${e.path}  ${attrs}${why}`.trimEnd();
}

export function describeAction(a: PlanAction): string {
  switch (a.kind) {
    case 'stop':
      return `${a.host}: stop ${a.node} (${a.reason})`;
    case 'write':
      return `${a.host}: write ${a.paths.length} entr${a.paths.length === 1 ? 'y' : 'ies'}`;
    case 'delete':
      return `${a.host}: delete ${a.paths.join(', ')}`;
    case 'daemon-reload':
      return `${a.host}: systemctl daemon-reload`;
    case 'enable':
      return `${a.host}: systemctl enable ${a.nodes.join(', ')}`;
    case 'start':
      return `${a.host}: start ${a.node} (${ROLE_NAME[a.role]}${a.reason === 'not running' ? '; not running now' : ''})`;
    case 'restart':
      return `${a.host}: restart ${a.node} (${ROLE_NAME[a.role]}; changed: ${a.because.join(', ')})`;
  }
}

export interface FormatOptions {
  /** Show unchanged entries too (default: counted only). */
  showUnchanged?: boolean;
  /** Show diffs (default true). */
  diffs?: boolean;
}

export function formatPlan(plan: Plan, opts: FormatOptions = {}): string {
  const lines: string[] = [`Plan for cluster ${plan.cluster} (mode ${plan.mode}), runtime release ${plan.release.id}`];
  for (const hp of plan.hosts) {
    const how = hp.observed === 'empty' ? 'compared with an empty host' : `compared with what is on it (${hp.observed})`;
    lines.push('', `host ${hp.host} — ${hp.transport}, ${hp.supervisor} supervisor, root ${hp.root}; ${how}`);
    if (hp.services) {
      const nodes = Object.entries(hp.services).map(([id, s]) => `${id} ${s.active ? 'running' : s.state}${s.enabled === false ? ' (not enabled)' : ''}`);
      if (nodes.length) lines.push(`  nodes: ${nodes.join(', ')}`);
    }
    if (hp.pendingRestarts?.length) lines.push(`  ! pending restart from an earlier deploy that stopped half-way: ${hp.pendingRestarts.join(', ')}`);
    let hidden = 0;
    for (const e of hp.entries) {
      if (e.change === 'unchanged' && !opts.showUnchanged) {
        hidden++;
        continue;
      }
      lines.push(describeEntry(e));
      if (e.diff && e.change === 'update' && opts.diffs !== false) {
        for (const d of e.diff.split('\n').filter((l) => l !== '')) lines.push(`      ${d}`);
      }
    }
    if (hidden > 0) lines.push(`  = ${hidden} unchanged`);
    for (const s of hp.keptStores) lines.push(`  ! kept     dir     ${s}  (store of a removed node: delete it by hand once its data is no longer needed)`);
  }
  lines.push('', plan.actions.length === 0 ? 'Actions: none.' : 'Actions, in order:');
  plan.actions.forEach((a, i) => lines.push(`  ${String(i + 1).padStart(2)}. ${describeAction(a)}`));
  const s = plan.summary;
  lines.push(
    '',
    plan.changed
      ? `Plan: ${s.create} to add, ${s.update} to change, ${s.delete} to destroy (${s.unchanged} unchanged); ${s.start} to start, ${s.restart} to restart, ${s.stop} to stop${s.enable ? `, ${s.enable} to enable` : ''}.`
      : `No changes. The hosts match the topology (${s.unchanged} entries unchanged).`,
  );
  return lines.join('\n');
}
