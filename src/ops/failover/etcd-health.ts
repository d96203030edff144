/**
 * Whether the etcd members of an automatic-failover cluster answer and are healthy (etcd's own
 * /health endpoint: the member is up and its cluster has a leader). Deploy's gate and status use it.
 */
import type { EtcdMemberModel } from '../../topology/index.js';

export interface EtcdMemberHealth {
  name: string;
  host: string;
  url: string;
  healthy: boolean;
  /** Why not (the endpoint's answer or the connection error). */
  reason?: string;
}

export async function etcdMemberHealth(m: EtcdMemberModel, timeoutMs = 2_000): Promise<EtcdMemberHealth> {
  const base = { name: m.name, host: m.host, url: m.clientUrl };
  try {
    const res = await fetch(`${m.clientUrl}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json().catch(() => ({}))) as { health?: string; reason?: string };
    if (res.ok && body.health === 'true') return { ...base, healthy: true };
    return { ...base, healthy: false, reason: `answers ${res.status}${body.reason ? `: ${body.reason}` : ''} (no quorum?)` };
  } catch (e) {
    const cause = (e as Error & { cause?: Error }).cause;
    return { ...base, healthy: false, reason: `does not answer at ${m.clientUrl}: ${cause?.message ?? (e as Error).message}` };
  }
}

export function etcdHealth(members: readonly EtcdMemberModel[], timeoutMs?: number): Promise<EtcdMemberHealth[]> {
  return Promise.all(members.map((m) => etcdMemberHealth(m, timeoutMs)));
}
