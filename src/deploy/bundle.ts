/**
 * The runtime on a host: the bundled dist/rmqd.js as a content-addressed release
 * (`releases/<sha256-12>/rmqd.js`), a `current` link switched atomically, the previous release
 * kept (`previous` link) for rollback, the Node binary units run (`bin/node`), the service user,
 * and the directories a node writes, with owner and mode.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { RmqError } from '../errors.js';
import type { RuntimeRelease } from '../render/index.js';
import type { HostLayout } from '../topology/index.js';
import type { Target } from './targets/target.js';

export const MIN_NODE_MAJOR = 20;
/** Node's process.arch for `uname -m`. */
export const UNAME_ARCH: Record<string, string> = { x86_64: 'x64', aarch64: 'arm64', arm64: 'arm64', armv7l: 'arm', ppc64le: 'ppc64', s390x: 's390x' };
const RUNTIME_FILE = 'rmqd.js';
const RELEASE_PACKAGE_JSON = '{"type":"module"}\n';

const rmqctlRoot = (layout: HostLayout) => path.posix.dirname(layout.currentLink);
export const previousLink = (layout: HostLayout) => path.posix.join(rmqctlRoot(layout), 'previous');
const releaseDir = (layout: HostLayout, id: string) => path.posix.join(layout.releasesDir, id);
/** Link targets are the absolute release directory, as render's FileSet expects them. */
const linkTarget = (layout: HostLayout, id: string) => releaseDir(layout, id);

async function sha256On(t: Target, file: string): Promise<string | undefined> {
  const r = await t.exec(['sha256sum', '--', file]);
  return r.code === 0 ? r.stdout.split(/\s+/)[0] : undefined;
}

/** Puts the release on the host unless an intact copy is there already. */
export async function installRelease(t: Target, layout: HostLayout, rel: RuntimeRelease): Promise<'uploaded' | 'present'> {
  const dir = releaseDir(layout, rel.id);
  const file = path.posix.join(dir, RUNTIME_FILE);
  const st = await t.stat(file);
  const pkg = await t.readFile(path.posix.join(dir, 'package.json'));
  if (st?.type === 'file' && st.size === rel.content.length && pkg?.toString() === RELEASE_PACKAGE_JSON && (await sha256On(t, file)) === rel.sha256) return 'present';
  await t.mkdirp(dir, { mode: 0o755 });
  // the bundle is an ES module; this makes every Node >= 20 load it as one (not only those that detect it)
  await t.writeFileAtomic(path.posix.join(dir, 'package.json'), RELEASE_PACKAGE_JSON, { mode: 0o644 });
  await t.writeFileAtomic(file, rel.content, { mode: 0o644 });
  const written = await sha256On(t, file);
  if (written !== rel.sha256) throw new RmqError(`${t.name}: ${file} has sha256 ${written ?? '(unreadable)'} after upload, expected ${rel.sha256}`);
  return 'uploaded';
}

async function releaseOfLink(t: Target, link: string): Promise<string | undefined> {
  const target = await t.readlink(link);
  return target === undefined ? undefined : path.posix.basename(target);
}

/** The release `current` points at, if any. */
export function activeRelease(t: Target, layout: HostLayout): Promise<string | undefined> {
  return releaseOfLink(t, layout.currentLink);
}

/** The release `previous` points at, if any. */
export function previousRelease(t: Target, layout: HostLayout): Promise<string | undefined> {
  return releaseOfLink(t, previousLink(layout));
}

/** Switches `current` to the release (which must be installed); the one it replaces becomes `previous`. */
export async function activateRelease(t: Target, layout: HostLayout, id: string): Promise<{ changed: boolean; from?: string }> {
  const from = await activeRelease(t, layout);
  if (from === id) return { changed: false, from };
  if (!(await t.stat(path.posix.join(releaseDir(layout, id), RUNTIME_FILE)))) throw new RmqError(`${t.name}: release ${id} is not installed`);
  if (from) await t.switchSymlink(previousLink(layout), linkTarget(layout, from));
  await t.switchSymlink(layout.currentLink, linkTarget(layout, id));
  return from ? { changed: true, from } : { changed: true };
}

/** Swaps `current` and `previous`: the host runs the release it ran before the last switch. */
export async function rollbackRelease(t: Target, layout: HostLayout): Promise<{ from: string | undefined; to: string }> {
  const to = await previousRelease(t, layout);
  if (!to) throw new RmqError(`${t.name}: no previous release to roll back to`);
  if (!(await t.stat(path.posix.join(releaseDir(layout, to), RUNTIME_FILE)))) throw new RmqError(`${t.name}: the previous release ${to} is gone from ${layout.releasesDir}`);
  const from = await activeRelease(t, layout);
  await t.switchSymlink(layout.currentLink, linkTarget(layout, to));
  if (from) await t.switchSymlink(previousLink(layout), linkTarget(layout, from));
  return { from, to };
}

/** Removes releases other than current and previous. Returns the removed ids. */
export async function pruneReleases(t: Target, layout: HostLayout): Promise<string[]> {
  const keep = new Set([await activeRelease(t, layout), await previousRelease(t, layout)].filter(Boolean));
  const all = (await t.readdir(layout.releasesDir)) ?? [];
  const removed = all.filter((id) => /^[0-9a-f]{12}$/.test(id) && !keep.has(id));
  for (const id of removed) await t.remove(releaseDir(layout, id), { recursive: true });
  return removed;
}

// ---------------------------------------------------------------------------------------------
// Node

export interface NodeRuntime {
  /** What bin/node points at. */
  path: string;
  version: string;
  /** This machine's node binary was copied to the host. */
  pushed: boolean;
}

export interface EnsureNodeOptions {
  /** Copy this machine's node to the host when it has no Node ≥ 20 (same OS and architecture). */
  pushNode?: boolean;
  /** The binary to push (default: the node running rmqctl). */
  localNode?: string;
}

const majorOf = (v: string) => Number(/^v(\d+)\./.exec(v)?.[1] ?? NaN);
async function versionAt(t: Target, bin: string): Promise<string | undefined> {
  const r = await t.exec([bin, '--version'], { timeoutMs: 20_000 });
  const v = r.stdout.trim();
  return r.code === 0 && /^v\d+\.\d+\.\d+/.test(v) ? v : undefined;
}

export interface NodeInspection {
  /** Where we looked: the current bin/node target, PATH, /usr/local/bin, /usr/bin. */
  candidates: string[];
  /** Every node found there, with its version. */
  found: { bin: string; version: string }[];
  /** The first one that is new enough. */
  good?: { bin: string; version: string };
}

/** Finds the Node binaries on a host without changing anything (pre-flight uses it too). */
export async function inspectNode(t: Target, layout: HostLayout): Promise<NodeInspection> {
  const onPath = (await t.exec(['sh', '-c', 'command -v node || true'])).stdout.trim();
  const current = await t.readlink(layout.nodeBinary);
  const candidates = [...new Set([current, onPath, '/usr/local/bin/node', '/usr/bin/node'].filter((c): c is string => !!c && c.startsWith('/')))];
  const found: { bin: string; version: string }[] = [];
  for (const bin of candidates) {
    const version = await versionAt(t, bin);
    if (version) found.push({ bin, version });
  }
  const good = found.find((f) => majorOf(f.version) >= MIN_NODE_MAJOR);
  return { candidates, found, ...(good ? { good } : {}) };
}

/** How the nodes found on a host read in a message. */
export function describeNodes(n: NodeInspection): string {
  return n.found.length ? `found ${n.found.map((f) => `${f.version} at ${f.bin}`).join(', ')}` : `found no node (looked on PATH and at ${n.candidates.join(', ')})`;
}

/**
 * Makes `bin/node` point at a Node ≥ 20 on the host: the one already linked, else the first on
 * PATH or in /usr/local/bin, /usr/bin; else (with pushNode) a copy of this machine's node.
 */
export async function ensureNode(t: Target, layout: HostLayout, opts: EnsureNodeOptions = {}): Promise<NodeRuntime> {
  const link = async (bin: string) => {
    if ((await t.readlink(layout.nodeBinary)) !== bin) {
      await t.mkdirp(path.posix.dirname(layout.nodeBinary), { mode: 0o755 });
      await t.switchSymlink(layout.nodeBinary, bin);
    }
  };
  if (t.kind === 'local') {
    // the local target runs this machine's node, which runs rmqctl (engines: node >= 20)
    const bin = opts.localNode ?? process.execPath;
    await link(bin);
    return { path: bin, version: process.version, pushed: false };
  }
  const { found, good, candidates } = await inspectNode(t, layout);
  if (good) {
    await link(good.bin);
    return { path: good.bin, version: good.version, pushed: false };
  }
  const what = describeNodes({ found, candidates });
  if (!opts.pushNode) {
    throw new RmqError(`${t.name}: Node.js >= ${MIN_NODE_MAJOR} is required; ${what}. Install Node.js >= ${MIN_NODE_MAJOR} on the host, or rerun with --push-node to copy this machine's node (${process.version}, linux-${process.arch})`);
  }
  const [os, machine] = (await t.run(['uname', '-sm'])).trim().split(/\s+/);
  const arch = UNAME_ARCH[machine ?? ''] ?? machine;
  if (os !== 'Linux' || process.platform !== 'linux' || arch !== process.arch) {
    throw new RmqError(`${t.name}: cannot push this machine's node (linux-${process.arch}) to a ${os} ${machine} host (${what}); install Node.js >= ${MIN_NODE_MAJOR} there`);
  }
  const local = opts.localNode ?? process.execPath;
  const dest = path.posix.join(rmqctlRoot(layout), 'node', `${process.version}-${process.arch}`, 'node');
  if ((await versionAt(t, dest)) !== process.version) {
    await t.mkdirp(path.posix.dirname(dest), { mode: 0o755 });
    await t.writeFileAtomic(dest, await readFile(local), { mode: 0o755 });
  }
  const version = await versionAt(t, dest);
  if (!version) throw new RmqError(`${t.name}: the pushed node at ${dest} does not run there (different C library?); install Node.js >= ${MIN_NODE_MAJOR} on the host`);
  await link(dest);
  return { path: dest, version, pushed: true };
}

// ---------------------------------------------------------------------------------------------
// Service user and directories

/** Creates the system user (own group, no home, no login shell) unless it exists. */
export async function ensureServiceUser(t: Target, user: string): Promise<'created' | 'present'> {
  if ((await t.exec(['getent', 'passwd', user])).code === 0) return 'present';
  const r = await t.exec(['useradd', '--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', '--comment', 'rmqctl service user', user]);
  // created by someone else between the check and now: fine
  if (r.code !== 0 && (await t.exec(['getent', 'passwd', user])).code !== 0) {
    throw new RmqError(`${t.name}: cannot create the service user ${user}: ${(r.stderr || r.stdout).trim()}`);
  }
  return 'created';
}

export interface DirSpec {
  path: string;
  mode: number;
  owner?: string;
  group?: string;
}

export async function ensureDirs(t: Target, dirs: readonly DirSpec[]): Promise<void> {
  for (const d of dirs) await t.mkdirp(d.path, d);
}
