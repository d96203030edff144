/** Human-readable rendering of a HealthReport (`rmqctl status` without --json). */
import type { BrokerNodeStatus, HealthReport, NodeReplication } from '../../ops/health/index.js';
import { table } from './table.js';

function age(ms: number | undefined): string {
  if (ms === undefined) return '?';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** The replication column: role, log end, and the HA state with lag. */
function replicationCell(r: NodeReplication | undefined): string {
  if (r === undefined) return '';
  if (r.error !== undefined) return `broker unreachable: ${r.error}`;
  const parts = [r.brokerRole ?? '?'];
  if (r.commitLogMaxOffset !== undefined) parts.push(`log ${bytes(r.commitLogMaxOffset)}`);
  if (r.haState === 'serving') {
    parts.push(`slaves in sync ${r.slavesInSync ?? 0}/${r.slavesConnected ?? 0}${r.brokerRole === 'SYNC_MASTER' ? ` (sends wait for ${r.acksNeeded ?? 1})` : ''}`);
  } else if (r.haState !== undefined) {
    let ha = `HA ${r.haState === 'replicating' ? 'replicating' : r.haState.toUpperCase()}`;
    if (r.masterHaAddr) ha += ` from ${r.masterHaAddr}`;
    if (r.lagBytes !== undefined) ha += `, lag ${bytes(r.lagBytes)}${r.lagMillis !== undefined ? ` / ${age(r.lagMillis)}` : ''}`;
    if (r.inSync === false) ha += ', NOT in sync';
    if (r.haState !== 'replicating' && r.reason) ha += ` (${r.reason})`;
    parts.push(ha);
  }
  return parts.join(', ');
}

function nodeRow(n: BrokerNodeStatus, namesrvCount: number): string[] {
  const pid = n.pid === undefined ? '-' : `pid ${n.pid}`;
  if (n.missing && n.state !== 'DOWN') return [n.id, n.role, n.expectedAddr ?? '-', n.state, pid, n.process && !n.process.running ? `process ${n.process.state}` : 'no NameServer knows it', '', ''];
  if (n.state === 'DOWN') return [n.id, n.role, n.addr ?? n.expectedAddr ?? '-', 'DOWN', pid, n.process && !n.process.running ? `process ${n.process.state}` : 'does not answer', '', ''];
  const seen = `registered ${age(n.lastRegistrationAgeMillis)} ago, heartbeat ${age(n.lastHeartbeatAgeMillis)} ago`;
  const notes = [`${n.knownBy.length}/${namesrvCount} NameServers`];
  if (n.expectedAddr !== undefined) notes.push(`topology says ${n.expectedAddr}`);
  if (n.writable === false) notes.push('NOT writable');
  const grpc = n.grpc === undefined ? '' : `gRPC ${n.grpc.endpoint} ${n.grpc.answers ? 'up' : 'DOWN'}`;
  return [n.id, n.role, n.addr ?? '-', n.state, pid, `${seen} (${notes.join(', ')})`, replicationCell(n.replication), grpc];
}

export function formatStatus(r: HealthReport, opts: { withTopology?: boolean } = {}): string {
  const out: string[] = ['NameServers'];
  const withIds = r.nameservers.some((n) => n.id !== undefined);
  out.push(
    ...table(
      r.nameservers.map((n) => [
        ...(withIds ? [n.id ?? '-'] : []),
        n.addr,
        n.healthy ? 'up' : n.process && !n.process.running ? 'DOWN' : n.reachable ? 'UNHEALTHY' : 'DOWN',
        n.pid === undefined ? '-' : `pid ${n.pid}`,
        n.reachable ? `${n.latencyMillis ?? '?'} ms, ${n.brokerCount ?? 0} brokers` : n.process && !n.process.running ? `process ${n.process.state}` : (n.error ?? ''),
      ]),
    ),
  );
  const up = r.nameservers.filter((n) => n.reachable).length;
  if (r.clusters.length === 0) out.push('', 'No brokers registered.');
  for (const c of r.clusters) {
    out.push('', `Cluster ${c.name}`);
    for (const g of c.groups) {
      out.push(`  ${g.brokerName}`);
      out.push(...table(g.nodes.map((n) => nodeRow(n, up)), '    '));
    }
  }
  if (r.problems.length > 0) out.push('', 'Problems:', ...r.problems.map((p) => `  - ${p}`));
  if (r.warnings.length > 0) out.push('', 'Warnings:', ...r.warnings.map((w) => `  - ${w}`));
  if (!opts.withTopology) out.push('', 'Judged from what the NameServers know; give the topology (rmqctl status <topology>) to also expect every node and ask whether its process runs.');
  out.push('', r.healthy ? 'Status: healthy' : `Status: UNHEALTHY (${r.problems.length} problem${r.problems.length === 1 ? '' : 's'})`);
  return out.join('\n');
}
