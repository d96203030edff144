/**
 * What rendering produces: for each host, the set of files, symlinks and directories that should
 * exist there. Plan compares it with what is there; deploy makes it so.
 */
import { createHash } from 'node:crypto';
import type { NodeId } from '../topology/model.js';

/** What an entry is for: decides how plan shows it and which restarts a change causes. */
export type EntryRole =
  | 'release' // the runtime bundle
  | 'release-link' // /opt/rmqctl/current
  | 'env' // environment file the units read
  | 'config' // a node's .properties
  | 'acl' // a node's ACL file (holds secrets)
  | 'tls' // a host's CA bundle or certificate
  | 'tls-key' // a host's private key (a secret)
  | 'unit' // a node's systemd unit
  | 'monitoring' // Prometheus scrape config, targets, alert rules, Grafana dashboard (no node restarts)
  | 'monitoring-dir'
  | 'config-dir'
  | 'store-dir'
  | 'log-dir'
  | 'run-dir';

interface EntryBase {
  /** Absolute path on the host (for the local host: under the state directory). */
  path: string;
  role: EntryRole;
  /** Nodes that must restart when this entry changes. */
  nodeIds: NodeId[];
}

export interface DesiredFile extends EntryBase {
  kind: 'file';
  /** Permission bits, e.g. 0o640. */
  mode: number;
  /** null: whoever runs the deploy (the local host). */
  owner: string | null;
  group: string | null;
  content: Buffer;
  sha256: string;
  /** Text files get a unified diff in plans; binaries only a hash change. */
  text: boolean;
  /** Holds secrets: plans, review trees and manifests show it masked (render/mask.ts), never as written. */
  secret?: boolean;
}

export interface DesiredSymlink extends EntryBase {
  kind: 'symlink';
  target: string;
}

export interface DesiredDir extends EntryBase {
  kind: 'dir';
  mode: number;
  owner: string | null;
  group: string | null;
}

export type DesiredEntry = DesiredFile | DesiredSymlink | DesiredDir;

export interface FileSet {
  host: string;
  /** The host's layout root: `/`, or the state directory for the local host. */
  root: string;
  /** Sorted by path; paths are unique. */
  entries: DesiredEntry[];
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function textFile(path: string, role: EntryRole, nodeIds: NodeId[], text: string, mode: number, owner: string | null, group: string | null): DesiredFile {
  const content = Buffer.from(text, 'utf8');
  return { kind: 'file', path, role, nodeIds, mode, owner, group, content, sha256: sha256(content), text: true };
}

export function formatMode(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}
