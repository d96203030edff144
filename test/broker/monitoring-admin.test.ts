/**
 * The admin calls Apache's rocketmq-exporter makes (its task/MetricsCollectTask.java through
 * DefaultMQAdminExt, rocketmq-client 4.9.4's MQClientAPIImpl) and the Dashboard adds, against a
 * real cluster with a producer and a consumer: each request is built with the header fields the
 * Java client writes (extFields spelled out here, not through our header specs) and each answer
 * is parsed as the Java side reads it — including the runtime-info table, read key by key the
 * way the exporter's BrokerRuntimeStats constructor does (it gives up on a broker at the first
 * key that is missing or not a number).
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { JavaMap, parseFastJson } from '../../src/protocol/fastjson.js';
import { RequestCode, ResponseCode } from '../../src/remoting/codes.js';
import { createRequest, type ExtFields, type RemotingCommand } from '../../src/remoting/command.js';
import { aliMessage, aliProducer } from '../support/ali-ons.js';
import { startCluster } from '../support/cluster.js';
import { clientsFor, createTopic } from '../support/clients.js';
import { startConsumer } from '../support/consumers.js';
import { waitFor } from '../support/wait.js';

type Json = Record<string, unknown>;
const json = (r: RemotingCommand) => parseFastJson(r.body?.toString('utf8') ?? '') as Json;
/** A fastjson map keyed by MessageQueue objects → [queue, value] pairs. */
const mqEntries = (m: unknown) => (m instanceof JavaMap ? (m.entries as [Json, Json][]) : []);

/** Java Long.parseLong: an integer or it throws (NumberFormatException). */
function parseLong(v: string | undefined, key: string): number {
  if (v === undefined || !/^-?\d+$/.test(v)) throw new Error(`exporter: Long.parseLong(${key}=${String(v)}) fails`);
  return Number(v);
}
function parseDouble(v: string | undefined, key: string): number {
  if (v === undefined || v.trim() === '' || Number.isNaN(Number(v))) throw new Error(`exporter: Double.parseDouble(${key}=${String(v)}) fails`);
  return Number(v);
}

/** rocketmq-exporter model/BrokerRuntimeStats(KVTable): every read it makes, in its order. */
function exporterBrokerRuntimeStats(t: Record<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  out.msgPutTotalTodayNow = parseLong(t.msgPutTotalTodayNow, 'msgPutTotalTodayNow');
  for (const [k, v] of Object.entries(t)) {
    if (!k.startsWith('scheduleMessageOffset')) continue;
    const [a, b] = v.split(',');
    parseLong(a, k);
    parseLong(b, k);
  }
  // loadPutMessageDistributeTime: "[<=0ms]:0 [0~10ms]:3 …", each split on ':' into an int
  for (const part of (t.putMessageDistributeTime ?? 'null').split(' ').filter((p) => p !== '')) {
    const [name, value] = part.split(':');
    if (value === undefined) throw new Error(`exporter: putMessageDistributeTime item ${part}`);
    out[`pmdt${name}`] = parseLong(value, 'putMessageDistributeTime');
  }
  // loadTps: "10s 60s 600s" values, as many as are present
  for (const k of ['putTps', 'getMissTps', 'getTransferedTps', 'getTotalTps', 'getFoundTps']) {
    const v = t[k];
    if (v === undefined) throw new Error(`exporter: ${k} missing (NullPointerException in split)`);
    v.split(' ').filter((x) => x !== '').forEach((x, i) => (out[`${k}${i}`] = parseDouble(x, k)));
  }
  // loadCommitLogDirCapacity: "Total : 10.0 GiB, Free : 5.0 GiB."
  const cap = (t.commitLogDirCapacity ?? '').split(' ');
  if (cap.length < 8 || !cap[3]?.endsWith(',') || !cap[7]?.endsWith('.')) throw new Error(`exporter: commitLogDirCapacity ${t.commitLogDirCapacity}`);
  out.capacityTotal = parseDouble(cap[2], 'commitLogDirCapacity');
  out.capacityFree = parseDouble(cap[6], 'commitLogDirCapacity');
  for (const k of ['sendThreadPoolQueueHeadWaitTimeMills', 'queryThreadPoolQueueHeadWaitTimeMills']) out[k] = parseLong(t[k], k);
  out.remainHowManyDataToFlush = parseDouble(t.remainHowManyDataToFlush?.split(' ')[0], 'remainHowManyDataToFlush');
  for (const k of [
    'msgGetTotalTodayNow', 'queryThreadPoolQueueSize', 'bootTimestamp', 'msgPutTotalYesterdayMorning', 'msgGetTotalYesterdayMorning', 'pullThreadPoolQueueSize',
    'commitLogMinOffset', 'pullThreadPoolQueueHeadWaitTimeMills', 'dispatchMaxBuffer', 'brokerVersion', 'pageCacheLockTimeMills', 'commitLogMaxOffset',
    'getMessageEntireTimeMax', 'msgPutTotalTodayMorning', 'putMessageTimesTotal', 'msgGetTotalTodayMorning', 'sendThreadPoolQueueSize',
    'startAcceptSendRequestTimeStamp', 'putMessageEntireTimeMax', 'earliestMessageTimeStamp', 'remainTransientStoreBufferNumbs', 'queryThreadPoolQueueCapacity',
    'dispatchBehindBytes', 'putMessageSizeTotal', 'sendThreadPoolQueueCapacity', 'pullThreadPoolQueueCapacity',
  ]) out[k] = parseLong(t[k], k);
  for (const k of ['consumeQueueDiskRatio', 'commitLogDiskRatio', 'putMessageAverageSize']) out[k] = parseDouble(t[k], k);
  if (typeof t.runtime !== 'string' || typeof t.brokerVersionDesc !== 'string') throw new Error('exporter: runtime/brokerVersionDesc missing');
  out.putLatency99 = parseDouble(t.putLatency99 ?? '-1', 'putLatency99');
  out.putLatency999 = parseDouble(t.putLatency999 ?? '-1', 'putLatency999');
  return out;
}

describe("rocketmq-exporter's and the Dashboard's admin calls", () => {
  it('answers every call the exporter makes, in the shapes it decodes, with figures that match what was sent and consumed', { timeout: 60_000 }, async () => {
    const c = await startCluster({ brokers: [{ name: 'broker-a' }] });
    const cl = clientsFor(c);
    const ns = c.namesrvAddrs[0] as string;
    const master = c.broker('broker-a').addr;
    const vip = `127.0.0.1:${c.broker('broker-a').port - 2}`;
    const call = (addr: string, code: number, extFields?: ExtFields) => cl.remoting.request(addr, createRequest(code, extFields === undefined ? {} : { extFields }), 5_000);
    const ok = async (addr: string, code: number, extFields?: ExtFields) => {
      const r = await call(addr, code, extFields);
      expect(r.code, `${code}: ${r.remark}`).toBe(ResponseCode.SUCCESS);
      return r;
    };

    const topic = 'ExporterTopic';
    const group = 'ExporterGroup';
    const producerGroup = 'ExporterPG';
    const N = 12;
    await createTopic(cl, c, master, topic, 2);
    // ali-ons as the producer: it heartbeats its producer group to the brokers, as Java clients do
    const p = aliProducer(c.namesrvAddr, producerGroup, { heartbeatBrokerInterval: 1_000 });
    onTestFinished(() => p.close());
    await p.ready();
    let bytesSent = 0;
    for (let i = 0; i < N; i++) {
      const body = `message ${i}`;
      bytesSent += body.length;
      expect((await p.send(aliMessage(topic, null, body))).sendStatus).toBe('SEND_OK');
    }
    // the producer's heartbeat registers its group on the broker
    await waitFor(async () => (await call(master, RequestCode.GET_ALL_PRODUCER_INFO, {})).body?.toString().includes(producerGroup), { what: 'the producer to be registered' });

    // before anyone consumes: diff N
    // examineBrokerClusterInfo: GET_BROKER_CLUSTER_INFO to a NameServer, no header
    const cluster = json(await ok(ns, RequestCode.GET_BROKER_CLUSTER_INFO));
    expect((cluster.clusterAddrTable as Json).DefaultCluster).toEqual(['broker-a']);
    const brokerAddrs = ((cluster.brokerAddrTable as Json)['broker-a'] as Json).brokerAddrs as Json;
    expect(brokerAddrs['0']).toBe(master);

    // fetchAllTopicList: GET_ALL_TOPIC_LIST_FROM_NAMESERVER, no header
    expect((json(await ok(ns, RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER)).topicList as string[]).includes(topic)).toBe(true);

    // examineTopicStats: GET_ROUTEINFO_BY_TOPIC {topic} to the NameServer, GET_TOPIC_STATS_INFO {topic} to each master
    const route = json(await ok(ns, RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic }));
    expect((route.brokerDatas as Json[]).map((b) => b.brokerName)).toEqual(['broker-a']);
    const topicStats = json(await ok(master, RequestCode.GET_TOPIC_STATS_INFO, { topic }));
    const offsets = mqEntries(topicStats.offsetTable);
    expect(offsets.map(([mq]) => mq.queueId)).toEqual([0, 1]);
    expect(offsets.reduce((n, [, o]) => n + (o.maxOffset as number), 0)).toBe(N);

    const consumer = await startConsumer(c, group, topic);
    await waitFor(() => consumer.received.length >= N, { timeout: 15_000, what: `${N} messages consumed` });
    // the consumer's offsets reach the broker (committed with pulls and persisted every 500 ms)
    const consumeStatsOf = async () => json(await ok(master, RequestCode.GET_CONSUME_STATS, { consumerGroup: group, topic }));
    await waitFor(async () => mqEntries((await consumeStatsOf()).offsetTable).reduce((n, [, o]) => n + (o.consumerOffset as number), 0) === N, { timeout: 15_000, what: 'the committed offsets' });

    // queryTopicConsumeByWho: QUERY_TOPIC_CONSUME_BY_WHO {topic}
    expect(json(await ok(master, RequestCode.QUERY_TOPIC_CONSUME_BY_WHO, { topic })).groupList).toContain(group);

    // examineConsumerConnectionInfo: GET_CONSUMER_CONNECTION_LIST {consumerGroup}; the exporter reads connectionSet and messageModel
    const conn = json(await ok(master, RequestCode.GET_CONSUMER_CONNECTION_LIST, { consumerGroup: group }));
    const connections = conn.connectionSet as Json[];
    expect(connections).toHaveLength(1);
    expect(conn.messageModel).toBe('CLUSTERING');
    expect(connections[0]).toMatchObject({ clientId: consumer.consumer.clientId, language: 'JAVA' });
    expect(String(connections[0]?.clientAddr)).toMatch(/^127\.0\.0\.1:\d+$/);

    // examineConsumeStats(group, topic): GET_CONSUME_STATS {consumerGroup, topic}; computeTotalDiff = Σ brokerOffset − consumerOffset
    const consumeStats = await consumeStatsOf();
    const queues = mqEntries(consumeStats.offsetTable);
    expect(queues.map(([mq]) => [mq.topic, mq.brokerName, mq.queueId])).toEqual([[topic, 'broker-a', 0], [topic, 'broker-a', 1]]);
    expect(queues.reduce((n, [, o]) => n + (o.brokerOffset as number) - (o.consumerOffset as number), 0)).toBe(0);
    expect(typeof consumeStats.consumeTps).toBe('number');

    // getConsumerRunningInfo (ClientMetricTaskRunnable): GET_CONSUMER_RUNNING_INFO {consumerGroup, clientId, jstackEnable}, forwarded to the client
    const running = json(await ok(master, RequestCode.GET_CONSUMER_RUNNING_INFO, { consumerGroup: group, clientId: consumer.consumer.clientId, jstackEnable: 'false' }));
    // (our client keeps no per-topic consume rates: its statusTable is empty, which the exporter skips)
    expect(running.statusTable).toEqual({});
    expect(mqEntries(running.mqTable).map(([mq]) => mq.topic)).toContain(topic);

    // getAllProducerInfo: GET_ALL_PRODUCER_INFO with GetAllProducerInfoRequestHeader (no fields)
    const producers = (json(await ok(master, RequestCode.GET_ALL_PRODUCER_INFO, {})).data as Record<string, Json[]>)[producerGroup];
    expect(producers).toHaveLength(1);
    expect(producers?.[0]?.clientId).toMatch(/@/);
    expect(String(producers?.[0]?.remoteIP)).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(Object.keys(producers?.[0] ?? {}).sort()).toEqual(['clientId', 'language', 'lastUpdateTimestamp', 'remoteIP', 'version']);

    // fetchBrokerRuntimeStats: GET_BROKER_RUNTIME_INFO, no header — parsed as the exporter parses it
    const runtime = json(await ok(master, RequestCode.GET_BROKER_RUNTIME_INFO)).table as Record<string, string>;
    const stats = exporterBrokerRuntimeStats(runtime);
    expect(stats.msgPutTotalTodayNow).toBe(N);
    expect(stats.msgGetTotalTodayNow).toBe(N);
    expect(stats.putMessageTimesTotal).toBe(N);
    expect(stats.capacityTotal).toBeGreaterThan(0);
    expect(Object.keys(stats).filter((k) => k.startsWith('pmdt'))).toHaveLength(13);
    // the slave-diff task reads commitLogMaxOffset of master and slave
    expect(stats.commitLogMaxOffset).toBeGreaterThan(0);

    // viewBrokerStatsData: VIEW_BROKER_STATS_DATA {statsName, statsKey}; the exporter reads statsMinute.tps or .sum.
    // Figures appear with the broker's 10-second sample, as in Java.
    const view = (statsName: string, statsKey: string) => call(master, RequestCode.VIEW_BROKER_STATS_DATA, { statsName, statsKey });
    const minuteSum = async (statsName: string, statsKey: string) => {
      const r = await view(statsName, statsKey);
      return r.code === ResponseCode.SUCCESS ? ((json(r).statsMinute as Json).sum as number) : undefined;
    };
    await waitFor(async () => (await minuteSum('GROUP_GET_NUMS', `${topic}@${group}`)) === N, { timeout: 15_000, interval: 250, what: 'the stats sample' });
    const expected: [string, string, number][] = [
      ['TOPIC_PUT_NUMS', topic, N],
      ['GROUP_GET_NUMS', `${topic}@${group}`, N],
      ['BROKER_PUT_NUMS', 'DefaultCluster', N],
      ['BROKER_GET_NUMS', 'DefaultCluster', N],
    ];
    for (const [name, key, n] of expected) expect(await minuteSum(name, key), `${name} ${key}`).toBe(n);
    // sizes are stored record sizes: more than the bodies, and the same for put and get
    const putSize = (await minuteSum('TOPIC_PUT_SIZE', topic)) as number;
    expect(putSize).toBeGreaterThan(bytesSent);
    expect(await minuteSum('GROUP_GET_SIZE', `${topic}@${group}`)).toBe(putSize);
    const full = json(await view('TOPIC_PUT_NUMS', topic));
    expect(Object.keys(full).sort()).toEqual(['statsDay', 'statsHour', 'statsMinute']);
    expect(Object.keys(full.statsMinute as Json).sort()).toEqual(['avgpt', 'sum', 'tps']);
    expect((full.statsMinute as Json).tps).toBeGreaterThan(0);
    expect(/"tps":\d+\.\d+/.test((await view('TOPIC_PUT_NUMS', topic)).body?.toString() ?? '')).toBe(true);
    // nothing sent back yet: Java answers SYSTEM_ERROR "not exist", which the exporter skips quietly
    const none = await view('SNDBCK_PUT_NUMS', `${topic}@${group}`);
    expect(none.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(none.remark).toBe(`The stats <SNDBCK_PUT_NUMS> <${topic}@${group}> not exist`);

    // the same calls on the VIP channel (port − 2: MixAll.brokerVIPChannel when vipChannelEnabled)
    expect(mqEntries(json(await ok(vip, RequestCode.GET_TOPIC_STATS_INFO, { topic })).offsetTable)).toHaveLength(2);

    // Dashboard: producer connections by group (ProducerController), consume stats of the whole broker, broker config
    const pconn = json(await ok(master, RequestCode.GET_PRODUCER_CONNECTION_LIST, { producerGroup }));
    expect((pconn.connectionSet as Json[]).map((x) => x.clientId)).toEqual([producers?.[0]?.clientId]);
    const missing = await call(master, RequestCode.GET_PRODUCER_CONNECTION_LIST, { producerGroup: 'NoSuchPG' });
    expect([missing.code, missing.remark]).toEqual([ResponseCode.SYSTEM_ERROR, 'the producer group[NoSuchPG] not exist']);
    const all = json(await ok(master, RequestCode.GET_BROKER_CONSUME_STATS, { isOrder: 'false' }));
    expect(all.brokerAddr).toBe(master);
    expect(all.totalDiff).toBe(0);
    const mine = (all.consumeStatsList as Json[]).find((m) => group in m)?.[group] as Json[];
    // one ConsumeStats per topic the group has offsets for: the topic and the group's retry topic
    const byTopic = new Map(mine.map((st) => [mqEntries(st.offsetTable)[0]?.[0].topic, st]));
    expect([...byTopic.keys()].sort()).toEqual([`%RETRY%${group}`, topic]);
    expect(mqEntries(byTopic.get(topic)?.offsetTable).reduce((n, [, o]) => n + (o.consumerOffset as number), 0)).toBe(N);
    // Dashboard (consumer time spans): QUERY_CONSUME_TIME_SPAN {topic, group}; all consumed, nothing waits
    const spans = (json(await ok(master, RequestCode.QUERY_CONSUME_TIME_SPAN, { topic, group })).consumeTimeSpanSet as Json[]).sort((a, b) => ((a.messageQueue as Json).queueId as number) - ((b.messageQueue as Json).queueId as number));
    expect(spans.map((x) => x.messageQueue)).toEqual([0, 1].map((queueId) => ({ brokerName: 'broker-a', queueId, topic })));
    for (const x of spans) {
      expect(Object.keys(x).sort()).toEqual(['consumeTimeStamp', 'delayTime', 'maxTimeStamp', 'messageQueue', 'minTimeStamp']);
      expect(x.minTimeStamp as number).toBeGreaterThan(0);
      expect(x.maxTimeStamp as number).toBeGreaterThanOrEqual(x.minTimeStamp as number);
      // the last consumed message is the last stored one
      expect(x.consumeTimeStamp).toBe(x.maxTimeStamp);
      expect(x.delayTime).toBe(0);
    }
    const config = await ok(master, RequestCode.GET_BROKER_CONFIG);
    expect(config.body?.toString()).toMatch(/^brokerName=broker-a$/m);
    expect(JSON.parse(config.extFields?.version ?? '')).toMatchObject({ counter: 0 });

    // more messages, not consumed (the consumer stops first): the diff the exporter computes follows
    await consumer.consumer.shutdown();
    for (let i = 0; i < 5; i++) await p.send(aliMessage(topic, null, `late ${i}`));
    const late = mqEntries((await consumeStatsOf()).offsetTable);
    expect(late.reduce((n, [, o]) => n + (o.brokerOffset as number) - (o.consumerOffset as number), 0)).toBe(5);
    expect(json(await ok(master, RequestCode.GET_BROKER_CONSUME_STATS, { isOrder: 'false' })).totalDiff).toBe(5);
    const waiting = json(await ok(master, RequestCode.QUERY_CONSUME_TIME_SPAN, { topic, group })).consumeTimeSpanSet as Json[];
    expect(waiting.some((x) => (x.delayTime as number) > 0 && (x.maxTimeStamp as number) > (x.consumeTimeStamp as number))).toBe(true);
    expect((await call(master, RequestCode.QUERY_CONSUME_TIME_SPAN, { topic: 'NoSuchTopic', group })).code).toBe(ResponseCode.TOPIC_NOT_EXIST);
  });
});
