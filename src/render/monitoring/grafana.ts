/**
 * The Grafana dashboard of a cluster (JSON model, typed against Grafana's own schema package
 * @grafana/schema, so a field Grafana does not know fails the build): throughput in and out,
 * send and pull latency, lag per consumer group, disk, replication, nodes up. Every query reads
 * the nodes' metrics through the `rmq_cluster` target label of the rendered scrape config; the
 * data source is a dashboard variable, chosen on import.
 */
import type { Dashboard, DataSourceRef, Panel, RowPanel, VariableModel } from '@grafana/schema';
import type { ClusterModel } from '../../topology/model.js';
import { jobName } from './prometheus.js';

const DS: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

interface Query {
  expr: string;
  legend: string;
}

function timeseries(id: number, title: string, unit: string, queries: readonly Query[], x: number, y: number, description: string, w = 12): Panel {
  return {
    id,
    type: 'timeseries',
    title,
    description,
    datasource: DS,
    gridPos: { h: 8, w, x, y },
    fieldConfig: { defaults: { unit }, overrides: [] },
    options: { legend: { displayMode: 'table', placement: 'bottom', showLegend: true, calcs: ['lastNotNull', 'max'] }, tooltip: { mode: 'multi', sort: 'desc' } },
    targets: queries.map((q, i) => ({ refId: String.fromCharCode(65 + i), datasource: DS, expr: q.expr, legendFormat: q.legend })),
  };
}

function row(id: number, title: string, y: number): RowPanel {
  return { id, type: 'row', title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] };
}

/** Every PromQL expression of a dashboard (for checks: promtool parses them). */
export function dashboardExpressions(d: Dashboard): string[] {
  const out: string[] = [];
  for (const p of d.panels ?? []) for (const t of (p as Panel).targets ?? []) if (typeof t.expr === 'string') out.push(t.expr);
  return out;
}

export function renderGrafanaDashboard(model: ClusterModel): Dashboard {
  let lastId = 0;
  const ts = (...a: Parameters<typeof timeseries> extends [number, ...infer R] ? R : never) => timeseries(++lastId, ...a);
  const section = (title: string, y: number) => row(++lastId, title, y);
  const c = `rmq_cluster="${model.cluster}"`;
  const lat = (codes: string, q: string) => `histogram_quantile(${q}, sum by (le) (rate(rocketmq_rpc_latency_bucket{${c}, node_type="broker", request_code=~"${codes}", is_long_polling="false"}[$__rate_interval])))`;
  const panels: (Panel | RowPanel)[] = [
    section('Throughput', 0),
    ts('Messages in /s by topic', 'msg/s', [{ expr: `sum by (topic) (rate(rocketmq_messages_in_total{${c}}[$__rate_interval]))`, legend: '{{topic}}' }], 0, 1, 'Messages stored from client sends (rocketmq_messages_in_total).'),
    ts('Messages out /s by consumer group', 'msg/s', [{ expr: `sum by (consumer_group, topic) (rate(rocketmq_messages_out_total{${c}}[$__rate_interval]))`, legend: '{{consumer_group}} ← {{topic}}' }], 12, 1, 'Messages delivered to consumers (rocketmq_messages_out_total).'),
    ts('Bytes in and out /s by broker', 'Bps', [
      { expr: `sum by (rmq_broker) (rate(rocketmq_throughput_in_total{${c}}[$__rate_interval]))`, legend: 'in {{rmq_broker}}' },
      { expr: `sum by (rmq_broker) (rate(rocketmq_throughput_out_total{${c}}[$__rate_interval]))`, legend: 'out {{rmq_broker}}' },
    ], 0, 9, 'Stored record bytes in (sends) and out (pulls).'),
    ts('Request latency', 'ms', [
      { expr: lat('send_message.*|send_batch_message', '0.99'), legend: 'send p99' },
      { expr: lat('send_message.*|send_batch_message', '0.5'), legend: 'send p50' },
      { expr: lat('pull_message', '0.99'), legend: 'pull p99 (not held)' },
    ], 12, 9, 'Request in to answer out on the brokers (rocketmq_rpc_latency); held long-polling pulls left out.'),
    section('Consumers', 17),
    ts('Lag by consumer group (messages)', 'short', [{ expr: `sum by (consumer_group, topic) (rocketmq_consumer_lag_messages{${c}})`, legend: '{{consumer_group}} on {{topic}}' }], 0, 18, 'Stored and not yet committed (rocketmq_consumer_lag_messages), summed over brokers.'),
    ts('Lag by consumer group (age)', 'ms', [{ expr: `max by (consumer_group, topic) (rocketmq_consumer_lag_latency{${c}})`, legend: '{{consumer_group}} on {{topic}}' }], 12, 18, 'How long ago the oldest unconsumed message was stored.'),
    ts('In flight by consumer group', 'short', [{ expr: `sum by (consumer_group, topic) (rocketmq_consumer_inflight_messages{${c}})`, legend: '{{consumer_group}} on {{topic}}' }], 0, 26, 'Pulled and not committed yet.'),
    ts('Dead-lettered /s', 'msg/s', [{ expr: `sum by (consumer_group, topic) (rate(rocketmq_send_to_dlq_messages_total{${c}}[$__rate_interval]))`, legend: '{{consumer_group}} on {{topic}}' }], 12, 26, 'Messages moved to %DLQ% after their last retry.'),
    section('Store and replication', 34),
    ts('Store disk used', 'percentunit', [{ expr: `rmq_store_disk_used_ratio{${c}}`, legend: '{{rmq_node}}' }], 0, 35, `Share of each broker's store filesystem in use; the alert fires above ${model.monitoring?.alerts.diskUsedRatio ?? 0.85}.`, 8),
    ts('Commit log kept', 'bytes', [{ expr: `rocketmq_storage_size{${c}}`, legend: '{{rmq_node}}' }], 8, 35, 'Bytes of commit log between the oldest kept and the newest message.', 8),
    ts('Unflushed bytes', 'bytes', [{ expr: `rocketmq_storage_flush_behind_bytes{${c}}`, legend: '{{rmq_node}}' }], 16, 35, 'Written and not fsynced yet (ASYNC_FLUSH).', 8),
    ts('Slaves behind (bytes)', 'bytes', [{ expr: `rmq_ha_slave_behind_bytes{${c}}`, legend: '{{rmq_broker}} → {{slave}}' }], 0, 43, 'Commit log a slave does not have yet, as its master sees it.', 8),
    ts('Slaves behind (age)', 's', [{ expr: `rmq_ha_slave_behind_seconds{${c}}`, legend: '{{rmq_broker}} → {{slave}}' }], 8, 43, 'Age of the oldest message a slave lacks.', 8),
    ts('Nodes up', 'short', [{ expr: `up{job="${jobName(model)}"}`, legend: '{{rmq_node}} ({{rmq_role}})' }], 16, 43, '1 while a node answers its metrics scrape.', 8),
  ];
  const datasource: VariableModel = { name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus', hide: 0, refresh: 1 };
  return {
    title: `RocketMQ cluster ${model.cluster}`,
    uid: `rmq-${model.cluster}`.slice(0, 40),
    description: `Rendered by rmqctl for cluster ${model.cluster}. Queries select rmq_cluster="${model.cluster}" (a target label of the rendered scrape config).`,
    tags: ['rocketmq', 'rmqctl'],
    schemaVersion: 39,
    version: 1,
    editable: true,
    graphTooltip: 1,
    time: { from: 'now-1h', to: 'now' },
    refresh: '30s',
    timezone: 'browser',
    templating: { list: [datasource] },
    annotations: { list: [] },
    panels,
  };
}
