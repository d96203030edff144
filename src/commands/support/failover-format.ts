/** `rmqctl status`'s failover section (failover: auto): etcd's health and each group's lease, epoch, in-sync members and last failover. */
import type { EtcdMemberHealth } from '../../ops/failover/etcd-health.js';
import type { EtcdView } from '../../ops/failover/etcd-state.js';

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function formatFailover(view: EtcdView, etcd: readonly EtcdMemberHealth[]): string {
  const lines: string[] = ['', 'Failover: auto (etcd)'];
  const up = etcd.filter((m) => m.healthy).length;
  lines.push(`  etcd  ${up}/${etcd.length} members healthy${up * 2 > etcd.length ? '' : ' — NO QUORUM: no failover possible; masters keep writing while their slaves promise not to take over'}`);
  for (const m of etcd) lines.push(`    ${m.name}  ${m.host}  ${m.url}  ${m.healthy ? 'healthy' : `DOWN: ${m.reason ?? ''}`}`);
  if (view.error !== undefined) lines.push(`  cannot read the groups' records: ${view.error}`);
  for (const g of view.groups) {
    const holder = g.leader ? `${g.leader.node} holds the lease for ${secs(g.leaderForMillis ?? 0)} (since offset ${g.leader.startOffset})` : 'NO MASTER holds the lease (an election is due, or etcd has no quorum)';
    lines.push(`  ${g.group}  epoch ${g.epoch}  ${holder}  in sync: ${g.inSync.length > 0 ? g.inSync.join(', ') : 'none'}`);
    const f = g.lastFailover;
    if (f !== undefined) {
      const loss = f.replication === 'sync' ? 'no acknowledged message lost (SYNC)' : f.lossBytesAtMost === undefined ? 'loss unknown' : `at most ${f.lossBytesAtMost} bytes behind the former master`;
      lines.push(`    last failover: epoch ${f.epoch} ${new Date(f.at).toISOString()} ${f.from ? `${f.from} → ` : ''}${f.to} (${f.reason}), ${loss}`);
    }
    for (const t of g.truncations) lines.push(`    ${t.node} cut ${t.bytes} bytes (${t.messages} messages, offsets ${t.to}..${t.from}) it wrote unreplicated as a former master`);
  }
  return lines.join('\n');
}
