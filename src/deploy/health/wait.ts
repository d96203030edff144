/** Waiting for a node to become healthy: retry its check until it passes, fails fatally, or the deadline passes. */
import type { ClusterNode } from '../../topology/index.js';
import { NodeUnhealthyError } from '../errors.js';
import { HealthFailure, type HealthCheck, type HealthContext } from './checks.js';
import { setTimeout as sleep } from 'node:timers/promises';

export const DEFAULT_HEALTH_TIMEOUT_MS = 60_000;
const RETRY_INTERVAL_MS = 250;

/** Resolves with the check's summary once the node is healthy; throws NodeUnhealthyError (with the node's last log lines) otherwise. */
export async function waitHealthy(node: ClusterNode, ctx: HealthContext, check: HealthCheck, timeoutMs = DEFAULT_HEALTH_TIMEOUT_MS): Promise<string> {
  const started = Date.now();
  for (;;) {
    let failure: unknown;
    try {
      return (await check(node, ctx)) ?? 'healthy';
    } catch (e) {
      failure = e;
    }
    const fatal = failure instanceof HealthFailure && failure.fatal;
    if (fatal || Date.now() - started >= timeoutMs) {
      const tail = await ctx.supervisor.logs(node, 20).catch(() => '');
      const name = failure instanceof HealthFailure ? failure.check : 'check';
      throw new NodeUnhealthyError(node.host, node.id, name, (failure as Error)?.message ?? String(failure), tail, fatal ? undefined : Date.now() - started);
    }
    await sleep(RETRY_INTERVAL_MS);
  }
}
