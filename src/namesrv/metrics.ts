/**
 * A NameServer's Prometheus metrics: request latencies (`rocketmq_rpc_latency`, as RocketMQ 5's
 * remoting layer), the brokers it has registered and how long ago each was heard from, topics
 * routed, and the process figures. Read at scrape time; nothing runs per request but the timing.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Connection } from '../remoting/connection.js';
import { registerRpcLatency } from '../remoting/rpc-latency-metric.js';
import type { TimedDispatcher } from '../remoting/timed-dispatcher.js';
import { scrapedGauge, type Labels } from '../util/prom-metrics.js';
import type { RouteTable } from './route-table.js';

export interface NamesrvMetricsSources {
  routes: RouteTable<Connection>;
  rpc: TimedDispatcher;
  /** Monotonic clock of the route table (ms). */
  now: () => number;
  /** `host:port` the NameServer is reached at (node_id). */
  nodeId: string;
}

export function namesrvMetricsRegistry(src: NamesrvMetricsSources): Registry {
  const registry = new Registry();
  const base: Labels = { node_type: 'namesrv', node_id: src.nodeId };
  collectDefaultMetrics({ register: registry, prefix: 'rmq_process_' });
  registerRpcLatency(registry, src.rpc, base);
  scrapedGauge(registry, 'rmq_node_info', 'Always 1: the node and its role.', ['node_type', 'node_id', 'role'], (emit) => emit({ ...base, role: 'NAMESRV' }, 1));
  scrapedGauge(registry, 'rmq_namesrv_brokers', 'Brokers registered here, per cluster.', ['node_type', 'node_id', 'cluster'], (emit) => {
    const n = new Map<string, number>();
    for (const b of src.routes.liveBrokers(src.now())) n.set(b.cluster, (n.get(b.cluster) ?? 0) + 1);
    for (const [cluster, count] of n) emit({ ...base, cluster }, count);
  });
  scrapedGauge(
    registry,
    'rmq_namesrv_broker_heartbeat_age_seconds',
    'Seconds since each registered broker was last heard from (registration or keep-alive); it is dropped at its timeout.',
    ['node_type', 'node_id', 'cluster', 'broker', 'broker_id', 'addr'],
    (emit) => {
      for (const b of src.routes.liveBrokers(src.now())) emit({ ...base, cluster: b.cluster, broker: b.brokerName, broker_id: String(b.brokerId), addr: b.brokerAddr }, b.lastUpdateAgeMillis / 1000);
    },
  );
  scrapedGauge(registry, 'rmq_namesrv_topics', 'Topics with a route.', ['node_type', 'node_id'], (emit) => emit(base, src.routes.topics().length));
  return registry;
}
