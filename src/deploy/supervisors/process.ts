/**
 * The process supervisor: a detached process (own session, stdin from /dev/null, stdout+stderr
 * appended to its log file) and a pid file, for hosts without systemd and for the local target.
 * Each verb is one fixed shell script run on the target with the node's values as "$1"… (never
 * spliced into the script). A pid only counts as ours if /proc/<pid>/cmdline still holds the node's
 * config path, so a recycled pid is never signalled.
 */
import path from 'node:path';
import { shScript } from '../transport/shell.js';
import type { Target } from '../targets/target.js';
import { SupervisorError, type ServiceStatus, type SupervisedNode, type Supervisor } from './supervisor.js';

// ours PID MARKER: the pid is alive (not a zombie) and its argv has MARKER as one argument
const OURS = `ours() {
  [ -r "/proc/$1/stat" ] || return 1
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  r=\${s##*) }; [ "\${r%% *}" != Z ] || return 1
  tr '\\0' '\\n' < "/proc/$1/cmdline" 2>/dev/null | grep -qxF -- "$2"
}`;

const START = `${OURS}
pidfile=$1 logfile=$2 runas=$3 marker=$4; shift 4
umask 022
mkdir -p -- "\${pidfile%/*}" "\${logfile%/*}"
if [ -s "$pidfile" ] && ours "$(cat -- "$pidfile")" "$marker"; then echo "running $(cat -- "$pidfile")"; exit 0; fi
if [ -n "$runas" ]; then set -- setpriv --reuid="$runas" --regid="$runas" --init-groups -- "$@"; fi
setsid "$@" >>"$logfile" 2>&1 </dev/null &
pid=$!
echo "$pid" > "$pidfile.tmp" && mv -f -- "$pidfile.tmp" "$pidfile"
echo "started $pid"`;

const STATUS = `${OURS}
pidfile=$1 marker=$2
[ -s "$pidfile" ] || { echo stopped; exit 0; }
pid=$(cat -- "$pidfile")
if ours "$pid" "$marker"; then
  s=$(cat "/proc/$pid/stat"); r=\${s##*) }; set -- $r
  echo "running $pid \${20} $(awk '/^btime/ {print $2}' /proc/stat) $(getconf CLK_TCK)"
else
  echo "stale $pid"
fi`;

const STOP = `${OURS}
pidfile=$1 marker=$2 tenths=$3
[ -s "$pidfile" ] || { echo stopped; exit 0; }
pid=$(cat -- "$pidfile")
how=stopped
if ours "$pid" "$marker"; then
  kill -TERM "$pid" 2>/dev/null; how=terminated
  i=0; while ours "$pid" "$marker" && [ "$i" -lt "$tenths" ]; do sleep 0.1; i=$((i+1)); done
  if ours "$pid" "$marker"; then
    kill -KILL "$pid" 2>/dev/null; how=killed
    i=0; while ours "$pid" "$marker" && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i+1)); done
    if ours "$pid" "$marker"; then echo "pid $pid survived SIGKILL" >&2; exit 1; fi
  fi
fi
rm -f -- "$pidfile"
echo "$how"`;

export interface ProcessSupervisorOptions {
  /** Run the process as this user (needs root on the target); null/undefined = as the connecting user. */
  runAs?: string | null;
  /** SIGTERM → SIGKILL grace (ms), default 15 s (a broker flushes on SIGTERM). */
  stopTimeoutMs?: number;
  /** `KEY=value` lines given to the process as its environment (what systemd's EnvironmentFile= does). */
  envFile?: string;
}

/** `KEY=value` lines of an environment file (comments and blank lines skipped) as `env` arguments. */
export function parseEnvFile(text: string): string[] {
  return text.split('\n').flatMap((l) => (/^[A-Za-z_][A-Za-z0-9_]*=/.test(l.trim()) && !l.trim().startsWith('#') ? [l.trim()] : []));
}

/** Parses the STATUS script's line. */
export function parseProcessStatus(line: string): ServiceStatus {
  const [state = 'unknown', pid, ticks, btime, hz] = line.trim().split(/\s+/);
  if (state !== 'running') return { active: false, state, ...(pid ? { pid: Number(pid) } : {}) };
  const startedAt = new Date((Number(btime) + Number(ticks) / Number(hz)) * 1000);
  return { active: true, state, pid: Number(pid), startedAt, startId: `${pid}:${ticks}` };
}

export class ProcessSupervisor implements Supervisor {
  readonly kind = 'process' as const;
  private readonly runAs: string;
  private readonly stopTenths: number;
  private readonly envFile: string | undefined;

  constructor(
    private readonly target: Target,
    opts: ProcessSupervisorOptions = {},
  ) {
    this.runAs = opts.runAs ?? '';
    this.stopTenths = Math.ceil((opts.stopTimeoutMs ?? 15_000) / 100);
    this.envFile = opts.envFile;
  }

  /** The argument that identifies the node's process: its config path. */
  private marker(node: SupervisedNode): string {
    return node.configPath;
  }

  private async script(action: string, node: SupervisedNode, script: string, args: string[]): Promise<string> {
    const r = await this.target.exec(shScript(script, args, `rmqctl-${action}`), { timeoutMs: 120_000 });
    if (r.code !== 0) throw new SupervisorError(this.target.name, node.id, action, r.stderr || r.stdout || `exit ${r.code}`, await this.logs(node, 20).catch(() => ''));
    return r.stdout.trim();
  }

  async install(nodes: readonly SupervisedNode[]): Promise<void> {
    const dirs = [...new Set(nodes.flatMap((n) => [path.posix.dirname(n.logPath), path.posix.dirname(n.pidPath)]))];
    for (const d of dirs) await this.target.mkdirp(d, { mode: 0o755 });
  }

  async start(node: SupervisedNode): Promise<void> {
    // the environment goes in as `env K=V … command` arguments: nothing is sourced by a shell
    const env = this.envFile ? parseEnvFile((await this.target.readFile(this.envFile))?.toString('utf8') ?? '') : [];
    const argv = env.length ? ['env', ...env, ...node.command] : [...node.command];
    await this.script('start', node, START, [node.pidPath, node.logPath, this.runAs, this.marker(node), ...argv]);
  }

  async stop(node: SupervisedNode): Promise<void> {
    await this.script('stop', node, STOP, [node.pidPath, this.marker(node), String(this.stopTenths)]);
  }

  async restart(node: SupervisedNode): Promise<void> {
    await this.stop(node);
    await this.start(node);
  }

  async status(node: SupervisedNode): Promise<ServiceStatus> {
    return parseProcessStatus(await this.script('status', node, STATUS, [node.pidPath, this.marker(node)]));
  }

  async logs(node: SupervisedNode, lines: number): Promise<string> {
    const r = await this.target.exec(['tail', '-n', String(lines), '--', node.logPath]);
    return r.code === 0 ? r.stdout : '';
  }

  followCommand(node: SupervisedNode, lines: number): string[] {
    return ['tail', '-n', String(lines), '-F', '--', node.logPath];
  }

  async uninstall(node: SupervisedNode): Promise<void> {
    await this.stop(node);
  }
}
