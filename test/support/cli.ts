import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a bin of this package (bin/rmqctl or bin/rmqd) as a real process. `wrap`: a command the bin
 * runs under (e.g. `['ip', 'netns', 'exec', ns]`).
 */
export function runBin(bin: 'rmqctl' | 'rmqd', args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeout?: number; wrap?: string[] } = {}): Promise<RunResult> {
  const argv = [process.execPath, path.join(repoRoot, 'bin', bin), ...args];
  const [file, ...rest] = opts.wrap?.length ? [...opts.wrap, ...argv] : argv;
  return new Promise((resolve) => {
    const child = execFile(
      file!,
      rest,
      { cwd: opts.cwd ?? repoRoot, env: { ...process.env, NO_COLOR: '1', ...opts.env }, timeout: opts.timeout ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

export const rmqctl = (args: string[], opts?: Parameters<typeof runBin>[2]) => runBin('rmqctl', args, opts);
export const rmqd = (args: string[], opts?: Parameters<typeof runBin>[2]) => runBin('rmqd', args, opts);
