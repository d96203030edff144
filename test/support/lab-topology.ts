/** A validated ClusterModel over test hosts (for deploy-layer tests that need one). */
import { buildClusterModel, parseTopology, type ClusterModel } from '../../src/topology/index.js';
import type { TestHost } from './hosts.js';

/** `hosts:` entries for test hosts, with their SSH settings (key, pinned known_hosts, port). */
export function labHostsYaml(hosts: readonly TestHost[], extra: (h: TestHost) => string = () => ''): string {
  return hosts
    .map((h) => `  - name: ${h.name}\n    address: ${h.address}\n    ssh: {user: root, port: ${h.port}, identityFile: ${h.identityFile}, knownHosts: ${h.knownHostsFile}}\n${extra(h)}`)
    .join('');
}

export function labModel(yaml: string, stateDir = '/tmp/rmqctl-lab-state'): ClusterModel {
  const { topology } = parseTopology(yaml, 'lab.yaml');
  return buildClusterModel(topology, { stateDir });
}
