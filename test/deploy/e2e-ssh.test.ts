/**
 * The main job end to end, through the `rmqctl` command, onto real hosts: three systemd-nspawn
 * containers (real systemd, real sshd) on a bridge, reached over SSH from this machine. A
 * 2m-2s-sync cluster (2 NameServers + 4 brokers, several nodes per host) is deployed with the real
 * runtime (dist/rmqd.js), used from outside the hosts (topic create, ali-ons and our producer,
 * our pull path and ali-ons' decoder, rmqctl status), redeployed without changes (nothing
 * restarts), changed (only the affected nodes restart, slaves first), and broken on purpose —
 * sshd down, a wrong key, a changed host key, a node whose port is taken, a broker advertising an
 * address nobody reaches — each stopping the deploy with host and cause, changing nothing past
 * the failed stage, and converging on the next run.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerApi } from '../../src/client/broker-api.js';
import { PushConsumer } from '../../src/client/consumer/index.js';
import { Producer } from '../../src/client/producer.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { aliConsumer, aliDecode, aliMessage, aliProducer } from '../support/ali-ons.js';
import { makeTestCerts } from '../support/certs.js';
import { rmqctl, type RunResult } from '../support/cli.js';
import { testHosts, type TestHost } from '../support/hosts.js';
import { runtimeRelease } from '../support/runtime.js';
import { waitFor } from '../support/wait.js';

const lab = testHosts({ count: 3, mode: 'nspawn' });
const LONG = 300_000;

let dir: string;
let topologyFile: string;
let namesrv: string;
let h1: TestHost, h2: TestHost, h3: TestHost;

/** The topology: `broker` = overrides.broker, `groupB` = broker-b's group overrides (YAML flow maps), SSH settings per host. */
function topology(opts: { broker?: string; groupB?: string; ssh?: (h: TestHost) => string; brokerB1?: string; tls?: string } = {}): string {
  const hosts = lab.hosts
    .map((h) => `  - name: ${h.name}\n    address: ${h.address}\n    ssh: ${opts.ssh?.(h) ?? `{user: root, port: ${h.port}, identityFile: ${h.identityFile}, knownHosts: ${h.knownHostsFile}}`}\n`)
    .join('');
  return `cluster: e2e
mode: 2m-2s-sync
hosts:
${hosts}nameservers:
  - {host: ${h1.name}, port: 9876}
  - {host: ${h2.name}, port: 9876}
brokers:
  - name: broker-a
    master: {host: ${h1.name}, port: 10911}
    slaves: [{host: ${h2.name}, port: 10911}]
  - name: broker-b
    master: {host: ${h3.name}, port: 10911}
    slaves: [{host: ${h1.name}, port: 10921${opts.brokerB1 ?? ''}}]
${opts.groupB ? `    overrides: ${opts.groupB}\n` : ''}${opts.broker ? `overrides:\n  broker: ${opts.broker}\n` : ''}${opts.tls ?? ''}`;
}

function writeTopology(text: string, name = 'e2e.yaml'): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

const cli = (args: string[]) => rmqctl(args, { timeout: LONG });
const oneLine = (s: string) => s.replace(/\s*\n ›\s+/g, ' ');
const jsonLines = (r: RunResult) => r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

/** Per host: every cluster file's hash, the current release, and each unit's invocation and start time. */
async function hostState(h: TestHost): Promise<{ files: string; units: Record<string, string> }> {
  const files = await h.run('cd /etc/rmqctl/e2e && sha256sum -- *.properties rmqd.env; readlink /opt/rmqctl/current');
  const show = await h.run("systemctl show -p Id -p InvocationID -p ActiveEnterTimestamp 'rmq-e2e-*'");
  const units: Record<string, string> = {};
  for (const block of show.trim().split(/\n\n+/)) {
    const kv = Object.fromEntries(block.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    if (kv.Id) units[kv.Id.replace(/^rmq-e2e-|\.service$/g, '')] = `${kv.InvocationID} ${kv.ActiveEnterTimestamp}`;
  }
  return { files, units };
}
async function clusterState() {
  const out: Record<string, Awaited<ReturnType<typeof hostState>>> = {};
  for (const h of lab.hosts) out[h.name] = await hostState(h);
  return out;
}
const startsOf = (s: Awaited<ReturnType<typeof clusterState>>) => Object.assign({}, ...Object.values(s).map((x) => x.units)) as Record<string, string>;

describe.skipIf(lab.skipReason)('rmqctl deploy onto real systemd hosts over SSH (2m-2s-sync, real runtime)', () => {
  beforeAll(() => {
    [h1, h2, h3] = lab.hosts as [TestHost, TestHost, TestHost];
    dir = mkdtempSync(path.join(os.tmpdir(), 'rmqctl-e2e-'));
    topologyFile = writeTopology(topology());
    namesrv = `${h1.address}:9876;${h2.address}:9876`;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('deploys: NameServers, masters, slaves in order, each healthy by protocol; the contract layout, as the service user', { timeout: LONG }, async () => {
    const r = await cli(['deploy', '--settle', '0', topologyFile, '--min-free-disk', '1']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const lines = r.stdout.split('\n');
    const healthy = (id: string) => lines.findIndex((l) => new RegExp(`^\\S+ {2}${id} {2}healthy: `).test(l));
    const started = (id: string) => lines.findIndex((l) => new RegExp(`^\\S+ {2}${id} {2}start…$`).test(l));
    for (const ns of ['namesrv-1', 'namesrv-2']) for (const m of ['broker-a-0', 'broker-b-0']) expect(healthy(ns)).toBeLessThan(started(m));
    for (const m of ['broker-a-0', 'broker-b-0']) for (const s of ['broker-a-1', 'broker-b-1']) expect(healthy(m)).toBeLessThan(started(s));
    // registered on both NameServers at the advertised address, which answers from here
    expect(r.stdout).toContain(`${h2.name}  broker-a-1  healthy: registered as ${h2.address}:10911 on 2/2 NameServers, gRPC at ${h2.address}:10913, replicating`);
    expect(r.stdout).toMatch(/deployed cluster e2e: 6 started, 0 restarted, 0 unchanged; every node healthy\n$/);

    expect((await h1.run('stat -c "%a %U:%G" /etc/rmqctl/e2e /etc/rmqctl/e2e/broker-a-0.properties /var/lib/rmqctl/e2e/broker-a-0')).trim().split('\n')).toEqual(['750 root:rmq', '640 root:rmq', '750 rmq:rmq']);
    expect((await h1.run('systemctl is-enabled rmq-e2e-broker-a-0.service rmq-e2e-namesrv-1.service rmq-e2e-broker-b-1.service')).trim().split('\n')).toEqual(['enabled', 'enabled', 'enabled']);
    expect((await h1.run('ps -o user= -p $(systemctl show -p MainPID --value rmq-e2e-broker-a-0.service)')).trim()).toBe('rmq');
    expect((await h3.run('readlink /opt/rmqctl/current /opt/rmqctl/bin/node')).trim().split('\n')).toEqual([`/opt/rmqctl/releases/${runtimeRelease().id}`, '/usr/local/bin/node']);
    expect((await h3.run(`sha256sum /opt/rmqctl/releases/${runtimeRelease().id}/rmqd.js`)).split(' ')[0]).toBe(runtimeRelease().sha256);
  });

  it('is used from outside the hosts: topic create, ali-ons and our producer send, consumer groups of ours and of ali-ons each get every message, our pull path and ali-ons read back, status shows every node healthy with its role', { timeout: LONG }, async () => {
    const created = await cli(['topic', 'create', 'E2E', '--cluster', 'e2e', '--read-queues', '2', '--write-queues', '2', '--namesrv', namesrv]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain(`E2E: created/updated on broker-a (${h1.address}:10911)`);
    expect(created.stdout).toContain(`E2E: created/updated on broker-b (${h3.address}:10911)`);

    const sent = new Map<string, string>(); // body → sender
    const ali = aliProducer(namesrv, 'PID_E2E_ALI');
    try {
      await ali.ready();
      for (let i = 0; i < 6; i++) {
        const r = await ali.send(aliMessage('E2E', 'ali', `from ali-ons ${i}`));
        expect(r.sendStatus).toBe('SEND_OK');
        sent.set(`from ali-ons ${i}`, 'ali-ons');
      }
    } finally {
      await ali.close();
    }
    const ours = new Producer({ namesrvAddrs: namesrv.split(';'), producerGroup: 'PG_E2E' });
    try {
      for (let i = 0; i < 6; i++) {
        const r = await ours.send({ topic: 'E2E', body: `from rmqctl ${i}`, tags: 'ours' });
        expect(r.sendStatus).toBe('SEND_OK');
        sent.set(`from rmqctl ${i}`, 'rmqctl');
      }
    } finally {
      ours.shutdown();
    }

    // consumed by two consumer groups from outside the hosts: our PushConsumer and ali-ons' own
    // consumer, each group getting every message (at least once: compared as sets)
    const ourGot = new Set<string>();
    const aliGot = new Set<string>();
    const push = new PushConsumer({ namesrvAddrs: namesrv.split(';'), consumerGroup: 'CG_E2E_OURS', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    push.subscribe('E2E', '*');
    const ali2 = aliConsumer(namesrv, 'CID_E2E_ALI');
    ali2.consumer.subscribe('E2E', '*', async (m) => void aliGot.add(m.body.toString()));
    try {
      await push.start((m) => void ourGot.add(m.body.toString()));
      await ali2.consumer.ready();
      await waitFor(() => ourGot.size >= sent.size && aliGot.size >= sent.size, { timeout: 60_000, what: 'both consumer groups to get every message' });
    } finally {
      await push.shutdown();
      await ali2.consumer.close();
    }
    expect([...ourGot].sort()).toEqual([...sent.keys()].sort());
    expect([...aliGot].sort()).toEqual([...sent.keys()].sort());

    // our pull path, through the CLI
    const tail = await cli(['message', 'tail', 'E2E', '--from-beginning', '--count', String(sent.size), '--json', '--namesrv', namesrv]);
    expect(tail.code, tail.stderr).toBe(0);
    const tailed = jsonLines(tail).map((m) => (m.body as { text: string }).text);
    expect(tailed.sort()).toEqual([...sent.keys()].sort());

    // the same queues pulled from each master, decoded by ali-ons' own record decoder
    const remoting = new RemotingClient();
    try {
      const api = new BrokerApi(remoting, 5_000);
      const decoded: string[] = [];
      for (const master of [`${h1.address}:10911`, `${h3.address}:10911`]) {
        for (const queueId of [0, 1]) {
          const r = await api.pull(master, { consumerGroup: 'CG_E2E', topic: 'E2E', queueId, queueOffset: 0, maxMsgNums: 32 });
          if (r.status === 'FOUND' && r.body) decoded.push(...aliDecode(r.body).map((m) => m.body.toString()));
        }
      }
      expect(decoded.sort()).toEqual([...sent.keys()].sort());
    } finally {
      remoting.shutdown();
    }

    // a node's log, read over SSH from journald
    const logs = await cli(['logs', topologyFile, 'broker-b-0', '-n', '200']);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain('broker started');

    const status = await cli(['status', topologyFile, '--json']);
    expect(status.code, status.stdout).toBe(0);
    const report = JSON.parse(status.stdout) as { healthy: boolean; nameservers: { reachable: boolean }[]; clusters: { name: string; groups: { brokerName: string; nodes: { id: string; role: string; addr: string; knownBy: string[] }[] }[] }[] };
    expect(report.healthy).toBe(true);
    expect(report.nameservers.map((n) => n.reachable)).toEqual([true, true]);
    const nodes = report.clusters.find((c) => c.name === 'e2e')!.groups.flatMap((g) => g.nodes.map((n) => `${n.id} ${n.role} ${n.addr} ${n.knownBy.length}`));
    expect(nodes).toEqual([`broker-a-0 master ${h1.address}:10911 2`, `broker-a-1 slave ${h2.address}:10911 2`, `broker-b-0 master ${h3.address}:10911 2`, `broker-b-1 slave ${h1.address}:10921 2`]);
  });

  it('a redeploy without changes: plan --detailed-exitcode exits 0, deploy restarts nothing (unit start times unchanged)', { timeout: LONG }, async () => {
    const before = await clusterState();
    const plan = await cli(['plan', topologyFile, '--detailed-exitcode']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain(`host ${h2.name} — ssh, systemd supervisor, root /; compared with what is on it (ssh)`);
    expect(plan.stdout).toMatch(/No changes\. The hosts match the topology/);
    const r = await cli(['deploy', '--settle', '0', topologyFile, '--min-free-disk', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const result = jsonLines(r).at(-1)!;
    expect((result.nodes as { action: string }[]).every((n) => n.action === 'unchanged')).toBe(true);
    expect(result.hosts).toEqual(lab.hosts.map((h) => ({ host: h.name, releaseChanged: false, filesWritten: [] })));
    expect(await clusterState()).toEqual(before);
  });

  it('one broker property changed: plan shows it; only that group restarts, its slave before its master', { timeout: LONG }, async () => {
    const before = startsOf(await clusterState());
    topologyFile = writeTopology(topology({ groupB: '{maxMessageSize: 8388608}' }));
    const plan = await cli(['plan', topologyFile, '--detailed-exitcode', '--no-diff']);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toMatch(/ +\d+\. rmqh1: restart broker-b-1 \(slave; changed: config\)\n +\d+\. rmqh3: restart broker-b-0 \(master; changed: config\)\n/);
    expect(plan.stdout).toMatch(/Plan: 0 to add, 2 to change, 0 to destroy \(\d+ unchanged\); 0 to start, 2 to restart, 0 to stop\./);
    const r = await cli(['deploy', '--settle', '0', topologyFile, '--min-free-disk', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const restarts = jsonLines(r).filter((e) => e.kind === 'node' && e.action === 'restart').map((e) => e.node);
    expect(restarts).toEqual(['broker-b-1', 'broker-b-0']);
    const after = startsOf(await clusterState());
    for (const id of Object.keys(before)) expect(after[id] === before[id], id).toBe(!id.startsWith('broker-b'));
    expect(await h3.run('grep ^maxMessageSize /etc/rmqctl/e2e/broker-b-0.properties')).toBe('maxMessageSize=8388608\n');
  });

  it('sshd down on a host: pre-flight names the host and cause, nothing changes anywhere; after sshd is back a rerun converges', { timeout: LONG }, async () => {
    // every broker gets the value group b has already (group b's own override wins: its files stay)
    const changed = writeTopology(topology({ groupB: '{maxMessageSize: 8388608}', broker: '{maxMessageSize: 8388608}' }), 'e2e-all.yaml');
    const before = await clusterState();
    await h3.sshd('stop');
    let r: RunResult;
    try {
      r = await cli(['deploy', '--settle', '0', changed, '--min-free-disk', '1']);
      expect(r.code).toBe(1);
      expect(oneLine(r.stderr)).toContain(`${h3.name}: connect: root@${h3.address}:22: connection refused`);
      expect(oneLine(r.stderr)).toContain('nothing was changed');
    } finally {
      await h3.sshd('start');
    }
    expect(await clusterState()).toEqual(before);
    // the rerun applies the change: group a restarts (slave first); group b's files did not change
    r = await cli(['deploy', '--settle', '0', changed, '--min-free-disk', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(jsonLines(r).filter((e) => e.kind === 'node' && e.action === 'restart').map((e) => e.node)).toEqual(['broker-a-1', 'broker-a-0']);
    topologyFile = changed;
  });

  it('a wrong key: the host and the authentication failure are named, nothing changes; with the right key nothing is left to do', { timeout: LONG }, async () => {
    const wrongKey = path.join(dir, 'wrong_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', wrongKey]);
    const file = writeTopology(topology({ groupB: '{maxMessageSize: 8388608}', broker: '{maxMessageSize: 4194304}', ssh: (h) => `{user: root, port: ${h.port}, identityFile: ${h === h2 ? wrongKey : h.identityFile}, knownHosts: ${h.knownHostsFile}}` }), 'e2e-wrong-key.yaml');
    const before = await clusterState();
    const r = await cli(['deploy', '--settle', '0', file, '--min-free-disk', '1']);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(new RegExp(`${h2.name}: connect: root@${h2.address.replace(/\./g, '\\.')}:22: authentication failed; tried .*${path.basename(wrongKey)}`));
    expect(await clusterState()).toEqual(before);
    const again = await cli(['plan', topologyFile, '--detailed-exitcode']);
    expect(again.code, again.stdout).toBe(0);
  });

  it('a changed host key: the deploy refuses that host (both fingerprints named), nothing changes', { timeout: LONG }, async () => {
    const other = path.join(dir, 'other_host_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const forged = path.join(dir, 'known_hosts_changed');
    const otherKey = readFileSync(`${other}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    writeFileSync(forged, readFileSync(h2.knownHostsFile, 'utf8').replace(`${h2.address} ${h2.hostKey}`, `${h2.address} ${otherKey}`));
    const file = writeTopology(topology({ groupB: '{maxMessageSize: 8388608}', broker: '{maxMessageSize: 4194304}', ssh: (h) => `{user: root, port: ${h.port}, identityFile: ${h.identityFile}, knownHosts: ${h === h2 ? forged : h.knownHostsFile}}` }), 'e2e-host-key.yaml');
    const before = await clusterState();
    const r = await cli(['deploy', '--settle', '0', file, '--min-free-disk', '1', '--accept-new-host-keys']);
    expect(r.code).toBe(1);
    const err = oneLine(r.stderr);
    expect(err).toContain(`${h2.name}: connect: root@${h2.address}:22: HOST KEY CHANGED: the host presented ${h2.hostKeyFingerprint}`);
    expect(err).toMatch(/but \S+known_hosts_changed has SHA256:\S+ \(ssh-ed25519, line 2\)/);
    expect(await clusterState()).toEqual(before);
  });

  it('a node whose port is taken fails its health check: the rollout stops there (later groups untouched), the unit log is shown; once the port is free a rerun converges', { timeout: LONG }, async () => {
    // Something else grabs broker-a-1's port whenever its unit starts (after pre-flight saw it free).
    await h2.run(`cat > /etc/systemd/system/squatter.service <<'U'
[Service]
ExecStart=/usr/local/bin/node -e "require('net').createServer().listen(10911)"
ExecStartPost=/bin/sh -c 'until ss -Htln "sport = :10911" | grep -q .; do sleep 0.05; done'
U
mkdir -p /etc/systemd/system/rmq-e2e-broker-a-1.service.d
printf '[Unit]\\nWants=squatter.service\\nAfter=squatter.service\\n' > /etc/systemd/system/rmq-e2e-broker-a-1.service.d/squatter.conf
systemctl daemon-reload`);
    const file = writeTopology(topology({ groupB: '{maxMessageSize: 6291456}', broker: '{maxMessageSize: 6291456}' }), 'e2e-port.yaml');
    const before = startsOf(await clusterState());
    try {
      const r = await cli(['deploy', '--settle', '0', file, '--min-free-disk', '1', '--health-timeout', '30']);
      expect(r.code).toBe(1);
      const err = oneLine(r.stderr);
      expect(err).toMatch(new RegExp(`${h2.name}: broker-a-1 not healthy: process: is not running: the process exited \\((activating/auto-restart|failed/failed)\\) — run .* last log lines of broker-a-1:`));
      expect(err).toMatch(/EADDRINUSE/);
      // rolling order: broker-a-1 is the first; nothing after it was restarted
      const after = startsOf(await clusterState());
      for (const id of ['namesrv-1', 'namesrv-2', 'broker-a-0', 'broker-b-0', 'broker-b-1']) expect(after[id], id).toBe(before[id]);
      // the nodes whose files changed but were not restarted carry a marker
      expect((await h1.run('ls /etc/rmqctl/e2e')).split('\n')).toEqual(expect.arrayContaining(['broker-a-0.restart-pending', 'broker-b-1.restart-pending']));
      expect((await h3.run('ls /etc/rmqctl/e2e')).split('\n')).toContain('broker-b-0.restart-pending');
    } finally {
      await h2.run('rm -rf /etc/systemd/system/rmq-e2e-broker-a-1.service.d /etc/systemd/system/squatter.service; systemctl stop squatter.service; systemctl daemon-reload; systemctl reset-failed');
    }
    const r = await cli(['deploy', '--settle', '0', file, '--min-free-disk', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const acted = jsonLines(r).filter((e) => e.kind === 'node' && (e.action === 'restart' || e.action === 'start')).map((e) => e.node);
    // broker-a-1 (started or restarted, depending on where systemd's own restarts left it), then the rest rolling
    expect(acted.slice(1)).toEqual(['broker-a-0', 'broker-b-1', 'broker-b-0']);
    expect(acted[0]).toBe('broker-a-1');
    for (const h of lab.hosts) expect(await h.run('ls /etc/rmqctl/e2e')).not.toContain('restart-pending');
    const after = startsOf(await clusterState());
    for (const id of ['broker-a-0', 'broker-a-1', 'broker-b-0', 'broker-b-1']) expect(after[id], id).not.toBe(before[id]);
    topologyFile = file;
  });

  it('a broker that advertises an address nobody reaches (the brokerIP1 trap) is explained; fixed, the rerun converges', { timeout: LONG }, async () => {
    const file = writeTopology(topology({ groupB: '{maxMessageSize: 6291456}', broker: '{maxMessageSize: 6291456}', brokerB1: ', brokerIP1: 10.77.0.99' }), 'e2e-ip.yaml');
    const r = await cli(['deploy', '--settle', '0', file, '--min-free-disk', '1']);
    expect(r.code).toBe(1);
    const err = oneLine(r.stderr);
    expect(err).toContain(`${h1.name}: broker-b-1 not healthy: advertised: answers at ${h1.address}:10921 but registers as 10.77.0.99:10921 (brokerIP1), and clients are routed there`);
    expect(err).toContain('set brokerIP1 in the topology to an address clients can reach');
    const back = await cli(['deploy', '--settle', '0', topologyFile, '--min-free-disk', '1', '--json']);
    expect(back.code, back.stderr).toBe(0);
    expect(jsonLines(back).filter((e) => e.kind === 'node' && e.action === 'restart').map((e) => e.node)).toEqual(['broker-b-1']);
    expect((await cli(['status', topologyFile])).code).toBe(0);
  });

  it('plan --out, then deploy --plan: refused when a host drifted since (host and file named), applied when not', { timeout: LONG }, async () => {
    const file = writeTopology(topology({ groupB: '{maxMessageSize: 7340032}', broker: '{maxMessageSize: 7340032}' }), 'e2e-plan.yaml');
    const planFile = path.join(dir, 'plan.json');
    expect((await cli(['plan', file, '--out', planFile])).code).toBe(0);
    await h3.run("sed -i 's/^deleteWhen=.*/deleteWhen=05/' /etc/rmqctl/e2e/broker-b-0.properties");
    const refused = await cli(['deploy', '--settle', '0', file, '--plan', planFile, '--min-free-disk', '1']);
    expect(refused.code).toBe(1);
    expect(oneLine(refused.stderr)).toMatch(new RegExp(`${h3.name}: /etc/rmqctl/e2e/broker-b-0\\.properties: changed on the host since the plan`));
    // a fresh plan (which puts the file back) is applied as made
    expect((await cli(['plan', file, '--out', planFile])).code).toBe(0);
    const saved = JSON.parse(readFileSync(planFile, 'utf8')) as { actions: { kind: string; node?: string }[] };
    const applied = await cli(['deploy', '--settle', '0', file, '--plan', planFile, '--min-free-disk', '1', '--json']);
    expect(applied.code, applied.stderr).toBe(0);
    const restarted = jsonLines(applied).filter((e) => e.kind === 'node' && e.action === 'restart').map((e) => e.node);
    expect(restarted).toEqual(saved.actions.filter((a) => a.kind === 'restart').map((a) => a.node));
    expect(restarted).toEqual(['broker-a-1', 'broker-a-0', 'broker-b-1', 'broker-b-0']);
  });

  it('TLS turned on for the running cluster: permissive first (plain clients still served), then enforcing (plain refused); files 0600 for the service user, health checked over TLS', { timeout: LONG }, async () => {
    const certDir = path.join(dir, 'certs');
    execFileSync('mkdir', ['-p', certDir]);
    const certs = makeTestCerts(certDir, { ips: lab.hosts.map((h) => h.address) });
    const tls = (mode: string) => `tls:\n  mode: ${mode}\n  ca: ${certs.caCert}\n  cert: ${certs.serverCert}\n  key: { file: ${certs.serverKey} }\n`;
    const permissive = writeTopology(topology({ tls: tls('permissive') }), 'e2e-tls-permissive.yaml');
    const r1 = await cli(['deploy', '--settle', '0', permissive, '--min-free-disk', '1']);
    expect(r1.code, r1.stderr + r1.stdout).toBe(0);
    // every node restarted, rolling (its certificate files and properties changed)
    expect(r1.stdout).toMatch(/deployed cluster e2e: 0 started, 6 restarted, 0 unchanged; every node healthy\n$/);
    expect((await h1.run('stat -c "%a %U:%G %n" /etc/rmqctl/e2e/tls-ca.pem /etc/rmqctl/e2e/tls-cert.pem /etc/rmqctl/e2e/tls-key.pem')).trim().split('\n')).toEqual([
      '600 rmq:rmq /etc/rmqctl/e2e/tls-ca.pem',
      '600 rmq:rmq /etc/rmqctl/e2e/tls-cert.pem',
      '600 rmq:rmq /etc/rmqctl/e2e/tls-key.pem',
    ]);
    expect(await h2.run('grep -c "^tls\\." /etc/rmqctl/e2e/broker-a-1.properties')).toMatch(/^8\n?$/); // incl. tls.client.plainFallback
    // permissive: a plain client (ali-ons has no TLS) is still served
    const ali = aliProducer(namesrv, 'PID_E2E_TLS');
    try {
      await ali.ready();
      expect((await ali.send(aliMessage('E2E', 'ali', 'plain during permissive'))).sendStatus).toBe('SEND_OK');
    } finally {
      await ali.close();
    }

    const enforcing = writeTopology(topology({ tls: tls('enforcing') }), 'e2e-tls-enforcing.yaml');
    const r2 = await cli(['deploy', '--settle', '0', enforcing, '--min-free-disk', '1']);
    expect(r2.code, r2.stderr + r2.stdout).toBe(0);
    // status of the topology: over TLS with its CA; every slave in sync (HA over TLS)
    const status = await cli(['status', enforcing, '--json']);
    expect(status.code, status.stdout + status.stderr).toBe(0);
    expect((JSON.parse(status.stdout) as { healthy: boolean }).healthy).toBe(true);
    const plain = await rmqctl(['status', '--namesrv', namesrv], { timeout: LONG, env: { RMQCTL_TLS: 'off' } });
    expect(plain.code).toBe(1);
    const sent = await rmqctl(['message', 'send', 'E2E', 'over tls', '--create', '--namesrv', namesrv], { timeout: LONG, env: { RMQCTL_TLS: 'require', RMQCTL_TLS_CA: certs.caCert } });
    expect(sent.code, sent.stdout + sent.stderr).toBe(0);
    // the key is nowhere in what rmqctl printed
    const keyLine = readFileSync(certs.serverKey, 'utf8').split('\n')[1]!;
    for (const r of [r1, r2, status, sent]) expect(r.stdout + r.stderr).not.toContain(keyLine);
  });
});
