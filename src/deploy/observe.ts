/**
 * What a host has now, read through its Target (SSH or local): the files (a Target is a plan
 * ObservedHost as is) and what the supervisor says about each of the host's nodes.
 */
import path from 'node:path';
import { unitName, type ClusterModel, type HostModel, type NodeId } from '../topology/index.js';
import type { HostObservation, ServiceObservation } from './plan/index.js';
import type { SupervisedNode } from './supervisors/supervisor.js';
import type { ClusterTargets } from './targets/open.js';

export async function observeHost(model: ClusterModel, targets: ClusterTargets, host: HostModel): Promise<HostObservation> {
  const t = await targets.get(host.name);
  const supervisor = targets.supervisorFor(host, t);
  const services: Record<NodeId, ServiceObservation> = {};
  for (const node of model.nodes.filter((n) => n.host === host.name)) {
    const st = await supervisor.status(node);
    services[node.id] = { active: st.active, state: st.state, ...(st.enabled !== undefined ? { enabled: st.enabled } : {}) };
  }
  return { observed: t.kind, view: t, services };
}

/** A node the host still has but the topology no longer lists, as its supervisor needs to stop it. */
export function formerNode(model: ClusterModel, host: HostModel, id: NodeId): SupervisedNode {
  const l = host.layout;
  const unit = unitName(model.cluster, id);
  const configPath = path.posix.join(l.configDir, `${id}.properties`);
  return {
    id,
    unitName: unit,
    unitPath: path.posix.join(l.unitDir, unit),
    configPath,
    logPath: path.posix.join(l.logDir, `${id}.log`),
    pidPath: path.posix.join(l.runDir, `${id}.pid`),
    command: [l.nodeBinary, path.posix.join(l.currentLink, 'rmqd.js'), id.startsWith('namesrv-') ? 'namesrv' : 'broker', '-c', configPath],
  };
}
