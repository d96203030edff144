/**
 * The rates of `status --watch` from two scrapes of brokers' /metrics (real HTTP endpoints here
 * serving text the test controls, read with the same Prometheus text parser as in production):
 * per broker group in and out, per consumer group out, per topic in; counter restarts; a broker
 * that does not answer is named, not counted as zero.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { RateMeter, type MetricsTarget } from '../../src/ops/rates/rates.js';

const bodies = new Map<string, string>();
const servers: http.Server[] = [];

async function endpoint(name: string): Promise<string> {
  const srv = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(bodies.get(name) ?? ''));
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return `127.0.0.1:${(srv.address() as AddressInfo).port}`;
}

afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
});

function metricsText(inByTopic: Record<string, number>, outByGroup: Record<string, [string, number]>): string {
  const base = 'cluster="c",node_type="broker",node_id="b"';
  const lines = ['# HELP rocketmq_messages_in_total in', '# TYPE rocketmq_messages_in_total counter'];
  for (const [topic, n] of Object.entries(inByTopic)) {
    // two message types of one topic: both count
    lines.push(`rocketmq_messages_in_total{${base},topic="${topic}",message_type="normal",is_system="false"} ${n - 1}`);
    lines.push(`rocketmq_messages_in_total{${base},topic="${topic}",message_type="delay",is_system="false"} 1`);
  }
  lines.push('# HELP rocketmq_messages_out_total out', '# TYPE rocketmq_messages_out_total counter');
  for (const [group, [topic, n]] of Object.entries(outByGroup)) lines.push(`rocketmq_messages_out_total{${base},topic="${topic}",consumer_group="${group}",is_system="false"} ${n}`);
  lines.push('# HELP rocketmq_rpc_latency h', '# TYPE rocketmq_rpc_latency histogram', `rocketmq_rpc_latency_bucket{${base},le="1"} 3`, `rocketmq_rpc_latency_bucket{${base},le="+Inf"} 4`, `rocketmq_rpc_latency_sum{${base}} 2`, `rocketmq_rpc_latency_count{${base}} 4`);
  return `${lines.join('\n')}\n`;
}

describe('RateMeter', () => {
  it('turns two scrapes into msg/s per broker group, consumer group and topic', async () => {
    const targets: MetricsTarget[] = [
      { node: 'broker-a-0', brokerName: 'broker-a', brokerId: 0, addr: await endpoint('a0') },
      { node: 'broker-a-1', brokerName: 'broker-a', brokerId: 1, addr: await endpoint('a1') },
      { node: 'broker-b-0', brokerName: 'broker-b', brokerId: 0, addr: await endpoint('b0') },
    ];
    let now = 1_000_000;
    const meter = new RateMeter({ now: () => now });
    bodies.set('a0', metricsText({ Orders: 100, Audit: 10 }, { G1: ['Orders', 50] }));
    bodies.set('a1', metricsText({}, {}));
    bodies.set('b0', metricsText({ Orders: 200 }, { G1: ['Orders', 150], G2: ['Audit', 5] }));
    expect(await meter.sample(targets)).toBeUndefined();

    now += 2_000;
    bodies.set('a0', metricsText({ Orders: 140, Audit: 12 }, { G1: ['Orders', 90] }));
    bodies.set('b0', metricsText({ Orders: 260 }, { G1: ['Orders', 150], G2: ['Audit', 9] }));
    const r = await meter.sample(targets);
    expect(r).toEqual({
      intervalSeconds: 2,
      brokerGroups: [
        { brokerName: 'broker-a', inPerSec: 21, outPerSec: 20 },
        { brokerName: 'broker-b', inPerSec: 30, outPerSec: 2 },
      ],
      consumerGroups: [
        { group: 'G1', outPerSec: 20, topics: ['Orders'] },
        { group: 'G2', outPerSec: 2, topics: ['Audit'] },
      ],
      topics: [
        { topic: 'Audit', inPerSec: 1 },
        { topic: 'Orders', inPerSec: 50 },
      ],
      unavailable: [],
    });

    // broker-b restarted (its counters start over) and broker-a-1 stops answering
    now += 1_000;
    bodies.set('b0', metricsText({ Orders: 7 }, {}));
    servers[1]?.closeAllConnections();
    await new Promise((res) => servers[1]?.close(res));
    const after = await meter.sample(targets);
    expect(after?.brokerGroups.find((g) => g.brokerName === 'broker-b')?.inPerSec).toBe(7);
    expect(after?.unavailable.map((u) => u.node)).toEqual(['broker-a-1']);
  });
});
