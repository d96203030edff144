/**
 * The Prometheus side of rendered monitoring: a scrape config whose one job reads its targets
 * from a file_sd file (every node's metrics endpoint, labelled with cluster, node, role and
 * broker group), the file itself, and the alert rules. Prometheus re-reads file_sd files on its
 * own, so a redeploy that moves nodes needs no Prometheus restart. Target labels are `rmq_*`:
 * the nodes' own series already carry `cluster`, which a target label would shadow.
 */
import { stringify } from 'yaml';
import type { ClusterModel, ClusterNode } from '../../topology/model.js';

export const TARGETS_FILE = 'targets.json';
export const RULES_FILE = 'alerts.rules.yml';

/** The scrape job's name: one per cluster, so one Prometheus can watch several. */
export function jobName(model: Pick<ClusterModel, 'cluster'>): string {
  return `rmq-${model.cluster}`;
}

function roleOf(n: ClusterNode): string {
  return n.kind === 'namesrv' ? 'namesrv' : n.role;
}

/** file_sd: one target group per node (its labels differ). */
export function renderTargets(model: ClusterModel): string {
  const groups = model.nodes
    .filter((n) => n.metricsPort !== null)
    .map((n) => ({
      targets: [`${n.address}:${n.metricsPort}`],
      labels: { rmq_cluster: model.cluster, rmq_node: n.id, rmq_role: roleOf(n), ...(n.kind === 'broker' ? { rmq_broker: n.brokerName } : {}) },
    }));
  return `${JSON.stringify(groups, null, 2)}\n`;
}

export function renderPrometheusConfig(model: ClusterModel, dir: string): string {
  const m = model.monitoring;
  if (!m) throw new Error('rendering monitoring needs a topology with monitoring');
  const config = {
    global: { scrape_interval: m.scrapeInterval, evaluation_interval: m.scrapeInterval },
    rule_files: [`${dir}/${RULES_FILE}`],
    scrape_configs: [
      {
        job_name: jobName(model),
        metrics_path: '/metrics',
        file_sd_configs: [{ files: [`${dir}/${TARGETS_FILE}`] }],
      },
    ],
  };
  return `# Prometheus scrape config for cluster ${model.cluster} (rendered by rmqctl; include the job in your own config or run with this file)\n${stringify(config)}`;
}

interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export function renderAlertRules(model: ClusterModel): string {
  const m = model.monitoring;
  if (!m) throw new Error('rendering monitoring needs a topology with monitoring');
  const sel = `rmq_cluster="${model.cluster}"`;
  const a = m.alerts;
  const rules: Rule[] = [
    {
      alert: 'RocketMQNodeDown',
      expr: `up{job="${jobName(model)}"} == 0`,
      for: a.nodeDownFor,
      labels: { severity: 'critical' },
      annotations: { summary: 'rmqd node {{ $labels.rmq_node }} ({{ $labels.rmq_role }}) of cluster {{ $labels.rmq_cluster }} is down', description: 'Its metrics endpoint {{ $labels.instance }} has not answered for ' + a.nodeDownFor + '.' },
    },
    {
      alert: 'RocketMQConsumerLagGrowing',
      expr: `sum by (rmq_cluster, consumer_group, topic) (rocketmq_consumer_lag_messages{${sel}}) > ${a.lagMessages} and sum by (rmq_cluster, consumer_group, topic) (deriv(rocketmq_consumer_lag_messages{${sel}}[10m])) > 0`,
      for: '10m',
      labels: { severity: 'warning' },
      annotations: { summary: 'Consumer group {{ $labels.consumer_group }} falls behind on {{ $labels.topic }}', description: 'Lag {{ $value }} messages (over ' + a.lagMessages + ') and still growing for 10 minutes.' },
    },
    {
      alert: 'RocketMQDiskAlmostFull',
      expr: `rmq_store_disk_used_ratio{${sel}} > ${a.diskUsedRatio}`,
      for: '5m',
      labels: { severity: 'critical' },
      annotations: { summary: 'Store disk of {{ $labels.rmq_node }} is {{ $value | humanizePercentage }} full', description: `Above ${Math.round(a.diskUsedRatio * 100)} %: the broker deletes files early, then refuses writes (diskSpaceWarningLevelRatio).` },
    },
    {
      alert: 'RocketMQSlaveBehind',
      expr: `max by (rmq_cluster, rmq_broker, slave) (rmq_ha_slave_behind_seconds{${sel}}) > ${a.slaveBehindSeconds}`,
      for: '2m',
      labels: { severity: 'warning' },
      annotations: { summary: 'A slave of {{ $labels.rmq_broker }} is {{ $value }} s behind its master', description: `The oldest message slave {{ $labels.slave }} lacks was stored more than ${a.slaveBehindSeconds} s ago.` },
    },
    {
      alert: 'RocketMQSlaveNotReplicating',
      expr: `rmq_ha_replicating{${sel}} == 0`,
      for: '2m',
      labels: { severity: 'warning' },
      annotations: { summary: 'Slave {{ $labels.rmq_node }} is not replicating from its master', description: 'Its HA stream has not been live for 2 minutes (master down, unreachable, or the logs diverged).' },
    },
    {
      alert: 'RocketMQTimersLate',
      expr: `max by (rmq_cluster, rmq_node) (rocketmq_timer_dequeue_lag{${sel}}) > 10000`,
      for: '2m',
      labels: { severity: 'warning' },
      annotations: { summary: 'Timer messages on {{ $labels.rmq_node }} are delivered {{ $value }} ms late', description: 'The first timer slot not yet taken for delivery has stood more than 10 s behind now for 2 minutes (the broker cannot keep up with due timers, or its store refuses writes).' },
    },
  ];
  return `# Alert rules for cluster ${model.cluster} (rendered by rmqctl)\n${stringify({ groups: [{ name: jobName(model), rules }] })}`;
}
