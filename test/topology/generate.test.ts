import { describe, expect, it } from 'vitest';
import { generateTopology, type InitAnswers } from '../../src/topology/generate.js';
import { buildClusterModel, MODE_NAMES, parseTopology } from '../../src/topology/index.js';

const base: InitAnswers = { cluster: 'orders', mode: '2m-2s-sync', flush: 'async', target: 'local', hosts: [], sshUser: 'root', namesrvPort: 9876, brokerPort: 10911 };

function modelOf(a: InitAnswers) {
  return buildClusterModel(parseTopology(generateTopology(a), 'generated.yaml').topology, { stateDir: '/var/tmp/s' });
}

describe('generated topologies', () => {
  it.each(MODE_NAMES)('%s on this machine is valid', (mode) => {
    expect(() => modelOf({ ...base, mode })).not.toThrow();
  });

  it('spreads groups over SSH hosts so no slave shares its master’s machine', () => {
    const m = modelOf({ ...base, mode: { masters: 3, slavesPerMaster: 2, replication: 'sync' }, target: 'ssh', hosts: ['10.0.0.11', '10.0.0.12', '10.0.0.13'] });
    const brokers = m.nodes.flatMap((n) => (n.kind === 'broker' ? [n] : []));
    expect(brokers).toHaveLength(9);
    for (const b of brokers.filter((x) => x.masterId)) {
      expect(b.host).not.toBe(brokers.find((x) => x.id === b.masterId)?.host);
    }
    expect(m.nodes.filter((n) => n.kind === 'namesrv').map((n) => n.host)).toEqual(['mq1', 'mq2', 'mq3']);
    expect(m.hosts.map((h) => [h.name, h.address, h.supervisor])).toEqual([
      ['mq1', '10.0.0.11', 'systemd'],
      ['mq2', '10.0.0.12', 'systemd'],
      ['mq3', '10.0.0.13', 'systemd'],
    ]);
  });

  it('is commented and readable', () => {
    const text = generateTopology(base);
    expect(text).toMatch(/^# Topology of cluster orders, written by rmqctl init \(mode 2m-2s-sync\)\./);
    expect(text).toContain('  - { host: local, port: 9876 }');
    expect(text).toContain('    master: { host: local, port: 10911 }');
  });
});
