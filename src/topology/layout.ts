/**
 * The on-host layout every deploy target shares (fixed by contract). SSH hosts use it at `/`; the
 * local host maps it under the cluster's state directory, so configs rendered for it hold the real
 * paths on this machine.
 */
import os from 'node:os';
import path from 'node:path';

export interface HostLayout {
  /** `/` on SSH hosts; the state directory on the local host. */
  root: string;
  /** `<root>/opt/rmqctl/releases`: one `<sha256-12>/rmqd.js` per runtime release. */
  releasesDir: string;
  /** `<root>/opt/rmqctl/current` → the active release directory (switched atomically). */
  currentLink: string;
  /** `<root>/opt/rmqctl/bin/node`: the Node binary units run. */
  nodeBinary: string;
  /** `<root>/etc/rmqctl/<cluster>`: configs and the env file. */
  configDir: string;
  /** `<root>/etc/systemd/system`. */
  unitDir: string;
  /** `<root>/var/log/rmqctl/<cluster>`: process-supervisor logs. */
  logDir: string;
  /** `<root>/run/rmqctl/<cluster>`: process-supervisor pid files. */
  runDir: string;
  /** Store root: the topology's `storeRoot`, else `<root>/var/lib/rmqctl/<cluster>`. */
  storeRoot: string;
}

export function hostLayout(root: string, cluster: string, storeRoot: string | undefined): HostLayout {
  const at = (...p: string[]) => path.posix.join(root, ...p);
  return {
    root,
    releasesDir: at('opt/rmqctl/releases'),
    currentLink: at('opt/rmqctl/current'),
    nodeBinary: at('opt/rmqctl/bin/node'),
    configDir: at('etc/rmqctl', cluster),
    unitDir: at('etc/systemd/system'),
    logDir: at('var/log/rmqctl', cluster),
    runDir: at('run/rmqctl', cluster),
    storeRoot: storeRoot ?? at('var/lib/rmqctl', cluster),
  };
}

/** The release directory name: the first 12 hex digits of the bundle's sha256. */
export function releaseId(sha256: string): string {
  return sha256.slice(0, 12);
}

/** Where the local target keeps a cluster unless `--state-dir` says otherwise. */
export function defaultStateDir(cluster: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'rmqctl', cluster);
}

/** systemd unit name of a node. */
export function unitName(cluster: string, nodeId: string): string {
  return `rmq-${cluster}-${nodeId}.service`;
}

/** The service account on SSH hosts (system user, no login shell). */
export const SERVICE_USER = 'rmq';
