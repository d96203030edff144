/**
 * For the console's tests: `rmqctl console` as a real process (its address read from its first
 * line of --json output), and Debian's Chromium driven by playwright-core — no browser download:
 * /usr/bin/chromium (installed by .ci/run), headless, a fresh profile, no background networking.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { repoRoot } from './cli.js';
import { waitFor } from './wait.js';

export const CHROMIUM = '/usr/bin/chromium';
export const artifactsDir = path.join(repoRoot, 'test-artifacts', 'console');

export interface ConsoleProcess {
  proc: ChildProcess;
  /** The address it printed, with the token. */
  entryUrl: string;
  /** Without the token. */
  base: string;
  token: string;
  stdout: () => string;
  stderr: () => string;
  stop: () => Promise<void>;
}

export async function startConsoleProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ConsoleProcess> {
  const proc = spawn(process.execPath, [path.join(repoRoot, 'bin', 'rmqctl'), 'console', '--json', ...args], { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  };
  try {
    const line = await waitFor(() => {
      if (proc.exitCode !== null) throw new Error(`rmqctl console exited ${proc.exitCode}: ${err}`);
      const nl = out.indexOf('\n');
      return nl >= 0 ? out.slice(0, nl) : undefined;
    }, { timeout: 30_000, what: 'rmqctl console to print its address' });
    const { url } = JSON.parse(line) as { url: string };
    const u = new URL(url);
    const token = u.searchParams.get('token') as string;
    return { proc, entryUrl: url, base: `${u.origin}/`, token, stdout: () => out, stderr: () => err, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  close: () => Promise<void>;
}

/** Headless Chromium with a fresh profile (flags as the machine notes ask: no sandbox as root, no GPU, nothing fetched in the background). */
export async function openBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: the console tests drive Debian's chromium (apt-get install chromium; .ci/run installs it)`);
  const profile = mkdtempSync(path.join(os.tmpdir(), 'rmqctl-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A full-page screenshot under test-artifacts/console/ (gitignored; CI keeps the folder). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(artifactsDir, { recursive: true });
  const file = path.join(artifactsDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
