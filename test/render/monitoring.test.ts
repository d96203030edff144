/**
 * Rendered monitoring: a topology's `monitoring:` section turns on every node's metrics port and
 * adds, on the monitoring host, a Prometheus config with file_sd targets, alert rules and a
 * Grafana dashboard. Checked with Prometheus's own promtool (Debian's `prometheus` package):
 * `check config` on the config (which also loads the rule file it names), `check rules` on the
 * rules, and every dashboard query parsed by promtool as a recording rule; the dashboard's
 * structure is checked against what Grafana needs to import it. Validation of the section and of
 * metrics ports (clashes, range) reports positions like the rest of the topology.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { renderCluster } from '../../src/render/index.js';
import { dashboardExpressions, DASHBOARD_FILE, PROMETHEUS_FILE, RULES_FILE, TARGETS_FILE } from '../../src/render/monitoring/index.js';
import type { DesiredFile } from '../../src/render/fileset.js';
import { parseTopology } from '../../src/topology/load.js';
import { buildClusterModel } from '../../src/topology/model.js';
import { goldenStateDir, loadPreset, sshVariant, STUB_RELEASE, topologyProblems } from '../support/topologies.js';
import { toolSkipReason } from '../support/system-packages.js';

function withMonitoring(monitoring: Record<string, unknown> = {}, ssh = false) {
  const t = loadPreset('2m-2s-sync');
  const base = ssh ? sshVariant(t) : t;
  return parseTopology(stringify({ ...base, monitoring }), 'monitored.yaml').topology;
}

function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'rmq-monitoring-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

function promtool(...args: string[]): string {
  return execFileSync('promtool', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('rendered monitoring', () => {
  it.skipIf(toolSkipReason('promtool', 'prometheus'))('turns on every node’s metrics port (port+10000 unless set) and renders Prometheus and Grafana files that promtool accepts', () => {
    const t = withMonitoring({ host: 'mq2', alerts: { lagMessages: 500 } }, true);
    const model = buildClusterModel(t, { stateDir: goldenStateDir('2m-2s-sync') });
    expect(model.nodes.map((n) => [n.id, n.metricsPort])).toEqual([
      ['namesrv-1', 19876],
      ['namesrv-2', 19877],
      ['broker-a-0', 20911],
      ['broker-b-0', 20931],
      ['broker-a-1', 20921],
      ['broker-b-1', 20941],
    ]);
    for (const n of model.nodes) expect(n.properties.find((p) => p.key === 'metricsPort')?.value).toBe(String(n.metricsPort));
    const sets = renderCluster(model, STUB_RELEASE);
    // the files land on the monitoring host only, in <config dir>/monitoring
    expect(sets.find((s) => s.host === 'mq1')?.entries.some((e) => e.role === 'monitoring')).toBe(false);
    const files = sets.find((s) => s.host === 'mq2')?.entries.filter((e): e is DesiredFile => e.role === 'monitoring') ?? [];
    const dir = '/etc/rmqctl/2m-2s-sync/monitoring';
    expect(files.map((f) => f.path).sort()).toEqual([DASHBOARD_FILE, PROMETHEUS_FILE, RULES_FILE, TARGETS_FILE].map((f) => `${dir}/${f}`).sort());
    expect(files.every((f) => f.mode === 0o644 && f.nodeIds.length === 0)).toBe(true);
    const text = (name: string) => files.find((f) => f.path.endsWith(`/${name}`))?.content.toString('utf8') ?? '';

    // file_sd: every node, addressed where Prometheus reaches it, labelled
    const targets = JSON.parse(text(TARGETS_FILE)) as { targets: string[]; labels: Record<string, string> }[];
    expect(targets.map((g) => [g.targets[0], g.labels.rmq_node, g.labels.rmq_role])).toEqual([
      ['10.77.0.11:19876', 'namesrv-1', 'namesrv'],
      ['10.77.0.12:19877', 'namesrv-2', 'namesrv'],
      ['10.77.0.11:20911', 'broker-a-0', 'master'],
      ['10.77.0.12:20931', 'broker-b-0', 'master'],
      ['10.77.0.12:20921', 'broker-a-1', 'slave'],
      ['10.77.0.11:20941', 'broker-b-1', 'slave'],
    ]);
    expect(targets.every((g) => g.labels.rmq_cluster === '2m-2s-sync')).toBe(true);
    expect(targets.find((g) => g.labels.rmq_node === 'broker-b-1')?.labels.rmq_broker).toBe('broker-b');

    // promtool, with the files where the config says they are
    const root = tmp();
    const at = path.join(root, dir);
    execFileSync('mkdir', ['-p', at]);
    for (const f of files) writeFileSync(path.join(root, f.path), f.content);
    const config = text(PROMETHEUS_FILE).replaceAll(dir, at);
    writeFileSync(path.join(at, PROMETHEUS_FILE), config);
    const checked = promtool('check', 'config', path.join(at, PROMETHEUS_FILE));
    expect(checked).toMatch(/SUCCESS/);
    expect(checked).toMatch(/6 rules found/);
    expect(promtool('check', 'rules', path.join(at, RULES_FILE))).toMatch(/SUCCESS: 6 rules found/);
    const rules = parse(text(RULES_FILE)) as { groups: { rules: { alert: string; expr: string; for: string }[] }[] };
    const byName = new Map(rules.groups[0]?.rules.map((r) => [r.alert, r]));
    expect([...byName.keys()]).toEqual(['RocketMQNodeDown', 'RocketMQConsumerLagGrowing', 'RocketMQDiskAlmostFull', 'RocketMQSlaveBehind', 'RocketMQSlaveNotReplicating', 'RocketMQTimersLate']);
    expect(byName.get('RocketMQConsumerLagGrowing')?.expr).toContain('> 500');
    expect(byName.get('RocketMQDiskAlmostFull')?.expr).toContain('> 0.85');
    expect(byName.get('RocketMQNodeDown')?.expr).toBe('up{job="rmq-2m-2s-sync"} == 0');

    // the dashboard: what Grafana's import needs, and every query valid PromQL (promtool parses them as recording rules)
    const dash = JSON.parse(text(DASHBOARD_FILE)) as Record<string, unknown> & { panels: Record<string, unknown>[]; templating: { list: Record<string, unknown>[] } };
    expect(dash).toMatchObject({ title: 'RocketMQ cluster 2m-2s-sync', uid: 'rmq-2m-2s-sync', schemaVersion: 39, editable: true });
    expect(typeof dash.uid === 'string' && dash.uid.length <= 40).toBe(true);
    expect(dash.templating.list).toEqual([expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' })]);
    const ids = dash.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dash.panels) {
      expect(['row', 'timeseries']).toContain(p.type);
      const g = p.gridPos as { x: number; y: number; w: number; h: number };
      expect(g.x + g.w).toBeLessThanOrEqual(24);
      if (p.type === 'timeseries') {
        const targets = p.targets as { refId: string; expr: string; datasource: { uid: string } }[];
        expect(targets.length).toBeGreaterThan(0);
        for (const q of targets) expect(q.datasource.uid).toBe('${datasource}');
      }
    }
    const titles = dash.panels.map((p) => p.title);
    for (const want of ['Messages in /s by topic', 'Messages out /s by consumer group', 'Request latency', 'Lag by consumer group (messages)', 'Store disk used', 'Slaves behind (bytes)']) expect(titles).toContain(want);
    const exprs = dashboardExpressions(dash as never);
    expect(exprs.length).toBeGreaterThan(10);
    const recording = { groups: [{ name: 'dashboard', rules: exprs.map((expr, i) => ({ record: `dashboard:query_${i}`, expr: expr.replaceAll('$__rate_interval', '5m') })) }] };
    writeFileSync(path.join(root, 'dashboard-queries.yml'), stringify(recording));
    expect(promtool('check', 'rules', path.join(root, 'dashboard-queries.yml'))).toMatch(new RegExp(`SUCCESS: ${exprs.length} rules found`));
  });

  it('leaves metrics off without the section; an explicit metricsPort turns one node’s on; the directory can be chosen', () => {
    const plain = buildClusterModel(loadPreset('single-master'), { stateDir: goldenStateDir('single-master') });
    expect(plain.monitoring).toBeNull();
    expect(plain.nodes.every((n) => n.metricsPort === null && !n.properties.some((p) => p.key === 'metricsPort'))).toBe(true);
    expect(renderCluster(plain, STUB_RELEASE).flatMap((s) => s.entries).some((e) => e.role === 'monitoring')).toBe(false);

    const raw = parse(readFileSync(path.join('topologies', 'single-master.yaml'), 'utf8')) as { brokers: { master: Record<string, unknown> }[] };
    (raw.brokers[0] as { master: Record<string, unknown> }).master.metricsPort = 15557;
    const one = buildClusterModel(parseTopology(stringify(raw), 'x.yaml').topology, { stateDir: '/s' });
    expect(one.nodes.map((n) => n.metricsPort)).toEqual([null, 15557]);

    const chosen = buildClusterModel(withMonitoring({ dir: '/srv/prometheus/rmq', scrapeInterval: '5s' }), { stateDir: '/state' });
    expect(chosen.monitoring).toMatchObject({ host: 'local', dir: '/srv/prometheus/rmq', scrapeInterval: '5s' });
    const set = renderCluster(chosen, STUB_RELEASE)[0];
    const cfg = set?.entries.find((e) => e.path === '/srv/prometheus/rmq/prometheus.yml') as DesiredFile;
    expect(parse(cfg.content.toString())).toMatchObject({ global: { scrape_interval: '5s' }, scrape_configs: [{ job_name: 'rmq-2m-2s-sync', file_sd_configs: [{ files: ['/srv/prometheus/rmq/targets.json'] }] }] });
    // the local host's default directory is under the state directory
    expect(buildClusterModel(withMonitoring(), { stateDir: '/state' }).monitoring?.dir).toBe('/state/etc/rmqctl/2m-2s-sync/monitoring');
  });

  it('refuses bad sections and clashing or impossible metrics ports, naming the field', () => {
    const preset = readFileSync(path.join('topologies', '2m-2s-sync.yaml'), 'utf8');
    const file = '2m-2s-sync.yaml';
    expect(topologyProblems(`${preset}\nmonitoring:\n  host: nope\n`, file)).toMatch(/monitoring\.host.*unknown host "nope"/);
    expect(topologyProblems(`${preset}\nmonitoring:\n  alerts:\n    diskUsedRatio: 85\n`, file)).toMatch(/monitoring\.alerts\.diskUsedRatio.*expected a ratio between 0 and 1/);
    expect(topologyProblems(`${preset}\nmonitoring:\n  scrapeInterval: often\n`, file)).toMatch(/monitoring\.scrapeInterval.*expected a duration like 15s/);
    expect(topologyProblems(`${preset}\nmonitoring:\n  grafana: true\n`, file)).toMatch(/monitoring.*grafana/);
    // a metrics port on another node's port (broker-a-0 listens on 10911)
    const clash = preset.replace('port: 10921       # takes 10919, 10921, 10922, gRPC 10923', 'port: 10921\n        metricsPort: 10911');
    expect(topologyProblems(clash, file)).toMatch(/brokers\[0\]\.slaves\[0\]\.metricsPort.*broker-a-1's metrics port 10911 is already broker-a-0's listen port on this machine/);
    // a derived one out of range
    const high = preset.replace('port: 10941', 'port: 60941');
    expect(topologyProblems(`${high}\nmonitoring: {}\n`, file)).toMatch(/brokers\[1\]\.slaves\[0\]\.port.*metrics port defaults to port\+10000 = 70941, out of range/);
    // metricsPort is the topology's, not an override
    expect(topologyProblems(`${preset.replace('brokerExpiryMillis: 10000', 'brokerExpiryMillis: 10000\n    metricsPort: 5557')}`, file)).toMatch(/overrides\.namesrv\.metricsPort.*set by the topology/);
  });
});
