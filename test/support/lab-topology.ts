/** A validated ClusterModel over test hosts (for deploy-layer tests that need one). */
import type { FileSetOf } from '../../src/deploy/executor.js';
import { renderHost, sha256, type RuntimeRelease } from '../../src/render/index.js';
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

/**
 * The real rendering of each host (render/renderHost), with `extra` lines appended to the named
 * nodes' configs — a config change without editing the topology.
 */
export function renderedWith(model: () => ClusterModel, release: RuntimeRelease, extra: () => Record<string, string> = () => ({})): FileSetOf {
  return (host) => {
    const set = renderHost(model(), host, release);
    const more = extra();
    return {
      ...set,
      entries: set.entries.map((e) => {
        const add = e.kind === 'file' && e.role === 'config' ? more[e.nodeIds[0] ?? ''] : undefined;
        if (!add || e.kind !== 'file') return e;
        const content = Buffer.concat([e.content, Buffer.from(add)]);
        return { ...e, content, sha256: sha256(content) };
      }),
    };
  };
}
