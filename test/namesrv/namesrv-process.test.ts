/**
 * A real `rmqd namesrv` process, driven over sockets the way brokers and clients drive it.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AdminClient } from '../../src/client/admin.js';
import { decodeBrokerLiveInfoList, decodeKVTable } from '../../src/protocol/bodies.js';
import { RequestCode, ResponseCode, RmqExtensionCode } from '../../src/remoting/codes.js';
import { decodeHeader, encodeHeader } from '../../src/protocol/header-spec.js';
import { GetRouteInfoRequestHeader, PutKVConfigRequestHeader, QueryDataVersionResponseHeader, RegisterBrokerResponseHeader } from '../../src/protocol/headers/namesrv.js';
import { topicConfig } from '../../src/protocol/topic-config.js';
import { createRequest } from '../../src/remoting/command.js';
import { rmqd } from '../support/cli.js';
import { FakeBroker, startNamesrvProcess } from '../support/namesrv.js';
import { newClient } from '../support/remoting.js';
import { tmpDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

function admin(addr: string): AdminClient {
  const a = new AdminClient({ namesrvAddrs: [addr] });
  return a;
}

describe('rmqd namesrv: registration and routes', () => {
  it('serves the route of a registered topic, and TOPIC_NOT_EXIST for an unknown one', async () => {
    const ns = await startNamesrvProcess();
    const broker = new FakeBroker({ brokerName: 'broker-a', brokerAddr: '127.0.0.1:10911', topics: [topicConfig('OrderTopic', { readQueueNums: 4, writeQueueNums: 4 })] });
    await broker.register(ns.addr);
    const a = admin(ns.addr);
    try {
      const route = await a.topicRoute('OrderTopic');
      expect(route).toEqual({
        queueDatas: [{ brokerName: 'broker-a', readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 }],
        brokerDatas: [{ cluster: 'DefaultCluster', brokerName: 'broker-a', brokerAddrs: { '0': '127.0.0.1:10911' }, enableActingMaster: false }],
        filterServerTable: {},
      });
      expect(await a.topicRoute('NoSuchTopic')).toBeUndefined();
      const raw = await newClient().request(ns.addr, createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { extFields: encodeHeader(GetRouteInfoRequestHeader, { topic: 'NoSuchTopic' }) }));
      expect(raw.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
      expect(raw.remark).toBe('No topic route info in name server for the topic: NoSuchTopic');
      expect(await a.topicList()).toEqual(['DefaultCluster', 'OFFSET_MOVED_EVENT', 'OrderTopic', 'SCHEDULE_TOPIC_XXXX', 'SELF_TEST_TOPIC', 'TBW102', 'broker-a']);
      expect(await a.topicsByCluster('DefaultCluster')).toContain('OrderTopic');
      expect(await a.topicsByCluster('OtherCluster')).toEqual([]);
    } finally {
      a.close();
    }
  });

  it('two NameServers give the same answers once every broker has registered with both', async () => {
    const [ns1, ns2] = await Promise.all([startNamesrvProcess(), startNamesrvProcess()]);
    const topics = [topicConfig('Shared', { readQueueNums: 4, writeQueueNums: 4 })];
    const brokers = [
      new FakeBroker({ brokerName: 'broker-a', brokerAddr: '127.0.0.1:12001', topics }),
      new FakeBroker({ brokerName: 'broker-a', brokerId: 1, brokerAddr: '127.0.0.1:12002', topics }),
      new FakeBroker({ brokerName: 'broker-b', brokerAddr: '127.0.0.1:12003', topics }),
    ];
    // Registered in different orders on the two NameServers.
    for (const b of brokers) await b.register(ns1.addr);
    for (const b of [...brokers].reverse()) await b.register(ns2.addr);
    const client = newClient();
    const ask = async (addr: string, code: number, extFields?: Record<string, string>) => (await client.requestOk(addr, createRequest(code, extFields ? { extFields } : {}))).body?.toString();
    for (const [code, ext] of [[RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'Shared' }], [RequestCode.GET_BROKER_CLUSTER_INFO, undefined], [RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, undefined]] as const) {
      const [a, b] = await Promise.all([ask(ns1.addr, code, ext), ask(ns2.addr, code, ext)]);
      expect(a).toBeDefined();
      expect(a).toBe(b);
    }
  });

  it('accepts the compressed registration body', async () => {
    const ns = await startNamesrvProcess();
    const broker = new FakeBroker({ brokerName: 'broker-z', brokerAddr: '127.0.0.1:10999', compressed: true, topics: [topicConfig('Zipped', { readQueueNums: 2, writeQueueNums: 3 })] });
    await broker.register(ns.addr);
    const a = admin(ns.addr);
    try {
      expect((await a.topicRoute('Zipped'))?.queueDatas).toEqual([{ brokerName: 'broker-z', readQueueNums: 2, writeQueueNums: 3, perm: 6, topicSysFlag: 0 }]);
    } finally {
      a.close();
    }
  });

  it('tells a slave where its master is, and keeps the slave in the route when the master goes', async () => {
    const ns = await startNamesrvProcess();
    const master = new FakeBroker({ brokerName: 'broker-a', brokerAddr: '127.0.0.1:10911', haServerAddr: '127.0.0.1:10912', topics: [topicConfig('T', { readQueueNums: 4, writeQueueNums: 4 })] });
    const slave = new FakeBroker({ brokerName: 'broker-a', brokerId: 1, brokerAddr: '127.0.0.1:10921', topics: [topicConfig('T', { readQueueNums: 4, writeQueueNums: 4 })] });
    await master.register(ns.addr);
    const res = await slave.register(ns.addr);
    expect(decodeHeader(RegisterBrokerResponseHeader, res.extFields)).toEqual({ masterAddr: '127.0.0.1:10911', haServerAddr: '127.0.0.1:10912' });

    master.disconnect(ns.addr);
    await ns.waitForLine(/broker left .*addr=127.0.0.1:10911 why="connection closed"/);
    const a = admin(ns.addr);
    try {
      const route = await a.topicRoute('T');
      expect(route?.brokerDatas[0]?.brokerAddrs).toEqual({ '1': '127.0.0.1:10921' });
      expect(route?.queueDatas).toEqual([{ brokerName: 'broker-a', readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 }]);
    } finally {
      a.close();
    }
  });

  it('drops a broker whose connection closes at once, and one that goes silent after its timeout', async () => {
    const ns = await startNamesrvProcess({ scanNotActiveBrokerInterval: 100 });
    const closing = new FakeBroker({ brokerName: 'broker-c', brokerAddr: '127.0.0.1:11001', topics: [topicConfig('C')] });
    const silent = new FakeBroker({ brokerName: 'broker-s', brokerAddr: '127.0.0.1:11002', heartbeatTimeoutMillis: 2000, topics: [topicConfig('S')] });
    const alive = new FakeBroker({ brokerName: 'broker-k', brokerAddr: '127.0.0.1:11003', heartbeatTimeoutMillis: 2000, topics: [topicConfig('K')] });
    await Promise.all([closing.register(ns.addr), silent.register(ns.addr), alive.register(ns.addr)]);
    const a = admin(ns.addr);
    try {
      closing.disconnect(ns.addr);
      await waitFor(async () => (await a.topicRoute('C')) === undefined, { what: 'broker-c to be dropped on disconnect' });

      // broker-k keeps sending keep-alives; broker-s sends nothing and keeps its connection open.
      const keepAlive = setInterval(() => void alive.heartbeat(ns.addr).catch(() => {}), 200);
      try {
        const line = await ns.waitForLine(/broker left .*broker=broker-s/, 10_000);
        expect(line).toMatch(/why="expired: silent \d+ ms > 2000 ms"/);
        expect(await a.topicRoute('S')).toBeUndefined();
        expect(await a.topicRoute('K')).toBeDefined();
      } finally {
        clearInterval(keepAlive);
      }
    } finally {
      a.close();
    }
  });

  it('logs one line per registration change, none per heartbeat or unchanged registration', async () => {
    const ns = await startNamesrvProcess();
    const b = new FakeBroker({ brokerName: 'broker-l', brokerAddr: '127.0.0.1:11010', topics: [topicConfig('L1')] });
    await b.register(ns.addr);
    for (let i = 0; i < 5; i++) {
      await b.register(ns.addr);
      expect((await b.heartbeat(ns.addr)).code).toBe(ResponseCode.SUCCESS);
    }
    b.setTopics([topicConfig('L1'), topicConfig('L2')]);
    await b.register(ns.addr);
    await b.unregister(ns.addr);
    await ns.waitForLine(/broker left .*why=unregistered/);
    const changes = ns.lines.filter((l) => / broker (joined|left|topics changed)/.test(l));
    expect(changes).toHaveLength(3);
    expect(changes[0]).toMatch(/broker joined cluster=DefaultCluster broker=broker-l id=0 addr=127.0.0.1:11010 .*topics=7/);
    expect(changes[1]).toMatch(/broker topics changed broker=broker-l .*added=1 changed=0 topics=L2/);
    expect(changes[2]).toMatch(/broker left .*groupGone=true/);
  });

  it('answers a keep-alive from an unknown broker so it can register again', async () => {
    const ns = await startNamesrvProcess();
    const b = new FakeBroker({ brokerName: 'broker-u', brokerAddr: '127.0.0.1:11020' });
    const res = await b.heartbeat(ns.addr);
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(res.remark).toMatch(/not registered; send REGISTER_BROKER/);
  });

  it('answers QUERY_DATA_VERSION with whether the broker must register again', async () => {
    const ns = await startNamesrvProcess();
    const b = new FakeBroker({ brokerName: 'broker-q', brokerAddr: '127.0.0.1:11030' });
    await b.register(ns.addr);
    const query = (version: object) =>
      b.client.requestOk(ns.addr, createRequest(RequestCode.QUERY_DATA_VERSION, { extFields: { brokerName: 'broker-q', brokerAddr: '127.0.0.1:11030', clusterName: 'DefaultCluster', brokerId: '0' }, body: Buffer.from(JSON.stringify(version)) }));
    expect(decodeHeader(QueryDataVersionResponseHeader, (await query(b.dataVersion)).extFields).changed).toBe(false);
    expect(decodeHeader(QueryDataVersionResponseHeader, (await query({ ...b.dataVersion, counter: 99 })).extFields).changed).toBe(true);
  });

  it('reports live brokers with ages measured on the NameServer', async () => {
    const ns = await startNamesrvProcess();
    const b = new FakeBroker({ brokerName: 'broker-v', brokerAddr: '127.0.0.1:11040', heartbeatTimeoutMillis: 10_000 });
    await b.register(ns.addr);
    const res = await newClient().requestOk(ns.addr, createRequest(RmqExtensionCode.GET_BROKER_LIVE_INFO));
    const [live] = decodeBrokerLiveInfoList(res.body);
    expect(live).toMatchObject({ cluster: 'DefaultCluster', brokerName: 'broker-v', brokerId: 0, brokerAddr: '127.0.0.1:11040', timeoutMillis: 10_000 });
    expect(live?.lastRegisterAgeMillis).toBeGreaterThanOrEqual(0);
  });
});

describe('rmqd namesrv: configuration, KV store and safety', () => {
  it('refuses UPDATE_NAMESRV_CONFIG (the CVE-2023-33246 vector) and logs who tried', async () => {
    const ns = await startNamesrvProcess();
    const res = await newClient().request(ns.addr, createRequest(RequestCode.UPDATE_NAMESRV_CONFIG, { body: Buffer.from('kvConfigPath=/etc/cron.d/x\n') }));
    expect(res.code).toBe(ResponseCode.NO_PERMISSION);
    await ns.waitForLine(/WARN .*refused UPDATE_NAMESRV_CONFIG peer=127.0.0.1:\d+/);
    const cfg = await newClient().requestOk(ns.addr, createRequest(RequestCode.GET_NAMESRV_CONFIG));
    expect(cfg.body?.toString()).toContain(`listenPort=${ns.port}`);
    expect(cfg.body?.toString()).not.toContain('/etc/cron.d');
  });

  it('keeps KV config across a restart and hands the order-topic config to brokers and routes', async () => {
    const ns = await startNamesrvProcess({ orderMessageEnable: true });
    const client = newClient();
    await client.requestOk(ns.addr, createRequest(RequestCode.PUT_KV_CONFIG, { extFields: encodeHeader(PutKVConfigRequestHeader, { namespace: 'ORDER_TOPIC_CONFIG', key: 'OT', value: 'broker-a:4' }) }));
    const b = new FakeBroker({ brokerName: 'broker-a', brokerAddr: '127.0.0.1:11050', topics: [topicConfig('OT', { readQueueNums: 4, writeQueueNums: 4 })] });
    const reg = await b.register(ns.addr);
    expect(decodeKVTable(reg.body)).toEqual({ OT: 'broker-a:4' });
    const a = admin(ns.addr);
    try {
      expect((await a.topicRoute('OT'))?.orderTopicConf).toBe('broker-a:4');
    } finally {
      a.close();
    }
    const got = await client.requestOk(ns.addr, createRequest(RequestCode.GET_KV_CONFIG, { extFields: { namespace: 'ORDER_TOPIC_CONFIG', key: 'OT' } }));
    expect(got.extFields?.value).toBe('broker-a:4');
    const missing = await client.request(ns.addr, createRequest(RequestCode.GET_KV_CONFIG, { extFields: { namespace: 'ORDER_TOPIC_CONFIG', key: 'nope' } }));
    expect(missing.code).toBe(ResponseCode.QUERY_NOT_FOUND);
  });

  it('stops cleanly on SIGTERM (exit 0)', async () => {
    const ns = await startNamesrvProcess();
    ns.kill('SIGTERM');
    expect(await ns.exited).toBe(0);
    expect(ns.lines.some((l) => / stopped$/.test(l))).toBe(true);
  });

  it('refuses to start on a bad configuration, naming file and line (exit 2)', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'namesrv.properties');
    writeFileSync(file, 'listenPort=9876\nbrokerExpiryMillis=soon\n');
    const r = await rmqd(['namesrv', '-c', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:2  brokerExpiryMillis: "soon" is not an integer`);
  });

  it('exits 1 with the reason when its port is taken', async () => {
    const ns = await startNamesrvProcess();
    const dir = tmpDir();
    const file = path.join(dir, 'namesrv.properties');
    writeFileSync(file, `listenPort=${ns.port}\nkvConfigPath=${path.join(dir, 'kv.json')}\n`);
    const r = await rmqd(['namesrv', '-c', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/EADDRINUSE/);
  });

  it('refuses to start without -c (exit 2)', async () => {
    const r = await rmqd(['namesrv']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing -c/);
  });
});
