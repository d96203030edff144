/**
 * Renders a ClusterModel into one FileSet per host through the templates in templates/.
 * Pure and deterministic: the same model and release give byte-identical output (no clocks, no
 * environment, no iteration-order surprises: everything is sorted or in model order).
 */
import path from 'node:path';
import type { BrokerNode, ClusterModel, ClusterNode, EffectiveProperty, HostModel, NameServerNode } from '../topology/model.js';
import { sha256, textFile, type DesiredEntry, type FileSet } from './fileset.js';
import { RELEASE_PACKAGE_JSON, type RuntimeRelease } from './release.js';
import { renderTemplate } from './templates.js';
import { renderAclFile } from './acl-file.js';
import { monitoringEntries } from './monitoring/index.js';
import type { ResolvedSecrets } from '../topology/secrets.js';
import type { ResolvedTls } from '../topology/tls-files.js';
import { TLS_KEYS } from '../remoting/tls-config.js';

/** What a rendering needs from outside the model: resolved secrets and TLS files, read on this machine. */
export interface RenderInputs {
  /** The ACL secrets, when the model has `acl` (topology/secrets.ts). */
  acl?: ResolvedSecrets;
  /** The TLS files, when the model has `tls` (topology/tls-files.ts). */
  tls?: ResolvedTls;
}

/** Where broker keys go in broker.properties; keys not listed land under "Overrides", sorted. */
const BROKER_SECTIONS: readonly { title: string; keys: readonly string[] }[] = [
  { title: 'Identity', keys: ['brokerClusterName', 'brokerName', 'brokerId', 'brokerRole'] },
  { title: 'Network', keys: ['namesrvAddr', 'brokerIP1', 'brokerIP2', 'listenPort', 'haListenPort', 'grpcServerPort', 'haMasterAddress', 'haAllowedAddresses'] },
  { title: 'Store', keys: ['storePathRootDir', 'storePathCommitLog', 'flushDiskType'] },
  { title: 'Retention', keys: ['deleteWhen', 'fileReservedTime'] },
  { title: 'Replication', keys: ['totalReplicas', 'inSyncReplicas'] },
  { title: 'Access control', keys: ['aclEnable', 'aclFile', 'aclAccessKey'] },
  { title: 'Transport security (RocketMQ TlsSystemConfig keys)', keys: [...Object.keys(TLS_KEYS)] },
];

/** Config files are readable by the service group only (they may hold credentials one day). */
const CONFIG_MODE = 0o640;
const UNIT_MODE = 0o644;
const RELEASE_MODE = 0o644;
const PRIVATE_DIR_MODE = 0o750;
/** ACL files hold every account's secret: the service user alone reads them. */
const ACL_MODE = 0o600;
/** TLS files: the key is a secret; certificates go the same way (only the service reads them). */
const TLS_MODE = 0o600;

interface TemplateEntry {
  key: string;
  value: string;
  note: string | null;
}

// Overridden values get a comment naming the override, so a reviewer sees where they came from.
function entryOf(p: EffectiveProperty): TemplateEntry {
  return { key: p.key, value: p.value, note: p.source.includes('overrides') ? `from ${p.source}` : null };
}

function brokerSections(node: BrokerNode): { title: string; entries: TemplateEntry[] }[] {
  const byKey = new Map(node.properties.map((p) => [p.key, p]));
  const placed = new Set<string>();
  const sections = BROKER_SECTIONS.map(({ title, keys }) => {
    const entries: TemplateEntry[] = [];
    for (const k of keys) {
      const p = byKey.get(k);
      if (!p) continue;
      placed.add(k);
      entries.push(entryOf(p));
    }
    return { title, entries };
  });
  const rest = node.properties.filter((p) => !placed.has(p.key)).sort((a, b) => a.key.localeCompare(b.key));
  sections.push({ title: 'Overrides', entries: rest.map(entryOf) });
  return sections.filter((s) => s.entries.length > 0);
}

const roleText = (node: BrokerNode) => (node.role === 'slave' ? 'slave' : `master, ${node.brokerRole}`);

export function renderBrokerProperties(model: ClusterModel, node: BrokerNode): string {
  return renderTemplate('broker.properties', {
    cluster: model.cluster,
    node,
    roleText: roleText(node),
    sections: brokerSections(node),
  });
}

export function renderNamesrvProperties(model: ClusterModel, node: NameServerNode): string {
  return renderTemplate('namesrv.properties', { cluster: model.cluster, node, entries: node.properties.map(entryOf) });
}

/**
 * ProtectHome=yes hides /home, /root and /run/user entirely, and ReadWritePaths= cannot punch
 * through it: a store placed there would fail at start with EACCES. Such paths get
 * ProtectHome=tmpfs (an empty /home …) with just these directories bound back in.
 */
const HOME_ROOTS = ['/home', '/root', '/run/user'];
function homeBindsOf(paths: readonly string[]): string[] {
  return paths.filter((p) => HOME_ROOTS.some((root) => p === root || p.startsWith(`${root}/`)));
}

export function renderUnit(model: ClusterModel, host: HostModel, node: ClusterNode): string {
  const envPath = envFilePath(host);
  const common = { cluster: model.cluster, node, envPath, user: host.serviceUser ?? 'root', homeBinds: homeBindsOf(node.writablePaths) };
  if (node.kind === 'namesrv') return renderTemplate('rmq-namesrv.service', { ...common, stopTimeout: 15 });
  // Start after NameServers on the same host, so a booting machine registers at once.
  const after = model.nodes.filter((n) => n.kind === 'namesrv' && n.host === host.name).map((n) => n.unitName);
  // Brokers flush and close their files on SIGTERM: give that time before SIGKILL.
  return renderTemplate('rmq-broker.service', { ...common, stopTimeout: 60, after, roleText: roleText(node) });
}

export function envFilePath(host: HostModel): string {
  return path.posix.join(host.layout.configDir, 'rmqd.env');
}

/**
 * The FileSet of one host. A model with `acl` needs its secrets resolved (topology/secrets.ts):
 * they go into each node's ACL file and nowhere else. A model with `tls` needs its files
 * (topology/tls-files.ts): every host with nodes gets its CA, certificate and key.
 */
export function renderHost(model: ClusterModel, host: HostModel, release: RuntimeRelease, inputs: RenderInputs = {}): FileSet {
  if (model.acl !== null && inputs.acl === undefined) throw new Error('rendering a cluster with acl needs its resolved secrets');
  const aclText = model.acl !== null && inputs.acl !== undefined ? renderAclFile(model.cluster, model.acl, inputs.acl) : undefined;
  const tlsFiles = host.tls === null ? undefined : inputs.tls?.get(host.name);
  if (host.tls !== null && tlsFiles === undefined) throw new Error(`rendering a cluster with tls needs the TLS files of host ${host.name}`);
  const nodes = model.nodes.filter((n) => n.host === host.name);
  const all = nodes.map((n) => n.id);
  const user = host.serviceUser;
  // root owns what the service only reads; the service user owns what it writes.
  const root = user === null ? null : 'root';
  const entries: DesiredEntry[] = [];
  if (nodes.length > 0) {
    const releaseDir = path.posix.join(host.layout.releasesDir, release.id);
    entries.push({
      kind: 'file',
      path: path.posix.join(releaseDir, 'rmqd.js'),
      role: 'release',
      nodeIds: all,
      mode: RELEASE_MODE,
      owner: root,
      group: root,
      content: release.content,
      sha256: release.sha256,
      text: false,
    });
    entries.push(textFile(path.posix.join(releaseDir, 'package.json'), 'release', all, RELEASE_PACKAGE_JSON, RELEASE_MODE, root, root));
    entries.push({ kind: 'symlink', path: host.layout.currentLink, target: releaseDir, role: 'release-link', nodeIds: all });
    entries.push({ kind: 'dir', path: host.layout.configDir, role: 'config-dir', nodeIds: [], mode: PRIVATE_DIR_MODE, owner: root, group: user });
    entries.push(textFile(envFilePath(host), 'env', all, renderTemplate('rmqd.env', { cluster: model.cluster, logLevel: model.logLevel }), CONFIG_MODE, root, user));
    if (host.tls !== null && tlsFiles !== undefined) {
      // no node reloads certificates: a changed one restarts every node on the host
      entries.push(textFile(host.tls.caPath, 'tls', all, tlsFiles.ca, TLS_MODE, user, user));
      entries.push(textFile(host.tls.certPath, 'tls', all, tlsFiles.cert, TLS_MODE, user, user));
      entries.push({ ...textFile(host.tls.keyPath, 'tls-key', all, tlsFiles.key, TLS_MODE, user, user), secret: true });
    }
    if (host.supervisor === 'process') {
      entries.push({ kind: 'dir', path: host.layout.logDir, role: 'log-dir', nodeIds: [], mode: PRIVATE_DIR_MODE, owner: user, group: user });
      entries.push({ kind: 'dir', path: host.layout.runDir, role: 'run-dir', nodeIds: [], mode: PRIVATE_DIR_MODE, owner: user, group: user });
    }
  }
  for (const node of nodes) {
    const text = node.kind === 'broker' ? renderBrokerProperties(model, node) : renderNamesrvProperties(model, node);
    entries.push(textFile(node.configPath, 'config', [node.id], text, CONFIG_MODE, root, user));
    if (node.aclPath !== null && aclText !== undefined) entries.push({ ...textFile(node.aclPath, 'acl', [node.id], aclText, ACL_MODE, user, user), secret: true });
    for (const dir of node.writablePaths) entries.push({ kind: 'dir', path: dir, role: 'store-dir', nodeIds: [], mode: PRIVATE_DIR_MODE, owner: user, group: user });
    if (host.supervisor === 'systemd') entries.push(textFile(node.unitPath, 'unit', [node.id], renderUnit(model, host, node), UNIT_MODE, root, root));
  }
  entries.push(...monitoringEntries(model, host));
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { host: host.name, root: host.layout.root, entries };
}

/** One FileSet per host, in topology order. */
export function renderCluster(model: ClusterModel, release: RuntimeRelease, inputs: RenderInputs = {}): FileSet[] {
  return model.hosts.map((h) => renderHost(model, h, release, inputs));
}

/** A digest of a whole rendering (all hosts, paths, modes, owners, contents): equal iff byte-identical. */
export function renderDigest(sets: readonly FileSet[]): string {
  const lines: string[] = [];
  for (const s of sets) {
    for (const e of s.entries) {
      const what = e.kind === 'file' ? `${e.mode} ${e.owner}:${e.group} ${e.sha256}` : e.kind === 'dir' ? `${e.mode} ${e.owner}:${e.group}` : e.target;
      lines.push(`${s.host}\t${e.kind}\t${e.path}\t${what}`);
    }
  }
  return sha256(lines.join('\n'));
}
