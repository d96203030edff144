/**
 * Topologies for tests: the presets as shipped (all on the local host), and their SSH variant —
 * the same cluster spread over two SSH hosts the way each preset's comments describe (NameServer
 * i on host i%2, group g's master on host g%2 and its slaves on the other host).
 */
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { parseTopology } from '../../src/topology/load.js';
import { TopologyError } from '../../src/util/problems.js';
import { presetPath } from '../../src/topology/presets.js';
import type { Topology } from '../../src/topology/schema.js';
import { releaseOf } from '../../src/render/release.js';

export const PRESETS = ['single-master', 'multi-master', '2m-2s-async', '2m-2s-sync'] as const;
export type Preset = (typeof PRESETS)[number];

/** A fixed stand-in for dist/rmqd.js, so goldens do not change with every runtime change. */
export const STUB_RUNTIME = Buffer.from('// rmqd.js stand-in used by rmqctl golden tests\n');
export const STUB_RELEASE = releaseOf(STUB_RUNTIME);

/** The state directory golden tests render the local host with. */
export const goldenStateDir = (preset: string) => `/home/operator/.local/state/rmqctl/${preset}`;

export function loadPreset(preset: Preset): Topology {
  return parseTopology(readFileSync(presetPath(preset), 'utf8'), `${preset}.yaml`).topology;
}

export function sshVariant(t: Topology): Topology {
  const copy = structuredClone(t);
  const hosts = ['mq1', 'mq2'];
  copy.hosts = [
    { name: 'mq1', transport: 'ssh', address: '10.77.0.11', ssh: { user: 'root', port: 22, identityFile: '~/.ssh/id_ed25519', knownHosts: '~/.ssh/known_hosts' } },
    { name: 'mq2', transport: 'ssh', address: '10.77.0.12', ssh: { user: 'root', port: 22, identityFile: '~/.ssh/id_ed25519', knownHosts: '~/.ssh/known_hosts' } },
  ];
  copy.nameservers.forEach((n, i) => (n.host = hosts[i % 2] ?? 'mq1'));
  copy.brokers.forEach((g, gi) => {
    g.master.host = hosts[gi % 2] ?? 'mq1';
    g.slaves.forEach((s) => (s.host = hosts[(gi + 1) % 2] ?? 'mq2'));
  });
  // Through the loader again, so the variant is validated like any user's file.
  return parseTopology(stringify(copy), 'ssh-variant.yaml').topology;
}

/** The problems parsing `text` as topology `file` reports, one per line ('' when it is valid). */
export function topologyProblems(text: string, file: string): string {
  try {
    parseTopology(text, file);
  } catch (e) {
    if (e instanceof TopologyError) return e.problems.join('\n');
    throw e;
  }
  return '';
}
