/**
 * Keeps a node's process running on a host. `systemd` installs units and asks systemctl;
 * `process` (hosts without systemd, and the local target) starts a detached process with a pid
 * file and a log file. Same verbs for both, so the executor does not care which one a host uses.
 */
import { RmqError } from '../../errors.js';
import type { ClusterNode } from '../../topology/index.js';

/** What a supervisor needs to know about a node (the model's ClusterNode has all of it). */
export type SupervisedNode = Pick<ClusterNode, 'id' | 'unitName' | 'unitPath' | 'command' | 'configPath' | 'logPath' | 'pidPath'>;

export interface ServiceStatus {
  active: boolean;
  /** systemd: `ActiveState/SubState` (e.g. `active/running`, `failed/failed`); process: `running` | `stopped` | `stale` (pid file of a dead process). */
  state: string;
  pid?: number;
  /** When the current run started. */
  startedAt?: Date;
  /** Changes on every (re)start: compare two readings to tell whether a node restarted. */
  startId?: string;
}

export interface Supervisor {
  readonly kind: 'systemd' | 'process';
  /** Makes installed definitions effective (systemd: daemon-reload + enable); creates log/run dirs. */
  install(nodes: readonly SupervisedNode[]): Promise<void>;
  start(node: SupervisedNode): Promise<void>;
  stop(node: SupervisedNode): Promise<void>;
  restart(node: SupervisedNode): Promise<void>;
  status(node: SupervisedNode): Promise<ServiceStatus>;
  /** The last `lines` lines of the node's log (journal or log file). */
  logs(node: SupervisedNode, lines: number): Promise<string>;
  /** The argv that streams the log (`journalctl -f` / `tail -F`), for `rmqctl logs --follow`. */
  followCommand(node: SupervisedNode, lines: number): string[];
  /** Stops the node and removes its definition (unit file, pid file). Data stays. */
  uninstall(node: SupervisedNode): Promise<void>;
}

/** A lifecycle action failed: names host, node and action, with the command output and the last log lines. */
export class SupervisorError extends RmqError {
  override readonly name: string = 'SupervisorError';
  constructor(
    readonly host: string,
    readonly node: string,
    readonly action: string,
    readonly detail: string,
    readonly logTail: string,
  ) {
    super(`${host}: ${action} ${node} failed: ${detail.trim()}${logTail.trim() ? `\nlast log lines of ${node}:\n${logTail.trimEnd()}` : ''}`);
  }
}
