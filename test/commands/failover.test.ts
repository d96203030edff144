/**
 * Issue #17, planned switchover: `rmqctl failover` on the 2m-2s-sync preset's shape (local
 * target, free ports) while producers send continuously and log every acknowledgement.
 *
 * Asserted per round (broker-a's master to its slave, then back): the command exits 0 and names
 * the new master; every NameServer routes to it; the nodes' config files and masters.yaml say so
 * and `rmqctl plan` shows no change; the former master replicates from the new one; every message
 * acknowledged (SEND_OK) before, during and after is read back from the group afterwards (zero
 * lost). Measured and printed: how long sends to broker-a failed (the longest gap between two
 * SEND_OKs of a topic only broker-a serves, and the failed sends), and the command's own figure.
 * Refusals: a slave that does not run, a node of another group — nothing changes.
 */
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../../src/client/admin.js';
import { BrokerApi, recordsOf } from '../../src/client/broker-api.js';
import { Producer } from '../../src/client/producer.js';
import { destroyCluster } from '../../src/deploy/operations.js';
import { ClusterTargets } from '../../src/deploy/targets/open.js';
import { TOOLS_CONSUMER_GROUP } from '../../src/ops/topic-tail.js';
import { findProperty } from '../../src/protocol/message/properties.js';
import { PropertyKey } from '../../src/protocol/message/constants.js';
import { RemotingClient } from '../../src/remoting/client.js';
import type { ClusterModel } from '../../src/topology/index.js';
import { rmqctl } from '../support/cli.js';
import { labModel } from '../support/lab-topology.js';
import { freeBrokerPort, freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';

let dir: string;
let stateDir: string;
let topologyFile: string;
let model: ClusterModel;
let ports: { a0: number; a1: number; b0: number; b1: number };
const cli = (args: string[], timeout = 180_000) => rmqctl([...args, '--state-dir', stateDir], { timeout });

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rmqctl-failover-'));
  stateDir = path.join(dir, 'state');
  topologyFile = path.join(dir, 'swo.yaml');
  ports = { a0: await freeBrokerPort(), a1: await freeBrokerPort(), b0: await freeBrokerPort(), b1: await freeBrokerPort() };
  // the 2m-2s-sync preset (topologies/2m-2s-sync.yaml) with ports free on this machine
  const preset = readFileSync(path.join(import.meta.dirname, '..', '..', 'topologies', '2m-2s-sync.yaml'), 'utf8');
  const yaml = preset
    .replace('cluster: 2m-2s-sync', 'cluster: swo')
    .replace('port: 9876', `port: ${await freePort()}`)
    .replace('port: 9877', `port: ${await freePort()}`)
    .replace('port: 10911', `port: ${ports.a0}`)
    .replace('port: 10921', `port: ${ports.a1}`)
    .replace('port: 10931', `port: ${ports.b0}`)
    .replace('port: 10941', `port: ${ports.b1}`);
  writeFileSync(topologyFile, yaml);
  model = labModel(yaml, stateDir);
  const d = await cli(['deploy', topologyFile, '--min-free-disk', '0', '--settle', '0']);
  expect(d.code, d.stderr + d.stdout).toBe(0);
}, 180_000);

afterAll(async () => {
  const targets = new ClusterTargets(model);
  await destroyCluster(model, targets, { purge: true }).catch(() => {});
  await targets.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Sent {
  key: string;
  at: number;
  ok: boolean;
  status: string;
  group?: string;
}

/** Sends until stopped, logging every result; an acknowledged message is one answered SEND_OK. */
async function sendLoop(p: Producer, topic: string, prefix: string, stop: { done: boolean }, log: Sent[]): Promise<void> {
  for (let i = 0; !stop.done; i++) {
    const key = `${prefix}${i}`;
    try {
      const r = await p.send({ topic, body: `${key}:${'x'.repeat(200)}`, keys: [key] });
      log.push({ key, at: Date.now(), ok: r.sendStatus === 'SEND_OK', status: r.sendStatus, group: r.messageQueue.brokerName });
    } catch (e) {
      log.push({ key, at: Date.now(), ok: false, status: (e as Error).name });
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

/** oclif wraps error messages (` ›   ` at each line start): one line again. */
const oneLine = (text: string) => text.replace(/\s*\n\s*›\s*/g, ' ').replace(/\s+/g, ' ');

const maxGap = (log: Sent[]) => {
  const oks = log.filter((r) => r.ok).map((r) => r.at);
  let gap = 0;
  for (let i = 1; i < oks.length; i++) gap = Math.max(gap, oks[i]! - oks[i - 1]!);
  return gap;
};

/** Every message key a topic holds on a broker, read from each queue's start. */
async function keysOn(brokers: BrokerApi, addr: string, topic: string, queues: number): Promise<Set<string>> {
  const keys = new Set<string>();
  for (let q = 0; q < queues; q++) {
    let offset = 0;
    for (;;) {
      const r = await brokers.pull(addr, { consumerGroup: TOOLS_CONSUMER_GROUP, topic, queueId: q, queueOffset: offset, maxMsgNums: 32 });
      if (r.status !== 'FOUND') break;
      for (const m of recordsOf(r.body)) {
        const k = findProperty(m.properties, PropertyKey.KEYS);
        if (k) keys.add(k);
      }
      offset = r.nextBeginOffset;
    }
  }
  return keys;
}

describe('rmqctl failover: planned switchover of 2m-2s-sync under producers', () => {
  it('moves broker-a’s master to its slave and back: no acknowledged message lost, a short measured pause, plan shows no change', async () => {
    const namesrvAddrs = model.namesrvAddr.split(';');
    const remoting = new RemotingClient();
    const brokers = new BrokerApi(remoting, 5_000);
    const admin = new AdminClient({ namesrvAddrs, remoting });
    const addr = (port: number) => `127.0.0.1:${port}`;
    await brokers.createTopic(addr(ports.a0), { topicName: 'SwoA', readQueueNums: 4, writeQueueNums: 4, perm: 6 });
    for (const p of [ports.a0, ports.b0]) await brokers.createTopic(addr(p), { topicName: 'SwoAll', readQueueNums: 4, writeQueueNums: 4, perm: 6 });
    await waitFor(async () => ((await admin.topicRoute('SwoAll'))?.queueDatas.length === 2 && (await admin.topicRoute('SwoA'))?.queueDatas.length === 1 ? true : undefined), { what: 'topics routed' });

    const logs: Record<'SwoA' | 'SwoAll', Sent[]> = { SwoA: [], SwoAll: [] };
    const producers = [new Producer({ namesrvAddrs, producerGroup: 'PG_SwoA', autoCreateTopic: false }), new Producer({ namesrvAddrs, producerGroup: 'PG_SwoAll' })];
    const stop = { done: false };
    const loops = [0, 1, 2].map((i) => sendLoop(producers[0]!, 'SwoA', `a${i}-`, stop, logs.SwoA)).concat([0, 1].map((i) => sendLoop(producers[1]!, 'SwoAll', `all${i}-`, stop, logs.SwoAll)));
    const rounds: { to: string; command: Record<string, unknown>; gapMs: number; failedSends: number }[] = [];
    try {
      for (const [to, from, toPort] of [['broker-a-1', 'broker-a-0', ports.a1], ['broker-a-0', 'broker-a-1', ports.a0]] as const) {
        const okBefore = logs.SwoA.filter((r) => r.ok).length;
        await waitFor(() => (logs.SwoA.filter((r) => r.ok).length >= okBefore + 50 && logs.SwoAll.filter((r) => r.ok).length >= 50 ? true : undefined), { what: 'producers sending', timeout: 30_000 });
        const mark = logs.SwoA.length;
        const r = await cli(['failover', topologyFile, 'broker-a', '--to', to, '--yes', '--json']);
        expect(r.code, r.stderr + r.stdout).toBe(0);
        const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
        const result = lines.find((l) => l.kind === 'result')!;
        expect(result).toMatchObject({ group: 'broker-a', from, to, alreadyMaster: false });
        expect(lines.filter((l) => l.kind === 'step' && l.status === 'done').map((l) => l.step)).toContain('promote slave');
        // every NameServer routes to the new master
        for (const ns of namesrvAddrs) {
          const info = await new AdminClient({ namesrvAddrs: [ns], remoting }).clusterInfo();
          expect(info.brokerAddrTable['broker-a']?.brokerAddrs['0']).toBe(addr(toPort));
        }
        // sends to broker-a go on: wait for more SEND_OKs after the switch
        await waitFor(() => (logs.SwoA.slice(mark).filter((x) => x.ok).length >= 50 ? true : undefined), { what: 'broker-a acknowledging again', timeout: 30_000 });
        const window = logs.SwoA.slice(Math.max(0, mark - 1));
        rounds.push({ to, command: result, gapMs: maxGap(window), failedSends: window.filter((x) => !x.ok).length });
        // the former master replicates from the new one; the files say who is master; plan: no change
        const masters = readFileSync(path.join(stateDir, 'masters.yaml'), 'utf8');
        expect(masters).toMatch(new RegExp(`broker-a:\\n    master: ${to}\\n`));
        const toConf = readFileSync(path.join(stateDir, 'etc', 'rmqctl', 'swo', `${to}.properties`), 'utf8');
        expect(toConf).toMatch(/^brokerId=0$/m);
        expect(toConf).toMatch(/^brokerRole=SYNC_MASTER$/m);
        expect(readFileSync(path.join(stateDir, 'etc', 'rmqctl', 'swo', `${from}.properties`), 'utf8')).toMatch(/^brokerRole=SLAVE$/m);
        const plan = await cli(['plan', topologyFile, '--json']);
        expect(plan.code, plan.stderr + plan.stdout).toBe(0);
        expect((JSON.parse(plan.stdout) as { changed: boolean }).changed).toBe(false);
        const st = await cli(['status', topologyFile, '--json']);
        expect(st.code, st.stdout + st.stderr).toBe(0);
        if (to === 'broker-a-1') {
          // a machine without the record would deploy the roles back: refused, nothing changed
          const saved = path.join(dir, 'masters.yaml.saved');
          renameSync(path.join(stateDir, 'masters.yaml'), saved);
          try {
            const d = await cli(['deploy', topologyFile, '--min-free-disk', '0', '--settle', '0']);
            expect(d.code, d.stdout + d.stderr).toBe(2);
            expect(oneLine(d.stderr)).toMatch(/would change which node is master \(broker-a-0 on local: SLAVE → SYNC_MASTER; broker-a-1 on local: SYNC_MASTER → SLAVE\)/);
          } finally {
            renameSync(saved, path.join(stateDir, 'masters.yaml'));
          }
        }
      }
    } finally {
      stop.done = true;
      await Promise.all(loops);
      for (const p of producers) p.shutdown();
    }

    // zero acknowledged messages lost: everything SEND_OK is on the group's current master (broker-a-0 again) or broker-b
    const onA = await keysOn(brokers, addr(ports.a0), 'SwoA', 4);
    const allA = await keysOn(brokers, addr(ports.a0), 'SwoAll', 4);
    const allB = await keysOn(brokers, addr(ports.b0), 'SwoAll', 4);
    const ackedA = logs.SwoA.filter((r) => r.ok).map((r) => r.key);
    const ackedAll = logs.SwoAll.filter((r) => r.ok).map((r) => r.key);
    const lost = [...ackedA.filter((k) => !onA.has(k)), ...ackedAll.filter((k) => !allA.has(k) && !allB.has(k))];
    // the slave (broker-a-1 again) holds the master's log byte for byte
    const masterEnd = Number((await brokers.runtimeInfo(addr(ports.a0))).commitLogMaxOffset);
    await waitFor(async () => (Number((await brokers.runtimeInfo(addr(ports.a1))).commitLogMaxOffset) === masterEnd ? true : undefined), { what: 'the slave to hold the master’s whole log', timeout: 20_000 });
    remoting.shutdown();
    const report = {
      rounds: rounds.map((r) => ({ to: r.to, writesStoppedMs: r.command.writesStoppedMs, catchUpMs: r.command.catchUpMs, producerGapMs: r.gapMs, failedSendsToBrokerA: r.failedSends })),
      acked: { SwoA: ackedA.length, SwoAll: ackedAll.length },
      sends: { SwoA: logs.SwoA.length, SwoAll: logs.SwoAll.length },
      lost: lost.length,
    };
    console.log(`switchover report: ${JSON.stringify(report, null, 2)}`);
    expect(ackedA.length).toBeGreaterThan(100);
    expect(lost, JSON.stringify(report)).toEqual([]);
  }, 300_000);

  it('refuses a slave that does not run, and a node of another group; nothing changes', async () => {
    const stop = await cli(['stop', topologyFile, '--node', 'broker-b-1']);
    expect(stop.code, stop.stderr).toBe(0);
    try {
      const r = await cli(['failover', topologyFile, 'broker-b', '--yes']);
      expect(r.code).toBe(1);
      expect(oneLine(r.stderr)).toMatch(/no slave of broker-b may take over: broker-b-1 does not answer/);
      expect(oneLine(r.stderr)).toMatch(/Nothing was changed/);
      const other = await cli(['failover', topologyFile, 'broker-b', '--to', 'broker-a-1', '--yes']);
      expect(other.code).toBe(2);
      expect(oneLine(other.stderr)).toMatch(/--to broker-a-1: not a node of broker-b/);
    } finally {
      const start = await cli(['start', topologyFile, '--node', 'broker-b-1']);
      expect(start.code, start.stderr).toBe(0);
    }
    const plan = await cli(['plan', topologyFile, '--json']);
    expect((JSON.parse(plan.stdout) as { changed: boolean }).changed).toBe(false);
  }, 120_000);
});
