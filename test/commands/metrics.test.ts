/**
 * Metrics end to end on a deployed cluster: `rmqctl deploy` (local target) of a NameServer and a
 * master with its slave, the topology's `monitoring:` section turning every node's metrics port
 * on; a producer and a consumer running; every node's /metrics parsed with a Prometheus text
 * parser (the parse-prometheus-text-format package). The counters move by exactly the messages
 * sent and consumed, and the lag the master reports is the lag `rmqctl group describe` shows.
 * A real Prometheus (Debian's `prometheus`) runs the rendered config: its file_sd targets are
 * every node, up, and the histograms (which that npm parser cannot read with labels) are read
 * back through its query API.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../../src/client/admin.js';
import { BrokerApi } from '../../src/client/broker-api.js';
import { PushConsumer } from '../../src/client/consumer/index.js';
import { Producer } from '../../src/client/producer.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { repoRoot, rmqctl } from '../support/cli.js';
import { freeBrokerPort, freePort } from '../support/ports.js';
import { scrape, type Scrape } from '../support/prometheus-text.js';
import { waitFor } from '../support/wait.js';
import { toolSkipReason } from '../support/system-packages.js';

const LONG = 180_000;
let dir: string;
let topologyFile: string;
const ports = { ns: 0, nsMetrics: 0, master: 0, masterMetrics: 0, slave: 0, slaveMetrics: 0 };
const cli = (args: string[]) => rmqctl([...args, '--state-dir', path.join(dir, 'state')], { timeout: LONG });
const remoting = new RemotingClient();
const stopLater: (() => unknown)[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rmqctl-metrics-'));
  ports.ns = await freePort();
  ports.nsMetrics = await freePort();
  ports.master = await freeBrokerPort();
  ports.masterMetrics = await freePort();
  ports.slave = await freeBrokerPort();
  ports.slaveMetrics = await freePort();
  topologyFile = path.join(dir, 'mon.yaml');
  writeFileSync(
    topologyFile,
    `cluster: mon
mode: {masters: 1, slavesPerMaster: 1, replication: async}
hosts:
  - {name: local, transport: local}
nameservers:
  - {host: local, port: ${ports.ns}, metricsPort: ${ports.nsMetrics}}
brokers:
  - name: broker-a
    master: {host: local, port: ${ports.master}, metricsPort: ${ports.masterMetrics}}
    slaves:
      - {host: local, port: ${ports.slave}, metricsPort: ${ports.slaveMetrics}}
monitoring:
  scrapeInterval: 1s
`,
  );
});

afterAll(async () => {
  for (const f of stopLater.reverse()) await f();
  remoting.shutdown();
  await cli(['destroy', topologyFile, '--yes', '--purge']);
  rmSync(dir, { recursive: true, force: true });
});

describe('metrics of a deployed cluster', () => {
  it.skipIf(toolSkipReason('prometheus', 'prometheus'))('every node serves /metrics and /healthz; counters move by exactly what was sent and consumed; lag matches group describe', { timeout: LONG }, async () => {
    const deployed = await cli(['deploy', topologyFile, '--min-free-disk', '1']);
    expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
    const ns = `127.0.0.1:${ports.ns}`;
    const masterAddr = `127.0.0.1:${ports.master}`;
    const metrics = { ns: `127.0.0.1:${ports.nsMetrics}`, master: `127.0.0.1:${ports.masterMetrics}`, slave: `127.0.0.1:${ports.slaveMetrics}` };

    // the rendered monitoring files, pushed with the rest: file_sd targets for all three nodes
    const monDir = path.join(dir, 'state', 'etc', 'rmqctl', 'mon', 'monitoring');
    for (const f of ['prometheus.yml', 'targets.json', 'alerts.rules.yml', 'grafana-dashboard.json']) expect(existsSync(path.join(monDir, f)), f).toBe(true);
    const targets = JSON.parse(readFileSync(path.join(monDir, 'targets.json'), 'utf8')) as { targets: string[] }[];
    expect(targets.flatMap((t) => t.targets).sort()).toEqual(Object.values(metrics).sort());

    for (const addr of Object.values(metrics)) {
      const h = await fetch(`http://${addr}/healthz`);
      expect([h.status, await h.text()]).toEqual([200, 'ok\n']);
      expect((await fetch(`http://${addr}/nope`)).status).toBe(404);
    }

    const topic = 'Metered';
    const group = 'MeteredGroup';
    const brokers = new BrokerApi(remoting, 5_000);
    const admin = new AdminClient({ namesrvAddrs: [ns], remoting });
    await brokers.createTopic(masterAddr, { topicName: topic, readQueueNums: 2, writeQueueNums: 2, perm: 6 });
    await waitFor(async () => (await admin.topicRoute(topic))?.queueDatas.length === 1, { what: 'the route' });

    const before = await scrape(metrics.master);
    expect(before.sum('rocketmq_messages_in_total', { topic })).toBe(0);

    // Prometheus itself, on the rendered config (rules and file_sd targets where deploy put them)
    const promPort = await freePort();
    const prom = spawn('prometheus', [`--config.file=${path.join(monDir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${promPort}`], { stdio: 'ignore' });
    const promFailed = new Promise<never>((_, reject) => prom.once('error', (e) => reject(new Error(`cannot run prometheus (Debian's prometheus package; .ci/run installs it): ${e.message}`))));
    promFailed.catch(() => {});
    stopLater.push(async () => {
      prom.kill('SIGKILL');
      await new Promise((r) => (prom.exitCode !== null || prom.pid === undefined ? r(undefined) : prom.once('exit', r)));
    });
    const query = async (q: string): Promise<number[]> => {
      const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`);
      const body = (await res.json()) as { status: string; data: { result: { value: [number, string] }[] } };
      if (body.status !== 'success') throw new Error(`query ${q}: ${JSON.stringify(body)}`);
      return body.data.result.map((r) => Number(r.value[1]));
    };
    await Promise.race([promFailed, waitFor(async () => (await query('up{job="rmq-mon"} == 1')).length === 3, { timeout: 30_000, interval: 250, what: 'Prometheus to scrape all three nodes' })]);

    // a producer: N sends
    const producer = new Producer({ namesrvAddrs: [ns], producerGroup: 'MeteredPG' });
    stopLater.push(() => producer.shutdown());
    const N = 30;
    let bodyBytes = 0;
    for (let i = 0; i < N; i++) {
      const body = `metered message ${i}`;
      bodyBytes += body.length;
      await producer.send({ topic, body });
    }
    const afterSends = await scrape(metrics.master);
    expect(afterSends.type('rocketmq_messages_in_total')).toBe('COUNTER');
    expect(afterSends.sum('rocketmq_messages_in_total', { topic })).toBe(N);
    expect(afterSends.sum('rocketmq_messages_in_total', { topic, message_type: 'normal', cluster: 'mon', node_type: 'broker', node_id: 'broker-a', is_system: 'false' })).toBe(N);
    expect(afterSends.sum('rocketmq_throughput_in_total', { topic })).toBeGreaterThan(bodyBytes);
    expect(afterSends.type('rocketmq_rpc_latency')).toBe('HISTOGRAM');
    expect(afterSends.sum('rocketmq_brokeruntime_msg_put_total_today_now')).toBe(N);
    expect(afterSends.sum('rocketmq_producer_offset', { cluster: 'mon', broker: 'broker-a', topic })).toBe(N);

    // the slave replicates but takes no sends: its log reaches the master's, its in-counters stay at 0
    const maxOffset = (s: Scrape) => s.sum('rmq_commitlog_offset_bytes', { kind: 'max' });
    await waitFor(async () => maxOffset(await scrape(metrics.slave)) === maxOffset(await scrape(metrics.master)), { timeout: 20_000, what: 'the slave to catch up' });
    const slave = await scrape(metrics.slave);
    expect(slave.sum('rocketmq_messages_in_total', { topic })).toBe(0);
    expect(slave.sum('rmq_node_info', { role: 'SLAVE', broker_id: '1' })).toBe(1);
    expect(slave.sum('rmq_ha_replicating')).toBe(1);
    // exporter gauges come from masters only (as the exporter asks masters only)
    expect(slave.has('rocketmq_brokeruntime_msg_put_total_today_now')).toBe(false);

    // a consumer: it receives all N; messages out moves by exactly N, lag goes to 0
    const consumer = new PushConsumer({
      namesrvAddrs: [ns],
      consumerGroup: group,
      consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
      rebalanceIntervalMillis: 1_000,
      persistConsumerOffsetIntervalMillis: 500,
      pollNameServerIntervalMillis: 1_000,
      brokerSuspendMaxTimeMillis: 2_000,
    });
    stopLater.push(() => consumer.shutdown());
    const received: string[] = [];
    consumer.subscribe(topic, '*');
    await consumer.start(async (m) => {
      received.push(m.body.toString());
    });
    await waitFor(() => received.length >= N, { timeout: 30_000, what: `${N} messages consumed` });
    await waitFor(async () => (await scrape(metrics.master)).sum('rocketmq_consumer_lag_messages', { consumer_group: group, topic }) === 0 && (await scrape(metrics.master)).has('rocketmq_consumer_lag_messages', { consumer_group: group, topic }), { timeout: 15_000, what: 'the committed offsets' });
    const consumed = await scrape(metrics.master);
    expect(consumed.sum('rocketmq_messages_out_total', { consumer_group: group, topic })).toBe(N);
    expect(consumed.sum('rocketmq_throughput_out_total', { consumer_group: group, topic })).toBe(afterSends.sum('rocketmq_throughput_in_total', { topic }));
    expect(consumed.sum('rocketmq_brokeruntime_msg_gettotal_today_now')).toBe(N);
    expect(consumed.sum('rocketmq_consumer_connections', { consumer_group: group })).toBe(1);
    expect(consumed.sum('rocketmq_group_count', { group })).toBe(1);
    expect(received.length).toBe(N);

    // the consumer stops; M more messages wait: lag M on the master and in `group describe`
    await consumer.shutdown();
    const M = 7;
    for (let i = 0; i < M; i++) await producer.send({ topic, body: `waiting ${i}` });
    const waiting = await scrape(metrics.master);
    expect(waiting.sum('rocketmq_messages_in_total', { topic })).toBe(N + M);
    expect(waiting.sum('rocketmq_messages_out_total', { consumer_group: group, topic })).toBe(N);
    expect(waiting.sum('rocketmq_consumer_lag_messages', { consumer_group: group, topic })).toBe(M);
    expect(waiting.sum('rocketmq_consumer_ready_messages', { consumer_group: group, topic })).toBe(M);
    expect(waiting.sum('rocketmq_consumer_inflight_messages', { consumer_group: group, topic })).toBe(0);
    expect(waiting.sum('rocketmq_consumer_lag_latency', { consumer_group: group, topic })).toBeGreaterThanOrEqual(0);
    expect(waiting.sum('rocketmq_group_diff', { group, topic, msgModel: '1' })).toBe(M);
    const described = await rmqctl(['group', 'describe', group, '--namesrv', ns, '--json', '--client-timeout', '500']);
    expect(described.code, described.stderr).toBe(0);
    const d = JSON.parse(described.stdout) as { queues: { topic: string; lag: number | null }[] };
    // per topic as the metric is labelled: the topic's queues and the group's retry topic
    for (const t of [topic, `%RETRY%${group}`]) {
      const queues = d.queues.filter((q) => q.topic === t);
      expect(queues.length, t).toBeGreaterThan(0);
      expect(queues.every((q) => q.lag !== null)).toBe(true);
      expect(queues.reduce((n, q) => n + (q.lag ?? 0), 0), t).toBe(waiting.sum('rocketmq_consumer_lag_messages', { consumer_group: group, topic: t }));
    }
    const text = await rmqctl(['group', 'describe', group, '--namesrv', ns, '--client-timeout', '500']);
    expect(text.stdout).toContain(`total lag ${M},`);

    // the NameServer: its broker registrations and request latencies
    const nsScrape = await scrape(metrics.ns);
    expect(nsScrape.sum('rmq_namesrv_brokers', { cluster: 'mon' })).toBe(2);
    expect(nsScrape.has('rmq_namesrv_broker_heartbeat_age_seconds', { broker: 'broker-a', broker_id: '1' })).toBe(true);
    expect(nsScrape.type('rocketmq_rpc_latency')).toBe('HISTOGRAM');
    expect(nsScrape.sum('rmq_process_process_resident_memory_bytes')).toBeGreaterThan(0);

    // Prometheus read it all: every send request in the master's latency histogram, the NameServer's registrations
    const sends = `sum(rocketmq_rpc_latency_count{rmq_node="broker-a-0", request_code=~"send_message.*", result="success"})`;
    await waitFor(async () => (await query(sends))[0] === N + M, { timeout: 15_000, interval: 250, what: `Prometheus to count ${N + M} sends` });
    expect(await query(`sum(rocketmq_rpc_latency_bucket{rmq_node="broker-a-0", request_code=~"send_message.*", le="+Inf"})`)).toEqual([N + M]);
    expect((await query(`histogram_quantile(0.99, sum by (le) (rocketmq_rpc_latency_bucket{rmq_node="broker-a-0", request_code=~"send_message.*"}))`))[0]).toBeGreaterThan(0);
    expect((await query('sum(rocketmq_rpc_latency_count{rmq_role="namesrv", request_code="register_broker"})'))[0]).toBeGreaterThanOrEqual(2);
    expect((await query('sum(rocketmq_rpc_latency_count{rmq_role="namesrv", request_code="get_routeinfo_by_topic"})'))[0]).toBeGreaterThan(0);
    expect(await query(`sum(rocketmq_messages_in_total{rmq_cluster="mon", topic="${topic}"})`)).toEqual([N + M]);
    expect(await query(`sum(rocketmq_consumer_lag_messages{rmq_cluster="mon", consumer_group="${group}"})`)).toEqual([M]);
  });

  it('status --watch shows msg/s in and out per broker group and consumer group, from the brokers\' metrics', { timeout: LONG }, async () => {
    const ns = `127.0.0.1:${ports.ns}`;
    const topic = 'Metered';
    const group = 'WatchedGroup';
    const producer = new Producer({ namesrvAddrs: [ns], producerGroup: 'WatchPG' });
    stopLater.push(() => producer.shutdown());
    const consumer = new PushConsumer({ namesrvAddrs: [ns], consumerGroup: group, consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET', rebalanceIntervalMillis: 1_000, pollNameServerIntervalMillis: 1_000, brokerSuspendMaxTimeMillis: 1_000 });
    stopLater.push(() => consumer.shutdown());
    consumer.subscribe(topic, '*');
    await consumer.start(async () => {});
    // steady traffic while status watches
    let sending = true;
    const traffic = (async () => {
      while (sending) {
        await Promise.all(Array.from({ length: 10 }, (_, i) => producer.send({ topic, body: `tick ${i}` })));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const watch = spawn(process.execPath, [path.join(repoRoot, 'bin', 'rmqctl'), 'status', topologyFile, '--watch', '--interval', '1', '--json', '--state-dir', path.join(dir, 'state')], { stdio: ['ignore', 'pipe', 'pipe'] });
    stopLater.push(() => watch.kill('SIGKILL'));
    let out = '';
    watch.stdout.on('data', (b: Buffer) => (out += b.toString()));
    type Line = { rates: { brokerGroups: { brokerName: string; inPerSec: number; outPerSec: number }[]; consumerGroups: { group: string; outPerSec: number }[]; unavailable: unknown[] } | null };
    const lines = () => out.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Line);
    try {
      // the first report has no rates yet; a later one has both directions moving
      const seen = await waitFor(
        () => lines().find((l) => l.rates !== null && (l.rates.brokerGroups.find((g) => g.brokerName === 'broker-a')?.inPerSec ?? 0) > 0 && (l.rates.consumerGroups.find((g) => g.group === group)?.outPerSec ?? 0) > 0),
        { timeout: 30_000, interval: 100, what: 'a status report with rates' },
      );
      expect(lines()[0]?.rates).toBeNull();
      expect(seen.rates?.unavailable).toEqual([]);
      expect(seen.rates?.brokerGroups.map((g) => g.brokerName)).toEqual(['broker-a']);
    } finally {
      sending = false;
      await traffic;
    }
    watch.kill('SIGINT');
    const code = await new Promise<number | null>((r) => (watch.exitCode !== null ? r(watch.exitCode) : watch.once('exit', (c) => r(c))));
    expect(code).toBe(0);

    // the text form, given only the NameServer: the brokers say where their metrics are (runtime info)
    const text = spawn(process.execPath, [path.join(repoRoot, 'bin', 'rmqctl'), 'status', '--namesrv', ns, '--watch', '--interval', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    stopLater.push(() => text.kill('SIGKILL'));
    let shown = '';
    text.stdout.on('data', (b: Buffer) => (shown += b.toString()));
    await waitFor(() => /rates \(msg\/s over the last [\d.]+ s, from the brokers' metrics\)\n\s+broker group\s+in\s+out\n\s+broker-a\s+[\d.]+\s+[\d.]+\n/.test(shown), { timeout: 20_000, what: 'the rates section' });
    expect(shown).not.toContain('no rates');
    expect(shown).toContain('rates (msg/s): from the next refresh on');
    text.kill('SIGINT');
  });
});
