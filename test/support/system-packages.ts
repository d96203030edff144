/**
 * The Debian packages the suite drives, installed when missing — once, from the global setup,
 * as root on a machine with apt-get (not with RMQCTL_TEST_NO_ROOT=1). The list is
 * test/support/debian-packages.txt, which .ci/run installs from too.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const LIST = fileURLToPath(new URL('./debian-packages.txt', import.meta.url));

/** Package names from the list (comments and blank lines left out). */
export function debianPackages(): string[] {
  return readFileSync(LIST, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter((l) => l !== '');
}

/** Which of `pkgs` dpkg does not list as installed. */
export function missingPackages(pkgs: string[]): string[] {
  const r = spawnSync('dpkg-query', ['-W', '-f', '${Package} ${db:Status-Abbrev}\n', ...pkgs], { encoding: 'utf8' });
  const installed = new Set(
    (r.stdout ?? '')
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter(([, status]) => status === 'ii')
      .map(([name]) => name),
  );
  return pkgs.filter((p) => !installed.has(p));
}

/** Installs what is missing; says what it does on stderr. A no-op unless root on Linux with apt-get. */
export function ensureDebianPackages(): void {
  if (process.platform !== 'linux' || process.getuid?.() !== 0 || process.env.RMQCTL_TEST_NO_ROOT === '1') return;
  if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) return;
  const missing = missingPackages(debianPackages());
  if (missing.length === 0) return;
  process.stderr.write(`installing the Debian packages the tests drive: ${missing.join(' ')}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-q'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  // the package's own etcd service is not wanted: the tests start their own members
  if (missing.includes('etcd-server')) spawnSync('systemctl', ['disable', '--now', 'etcd'], { stdio: 'ignore' });
}

/**
 * Why a test that drives `binary` (from Debian package `pkg`) cannot run here, or undefined; in CI
 * a missing tool is an error, not a skip.
 */
export function toolSkipReason(binary: string, pkg: string): string | undefined {
  const found = binary.startsWith('/') ? spawnSync('test', ['-x', binary]).status === 0 : spawnSync('sh', ['-c', 'command -v "$1"', 'sh', binary], { stdio: 'ignore' }).status === 0;
  if (found) return undefined;
  const why = `no ${binary} (Debian package ${pkg}; as root, npm test installs it)`;
  if (process.env.CI === 'true') throw new Error(why);
  return why;
}
