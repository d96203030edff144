/**
 * `rmqctl status` shows each broker's v5 gRPC endpoint (from the broker's runtime info) and
 * whether it answers; a broker without a gRPC port is shown without one.
 */
import { describe, expect, it } from 'vitest';
import { brokerNodes, type HealthReport } from '../../src/ops/health/report.js';
import { rmqctl } from '../support/cli.js';
import { startCluster } from '../support/cluster.js';
import { grpcBroker } from '../support/v5.js';

describe('rmqctl status and gRPC endpoints', () => {
  it('reports every broker’s gRPC endpoint and that it answers', async () => {
    const a = await grpcBroker('broker-a');
    const c = await startCluster({ brokers: [a, { name: 'broker-b' }] });
    const r = await rmqctl(['status', '--namesrv', c.namesrvAddr, '--json']);
    expect(r.code).toBe(0);
    const nodes = brokerNodes(JSON.parse(r.stdout) as HealthReport);
    expect(nodes.find((n) => n.id === 'broker-a-0')?.grpc).toMatchObject({ endpoint: `127.0.0.1:${a.grpcPort}`, answers: true });
    expect(nodes.find((n) => n.id === 'broker-b-0')?.grpc).toBeUndefined();
    const human = await rmqctl(['status', '--namesrv', c.namesrvAddr]);
    expect(human.stdout).toContain(`gRPC 127.0.0.1:${a.grpcPort} up`);
  });
});
