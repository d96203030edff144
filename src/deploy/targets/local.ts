/**
 * This machine as a target: no SSH, no shell for commands (argv straight to the kernel), node:fs
 * for files. Paths are taken as given — the model's layout for a local host already points under
 * the cluster's state directory.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import type { ExecOptions, ExecResult, RemoteStat } from './target.js';
import { BaseTarget } from './common.js';
import { writeFileAtomic } from '../../util/durable-file.js';

function toStat(s: import('node:fs').Stats): RemoteStat {
  return {
    type: s.isFile() ? 'file' : s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'symlink' : 'other',
    mode: s.mode & 0o7777,
    uid: s.uid,
    gid: s.gid,
    size: s.size,
    mtimeMs: s.mtimeMs,
  };
}

const missing = (e: unknown) => ['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '');

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (missing(e)) return undefined;
    throw e;
  }
}

function execLocal(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = argv;
    if (!cmd) return reject(new Error('empty command'));
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    // our own timer, not spawn's `timeout` option: that one is only cleared on 'exit', which a
    // program that fails to spawn (ENOENT) never emits, and it would hold the CLI open
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      // a missing program is an exit like the shell's 127, so callers handle it in one place
      if (e.code === 'ENOENT') resolve({ code: 127, stdout: '', stderr: `${cmd}: command not found\n` });
      else reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const r: ExecResult = { code: code ?? 128, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
      if (signal) r.signal = signal.replace(/^SIG/, '');
      resolve(r);
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

function streamLocal(argv: readonly string[], write: (chunk: string) => void, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = argv;
    if (!cmd) return reject(new Error('empty command'));
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], signal, killSignal: 'SIGTERM' });
    child.stdout.on('data', (d: Buffer) => write(d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => write(d.toString('utf8')));
    child.once('error', (e) => (e.name === 'AbortError' ? resolve() : reject(e)));
    child.once('close', () => resolve());
  });
}

export class LocalTarget extends BaseTarget {
  constructor(name = 'local') {
    super(name, 'local', {
      exec: execLocal,
      stream: streamLocal,
      writeFileAtomic,
      readFile: (p) => orUndefined(fs.readFile(p)),
      stat: async (p) => {
        const s = await orUndefined(fs.stat(p));
        return s && toStat(s);
      },
      lstat: async (p) => {
        const s = await orUndefined(fs.lstat(p));
        return s && toStat(s);
      },
      readdir: async (p) => (await orUndefined(fs.readdir(p)))?.sort(),
      mkdir: (p, mode) => fs.mkdir(p, { mode }).then(() => {}),
      setattr: async (p, a) => {
        if (a.uid !== undefined || a.gid !== undefined) await fs.chown(p, a.uid ?? -1, a.gid ?? -1);
        if (a.mode !== undefined) await fs.chmod(p, a.mode);
      },
      readlink: (p) => orUndefined(fs.readlink(p)),
      symlink: (target, link) => fs.symlink(target, link),
      rename: (from, to) => fs.rename(from, to),
      unlink: (p) => fs.unlink(p),
      freeBytes: async (p) => {
        const s = await fs.statfs(p);
        return s.bavail * s.bsize;
      },
      close: async () => {},
    });
  }
}
