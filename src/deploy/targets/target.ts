/**
 * What the deploy does to a host, independent of how the host is reached: the executor, the
 * supervisors, the release bundle and pre-flight only ever talk to a Target. `ssh` reaches a
 * remote host; `local` is this machine (its paths come from the model's layout, already under the
 * cluster's state directory).
 */
import { RmqError } from '../../errors.js';
import type { ExecOptions, ExecResult, RemoteStat } from '../transport/ssh.js';

export type { ExecOptions, ExecResult, RemoteStat } from '../transport/ssh.js';

export interface Ownership {
  /** Permission bits; default 0o644 for files, 0o755 for directories. */
  mode?: number;
  /** User and group names (resolved on the target); unset = leave as created. */
  owner?: string;
  group?: string;
}

export interface Target {
  /** The host's name in the topology (every message about it starts with this). */
  readonly name: string;
  readonly kind: 'ssh' | 'local';
  /** Runs argv (no shell locally; quoted with shell.ts over SSH). */
  exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** exec that throws TargetCommandError (host, command, exit code, output) unless it exits 0; returns stdout. */
  run(argv: readonly string[], opts?: ExecOptions): Promise<string>;
  /** Temp file + fsync + rename: readers see the old content or the new, never a part. */
  writeFileAtomic(path: string, data: string | Buffer, own?: Ownership): Promise<void>;
  /** Contents, or undefined when missing. */
  readFile(path: string): Promise<Buffer | undefined>;
  /** Follows symlinks; undefined when missing. */
  stat(path: string): Promise<RemoteStat | undefined>;
  /** Does not follow symlinks; undefined when missing. */
  lstat(path: string): Promise<RemoteStat | undefined>;
  /** Sorted entry names, or undefined when the directory is missing. */
  readdir(path: string): Promise<string[] | undefined>;
  /** mkdir -p; `own` is applied to the last component (created or not); without it an existing one is left as it is. */
  mkdirp(path: string, own?: Ownership): Promise<void>;
  readlink(path: string): Promise<string | undefined>;
  /** Points linkPath at target atomically (a new link under a temp name, renamed over the old). */
  switchSymlink(linkPath: string, target: string): Promise<void>;
  /** Removes a file, link or (with recursive) a tree; missing is fine. */
  remove(path: string, opts?: { recursive?: boolean }): Promise<void>;
  /** Bytes free for non-root on the file system that holds path (or its nearest existing parent). */
  freeBytes(path: string): Promise<number>;
  /** Runs argv, passing its output (stdout and stderr) to write as it comes, until it exits or signal aborts. */
  stream(argv: readonly string[], write: (chunk: string) => void, signal: AbortSignal): Promise<void>;
  /** Releases the connection (SSH) — a no-op locally. */
  close(): Promise<void>;
}

/** A command on a host exited non-zero: says where, what, and what it printed. */
export class TargetCommandError extends RmqError {
  override readonly name: string = 'TargetCommandError';
  constructor(
    readonly host: string,
    readonly argv: readonly string[],
    readonly result: ExecResult,
  ) {
    const out = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-20).join('\n');
    super(`${host}: \`${argv.join(' ').slice(0, 300)}\` exited ${result.signal ? `on signal ${result.signal}` : result.code}${out ? `:\n${out}` : ''}`);
  }
}
