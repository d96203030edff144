/**
 * The namesrv.properties contract end to end: the file the render module writes from a topology
 * is the file `rmqd namesrv` starts from, every key understood.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderNamesrvProperties } from '../../src/render/index.js';
import { buildClusterModel, loadTopology, type NameServerNode } from '../../src/topology/index.js';
import { startNamesrvFromFile } from '../support/namesrv.js';
import { freeBrokerPort, freePort } from '../support/ports.js';
import { tmpDir } from '../support/tmp.js';

describe('rmqd namesrv with a rendered namesrv.properties', () => {
  it('starts from it with every key understood, and keeps its KV file where the topology says', async () => {
    const dir = tmpDir();
    const port = await freePort();
    const topologyFile = path.join(dir, 'cluster.yaml');
    writeFileSync(
      topologyFile,
      [
        'cluster: RenderedCluster',
        'mode: single-master',
        'hosts:',
        '  - { name: local, transport: local }',
        'nameservers:',
        `  - { host: local, port: ${port} }`,
        'brokers:',
        `  - { name: broker-a, master: { host: local, port: ${await freeBrokerPort()} } }`,
        'overrides:',
        '  namesrv:',
        '    brokerExpiryMillis: 10000',
      ].join('\n'),
    );
    const { topology } = await loadTopology(topologyFile);
    const model = buildClusterModel(topology, { stateDir: path.join(dir, 'state') });
    const node = model.nodes.find((n): n is NameServerNode => n.kind === 'namesrv');
    if (node === undefined) throw new Error('no NameServer in the model');
    mkdirSync(path.dirname(node.configPath), { recursive: true });
    writeFileSync(node.configPath, renderNamesrvProperties(model, node));

    const ns = await startNamesrvFromFile(node.configPath, port);
    const listening = await ns.waitForLine(/NameServer listening/);
    expect(listening).toContain(`port=${port}`);
    expect(listening).toContain('brokerExpiryMs=10000');
    expect(listening).toContain(`kvConfig=${path.join(node.storeDir, 'kvConfig.json')}`);
    expect(ns.lines.filter((l) => l.includes('ignoring configuration key'))).toEqual([]);
  });
});
