/**
 * Issue #17, automatic failover on real processes and a real 3-member etcd: a 2m-2s-sync cluster
 * with failoverMode=auto, a producer sending continuously and logging every acknowledgement with
 * the store address in its offset msgId (which node acknowledged it), and `kill -9` of a group's
 * master, one round per group.
 *
 * Asserted per round: the slave becomes master (etcd: leader, epoch + 1, a failover record) and
 * acknowledges sends, measured from the kill; every message acknowledged before the kill is on
 * the new master; no acknowledgement of the old master comes after the new master's first; the
 * old master, started again, follows the new one — its unreplicated tail cut back (counted,
 * recorded in etcd) when it had one — and holds the new master's log byte for byte. Printed: the
 * times and figures.
 */
import { appendFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Etcd3 } from 'etcd3';
import { AdminClient } from '../../../src/client/admin.js';
import { BrokerApi, recordsOf } from '../../../src/client/broker-api.js';
import { Producer } from '../../../src/client/producer.js';
import { TOOLS_CONSUMER_GROUP } from '../../../src/ops/topic-tail.js';
import { decodeRecord, groupPrefix, keys, type FailoverRecord, type LeaderRecord } from '../../../src/protocol/failover/records.js';
import { PropertyKey } from '../../../src/protocol/message/constants.js';
import { parseOffsetMsgId } from '../../../src/protocol/message/msg-id.js';
import { findProperty } from '../../../src/protocol/message/properties.js';
import { RemotingClient } from '../../../src/remoting/client.js';
import { TestCluster, type ClusterNode } from '../../support/cluster.js';
import { etcdSkipReason, startEtcd, type TestEtcd } from '../../support/etcd.js';
import { waitFor } from '../../support/wait.js';

const skip = etcdSkipReason();
const LEASE_SECONDS = 4;
let etcd: TestEtcd;
let cluster: TestCluster;
let kv: Etcd3;

const nodes = (g: string) => [cluster.node(`${g}-0`), cluster.node(`${g}-1`)];

beforeAll(async () => {
  if (skip) return;
  etcd = await startEtcd(3);
  kv = new Etcd3({ hosts: etcd.endpoints });
  cluster = new TestCluster({ cluster: 'auto' });
  for (let i = 1; i <= 2; i++) await (await cluster.addNamesrv(i, {})).start();
  const common = {
    failoverMode: 'auto',
    failoverEtcdEndpoints: etcd.endpoints.join(','),
    failoverLeaseSeconds: LEASE_SECONDS,
    failoverMasterRole: 'SYNC_MASTER',
    inSyncReplicas: 2,
    totalReplicas: 2,
  };
  for (const g of ['broker-a', 'broker-b']) {
    const m = await cluster.addBroker({ name: g, id: 0, properties: { ...common, brokerRole: 'SYNC_MASTER', nodeName: `${g}-0`, failoverSlaveId: 2 } }, {});
    const s = await cluster.addBroker({ name: g, id: 1, properties: { ...common, nodeName: `${g}-1`, failoverSlaveId: 1 } }, {});
    appendFileSync(m.configFile, `failoverPeers=${g}-1@${s.addr}\n`);
    appendFileSync(s.configFile, `failoverPeers=${g}-0@${m.addr}\n`);
    await m.start();
    await s.start();
  }
}, 120_000);

afterAll(async () => {
  kv?.close();
  await cluster?.stop();
  await etcd?.stop();
});

async function leaderOf(g: string): Promise<LeaderRecord | undefined> {
  return decodeRecord<LeaderRecord>(await kv.get(keys.leader(groupPrefix('/rmqctl', 'auto', g))).string());
}

interface Ack {
  key: string;
  at: number;
  group: string;
  /** SEND_OK: acknowledged (a SYNC group: on master and slave); SLAVE_NOT_AVAILABLE / FLUSH_SLAVE_TIMEOUT: stored on the master only. */
  status: string;
  /** The store address in the offset msgId: the node that acknowledged. */
  storeAddr: string;
}

async function keysOn(brokers: BrokerApi, addr: string, topic: string): Promise<Set<string>> {
  const out = new Set<string>();
  for (let q = 0; q < 4; q++) {
    let offset = 0;
    for (;;) {
      const r = await brokers.pull(addr, { consumerGroup: TOOLS_CONSUMER_GROUP, topic, queueId: q, queueOffset: offset, maxMsgNums: 32 });
      if (r.status !== 'FOUND') break;
      for (const m of recordsOf(r.body)) out.add(findProperty(m.properties, PropertyKey.KEYS) ?? '');
      offset = r.nextBeginOffset;
    }
  }
  return out;
}

describe.skipIf(skip)('automatic failover on etcd (failover: auto)', () => {
  it('kill -9 of a master: an in-sync slave takes over, no acknowledged message lost, the old master rejoins as slave', async () => {
    const remoting = new RemotingClient();
    const brokers = new BrokerApi(remoting, 5_000);
    const admin = new AdminClient({ namesrvAddrs: cluster.namesrvAddrs, remoting });
    for (const g of ['broker-a', 'broker-b']) await waitFor(async () => (await leaderOf(g))?.node === `${g}-0` || undefined, { what: `${g}-0 elected`, timeout: 30_000 });
    for (const g of ['broker-a', 'broker-b']) {
      await brokers.createTopic(cluster.node(`${g}-0`).addr, { topicName: `Auto-${g}`, readQueueNums: 4, writeQueueNums: 4, perm: 6 });
      await waitFor(async () => ((await admin.topicRoute(`Auto-${g}`))?.queueDatas.length === 1 ? true : undefined), { what: 'route' });
    }
    const acks: Ack[] = [];
    const failures: { at: number; group: string; why: string }[] = [];
    const stop = { done: false };
    const plog: string[] = [];
    const logger = { debug() {}, info() {}, warn: (m: string, f?: Record<string, unknown>) => plog.push(`${new Date().toISOString()} ${m} ${JSON.stringify(f, (_k, v) => (v instanceof Error ? v.message : v))}`), error() {}, child() { return logger; } };
    const producer = new Producer({ namesrvAddrs: cluster.namesrvAddrs, producerGroup: 'PG_auto', autoCreateTopic: false, routeRefreshMillis: 1_000, sendTimeoutMillis: 5_000, logger });
    const loop = async (g: string, i: number) => {
      for (let n = 0; !stop.done; n++) {
        const key = `${g}-${i}-${n}`;
        try {
          const r = await producer.send({ topic: `Auto-${g}`, body: `${key}:${'y'.repeat(200)}`, keys: [key] });
          const host = parseOffsetMsgId(r.offsetMsgId).storeHost;
          acks.push({ key, at: Date.now(), group: g, status: r.sendStatus, storeAddr: `${[...host.ip].join('.')}:${host.port}` });
        } catch (e) {
          failures.push({ at: Date.now(), group: g, why: (e as Error).message.slice(0, 120) });
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const loops = ['broker-a', 'broker-b'].flatMap((g) => [0, 1].map((i) => loop(g, i)));
    const rounds: Record<string, unknown>[] = [];
    try {
      for (const g of ['broker-a', 'broker-b']) {
        const [old, next] = nodes(g) as [ClusterNode, ClusterNode];
        await waitFor(() => (acks.filter((a) => a.group === g && a.storeAddr === old.addr && a.status === 'SEND_OK').length >= 200 ? true : undefined), { what: `${g} acknowledging`, timeout: 30_000 });
        const epochBefore = (await leaderOf(g))!.epoch;
        const killedAt = Date.now();
        await old.kill9();
        // the new master stores sends (a SYNC group without its only slave answers SLAVE_NOT_AVAILABLE until one catches up)
        const firstNew = await waitFor(() => acks.find((a) => a.group === g && a.storeAddr === next.addr && a.at > killedAt), { what: `${next.id} taking writes`, timeout: 30_000, interval: 5 });
        const leader = await leaderOf(g);
        expect(leader).toMatchObject({ node: next.id, epoch: epochBefore + 1, addr: next.addr });
        const failover = decodeRecord<FailoverRecord>(await kv.get(keys.failover(groupPrefix('/rmqctl', 'auto', g), epochBefore + 1)).string());
        expect(failover).toMatchObject({ to: next.id, from: old.id, reason: 'lease-expired', replication: 'sync' });
        // no acknowledgement of the old master after the new one's first
        const lateOld = acks.filter((a) => a.group === g && a.storeAddr === old.addr && a.at >= firstNew.at);
        const lastOldAck = Math.max(...acks.filter((a) => a.group === g && a.storeAddr === old.addr && a.status === 'SEND_OK').map((a) => a.at));
        expect(lateOld).toEqual([]);
        // the old master comes back as the new one's slave
        const restartedAt = Date.now();
        await old.start().catch(() => {});
        await waitFor(async () => {
          const ha = await brokers.haStatus(old.addr);
          return ha.haClientRuntimeInfo.state === 'replicating' && ha.haClientRuntimeInfo.masterAddr === leader!.haAddr ? true : undefined;
        }, { what: `${old.id} replicating from ${next.id}`, timeout: 30_000 });
        const okAgain = await waitFor(() => acks.find((a) => a.group === g && a.storeAddr === next.addr && a.status === 'SEND_OK' && a.at > firstNew.at), { what: `${next.id} acknowledging (SEND_OK) with ${old.id} as its slave`, timeout: 30_000, interval: 5 });
        const truncated = old.lines.find((l) => l.includes('commit log truncated'));
        const truncation = await kv.get(keys.truncation(groupPrefix('/rmqctl', 'auto', g), epochBefore + 1, old.id)).string();
        if (truncated !== undefined) await waitFor(async () => (await kv.get(keys.truncation(groupPrefix('/rmqctl', 'auto', g), epochBefore + 1, old.id)).string()) ?? undefined, { what: 'the truncation recorded in etcd' });
        rounds.push({ group: g, killToNewMasterStoresMs: firstNew.at - killedAt, lastOldSendOkBeforeKillMs: killedAt - lastOldAck, restartToSendOkMs: okAgain.at - restartedAt, failover, truncatedLog: truncated ?? 'nothing to cut', truncationRecord: truncation });
      }
    } catch (e) {
      for (const n of [...cluster.namesrvs, ...cluster.brokers]) console.log(`--- ${n.id}\n${n.lines.slice(-25).join('\n')}`);
      console.log('PLOG', plog.length, plog.slice(-3).join('\n'));
      console.log(JSON.stringify(failures.slice(-3)), cluster.brokers.map((b) => `${b.id}=${b.addr}`).join(' '));
      for (const ns of cluster.namesrvAddrs) console.log('ROUTE', ns, JSON.stringify(await new AdminClient({ namesrvAddrs: [ns], remoting }).topicRoute('Auto-broker-a')));
      throw e;
    } finally {
      stop.done = true;
      await Promise.all(loops);
      producer.shutdown();
    }
    // every acknowledged message is on its group's current master
    const lost: string[] = [];
    for (const g of ['broker-a', 'broker-b']) {
      const master = nodes(g)[1]!;
      const held = await keysOn(brokers, master.addr, `Auto-${g}`);
      lost.push(...acks.filter((a) => a.group === g && a.status === 'SEND_OK' && !held.has(a.key)).map((a) => a.key));
      // the rejoined former master holds the new master's log byte for byte
      const end = Number((await brokers.runtimeInfo(master.addr)).commitLogMaxOffset);
      await waitFor(async () => (Number((await brokers.runtimeInfo(nodes(g)[0]!.addr)).commitLogMaxOffset) === end ? true : undefined), { what: 'the former master caught up', timeout: 20_000 });
    }
    remoting.shutdown();
    console.log(`auto failover report: ${JSON.stringify({ rounds, sendOk: acks.filter((a) => a.status === 'SEND_OK').length, storedNotReplicated: acks.filter((a) => a.status !== 'SEND_OK').length, failedSends: failures.length, lost: lost.length }, null, 2)}`);
    expect(lost).toEqual([]);
  }, 240_000);
});

describe.skipIf(skip)('automatic failover when etcd loses members', () => {
  it('one member down: writes go on and a failover still happens; two down: no failover, masters keep writing; back: the group elects again', async () => {
    const remoting = new RemotingClient();
    const brokers = new BrokerApi(remoting, 5_000);
    const acks: Ack[] = [];
    const stop = { done: false };
    const producer = new Producer({ namesrvAddrs: cluster.namesrvAddrs, producerGroup: 'PG_etcd_loss', autoCreateTopic: false, routeRefreshMillis: 1_000, sendTimeoutMillis: 5_000 });
    const loop = async (g: string) => {
      for (let n = 0; !stop.done; n++) {
        try {
          const r = await producer.send({ topic: `Auto-${g}`, body: `loss-${g}-${n}`, keys: [`loss-${g}-${n}`] });
          const host = parseOffsetMsgId(r.offsetMsgId).storeHost;
          acks.push({ key: `loss-${g}-${n}`, at: Date.now(), group: g, status: r.sendStatus, storeAddr: `${[...host.ip].join('.')}:${host.port}` });
        } catch {
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const okSince = (g: string, t: number) => acks.filter((a) => a.group === g && a.status === 'SEND_OK' && a.at > t).length;
    const maxOkGap = (g: string, from: number, to: number) => {
      const ts = [from, ...acks.filter((a) => a.group === g && a.status === 'SEND_OK' && a.at > from && a.at < to).map((a) => a.at), to];
      return Math.max(...ts.slice(1).map((t, i) => t - ts[i]!));
    };
    const loops = ['broker-a', 'broker-b'].map((g) => loop(g));
    const report: Record<string, unknown> = {};
    try {
      await waitFor(() => (okSince('broker-a', 0) > 100 && okSince('broker-b', 0) > 100 ? true : undefined), { what: 'both groups acknowledging', timeout: 30_000 });
      // one etcd member down: the cluster keeps quorum
      await etcd.members[0]!.kill();
      const oneDown = Date.now();
      const masterA = (await leaderOf('broker-a'))!.node;
      const [oldA, nextA] = masterA === 'broker-a-0' ? nodes('broker-a') as [ClusterNode, ClusterNode] : [nodes('broker-a')[1]!, nodes('broker-a')[0]!];
      await waitFor(() => (okSince('broker-b', oneDown + 2 * LEASE_SECONDS * 1000) > 50 ? true : undefined), { what: 'writes with one etcd member down', timeout: 30_000 });
      const killedAt = Date.now();
      await oldA.kill9();
      const first = await waitFor(() => acks.find((a) => a.group === 'broker-a' && a.storeAddr === nextA.addr && a.at > killedAt), { what: `${nextA.id} taking writes with one etcd member down`, timeout: 30_000 });
      report.oneMemberDown = { killToNewMasterStoresMs: first.at - killedAt, maxSendOkGapBrokerBMs: maxOkGap('broker-b', oneDown, Date.now()) };
      await oldA.start().catch(() => {});
      await waitFor(() => (okSince('broker-a', Date.now()) > 0 || acks.some((a) => a.group === 'broker-a' && a.status === 'SEND_OK' && a.storeAddr === nextA.addr && a.at > first.at) ? true : undefined), { what: 'broker-a acknowledging again', timeout: 30_000 });

      // two members down: no quorum — masters keep writing on their peers' promises, and a dead master is not replaced
      await etcd.members[1]!.kill();
      const twoDown = Date.now();
      await waitFor(() => (Date.now() - twoDown > 3 * LEASE_SECONDS * 1000 ? true : undefined), { what: 'three leases without etcd', timeout: 60_000, interval: 200 });
      const gapB = maxOkGap('broker-b', twoDown, Date.now());
      const okB = okSince('broker-b', twoDown);
      const masterB = (nodes('broker-b').find((n) => n.lines.some((l) => l.includes('every member promised not to stand'))) ?? nodes('broker-b')[1]!);
      expect(okB, 'broker-b acknowledges without etcd').toBeGreaterThan(100);
      expect(gapB, 'no pause longer than a lease').toBeLessThan(LEASE_SECONDS * 1000);
      const victim = nodes('broker-b').find((n) => acks.some((a) => a.group === 'broker-b' && a.storeAddr === n.addr && a.at > twoDown))!;
      const survivor = nodes('broker-b').find((n) => n !== victim)!;
      await victim.kill9();
      const deadAt = Date.now();
      await waitFor(() => (Date.now() - deadAt > 3 * LEASE_SECONDS * 1000 ? true : undefined), { what: 'three leases', timeout: 60_000, interval: 200 });
      expect(acks.filter((a) => a.group === 'broker-b' && a.storeAddr === survivor.addr && a.at > deadAt), 'no failover without etcd').toEqual([]);
      report.twoMembersDown = { sendOkBrokerB: okB, maxSendOkGapBrokerBMs: gapB, failsafeLogged: masterB.lines.some((l) => l.includes('every member promised not to stand')), failoverWithoutEtcd: false };
      // etcd back: the survivor is elected
      await etcd.members[0]!.start();
      await etcd.members[1]!.start();
      const back = Date.now();
      const elected = await waitFor(() => acks.find((a) => a.group === 'broker-b' && a.storeAddr === survivor.addr && a.at > back), { what: `${survivor.id} elected once etcd is back`, timeout: 60_000 });
      report.etcdBack = { backToNewMasterStoresMs: elected.at - back };
      await victim.start().catch(() => {});
      await waitFor(async () => ((await brokers.haStatus(victim.addr)).haClientRuntimeInfo.state === 'replicating' ? true : undefined), { what: `${victim.id} rejoined`, timeout: 60_000 });
    } catch (e) {
      for (const n of [...cluster.brokers]) console.log(`--- ${n.id}\n${n.lines.filter((l) => !/etcd unreachable|slave sync/.test(l)).slice(-15).join('\n')}`);
      throw e;
    } finally {
      stop.done = true;
      await Promise.all(loops);
      producer.shutdown();
      remoting.shutdown();
    }
    console.log(`etcd member loss report: ${JSON.stringify(report, null, 2)}`);
  }, 300_000);
});
