/**
 * What bench/scale reads from outside the rmqd processes it starts: resident memory and its parts
 * (/proc/PID/status and smaps_rollup), the Prometheus endpoint's Node.js heap and request counts,
 * and the NameServer's handling time of one REGISTER_BROKER (replayed under a probe identity).
 */
import { readFileSync } from 'node:fs';
import { RequestCode, ResponseCode } from '../../src/remoting/codes.js';
import { createRequest } from '../../src/remoting/command.js';
import type { RemotingClient } from '../../src/remoting/client.js';
import { encodeHeader } from '../../src/protocol/header-spec.js';
import { RegisterBrokerRequestHeader, UnRegisterBrokerRequestHeader } from '../../src/protocol/headers/namesrv.js';
import { bodyCrc } from '../../src/protocol/message/crc32.js';
import { decodeTopicConfigWrapper, encodeRegisterBrokerBody, type TopicConfigSerializeWrapper } from '../../src/protocol/register-broker-body.js';
import { RMQ_PROTOCOL_VERSION } from '../../src/remoting/version.js';

const MiB = 1024 * 1024;

/** Resident set size of a process in MiB (VmRSS); NaN once it is gone. */
export function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** RSS split by kind (smaps_rollup): anonymous (heaps, buffers), file-backed (the node binary's code and data), shared memory. MiB. */
export function rssParts(pid: number | undefined): { anon: number; file: number; shmem: number } {
  const none = { anon: Number.NaN, file: Number.NaN, shmem: Number.NaN };
  if (pid === undefined) return none;
  try {
    const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(t)?.[1] ?? Number.NaN) / 1024;
    return { anon: kb('Anonymous'), file: kb('Rss') - kb('Anonymous') - kb('Shared_Hugetlb') - (Number.isNaN(kb('Shmem')) ? 0 : kb('Shmem')), shmem: kb('Shmem') };
  } catch {
    return none;
  }
}

/** One Prometheus text scrape as `name{labels} value` lines. */
export async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (!res.ok) throw new Error(`/metrics on port ${port} answered ${res.status}`);
  return res.text();
}

/** Sum of every sample of `name` whose labels contain all of `match` (k="v"). */
export function sample(text: string, name: string, match: Record<string, string> = {}): number {
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    if (!Object.entries(match).every(([k, v]) => rest.includes(`${k}="${v}"`))) continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(v)) {
      sum += v;
      found = true;
    }
  }
  return found ? sum : Number.NaN;
}

export interface HeapParts {
  /** V8 heap: used and reserved (total), MiB. */
  heapUsed: number;
  heapTotal: number;
  /** Memory outside the V8 heap owned by JS objects (Buffers, ArrayBuffers), MiB. */
  external: number;
  /** Per V8 space: size reserved, MiB. */
  spaces: Record<string, number>;
}

/** The Node.js heap of a process exposing prom-client's default metrics (prefix rmq_process_). */
export function heapParts(text: string): HeapParts {
  const spaces: Record<string, number> = {};
  for (const m of text.matchAll(/^rmq_process_nodejs_heap_space_size_total_bytes\{space="([a-z_]+)"\} (\d+)/gm)) spaces[m[1]!] = Number(m[2]) / MiB;
  return {
    heapUsed: sample(text, 'rmq_process_nodejs_heap_size_used_bytes') / MiB,
    heapTotal: sample(text, 'rmq_process_nodejs_heap_size_total_bytes') / MiB,
    external: sample(text, 'rmq_process_nodejs_external_memory_bytes') / MiB,
    spaces,
  };
}

/** Requests of one code handled so far (rocketmq_rpc_latency_count), e.g. 'update_consumer_offset'. */
export function requestCount(text: string, code: string): number {
  const n = sample(text, 'rocketmq_rpc_latency_count', { request_code: code });
  return Number.isNaN(n) ? 0 : n;
}

/** The broker's topic table (GET_ALL_TOPIC_CONFIG): what its next REGISTER_BROKER carries. */
export async function brokerTopicTable(remoting: RemotingClient, brokerAddr: string): Promise<TopicConfigSerializeWrapper> {
  const res = await remoting.request(brokerAddr, createRequest(RequestCode.GET_ALL_TOPIC_CONFIG), 30_000);
  if (res.code !== ResponseCode.SUCCESS) throw new Error(`GET_ALL_TOPIC_CONFIG answered ${res.code} ${res.remark ?? ''}`);
  return decodeTopicConfigWrapper(res.body);
}

export interface RegistrationCost {
  /** Body bytes as the broker sends it (JSON) and as the zlib form would be. */
  bodyBytes: number;
  compressedBytes: number;
  /** Broker side: encoding the body (JSON; zlib), ms. */
  encodeMs: number;
  compressMs: number;
  /** Round trip at the NameServer of a registration with a new data version (every queue datum applied), ms, median. */
  changedMs: number;
  /** The same body again (the periodic 30 s registration: only the timestamp refreshed), ms, median. */
  periodicMs: number;
  /** A compressed registration with a new data version, ms, median. */
  compressedChangedMs: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Replays the broker's registration at the NameServer under a probe identity (its own cluster and
 * broker name, so the real broker's entry is untouched), then unregisters it. `rounds` each.
 */
export async function registrationCost(remoting: RemotingClient, namesrvAddr: string, table: TopicConfigSerializeWrapper, rounds = 5): Promise<RegistrationCost> {
  const id = { brokerName: 'scale-probe', brokerAddr: '127.0.0.1:1', clusterName: 'ScaleProbe', haServerAddr: '127.0.0.1:2', brokerId: 0 };
  const body = (version: number, compressed: boolean) => {
    const w: TopicConfigSerializeWrapper = { ...table, dataVersion: { ...table.dataVersion, counter: version, timestamp: Date.now() } };
    return encodeRegisterBrokerBody({ topicConfigSerializeWrapper: w, filterServerList: [] }, { compressed, version: RMQ_PROTOCOL_VERSION });
  };
  const send = async (b: Buffer, compressed: boolean): Promise<number> => {
    const req = createRequest(RequestCode.REGISTER_BROKER, { extFields: encodeHeader(RegisterBrokerRequestHeader, { ...id, compressed, bodyCrc32: bodyCrc(b) }), body: b });
    const t0 = performance.now();
    const res = await remoting.request(namesrvAddr, req, 60_000);
    const ms = performance.now() - t0;
    if (res.code !== ResponseCode.SUCCESS) throw new Error(`REGISTER_BROKER answered ${res.code} ${res.remark ?? ''}`);
    return ms;
  };
  let t = performance.now();
  const json = body(1, false);
  const encodeMs = performance.now() - t;
  t = performance.now();
  const zipped = body(1, true);
  const compressMs = performance.now() - t;
  const changed: number[] = [];
  const periodic: number[] = [];
  const compressedChanged: number[] = [];
  let version = 1_000;
  try {
    for (let i = 0; i < rounds; i++) {
      const b = body(++version, false);
      changed.push(await send(b, false));
      periodic.push(await send(b, false));
      compressedChanged.push(await send(body(++version, true), true));
    }
  } finally {
    const req = createRequest(RequestCode.UNREGISTER_BROKER, { extFields: encodeHeader(UnRegisterBrokerRequestHeader, id) });
    await remoting.request(namesrvAddr, req, 10_000).catch(() => undefined);
  }
  return { bodyBytes: json.length, compressedBytes: zipped.length, encodeMs, compressMs, changedMs: median(changed), periodicMs: median(periodic), compressedChangedMs: median(compressedChanged) };
}
