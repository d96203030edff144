/**
 * The etcd of an automatic-failover cluster (topology `failover: {mode: auto}`): rmqctl provisions
 * its members before the brokers start, and gates on their health like any node.
 *  - an SSH host with systemd: Debian's etcd-server (`apt-get install etcd-server` when `etcd` is
 *    missing), configured through /etc/default/etcd (its unit's environment file; the service runs
 *    as user etcd, data in /var/lib/etcd/rmqctl-<cluster>), restarted when that file changes;
 *  - the local host (and SSH hosts without systemd): `etcd` from PATH as a detached process with a
 *    config file, pid file and log under the cluster's layout — with a clear error when there is no
 *    etcd binary.
 * A member's data directory is kept across redeploys (`destroy --purge` removes the local ones).
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeployError } from './errors.js';
import { etcdHealth, type EtcdMemberHealth } from '../ops/failover/etcd-health.js';
import { hostByName, type ClusterModel, type EtcdMemberModel, type HostModel } from '../topology/index.js';
import { ProcessSupervisor } from './supervisors/process.js';
import type { SupervisedNode } from './supervisors/supervisor.js';
import type { ClusterTargets } from './targets/open.js';
import type { Target } from './targets/target.js';

/** etcd's flags for a member, as `name: value` pairs (the config file's and ETCD_* variables' keys). */
function settings(model: ClusterModel, m: EtcdMemberModel): [string, string][] {
  const all = model.failover.etcd;
  return [
    ['name', m.name],
    ['data-dir', m.dataDir],
    ['listen-client-urls', m.clientUrl],
    ['advertise-client-urls', m.clientUrl],
    ['listen-peer-urls', m.peerUrl],
    ['initial-advertise-peer-urls', m.peerUrl],
    ['initial-cluster', all.map((x) => `${x.name}=${x.peerUrl}`).join(',')],
    ['initial-cluster-state', 'new'],
    ['initial-cluster-token', `rmqctl-${model.cluster}`],
  ];
}

/** /etc/default/etcd of a systemd host (Debian's unit reads it). */
export function etcdDefaultsFile(model: ClusterModel, m: EtcdMemberModel): string {
  const lines = settings(model, m).map(([k, v]) => `ETCD_${k.toUpperCase().replaceAll('-', '_')}="${v}"`);
  return `# etcd member ${m.name} of cluster ${model.cluster} (failover: auto), written by rmqctl deploy\n${lines.join('\n')}\n`;
}

/** The --config-file of a member run as a process. */
export function etcdConfigFile(model: ClusterModel, m: EtcdMemberModel): string {
  return `# etcd member ${m.name} of cluster ${model.cluster} (failover: auto), written by rmqctl deploy\n${settings(model, m).map(([k, v]) => `${k}: '${v}'`).join('\n')}\n`;
}

/** How the process supervisor sees a member run as a process (its config path marks its process). */
export function etcdProcess(host: HostModel, m: EtcdMemberModel): SupervisedNode {
  const configPath = path.posix.join(host.layout.configDir, `${m.name}.etcd.yaml`);
  return { id: m.name, unitName: 'etcd.service', unitPath: '', command: ['etcd', '--config-file', configPath], configPath, logPath: path.posix.join(host.layout.logDir, `${m.name}.log`), pidPath: path.posix.join(host.layout.runDir, `${m.name}.pid`) };
}

export interface EtcdDeployResult {
  members: { name: string; host: string; action: 'installed' | 'started' | 'restarted' | 'unchanged' }[];
  health: EtcdMemberHealth[];
  waitedMs: number;
}

/** Every member installed, configured and running, then healthy (bounded by timeoutMs). */
export async function ensureEtcd(model: ClusterModel, targets: ClusterTargets, opts: { timeoutMs?: number; onLine?: (line: string) => void } = {}): Promise<EtcdDeployResult> {
  const say = opts.onLine ?? (() => {});
  const members: EtcdDeployResult['members'] = [];
  for (const m of model.failover.etcd) {
    const host = hostByName(model, m.host)!;
    const target = await targets.get(host.name);
    const action = host.supervisor === 'systemd' ? await ensureService(model, m, target) : await ensureProcess(model, host, m, target);
    members.push({ name: m.name, host: host.name, action });
    say(`${host.name}  ${m.name}  ${action} (${m.clientUrl})`);
  }
  const started = Date.now();
  const deadline = started + (opts.timeoutMs ?? 60_000);
  for (;;) {
    const health = await etcdHealth(model.failover.etcd);
    if (health.every((h) => h.healthy)) {
      say(`etcd healthy: ${health.length} member(s) (after ${((Date.now() - started) / 1000).toFixed(1)} s)`);
      return { members, health, waitedMs: Date.now() - started };
    }
    if (Date.now() > deadline) {
      const bad = health.find((h) => !h.healthy)!;
      throw new DeployError(bad.host, 'etcd health', bad.name, `etcd is not healthy after ${opts.timeoutMs ?? 60_000} ms: ${health.filter((h) => !h.healthy).map((h) => `${h.name} on ${h.host} ${h.reason}`).join('; ')} — its log: journalctl -u etcd on SSH hosts, the member's log under the state directory locally`);
    }
    await sleep(250);
  }
}

async function ensureService(model: ClusterModel, m: EtcdMemberModel, target: Target): Promise<'installed' | 'restarted' | 'unchanged'> {
  let installed = false;
  if ((await target.exec(['sh', '-c', 'command -v etcd'])).code !== 0) {
    await target.run(['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-q', 'etcd-server'], { timeoutMs: 600_000 });
    installed = true;
  }
  const file = '/etc/default/etcd';
  const want = etcdDefaultsFile(model, m);
  const had = (await target.readFile(file))?.toString('utf8');
  const active = (await target.exec(['systemctl', 'is-active', '--quiet', 'etcd'])).code === 0;
  if (had === want && active) return installed ? 'installed' : 'unchanged';
  await target.writeFileAtomic(file, want, { mode: 0o644, owner: 'root', group: 'root' });
  await target.run(['systemctl', 'enable', 'etcd']);
  // Debian's unit is Type=notify: a member reports ready only once the cluster has a quorum, so a
  // blocking restart of the first member would wait for the others — start them all, then gate
  await target.run(['systemctl', 'restart', '--no-block', 'etcd'], { timeoutMs: 120_000 });
  return installed ? 'installed' : 'restarted';
}

async function ensureProcess(model: ClusterModel, host: HostModel, m: EtcdMemberModel, target: Target): Promise<'started' | 'restarted' | 'unchanged'> {
  if ((await target.exec(['sh', '-c', 'command -v etcd'])).code !== 0) {
    throw new DeployError(host.name, 'etcd', m.name, `failover: auto needs etcd on ${host.name}, and there is no etcd on its PATH: install it (Debian/Ubuntu: apt-get install etcd-server; elsewhere the etcd release binary) and deploy again`);
  }
  const node = etcdProcess(host, m);
  const sup = new ProcessSupervisor(target, { runAs: host.serviceUser, stopTimeoutMs: 10_000 });
  const want = etcdConfigFile(model, m);
  const had = (await target.readFile(node.configPath))?.toString('utf8');
  await target.mkdirp(path.posix.dirname(m.dataDir), { mode: 0o750 });
  // the layout's private directories, as the rendering makes them (0750): a different mode would show in plan
  for (const d of [node.configPath, node.logPath, node.pidPath]) await target.mkdirp(path.posix.dirname(d), { mode: 0o750 });
  if (had !== want) await target.writeFileAtomic(node.configPath, want, { mode: 0o640 });
  const status = await sup.status(node);
  if (status.active && had === want) return 'unchanged';
  if (status.active) {
    await sup.restart(node);
    return 'restarted';
  }
  await sup.start(node);
  return 'started';
}

/** Stops the members (destroy); with purge their local data goes too. */
export async function removeEtcd(model: ClusterModel, targets: ClusterTargets, purge: boolean): Promise<void> {
  for (const m of model.failover.etcd) {
    const host = hostByName(model, m.host)!;
    const target = await targets.get(host.name);
    if (host.supervisor === 'systemd') {
      await target.exec(['systemctl', 'disable', '--now', 'etcd']);
      if (purge) await target.remove(m.dataDir, { recursive: true });
    } else {
      const node = etcdProcess(host, m);
      await new ProcessSupervisor(target, { runAs: host.serviceUser }).stop(node).catch(() => {});
      await target.remove(node.configPath);
      if (purge) await target.remove(m.dataDir, { recursive: true });
    }
  }
}
