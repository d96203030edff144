/**
 * Issue #17's long suite, on five systemd-nspawn hosts over SSH (behind RMQCTL_FAILOVER_SUITE=1;
 * its last figures are in docs/design/ha.md): NameServers and etcd (Debian's etcd-server, as
 * rmqctl deploys it) on hosts 1-3, a 2m-2s-sync cluster with `failover: auto` on hosts 4-5, masters
 * and slaves crossed. A producer in the test's namespace sends to both groups and logs every
 * answer with the store address of its offset msgId.
 *  1. kill -9 of a group's master, 5 rounds alternating groups: the slave takes writes within a
 *     measured time, the old master (started again) rejoins as slave and any cut is reported, every
 *     acknowledged message is readable at the end;
 *  2. the master's host cut off (its link down from the root namespace), with a second producer
 *     inside that host: the isolated master stops answering before the new master answers any —
 *     checked from both answer logs — and after the heal rejoins as slave;
 *  3. etcd loses one member (failover still works), then two (no failover; masters keep writing).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../../src/client/admin.js';
import { BrokerApi, recordsOf } from '../../src/client/broker-api.js';
import { Producer } from '../../src/client/producer.js';
import { readFailoverState } from '../../src/ops/failover/etcd-state.js';
import { TOOLS_CONSUMER_GROUP } from '../../src/ops/topic-tail.js';
import { PropertyKey } from '../../src/protocol/message/constants.js';
import { parseOffsetMsgId } from '../../src/protocol/message/msg-id.js';
import { findProperty } from '../../src/protocol/message/properties.js';
import { RemotingClient } from '../../src/remoting/client.js';
import type { BrokerNode, ClusterModel } from '../../src/topology/index.js';
import { rmqctl } from '../support/cli.js';
import { testHosts, type TestHost } from '../support/hosts.js';
import { labHostsYaml, labModel } from '../support/lab-topology.js';
import { waitFor } from '../support/wait.js';

const SUITE = process.env.RMQCTL_FAILOVER_SUITE === '1';
const lab = SUITE ? testHosts({ count: 5, mode: 'nspawn' }) : { skipReason: 'the long failover suite runs with RMQCTL_FAILOVER_SUITE=1', hosts: [] as TestHost[], stateDir: '' };
const LEASE = 5;
const report: Record<string, unknown> = {};

let dir: string;
let topologyFile: string;
let model: ClusterModel;
let namesrvAddrs: string[];
let remoting: RemotingClient;
let brokers: BrokerApi;
const cli = (args: string[], timeout = 600_000) => rmqctl([...args, '--state-dir', path.join(dir, 'state')], { timeout });

interface Answer {
  key: string;
  at: number;
  status: string;
  store: string;
  group: string;
}

/** Sends to both groups' topics until stopped, logging every answer that says the message was stored. */
class AnswerLog {
  readonly answers: Answer[] = [];
  private stopped = false;
  private readonly loops: Promise<void>[];
  private readonly producer = new Producer({ namesrvAddrs, producerGroup: `PG_e2e_${Date.now()}`, autoCreateTopic: false, routeRefreshMillis: 1_000, sendTimeoutMillis: 4_000 });
  constructor() {
    this.loops = ['broker-a', 'broker-b'].flatMap((g) => [0, 1].map((i) => this.loop(g, i)));
  }
  private async loop(g: string, i: number): Promise<void> {
    for (let n = 0; !this.stopped; n++) {
      const key = `${g}-${i}-${n}-${Date.now()}`;
      try {
        const r = await this.producer.send({ topic: `Fo-${g}`, body: key, keys: [key] });
        const h = parseOffsetMsgId(r.offsetMsgId).storeHost;
        this.answers.push({ key, at: Date.now(), status: r.sendStatus, store: `${[...h.ip].join('.')}:${h.port}`, group: g });
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
  acked(g: string, since = 0): Answer[] {
    return this.answers.filter((a) => a.group === g && a.status === 'SEND_OK' && a.at > since);
  }
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    this.producer.shutdown();
  }
}

const brokerNodes = () => model.nodes.filter((n): n is BrokerNode => n.kind === 'broker');
const addrOf = (id: string) => {
  const n = brokerNodes().find((b) => b.id === id)!;
  return `${n.brokerIP1}:${n.listenPort}`;
};
const hostOf = (id: string) => lab.hosts.find((h) => h.name === brokerNodes().find((b) => b.id === id)!.host)!;
const unit = (id: string) => `rmq-fo-${id}.service`;
async function leaderOf(g: string): Promise<string | undefined> {
  return (await readFailoverState(model)).groups.find((x) => x.group === g)?.leader?.node;
}
async function kill9(id: string): Promise<void> {
  await hostOf(id).run(`kill -9 "$(systemctl show -p MainPID --value ${unit(id)})"`);
}
async function start(id: string): Promise<void> {
  const r = await cli(['start', topologyFile, '--node', id]);
  expect(r.code, r.stderr + r.stdout).toBe(0);
}
async function rejoined(id: string, masterId: string): Promise<void> {
  const master = brokerNodes().find((b) => b.id === masterId)!;
  await waitFor(async () => {
    const ha = await brokers.haStatus(addrOf(id));
    return ha.haClientRuntimeInfo.state === 'replicating' && ha.haClientRuntimeInfo.masterAddr === `${master.brokerIP1}:${master.haPort}` ? true : undefined;
  }, { what: `${id} replicating from ${masterId}`, timeout: 60_000, interval: 250 });
}
/** On a failure: what the group's brokers logged about the election, and etcd's records. */
async function diagnose(g: string): Promise<void> {
  for (const b of brokerNodes().filter((x) => x.brokerName === g)) {
    const out = await hostOf(b.id).exec(`journalctl -u ${unit(b.id)} --no-pager -o cat -n 600 | grep -vE 'etcd unreachable|slave sync' | tail -40`);
    const ha = await brokers.haStatus(addrOf(b.id)).catch((e: unknown) => (e as Error).message);
    console.log(`--- ${b.id}\n${out.stdout}\nHA: ${JSON.stringify(ha).slice(0, 1500)}`);
  }
  console.log(JSON.stringify(await readFailoverState(model), null, 1).slice(0, 4000));
}

/** The keys of every message the group's master (as etcd names it) holds in its topic. */
async function heldKeys(g: string): Promise<Set<string>> {
  const master = (await leaderOf(g))!;
  const held = new Set<string>();
  for (let q = 0; q < 4; q++) {
    for (let offset = 0; ; ) {
      const r = await brokers.pull(addrOf(master), { consumerGroup: TOOLS_CONSUMER_GROUP, topic: `Fo-${g}`, queueId: q, queueOffset: offset, maxMsgNums: 32 });
      if (r.status !== 'FOUND') break;
      for (const m of recordsOf(r.body)) held.add(findProperty(m.properties, PropertyKey.KEYS) ?? '');
      offset = r.nextBeginOffset;
    }
  }
  return held;
}

async function truncationOf(id: string, since: number): Promise<string | undefined> {
  const out = await hostOf(id).exec(`journalctl -u ${unit(id)} --since @${Math.floor(since / 1000)} --no-pager -o cat | grep 'commit log truncated' | tail -1`);
  return out.stdout.trim() || undefined;
}

beforeAll(async () => {
  if (!SUITE || lab.skipReason) return;
  dir = mkdtempSync(path.join(os.tmpdir(), 'rmqctl-e2e-fo-'));
  const [h1, h2, h3, h4, h5] = lab.hosts as [TestHost, TestHost, TestHost, TestHost, TestHost];
  const yaml = `cluster: fo
mode: 2m-2s-sync
failover:
  mode: auto
  leaseSeconds: ${LEASE}
hosts:
${labHostsYaml(lab.hosts)}nameservers:
  - {host: ${h1.name}, port: 9876}
  - {host: ${h2.name}, port: 9876}
  - {host: ${h3.name}, port: 9876}
brokers:
  - name: broker-a
    master: {host: ${h4.name}, port: 10911}
    slaves: [{host: ${h5.name}, port: 10921}]
  - name: broker-b
    master: {host: ${h5.name}, port: 10911}
    slaves: [{host: ${h4.name}, port: 10921}]
`;
  topologyFile = path.join(dir, 'fo.yaml');
  writeFileSync(topologyFile, yaml);
  model = labModel(yaml, path.join(dir, 'state'));
  const d = await cli(['deploy', topologyFile, '--settle', '0']);
  expect(d.code, d.stderr + d.stdout).toBe(0);
  namesrvAddrs = model.namesrvAddr.split(';');
  remoting = new RemotingClient();
  brokers = new BrokerApi(remoting, 5_000);
  const admin = new AdminClient({ namesrvAddrs, remoting });
  for (const g of ['broker-a', 'broker-b']) {
    await brokers.createTopic(addrOf(`${g}-0`), { topicName: `Fo-${g}`, readQueueNums: 4, writeQueueNums: 4, perm: 6 });
    await waitFor(async () => ((await admin.topicRoute(`Fo-${g}`))?.queueDatas.length === 1 ? true : undefined), { what: 'routes', timeout: 30_000 });
  }
}, 40 * 60_000);

afterAll(async () => {
  remoting?.shutdown();
  if (dir) {
    if (process.env.FAILOVER_REPORT) writeFileSync(process.env.FAILOVER_REPORT, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`e2e failover report: ${JSON.stringify(report, null, 2)}`);
    rmSync(dir, { recursive: true, force: true });
  }
});

describe.skipIf(!SUITE || lab.skipReason)('failover: auto on five nspawn hosts', () => {
  it('kill -9 of the master, 5 rounds alternating groups: the slave takes over, nothing acknowledged lost, the old master rejoins', async () => {
    const log = new AnswerLog();
    const rounds: Record<string, unknown>[] = [];
    try {
      for (let round = 0; round < 5; round++) {
        const g = round % 2 === 0 ? 'broker-a' : 'broker-b';
        const old = (await leaderOf(g))!;
        const next = brokerNodes().find((b) => b.brokerName === g && b.id !== old)!.id;
        await waitFor(() => (log.acked(g, Date.now() - 2_000).filter((a) => a.store === addrOf(old)).length > 20 ? true : undefined), { what: `${g} acknowledging from ${old}`, timeout: 60_000 });
        const killedAt = Date.now();
        await kill9(old);
        const first = await waitFor(() => log.answers.find((a) => a.group === g && a.store === addrOf(next) && a.at > killedAt), { what: `${next} taking writes`, timeout: 60_000, interval: 10 }).catch(async (e: unknown) => {
          await diagnose(g);
          throw e;
        });
        expect(await leaderOf(g)).toBe(next);
        const late = log.acked(g, first.at).filter((a) => a.store === addrOf(old));
        expect(late, 'no SEND_OK from the old master after the new one answered').toEqual([]);
        const restartedAt = Date.now();
        await start(old)
          .then(() => rejoined(old, next))
          .catch(async (e: unknown) => {
            await diagnose(g);
            throw e;
          });
        const okAgain = await waitFor(() => log.acked(g, restartedAt).find((a) => a.store === addrOf(next)), { what: 'SEND_OK again', timeout: 60_000 });
        rounds.push({ round: round + 1, group: g, from: old, to: next, killToNewMasterStoresMs: first.at - killedAt, startToSendOkMs: okAgain.at - restartedAt, truncation: (await truncationOf(old, restartedAt)) ?? 'nothing cut' });
      }
    } finally {
      await log.stop();
    }
    const lost: string[] = [];
    for (const g of ['broker-a', 'broker-b']) {
      const held = await heldKeys(g);
      lost.push(...log.acked(g).filter((a) => !held.has(a.key)).map((a) => a.key));
    }
    report.killRounds = { rounds, sendOk: log.answers.filter((a) => a.status === 'SEND_OK').length, storedNotReplicated: log.answers.filter((a) => a.status !== 'SEND_OK').length, lost: lost.length };
    expect(lost).toEqual([]);
  }, 30 * 60_000);

  it('the master’s host cut off: it stops answering before the new master answers any; healed, it rejoins as slave', async () => {
    const g = 'broker-a';
    const old = (await leaderOf(g))!;
    const next = brokerNodes().find((b) => b.brokerName === g && b.id !== old)!.id;
    const isolated = hostOf(old);
    // a producer inside the host to be cut off: it keeps sending to its local master on its cached route
    const bundle = path.join(dir, 'ack-producer.mjs');
    await build({ entryPoints: [path.join(import.meta.dirname, '..', 'support', 'ack-producer.ts')], bundle: true, platform: 'node', format: 'esm', outfile: bundle, banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" }, logLevel: 'silent' });
    const inside = path.join(dir, 'inside.jsonl');
    const child: ChildProcess = spawn('ip', ['netns', 'exec', isolated.name, process.execPath, bundle, namesrvAddrs.join(';'), `Fo-${g}`, inside, '2'], { stdio: 'ignore' });
    const log = new AnswerLog();
    const readInside = () => (existsSync(inside) ? readFileSync(inside, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Omit<Answer, 'group'>) : []);
    try {
      await waitFor(() => (readInside().filter((a) => a.store === addrOf(old)).length > 50 ? true : undefined), { what: 'the inside producer answered by the master', timeout: 60_000 });
      const cutAt = Date.now();
      execIp(['link', 'set', `rmqv${isolated.index}`, 'down']);
      const first = await waitFor(() => log.answers.find((a) => a.group === g && a.store === addrOf(next) && a.at > cutAt), { what: `${next} taking writes`, timeout: 60_000, interval: 10 });
      await waitFor(() => (Date.now() - first.at > 2_000 ? true : undefined), { what: 'a while of both sides sending', timeout: 10_000, interval: 100 });
      const insideAnswers = readInside().filter((a) => a.store === addrOf(old));
      const lastOld = Math.max(...insideAnswers.map((a) => a.at));
      const healAt = Date.now();
      execIp(['link', 'set', `rmqv${isolated.index}`, 'up']);
      await rejoined(old, next);
      report.partition = {
        cutToNewMasterStoresMs: first.at - cutAt,
        lastAnswerOfIsolatedMasterAfterCutMs: lastOld - cutAt,
        gapBetweenTheTwoMastersMs: first.at - lastOld,
        isolatedAnswersAfterCut: insideAnswers.filter((a) => a.at > cutAt).length,
        isolatedSendOkAfterCut: insideAnswers.filter((a) => a.at > cutAt && a.status === 'SEND_OK').length,
        lastSendOkOfIsolatedMasterAfterCutMs: Math.max(0, ...insideAnswers.filter((a) => a.status === 'SEND_OK').map((a) => a.at)) - cutAt,
        healToRejoinedMs: Date.now() - healAt,
        truncation: (await truncationOf(old, healAt)) ?? 'nothing cut',
      };
      expect(lastOld, 'the isolated master stopped answering before the new master answered').toBeLessThan(first.at);
      // every SEND_OK, from either side of the cut, is on the group's master after the heal
      const checkAt = Date.now();
      const held = await heldKeys(g);
      const acked = [...readInside().filter((a) => a.status === 'SEND_OK'), ...log.acked(g)].filter((a) => a.at <= checkAt);
      const lost = acked.filter((a) => !held.has(a.key)).map((a) => a.key);
      (report.partition as Record<string, unknown>).sendOk = acked.length;
      (report.partition as Record<string, unknown>).lost = lost.length;
      expect(lost).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      execIp(['link', 'set', `rmqv${isolated.index}`, 'up']);
      await log.stop();
    }
  }, 10 * 60_000);

  it('etcd loses one member: a failover still works; two: no failover, masters keep writing', async () => {
    const [h1, h2] = lab.hosts as [TestHost, TestHost];
    const log = new AnswerLog();
    try {
      await h1.run('systemctl stop etcd');
      const oneDown = Date.now();
      const g = 'broker-b';
      const old = (await leaderOf(g))!;
      const next = brokerNodes().find((b) => b.brokerName === g && b.id !== old)!.id;
      await waitFor(() => (log.acked(g, oneDown).length > 50 ? true : undefined), { what: 'writes with one etcd member down', timeout: 60_000 });
      const killedAt = Date.now();
      await kill9(old);
      const first = await waitFor(() => log.answers.find((a) => a.group === g && a.store === addrOf(next) && a.at > killedAt), { what: `${next} taking writes`, timeout: 60_000, interval: 10 });
      await start(old);
      await rejoined(old, next);
      // `rmqctl start` brings every etcd member up first (h1's too): take two down now
      await h1.run('systemctl stop etcd');
      await h2.run('systemctl stop etcd');
      const twoDown = Date.now();
      await waitFor(() => (Date.now() - twoDown > 3 * LEASE * 1000 ? true : undefined), { what: 'three leases without quorum', timeout: 60_000, interval: 500 });
      const okWithout = { 'broker-a': log.acked('broker-a', twoDown).length, 'broker-b': log.acked('broker-b', twoDown).length };
      expect(okWithout['broker-a']).toBeGreaterThan(50);
      expect(okWithout['broker-b']).toBeGreaterThan(50);
      // the master now: the node answering broker-a's sends (etcd cannot say without its quorum)
      const recent = log.acked('broker-a', Date.now() - 1_000);
      const victim = brokerNodes().find((b) => b.brokerName === 'broker-a' && recent.some((a) => a.store === `${b.brokerIP1}:${b.listenPort}`))!.id;
      const survivor = brokerNodes().find((b) => b.brokerName === 'broker-a' && b.id !== victim)!.id;
      await kill9(victim);
      const deadAt = Date.now();
      await waitFor(() => (Date.now() - deadAt > 3 * LEASE * 1000 ? true : undefined), { what: 'three leases', timeout: 60_000, interval: 500 });
      expect(log.answers.filter((a) => a.group === 'broker-a' && a.store === addrOf(survivor) && a.at > deadAt), 'no failover without quorum').toEqual([]);
      await h1.run('systemctl start etcd');
      await h2.run('systemctl start etcd');
      const back = Date.now();
      const elected = await waitFor(() => log.answers.find((a) => a.group === 'broker-a' && a.store === addrOf(survivor) && a.at > back), { what: `${survivor} elected once etcd is back`, timeout: 120_000, interval: 50 });
      await start(victim);
      await rejoined(victim, survivor);
      report.etcdLoss = { oneMemberDownKillToNewMasterStoresMs: first.at - killedAt, sendOkDuringThreeLeasesWithoutQuorum: okWithout, failoverWithoutQuorum: false, etcdBackToElectedMs: elected.at - back };
    } finally {
      await h1.exec('systemctl start etcd');
      await h2.exec('systemctl start etcd');
      await log.stop();
    }
  }, 15 * 60_000);
});

function execIp(args: string[]): void {
  const r = spawnSync('ip', args, { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed (exit ${r.status})`);
}
