/** Errors of a deploy: each names the host first, then the step and node, then what happened. */
import { RmqError } from '../errors.js';
import type { NodeId } from '../topology/index.js';

/** A failed step: which host, which node, what step, and what it printed. */
export class DeployError extends RmqError {
  override readonly name: string = 'DeployError';
  constructor(
    readonly host: string,
    readonly step: string,
    readonly node: NodeId | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message.startsWith(`${host}:`) ? message : `${host}: ${step}${node ? ` ${node}` : ''} failed: ${message}`, options);
  }
}

/** A node did not become healthy: which check failed last, and the node's last log lines. */
export class NodeUnhealthyError extends DeployError {
  override readonly name: string = 'NodeUnhealthyError';
  constructor(
    host: string,
    node: NodeId,
    readonly check: string,
    readonly reason: string,
    readonly logTail: string,
    /** How long it was given; undefined when waiting could not help (the failure was fatal). */
    waitedMs: number | undefined,
  ) {
    super(
      host,
      'health',
      node,
      `${host}: ${node} not healthy${waitedMs === undefined ? '' : ` after ${Math.round(waitedMs / 1000)} s`}: ${check}: ${reason}${logTail.trim() ? `\nlast log lines of ${node}:\n${logTail.trimEnd()}` : ''}`,
    );
  }
}
