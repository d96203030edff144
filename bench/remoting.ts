/**
 * Remoting benchmarks (bundled and run by bench/run.mjs; not tests):
 * - frame encoding (FrameWriter) against the naive stringify + concat, and header decoding against
 *   a bare JSON.parse of the same bytes, as ratios measured in the same run;
 * - frame decoding of a pipelined stream;
 * - request/response over loopback TCP between two processes: SEND_MESSAGE_V2-shaped requests
 *   with 1 KiB bodies, 64 in flight, against an echo server that answers as a broker would, in
 *   plain text or over TLS, with the CPU both processes spent per message.
 */
import { spawn } from 'node:child_process';
import { cpuSeconds } from './rmqd-cluster.js';
import type { BenchCert } from './tls-cert.js';
import { RemotingClient } from '../src/remoting/client.js';
import { createRequest, createResponse, type RemotingCommand } from '../src/remoting/command.js';
import { encodeCommand, FrameDecoder, FrameWriter } from '../src/remoting/frame-codec.js';
import { decodeJsonHeader, encodeJsonHeader } from '../src/remoting/json-header.js';
import { decodeBinaryHeader, encodeBinaryHeader } from '../src/remoting/binary-header.js';
import { JsonHeaderTemplate } from '../src/remoting/header-template.js';

const sendExt = () => ({
  a: 'PG',
  b: 'BenchTopic',
  c: 'TBW102',
  d: '4',
  e: '3',
  f: '0',
  g: String(Date.now()),
  h: '0',
  i: 'TAGS\u0001TagA\u0002KEYS\u0001k42\u0002WAIT\u0001true\u0002UNIQ_KEY\u0001AC11000100002A9F0000000000000000\u0002',
  j: '0',
  k: 'false',
});

/** CPU time of this process so far, in ms (user + system). */
const cpuMs = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

/**
 * Runs `fn` repeatedly for about `ms` of CPU time and returns calls per CPU second. CPU time, not
 * wall time: on a shared machine this process is descheduled for stretches that would otherwise
 * count against whichever codec happened to run then, and ratios of two codecs would be noise.
 */
function rate(fn: () => void, ms = 1000): number {
  for (let i = 0; i < 2000; i++) fn(); // warm up the JIT
  let n = 0;
  const t0 = cpuMs();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < 500; i++) fn();
    n += 500;
    t = cpuMs();
  }
  return (n * 1000) / (t - t0);
}

export interface CodecResult {
  /** FrameWriter.write: header serialised straight into a shared arena, body copied after it. */
  encodeOurs: number;
  /** The naive frame: Buffer.from(JSON.stringify(header)) + Buffer.concat([prefix, header, body]). */
  encodeNaive: number;
  decodeOurs: number;
  decodeParse: number;
  framesPerSec: number;
  /** The same request/response pair with ROCKETMQ binary headers: FrameWriter.write, header decode, stream decode. */
  encodeBinary: number;
  decodeBinary: number;
  framesPerSecBinary: number;
  /** The SEND_OK reply alone through FrameWriter: generic JSON header, the broker's template, binary. */
  replyGeneric: number;
  replyTemplate: number;
  replyBinary: number;
}

export function codecBench(seconds = 1): CodecResult {
  const req = createRequest(310, { extFields: sendExt(), body: Buffer.alloc(1024) });
  const resp = createResponse(req, 0, { extFields: { msgId: '7F00000100002A9F0000000000000000', queueId: '3', queueOffset: '12345', MSG_REGION: 'DefaultRegion', TRACE_ON: 'true' } });
  const cmds = [req, resp];
  let k = 0;
  let sink = 0;
  const ms = seconds * 1000;
  const writer = new FrameWriter();
  let n = 0;
  const encodeOurs = rate(() => {
    writer.write(cmds[k++ & 1] as RemotingCommand);
    if (++n % 64 === 0) sink += writer.take().length;
  }, ms);
  const encodeNaive = rate(() => {
    const c = cmds[k++ & 1] as RemotingCommand;
    const header = Buffer.from(encodeJsonHeader(c), 'utf8');
    const prefix = Buffer.allocUnsafe(8);
    prefix.writeUInt32BE(4 + header.length + (c.body?.length ?? 0), 0);
    prefix.writeUInt32BE(header.length, 4);
    sink += Buffer.concat(c.body ? [prefix, header, c.body] : [prefix, header]).length;
  }, ms);
  const headers = cmds.map((c) => Buffer.from(encodeJsonHeader(c)));
  const decodeOurs = rate(() => {
    const h = headers[k++ & 1] as Buffer;
    sink += decodeJsonHeader(h, 0, h.length).code;
  }, ms);
  // Baseline: JSON.parse of the same bytes and nothing else.
  const decodeParse = rate(() => {
    const h = headers[k++ & 1] as Buffer;
    sink += (JSON.parse(h.toString('utf8', 0, h.length)) as { code: number }).code;
  }, ms);
  const binCmds = cmds.map((c) => ({ ...c, serializeType: 'ROCKETMQ' as const }));
  const encodeBinary = rate(() => {
    writer.write(binCmds[k++ & 1] as RemotingCommand);
    if (++n % 64 === 0) sink += writer.take().length;
  }, ms);
  const binHeaders = cmds.map((c) => encodeBinaryHeader(c));
  const decodeBinary = rate(() => {
    const h = binHeaders[k++ & 1] as Buffer;
    sink += decodeBinaryHeader(h, 0, h.length).code;
  }, ms);
  // A pipelined stream cut into 64 KiB chunks, as a socket delivers it.
  const streamRate = (list: RemotingCommand[]) => {
    const stream = Buffer.concat(Array.from({ length: 2000 }, (_, i) => encodeCommand({ ...(list[i & 1] as RemotingCommand), opaque: i })));
    const chunks: Buffer[] = [];
    for (let o = 0; o < stream.length; o += 65536) chunks.push(stream.subarray(o, o + 65536));
    return rate(() => {
      const d = new FrameDecoder();
      for (const c of chunks) {
        d.push(c);
        for (let f = d.next(); f !== undefined; f = d.next()) sink += f.opaque;
      }
    }, ms) * 2000;
  };
  const replyFrames = (c: RemotingCommand) =>
    rate(() => {
      writer.write(c);
      if (++n % 64 === 0) sink += writer.take().length;
    }, ms);
  const replyGeneric = replyFrames(resp);
  const replyTemplate = replyFrames({ ...resp, jsonTemplate: new JsonHeaderTemplate(['msgId', 'queueId', 'queueOffset', 'MSG_REGION', 'TRACE_ON']) });
  const replyBinary = replyFrames({ ...resp, serializeType: 'ROCKETMQ' });
  const framesPerSec = streamRate(cmds);
  const framesPerSecBinary = streamRate(binCmds);
  if (sink === 42) console.log('');
  return { encodeOurs, encodeNaive, decodeOurs, decodeParse, framesPerSec, encodeBinary, decodeBinary, framesPerSecBinary, replyGeneric, replyTemplate, replyBinary };
}

export interface EchoResult {
  msgs: number;
  seconds: number;
  msgPerSec: number;
  /** Payload bytes both ways (request + response frames) per second. */
  mbPerSec: number;
  p50ms: number;
  p99ms: number;
  /** CPU time per message of the client (this process) and of the server process, in µs. */
  clientCpuUsPerMsg: number;
  serverCpuUsPerMsg: number;
}

/**
 * Client here, echo server (bench/remoting-echo-server.ts, bundled to `serverBundle`) in a child
 * process; with `tls` the server enforces TLS and the client verifies it against the same certificate.
 */
export async function echoBench(serverBundle: string, opts: { seconds: number; inFlight?: number; bodyBytes?: number; tls?: BenchCert }): Promise<EchoResult> {
  const child = spawn(process.execPath, [serverBundle, ...(opts.tls ? [opts.tls.certFile, opts.tls.keyFile] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.stdout?.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
    });
    const client = new RemotingClient(opts.tls ? { tls: { ca: opts.tls.certPem, policy: 'require' } } : {});
    const addr = `127.0.0.1:${port}`;
    const body = Buffer.alloc(opts.bodyBytes ?? 1024, 0x61);
    const lat: number[] = [];
    let msgs = 0;
    let bytes = 0;
    await client.request(addr, createRequest(310, { extFields: sendExt(), body }), 3000); // connect + warm up
    const end = performance.now() + opts.seconds * 1000;
    const serverCpu0 = cpuSeconds(child.pid!);
    const clientCpu0 = process.cpuUsage();
    const t0 = performance.now();
    const worker = async () => {
      while (performance.now() < end) {
        const req = createRequest(310, { extFields: sendExt(), body });
        const t = performance.now();
        const res = await client.request(addr, req, 3000);
        lat.push(performance.now() - t);
        msgs++;
        bytes += body.length + 2 * 300 + (res.body?.length ?? 0);
      }
    };
    await Promise.all(Array.from({ length: opts.inFlight ?? 64 }, worker));
    const seconds = (performance.now() - t0) / 1000;
    const clientCpu = process.cpuUsage(clientCpu0);
    const serverCpu = cpuSeconds(child.pid!) - serverCpu0;
    client.shutdown();
    lat.sort((a, b) => a - b);
    return {
      msgs,
      seconds,
      msgPerSec: msgs / seconds,
      mbPerSec: bytes / seconds / 1e6,
      p50ms: lat[Math.floor(lat.length * 0.5)] ?? 0,
      p99ms: lat[Math.floor(lat.length * 0.99)] ?? 0,
      clientCpuUsPerMsg: (clientCpu.user + clientCpu.system) / msgs,
      serverCpuUsPerMsg: (serverCpu * 1e6) / msgs,
    };
  } finally {
    child.kill('SIGTERM');
  }
}
