/**
 * Rendered monitoring (topology `monitoring:`): on the monitoring host, in its directory, the
 * Prometheus scrape config, the file_sd targets of every node, the alert rules and the Grafana
 * dashboard. World-readable (the operator's Prometheus and Grafana run as their own users); no
 * node restarts when they change.
 */
import path from 'node:path';
import type { ClusterModel, HostModel } from '../../topology/model.js';
import { textFile, type DesiredEntry } from '../fileset.js';
import { renderGrafanaDashboard } from './grafana.js';
import { renderAlertRules, renderPrometheusConfig, renderTargets, RULES_FILE, TARGETS_FILE } from './prometheus.js';

export { dashboardExpressions, renderGrafanaDashboard } from './grafana.js';
export { jobName, renderAlertRules, renderPrometheusConfig, renderTargets, RULES_FILE, TARGETS_FILE } from './prometheus.js';

export const PROMETHEUS_FILE = 'prometheus.yml';
export const DASHBOARD_FILE = 'grafana-dashboard.json';

const FILE_MODE = 0o644;
const DIR_MODE = 0o755;

export function monitoringEntries(model: ClusterModel, host: HostModel): DesiredEntry[] {
  const m = model.monitoring;
  if (m === null || m.host !== host.name) return [];
  const owner = host.serviceUser === null ? null : 'root';
  const at = (f: string) => path.posix.join(m.dir, f);
  return [
    { kind: 'dir', path: m.dir, role: 'monitoring-dir', nodeIds: [], mode: DIR_MODE, owner, group: owner },
    textFile(at(PROMETHEUS_FILE), 'monitoring', [], renderPrometheusConfig(model, m.dir), FILE_MODE, owner, owner),
    textFile(at(TARGETS_FILE), 'monitoring', [], renderTargets(model), FILE_MODE, owner, owner),
    textFile(at(RULES_FILE), 'monitoring', [], renderAlertRules(model), FILE_MODE, owner, owner),
    textFile(at(DASHBOARD_FILE), 'monitoring', [], `${JSON.stringify(renderGrafanaDashboard(model), null, 2)}\n`, FILE_MODE, owner, owner),
  ];
}
