/**
 * bench/scale: how rmqd's costs grow with the work (issue #22, "Cost as the work grows" and
 * "Memory"). Real `rmqd namesrv` + `rmqd broker` processes (dist/rmqd.js, the flags deploy uses),
 * a fresh cluster for every step of every curve:
 *   idle        — RSS of a NameServer and a broker at rest, split into heap / external / code,
 *                 against a bare `node` process measured in the same run.
 *   topics      — 1 → 100 → 10,000 topics on one broker: creation rate, REGISTER_BROKER body size
 *                 and NameServer handling time, NameServer and broker RSS, pipelined route lookups/s,
 *                 send throughput spread over all topics (our producer, binary headers), restart time.
 *   connections — 10 → 100 → 1,000 producer connections: broker RSS idle-connected and under a
 *                 light load (per 1,000 connections), closed-loop throughput.
 *   groups      — 1 → 10 → 100 consumer groups reading one topic: broker CPU per delivered message,
 *                 RSS, pulls and offset commits per second.
 * Each curve is printed as a table; a cost per unit that grows between steps (or a rate that falls)
 * is flagged (scale-table.ts). The launcher `bench/scale` builds the runtime and this file.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { BrokerApi } from '../../src/client/broker-api.js';
import { PushConsumer } from '../../src/client/consumer/push-consumer.js';
import { Producer } from '../../src/client/producer.js';
import { encodeHeader } from '../../src/protocol/header-spec.js';
import { GetRouteInfoRequestHeader } from '../../src/protocol/headers/namesrv.js';
import { RequestCode, ResponseCode } from '../../src/remoting/codes.js';
import { createRequest } from '../../src/remoting/command.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { sendRequest } from '../../src/client/send-request.js';
import { mapSettled } from '../../src/util/concurrency.js';
import { startBenchCluster, until, type BenchCluster } from '../rmqd-cluster.js';
import { freePorts, processCpuSeconds, stopAll, track } from './processes.js';
import { brokerTopicTable, heapParts, registrationCost, requestCount, rssMiB, rssParts, scrape, type HeapParts, type RegistrationCost } from './scale-probes.js';
import { checkGrowth, table, type Column, type Finding } from './scale-table.js';

const CURVES = ['idle', 'topics', 'connections', 'groups'] as const;
type Curve = (typeof CURVES)[number];

const USAGE = `usage: bench/scale [options]
  --curves LIST        which curves, comma-separated (default ${CURVES.join(',')})
  --topics LIST        topic counts on one broker (default 1,100,10000)
  --connections LIST   producer connection counts (default 10,100,1000)
  --groups LIST        consumer group counts on one topic (default 1,10,100)
  --queues N           queues of each topic (default 4)
  --seconds N          length of each timed phase (route lookups, sends, load; default 5)
  --window N           requests in flight for route lookups and sends (default 64)
  --size N             body bytes (default 256)
  --group-messages N   messages produced for the consumer-group curve (default 2000)
  --group-rate N       their rate, msg/s (default 500)
  --no-restart         skip the broker restart of the topics curve
  --json               the result as JSON on standard output (tables go to stderr)`;

interface Options {
  curves: Curve[];
  topics: number[];
  connections: number[];
  groups: number[];
  queues: number;
  seconds: number;
  window: number;
  size: number;
  groupMessages: number;
  groupRate: number;
  restart: boolean;
}

function parse(argv: string[]): Options | { help: true } | { error: string } {
  let a;
  try {
    a = parseArgs({
      args: argv,
      options: {
        curves: { type: 'string', default: CURVES.join(',') },
        topics: { type: 'string', default: '1,100,10000' },
        connections: { type: 'string', default: '10,100,1000' },
        groups: { type: 'string', default: '1,10,100' },
        queues: { type: 'string', default: '4' },
        seconds: { type: 'string', default: '5' },
        window: { type: 'string', default: '64' },
        size: { type: 'string', default: '256' },
        'group-messages': { type: 'string', default: '2000' },
        'group-rate': { type: 'string', default: '500' },
        'no-restart': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (e) {
    return { error: (e as Error).message };
  }
  if (a.help) return { help: true };
  const num = (name: string, v: string, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
    return n;
  };
  const list = (name: string, v: string, min: number, max: number) => v.split(',').map((s) => num(name, s.trim(), min, max));
  try {
    const curves = a.curves.split(',').map((c) => c.trim());
    const bad = curves.find((c) => !(CURVES as readonly string[]).includes(c));
    if (bad !== undefined) throw new Error(`--curves: unknown curve ${JSON.stringify(bad)}; expected some of ${CURVES.join(', ')}`);
    return {
      curves: curves as Curve[],
      topics: list('topics', a.topics, 1, 100_000),
      connections: list('connections', a.connections, 1, 5_000),
      groups: list('groups', a.groups, 1, 1_000),
      queues: num('queues', a.queues, 1, 64),
      seconds: num('seconds', a.seconds, 1, 600),
      window: num('window', a.window, 1, 10_000),
      size: num('size', a.size, 1, 4 * 1024 * 1024),
      groupMessages: num('group-messages', a['group-messages'], 1),
      groupRate: num('group-rate', a['group-rate'], 1),
      restart: !a['no-restart'],
    };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

type Log = (line: string) => void;

/** Runs `fn` with at most `window` calls in flight until `seconds` pass; calls completed per second. */
async function closedLoop(seconds: number, window: number, fn: (i: number) => Promise<void>): Promise<{ perSec: number; done: number; wallSeconds: number }> {
  let i = 0;
  let done = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: window }, async () => {
      while (performance.now() < end) {
        await fn(i++);
        done++;
      }
    }),
  );
  const wallSeconds = (performance.now() - t0) / 1000;
  return { perSec: done / wallSeconds, done, wallSeconds };
}

/** mapSettled that throws the first failure (with what failed). */
async function allOf<I>(what: string, items: readonly I[], limit: number, fn: (item: I, index: number) => Promise<unknown>): Promise<void> {
  const failed = (await mapSettled(items, limit, fn)).find((r) => !r.ok);
  if (failed !== undefined) throw new Error(`${what} failed: ${(failed.error as Error)?.message ?? String(failed.error)}`);
}

/** CPU cores this process (the bench's clients) used since the call. */
function clientCpuMeter(): () => number {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1e6 / ((performance.now() - t0) / 1000);
  };
}

/** CPU cores a process used between two readings. */
function cpuMeter(pid: number | undefined): () => number {
  const c0 = pid === undefined ? 0 : processCpuSeconds(pid);
  const t0 = performance.now();
  return () => (pid === undefined ? Number.NaN : (processCpuSeconds(pid) - c0) / ((performance.now() - t0) / 1000));
}

async function cluster(rmqd: string, properties: Record<string, string | number> = {}): Promise<BenchCluster> {
  return startBenchCluster(rmqd, [{ brokerName: 'scale-a', properties: { flushDiskType: 'ASYNC_FLUSH', ...properties } }], (p) => track(p));
}

// ---------------------------------------------------------------- idle

interface IdleRow {
  what: string;
  rss: number;
  anon: number;
  file: number;
  heapUsed?: number;
  heapTotal?: number;
  external?: number;
}

/** RSS once it has not moved by more than 0.2 MiB for a second (at most 15 s). */
async function settledRss(pid: number | undefined): Promise<number> {
  let last = rssMiB(pid);
  const end = Date.now() + 15_000;
  while (Date.now() < end) {
    await sleep(1_000);
    const now = rssMiB(pid);
    if (Math.abs(now - last) < 0.2) return now;
    last = now;
  }
  return last;
}

async function bareNode(args: string[]): Promise<IdleRow & { args: string }> {
  const p = spawn(process.execPath, [...args, '-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  track(p);
  try {
    await until(async () => (rssMiB(p.pid) > 0 ? true : undefined), 'node to start');
    const rss = await settledRss(p.pid);
    const parts = rssParts(p.pid);
    return { what: `bare node ${args.join(' ')}`.trim(), args: args.join(' '), rss, anon: parts.anon, file: parts.file };
  } finally {
    p.kill('SIGKILL');
  }
}

async function idleCurve(rmqd: string, log: Log): Promise<{ rows: IdleRow[]; spaces: Record<string, number> }> {
  const rows: IdleRow[] = [];
  log('idle: a bare node process (the runtime floor)');
  rows.push(await bareNode([]));
  rows.push(await bareNode(['--initial-old-space-size=256']));
  log('idle: namesrv + broker, metrics off (as deploy runs them by default)');
  let c = await cluster(rmqd);
  try {
    const broker = c.brokers[0]!.proc.pid;
    const ns = c.namesrv.proc.pid;
    const b = await settledRss(broker);
    rows.push({ what: 'rmqd broker', rss: b, ...rssParts(broker) });
    rows.push({ what: 'rmqd namesrv', rss: rssMiB(ns), ...rssParts(ns) });
  } finally {
    await c.stop();
  }
  log('idle: broker with metricsPort on (to read its heap)');
  const [port] = await freePorts(1);
  c = await cluster(rmqd, { metricsPort: port! });
  let spaces: Record<string, number> = {};
  try {
    const broker = c.brokers[0]!.proc.pid;
    const rss = await settledRss(broker);
    const h: HeapParts = heapParts(await scrape(port!));
    spaces = h.spaces;
    rows.push({ what: 'rmqd broker, metrics on', rss, ...rssParts(broker), heapUsed: h.heapUsed, heapTotal: h.heapTotal, external: h.external });
  } finally {
    await c.stop();
  }
  return { rows, spaces };
}

// ---------------------------------------------------------------- topics

interface TopicsRow {
  topics: number;
  createSeconds: number;
  createPerSec: number;
  reg: RegistrationCost;
  namesrvRss: number;
  brokerRss: number;
  lookupsPerSec: number;
  routeWarmSeconds: number;
  /** Sends of the first pass (many the first of their queue), per second. */
  firstPerSec: number;
  /** Sends of the second pass (every queue written before), per second; CPU is of this pass. */
  sendPerSec: number;
  sendBrokerCpu: number;
  sendClientCpu: number;
  brokerRssAfterSend: number;
  stopSeconds?: number;
  startSeconds?: number;
  /** Why the restart did not finish (the broker's last words). */
  restartProblem?: string;
}

const topicName = (i: number) => `ScaleTopic-${String(i).padStart(6, '0')}`;

async function topicsStep(rmqd: string, n: number, o: Options, log: Log): Promise<TopicsRow> {
  const c = await cluster(rmqd);
  const broker = c.brokers[0]!;
  const api = new BrokerApi(c.remoting);
  const names = Array.from({ length: n }, (_, i) => topicName(i));
  try {
    // creation: UPDATE_AND_CREATE_TOPIC, 32 in flight (the broker coalesces its table writes and registrations)
    let created = 0;
    const progress = setInterval(() => log(`  topics ${n}: ${created.toLocaleString('en-US')} created`), 5_000);
    const t0 = performance.now();
    try {
      await allOf('creating a topic', names, 32, async (t) => {
        await api.createTopic(broker.addr, { topicName: t, readQueueNums: o.queues, writeQueueNums: o.queues, perm: 6 });
        created++;
      });
    } finally {
      clearInterval(progress);
    }
    const last = names[n - 1]!;
    await until(async () => ((await c.admin.topicRoute(last))?.queueDatas.length ? true : undefined), `the route of ${last}`, 120_000);
    const createSeconds = (performance.now() - t0) / 1000;
    log(`  topics ${n}: created in ${createSeconds.toFixed(1)} s; replaying the registration at the NameServer`);
    const table0 = await brokerTopicTable(c.remoting, broker.addr);
    const reg = await registrationCost(c.remoting, c.namesrvAddr, table0);
    const namesrvRss = rssMiB(c.namesrv.proc.pid);
    const brokerRss = rssMiB(broker.proc.pid);

    log(`  topics ${n}: route lookups, ${o.window} in flight, ${o.seconds} s`);
    const lookups = new RemotingClient({ serializeType: 'ROCKETMQ' });
    let lookupsPerSec: number;
    try {
      const r = await closedLoop(o.seconds, o.window, async (i) => {
        const req = createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { extFields: encodeHeader(GetRouteInfoRequestHeader, { topic: names[i % n]!, acceptStandardJsonOnly: true }) });
        const res = await lookups.request(c.namesrvAddr, req, 10_000);
        if (res.code !== ResponseCode.SUCCESS) throw new Error(`route of ${names[i % n]} answered ${res.code}`);
      });
      lookupsPerSec = r.perSec;
    } finally {
      lookups.shutdown();
    }

    log(`  topics ${n}: sends spread over all topics, ${o.window} in flight, ${o.seconds} s`);
    const producer = new Producer({ namesrvAddrs: [c.namesrvAddr], producerGroup: 'scale_topics', serializeType: 'ROCKETMQ', autoCreateTopic: false });
    let sendPerSec: number;
    let sendBrokerCpu: number;
    let sendClientCpu: number;
    let firstPerSec: number;
    let routeWarmSeconds: number;
    try {
      const w0 = performance.now();
      await allOf('a route lookup', names, o.window, (t) => producer.route(t));
      routeWarmSeconds = (performance.now() - w0) / 1000;
      const body = Buffer.alloc(o.size, 0x61);
      const sendAll = (offset: number) =>
        closedLoop(o.seconds, o.window, async (i) => {
          const res = await producer.send({ topic: names[(i + offset) % n]!, body });
          if (res.sendStatus !== 'SEND_OK') throw new Error(`send status ${res.sendStatus}`);
        });
      // first pass: many sends are the first of their queue (a new consume queue, a new file at the next flush)
      firstPerSec = (await sendAll(0)).perSec;
      log(`  topics ${n}: sends again (queues written before), ${o.seconds} s`);
      const cpu = cpuMeter(broker.proc.pid);
      const client = clientCpuMeter();
      const r = await sendAll(Math.floor(n / 2));
      sendBrokerCpu = cpu();
      sendClientCpu = client();
      sendPerSec = r.perSec;
    } finally {
      producer.shutdown();
    }
    const brokerRssAfterSend = rssMiB(broker.proc.pid);
    const row: TopicsRow = { topics: n, createSeconds, createPerSec: n / createSeconds, reg, namesrvRss, brokerRss, lookupsPerSec, routeWarmSeconds, firstPerSec, sendPerSec, sendBrokerCpu, sendClientCpu, brokerRssAfterSend };
    if (o.restart) {
      log(`  topics ${n}: broker restart (SIGTERM, start, registered with every topic)`);
      const s0 = performance.now();
      const gone = new Promise<void>((resolve) => broker.proc.once('exit', () => resolve()));
      const restarted = broker.restart('SIGTERM');
      await gone;
      row.stopSeconds = (performance.now() - s0) / 1000;
      await restarted;
      track(broker.proc);
      const s1 = performance.now();
      try {
        await until(async () => ((await c.admin.topicRoute(last))?.queueDatas.length ? true : undefined), 'the broker back with its topics', 180_000);
        row.startSeconds = (performance.now() - s1) / 1000;
      } catch (e) {
        row.restartProblem = `${(e as Error).message}; broker said: ${broker.output().trim().split('\n').slice(-3).join(' | ').slice(0, 600)}`;
        log(`  topics ${n}: ${row.restartProblem}`);
      }
    }
    return row;
  } finally {
    await c.stop();
  }
}

const topicColumns: Column<TopicsRow>[] = [
  { title: 'topics', value: (r) => r.topics },
  { title: 'create/s', value: (r) => r.createPerSec, growth: 'flat' },
  { title: 'reg body KiB', value: (r) => r.reg.bodyBytes / 1024, digits: 1, growth: 'linear' },
  { title: 'zlib KiB', value: (r) => r.reg.compressedBytes / 1024, digits: 1 },
  { title: 'reg ms (changed)', value: (r) => r.reg.changedMs, digits: 2, growth: 'linear' },
  { title: 'reg ms (periodic)', value: (r) => r.reg.periodicMs, digits: 2, growth: 'linear' },
  { title: 'reg ms (zlib)', value: (r) => r.reg.compressedChangedMs, digits: 2 },
  { title: 'namesrv MiB', value: (r) => r.namesrvRss, digits: 1 },
  { title: 'broker MiB', value: (r) => r.brokerRss, digits: 1 },
  { title: 'lookups/s', value: (r) => r.lookupsPerSec, growth: 'flat' },
  { title: 'send msg/s 1st', value: (r) => r.firstPerSec },
  { title: 'send msg/s', value: (r) => r.sendPerSec, growth: 'flat' },
  { title: 'broker µs/msg', value: (r) => (r.sendBrokerCpu / r.sendPerSec) * 1e6, digits: 1, growth: 'constant' },
  { title: 'client cores', value: (r) => r.sendClientCpu, digits: 2 },
  { title: 'broker MiB after', value: (r) => r.brokerRssAfterSend, digits: 1 },
  { title: 'stop s', value: (r) => r.stopSeconds, digits: 2, growth: 'linear' },
  { title: 'start s', value: (r) => r.startSeconds, digits: 2, growth: 'linear' },
];

// ---------------------------------------------------------------- connections

interface ConnectionsRow {
  connections: number;
  rssBefore: number;
  rssIdle: number;
  rssLight: number;
  idlePer1000: number;
  lightPer1000: number;
  lightRate: number;
  perSec: number;
  brokerCpu: number;
  clientCpu: number;
  rssLoaded: number;
}

async function connectionsStep(rmqd: string, n: number, o: Options, log: Log): Promise<ConnectionsRow> {
  const c = await cluster(rmqd);
  const broker = c.brokers[0]!;
  const pid = broker.proc.pid;
  const api = new BrokerApi(c.remoting);
  const topic = 'ScaleConnections';
  const clients: RemotingClient[] = [];
  try {
    await api.createTopic(broker.addr, { topicName: topic, readQueueNums: o.queues, writeQueueNums: o.queues, perm: 6 });
    const rssBefore = await settledRss(pid);
    const body = Buffer.alloc(o.size, 0x61);
    let seq = 0;
    const send = async (k: number) => {
      const req = sendRequest({ producerGroup: 'scale_connections', topic, defaultTopicQueueNums: '4', queueId: k % o.queues, sysFlag: 0, bornTimestamp: Date.now(), flag: 0, properties: `UNIQ_KEY\u0001scale-${k}-${seq++}\u0002`, batch: false, body });
      const res = await clients[k]!.request(broker.addr, req, 30_000);
      if (res.code !== ResponseCode.SUCCESS) throw new Error(`send answered ${res.code} ${res.remark ?? ''}`);
    };
    log(`  connections ${n}: connecting, one send each`);
    for (let k = 0; k < n; k++) clients.push(new RemotingClient({ serializeType: 'ROCKETMQ', probeSilentPeerAfterMillis: 0 }));
    await allOf("a connection's first send", clients, 50, (_, k) => send(k));
    const rssIdle = await settledRss(pid);
    // light load: 1,000 msg/s in all, each connection its share (at least one send per connection per phase)
    const lightRate = 1_000;
    log(`  connections ${n}: light load ${lightRate} msg/s spread over every connection, ${o.seconds} s`);
    const perConnGap = (n / lightRate) * 1000;
    const lightEnd = performance.now() + o.seconds * 1000;
    await Promise.all(
      clients.map(async (_, k) => {
        await sleep(Math.random() * perConnGap);
        while (performance.now() < lightEnd) {
          const t = performance.now();
          await send(k);
          await sleep(Math.max(0, perConnGap - (performance.now() - t)));
        }
      }),
    );
    const rssLight = rssMiB(pid);
    log(`  connections ${n}: closed loop, one send in flight per connection, ${o.seconds} s`);
    const cpu = cpuMeter(pid);
    const client = clientCpuMeter();
    const loop = await closedLoop(o.seconds, n, async (i) => send(i % n));
    const brokerCpu = cpu();
    const clientCpu = client();
    const rssLoaded = rssMiB(pid);
    return {
      connections: n,
      rssBefore,
      rssIdle,
      rssLight,
      idlePer1000: ((rssIdle - rssBefore) / n) * 1000,
      lightPer1000: ((rssLight - rssBefore) / n) * 1000,
      lightRate,
      perSec: loop.perSec,
      brokerCpu,
      clientCpu,
      rssLoaded,
    };
  } finally {
    for (const cl of clients) cl.shutdown();
    await c.stop();
  }
}

/**
 * MiB per 1,000 connections between the first step and `r`. The first step itself: against the
 * broker before any connection when idle; under load not at all (the load's own garbage would count).
 */
function per1000(rows: readonly ConnectionsRow[], r: ConnectionsRow, rss: (x: ConnectionsRow) => number, idle: boolean): number {
  const first = rows[0]!;
  if (r === first) return idle ? ((rss(r) - r.rssBefore) / r.connections) * 1000 : Number.NaN;
  return ((rss(r) - rss(first)) / (r.connections - first.connections)) * 1000;
}

function connectionColumns(rows: readonly ConnectionsRow[]): Column<ConnectionsRow>[] {
  return [
    { title: 'connections', value: (r) => r.connections },
    { title: 'RSS before', value: (r) => r.rssBefore, digits: 1 },
    { title: 'RSS idle', value: (r) => r.rssIdle, digits: 1 },
    { title: 'idle MiB/1000 conn', value: (r) => per1000(rows, r, (x) => x.rssIdle, true), digits: 1 },
    { title: 'RSS light load', value: (r) => r.rssLight, digits: 1 },
    { title: 'light MiB/1000 conn', value: (r) => per1000(rows, r, (x) => x.rssLight, false), digits: 1 },
    { title: 'msg/s (closed loop)', value: (r) => r.perSec },
    { title: 'broker µs/msg', value: (r) => (r.brokerCpu / r.perSec) * 1e6, digits: 1, growth: 'constant' },
    { title: 'broker cores', value: (r) => r.brokerCpu, digits: 2 },
    { title: 'client cores', value: (r) => r.clientCpu, digits: 2 },
    { title: 'RSS loaded', value: (r) => r.rssLoaded, digits: 1 },
  ];
}

// ---------------------------------------------------------------- consumer groups

interface GroupsRow {
  groups: number;
  delivered: number;
  seconds: number;
  deliveredPerSec: number;
  brokerCpuSeconds: number;
  cpuMicrosPerDelivered: number;
  pullsPerSec: number;
  commitsPerSec: number;
  brokerRss: number;
  brokerRssBefore: number;
}

async function groupsStep(rmqd: string, g: number, o: Options, log: Log): Promise<GroupsRow> {
  const [port] = await freePorts(1);
  const c = await cluster(rmqd, { metricsPort: port! });
  const broker = c.brokers[0]!;
  const pid = broker.proc.pid;
  const api = new BrokerApi(c.remoting);
  const topic = 'ScaleGroups';
  const consumers: PushConsumer[] = [];
  const received = new Array<number>(g).fill(0);
  const producer = new Producer({ namesrvAddrs: [c.namesrvAddr], producerGroup: 'scale_groups', serializeType: 'ROCKETMQ', autoCreateTopic: false });
  try {
    await api.createTopic(broker.addr, { topicName: topic, readQueueNums: o.queues, writeQueueNums: o.queues, perm: 6 });
    await until(async () => ((await c.admin.topicRoute(topic))?.queueDatas.length ? true : undefined), 'the topic route');
    log(`  groups ${g}: starting ${g} push consumers`);
    for (let k = 0; k < g; k++) {
      const pc = new PushConsumer({ namesrvAddrs: [c.namesrvAddr], consumerGroup: `scale_group_${k}`, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', serializeType: 'ROCKETMQ' });
      pc.subscribe(topic, '*');
      consumers.push(pc);
    }
    await allOf('starting a consumer', consumers, 10, (pc, k) =>
      pc.start(async () => {
        received[k]!++;
      }),
    );
    // every group has its queues (a first message reaches every group)
    await producer.route(topic);
    await producer.send({ topic, body: Buffer.from('warm-up') });
    await until(async () => (received.every((x) => x >= 1) ? true : undefined), 'every group to receive the warm-up message', 120_000);
    const brokerRssBefore = rssMiB(pid);
    const m0 = await scrape(port!);
    const cpu0 = processCpuSeconds(pid!);
    const base = received.map((x) => x);
    const t0 = performance.now();
    log(`  groups ${g}: ${o.groupMessages} messages at ${o.groupRate} msg/s, waiting for every group to receive them`);
    const body = Buffer.alloc(o.size, 0x61);
    const gap = 1000 / o.groupRate;
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < o.groupMessages; i++) {
      const due = t0 + i * gap;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      sends.push(producer.send({ topic, body }));
    }
    await Promise.all(sends);
    const want = o.groupMessages;
    await until(async () => (received.every((x, k) => x - base[k]! >= want) ? true : undefined), 'every group to receive every message', 300_000);
    const seconds = (performance.now() - t0) / 1000;
    const brokerCpuSeconds = processCpuSeconds(pid!) - cpu0;
    const m1 = await scrape(port!);
    const delivered = received.reduce((s, x, k) => s + x - base[k]!, 0);
    return {
      groups: g,
      delivered,
      seconds,
      deliveredPerSec: delivered / seconds,
      brokerCpuSeconds,
      cpuMicrosPerDelivered: (brokerCpuSeconds / delivered) * 1e6,
      pullsPerSec: (requestCount(m1, 'pull_message') - requestCount(m0, 'pull_message')) / seconds,
      commitsPerSec: (requestCount(m1, 'update_consumer_offset') - requestCount(m0, 'update_consumer_offset')) / seconds,
      brokerRss: rssMiB(pid),
      brokerRssBefore,
    };
  } finally {
    producer.shutdown();
    await Promise.all(consumers.map((pc) => pc.shutdown().catch(() => undefined)));
    await c.stop();
  }
}

const groupColumns: Column<GroupsRow>[] = [
  { title: 'groups', value: (r) => r.groups },
  { title: 'delivered', value: (r) => r.delivered },
  { title: 'seconds', value: (r) => r.seconds, digits: 1 },
  { title: 'delivered/s', value: (r) => r.deliveredPerSec },
  { title: 'broker CPU µs/delivered', value: (r) => r.cpuMicrosPerDelivered, digits: 1, growth: 'constant' },
  { title: 'pulls/s', value: (r) => r.pullsPerSec, digits: 0, growth: 'linear' },
  { title: 'offset commits/s', value: (r) => r.commitsPerSec, digits: 1, growth: 'linear' },
  { title: 'RSS before', value: (r) => r.brokerRssBefore, digits: 1 },
  { title: 'RSS after', value: (r) => r.brokerRss, digits: 1 },
];

// ---------------------------------------------------------------- main

export async function main(argv: string[], deps: { rmqd: string }): Promise<number> {
  const parsed = parse(argv);
  if ('help' in parsed) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if ('error' in parsed) {
    process.stderr.write(`${parsed.error}\n${USAGE}\n`);
    return 2;
  }
  const o = parsed;
  const json = argv.includes('--json');
  const out = (l: string) => (json ? process.stderr : process.stdout).write(`${l}\n`);
  const log: Log = (l) => process.stderr.write(`${l}\n`);
  const onSignal = () => void stopAll().finally(() => process.exit(130));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const startedAt = new Date();
  const result: Record<string, unknown> = { date: startedAt.toISOString(), command: `bench/scale ${argv.join(' ')}`.trim() };
  const findings: Finding[] = [];
  try {
    out(`# bench/scale  ${startedAt.toISOString()}  rmqd (this checkout), node ${process.version}`);
    out(`machine: ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; ${o.queues} queues a topic, ${o.size}-byte bodies, ${o.window} in flight, ${o.seconds} s phases`);
    if (o.curves.includes('idle')) {
      log('curve: idle');
      const idle = await idleCurve(deps.rmqd, log);
      out('\n## Idle RSS (MiB; anon = heaps and buffers, file = the node binary and libraries mapped)');
      for (const l of table(idle.rows, [
        { title: 'process', value: (r: IdleRow) => r.what },
        { title: 'RSS', value: (r) => r.rss, digits: 1 },
        { title: 'anon', value: (r) => r.anon, digits: 1 },
        { title: 'file', value: (r) => r.file, digits: 1 },
        { title: 'V8 heap used', value: (r) => r.heapUsed, digits: 1 },
        { title: 'V8 heap total', value: (r) => r.heapTotal, digits: 1 },
        { title: 'external', value: (r) => r.external, digits: 1 },
      ]))
        out(l);
      out(`V8 spaces (reserved MiB): ${Object.entries(idle.spaces).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
      result.idle = idle;
    }
    /** One curve: every step in turn, its table, its growth findings. */
    const curve = async <R>(name: Curve, steps: readonly number[], step: (n: number) => Promise<R>, heading: string, columns: (rows: readonly R[]) => Column<R>[], size: (r: R) => number) => {
      if (!o.curves.includes(name)) return;
      const rows: R[] = [];
      for (const n of steps) {
        log(`curve: ${name}, ${n}`);
        rows.push(await step(n));
      }
      out(`\n## ${heading}`);
      for (const l of table(rows, columns(rows))) out(l);
      findings.push(...checkGrowth(rows, size, columns(rows)));
      result[name] = rows;
    };
    await curve('topics', o.topics, (n) => topicsStep(deps.rmqd, n, o, log), 'Topics on one broker', () => topicColumns, (r) => r.topics);
    await curve('connections', o.connections, (n) => connectionsStep(deps.rmqd, n, o, log), 'Producer connections to one broker (RSS in MiB)', connectionColumns, (r) => r.connections);
    await curve('groups', o.groups, (g) => groupsStep(deps.rmqd, g, o, log), `Consumer groups reading one topic (${o.groupMessages} messages at ${o.groupRate} msg/s; RSS in MiB)`, () => groupColumns, (r) => r.groups);
    out('');
    if (findings.length === 0) out('growth: nothing grew faster than linearly');
    for (const f of findings) out(`growth: ${f.text}`);
    out(`load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; took ${Math.round((Date.now() - startedAt.getTime()) / 1000)} s`);
    result.findings = findings;
    if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`bench/scale failed: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopAll();
  }
}
