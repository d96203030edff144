/** systemd over a Target: unit files are written by the executor; this drives systemctl/journalctl. */
import { RmqError } from '../../errors.js';
import type { Target } from '../targets/target.js';
import { SupervisorError, type ServiceStatus, type SupervisedNode, type Supervisor } from './supervisor.js';

const SHOW_PROPS = ['LoadState', 'ActiveState', 'SubState', 'MainPID', 'ActiveEnterTimestamp', 'InvocationID', 'ExecMainStartTimestampMonotonic', 'UnitFileState'];

/** `Sat 2026-11-28 13:00:00.123456 UTC` (systemctl --timestamp=us+utc) → Date. */
export function parseSystemdTimestamp(text: string): Date | undefined {
  const m = /(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)? UTC/.exec(text);
  if (!m) return undefined;
  const frac = (m[3] ?? '.0').slice(0, 4);
  return new Date(`${m[1]}T${m[2]}${frac}Z`);
}

/** `systemctl show` output (`Key=value` lines) → status. */
export function parseShow(text: string): ServiceStatus & { loaded: boolean } {
  const kv = new Map(text.split('\n').flatMap((l) => {
    const i = l.indexOf('=');
    return i > 0 ? [[l.slice(0, i), l.slice(i + 1)] as const] : [];
  }));
  const active = kv.get('ActiveState') ?? 'unknown';
  const pid = Number(kv.get('MainPID') ?? 0);
  const startedAt = parseSystemdTimestamp(kv.get('ActiveEnterTimestamp') ?? '');
  const invocation = kv.get('InvocationID') ?? '';
  const fileState = kv.get('UnitFileState');
  return {
    loaded: kv.get('LoadState') === 'loaded',
    active: active === 'active' || active === 'reloading',
    state: `${active}/${kv.get('SubState') ?? 'unknown'}`,
    ...(pid > 0 ? { pid } : {}),
    ...(startedAt ? { startedAt } : {}),
    ...(invocation ? { startId: `${invocation}:${kv.get('ExecMainStartTimestampMonotonic') ?? ''}` } : {}),
    ...(fileState !== undefined ? { enabled: fileState === 'enabled' } : {}),
  };
}

export class SystemdSupervisor implements Supervisor {
  readonly kind = 'systemd' as const;

  constructor(private readonly target: Target) {}

  private async systemctl(action: string, node: SupervisedNode | undefined, argv: string[]): Promise<void> {
    const r = await this.target.exec(['systemctl', ...argv], { timeoutMs: 120_000 });
    if (r.code === 0) return;
    const tail = node ? await this.logs(node, 20).catch(() => '') : '';
    throw new SupervisorError(this.target.name, node?.id ?? 'units', action, r.stderr || r.stdout || `systemctl exited ${r.code}`, tail);
  }

  async install(nodes: readonly SupervisedNode[]): Promise<void> {
    const r = await this.target.exec(['systemctl', 'is-system-running']);
    // "offline" = no systemd as PID 1 (e.g. a container without it): the process supervisor is for that
    if (r.stdout.trim() === 'offline' || /System has not been booted with systemd|Failed to connect to bus/.test(r.stderr)) {
      throw new RmqError(`${this.target.name}: systemd is not running on this host (${(r.stderr || r.stdout).trim()}); use supervisor: process for it`);
    }
    await this.systemctl('daemon-reload', undefined, ['daemon-reload']);
    if (nodes.length) await this.systemctl('enable', undefined, ['enable', '--quiet', ...nodes.map((n) => n.unitName)]);
  }

  async start(node: SupervisedNode): Promise<void> {
    await this.forgetStartLimit(node);
    return this.systemctl('start', node, ['start', node.unitName]);
  }

  /**
   * StartLimitBurst guards against crash loops, but systemd counts every start: an operator's
   * deploys and restarts in quick succession would hit it and be refused ("start-limit-hit").
   * A start rmqctl is asked for is deliberate, so the counter is cleared first.
   */
  private async forgetStartLimit(node: SupervisedNode): Promise<void> {
    await this.target.exec(['systemctl', 'reset-failed', node.unitName]);
  }

  stop(node: SupervisedNode): Promise<void> {
    return this.systemctl('stop', node, ['stop', node.unitName]);
  }

  async restart(node: SupervisedNode): Promise<void> {
    await this.forgetStartLimit(node);
    return this.systemctl('restart', node, ['restart', node.unitName]);
  }

  async status(node: SupervisedNode): Promise<ServiceStatus> {
    const out = await this.target.run(['systemctl', 'show', '--timestamp=us+utc', ...SHOW_PROPS.flatMap((p) => ['-p', p]), node.unitName]);
    const { loaded, ...status } = parseShow(out);
    return loaded ? status : { ...status, state: 'not-installed' };
  }

  async logs(node: SupervisedNode, lines: number): Promise<string> {
    // journald files lines from several sources (PID 1, a unit's forked executor, its stdout
    // stream) in its own time; --sync returns once everything received before it is stored
    // (needs root, as systemctl here does; without it the tail is read as it is).
    await this.target.exec(['journalctl', '--sync'], { timeoutMs: 10_000 }).catch(() => undefined);
    return this.target.run(['journalctl', '--no-pager', '-o', 'short-iso', '-n', String(lines), ...unitMatches(node.unitName)]);
  }

  followCommand(node: SupervisedNode, lines: number): string[] {
    return ['journalctl', '--no-pager', '-o', 'short-iso', '-n', String(lines), '-f', ...unitMatches(node.unitName)];
  }

  async uninstall(node: SupervisedNode): Promise<void> {
    await this.target.exec(['systemctl', 'disable', '--now', '--quiet', node.unitName], { timeoutMs: 120_000 });
    await this.target.remove(node.unitPath);
    await this.systemctl('daemon-reload', undefined, ['daemon-reload']);
    await this.target.exec(['systemctl', 'reset-failed', node.unitName]);
  }
}

/**
 * journalctl matches for everything about one unit. Not `-u`: it takes a line from a process
 * other than PID 1 only when journald could file it under the unit's cgroup, which it reads from
 * /proc when the line arrives — the executor child that fails to exec the binary logs the cause
 * ("Failed to locate executable …") and exits at once, so that line often has no _SYSTEMD_UNIT
 * and `-u` drops exactly the line that says why the start failed (seen on systemd 252). The child
 * stamps UNIT= itself; root-only so an unprivileged process cannot write into a unit's log.
 */
export function unitMatches(unit: string): string[] {
  return [
    `_SYSTEMD_UNIT=${unit}`,
    '+', `UNIT=${unit}`, '_UID=0',
    '+', `OBJECT_SYSTEMD_UNIT=${unit}`, '_UID=0',
    '+', `COREDUMP_UNIT=${unit}`, '_UID=0',
  ];
}
