#!/usr/bin/env node
// Benchmarks (not tests): `npm run bench` or `node bench/run.mjs [--seconds N]`.
// 1. the raw limits of this machine (bench/raw-limits.mjs),
// 2. the store alone: 1 KB puts, 64 in flight, ASYNC_FLUSH and SYNC_FLUSH,
// 3. the remoting layer: header codec against JSON.stringify/JSON.parse, frame decoding, and
//    request/response over loopback between two processes against raw loopback TCP,
// 4. the broker end to end: our producer -> rmqd broker process, 1 KB, 64 in flight, ASYNC_FLUSH and SYNC_FLUSH
//    (`--cpu-prof DIR` also writes CPU profiles of both sides),
// 5. replication: the same producer -> a master with one slave, ASYNC_MASTER vs SYNC_MASTER (and the master
//    alone as the baseline), runs interleaved A-S-S-A, printed as the SYNC/ASYNC ratio,
// 6. TLS: the loopback echo in plain text and over TLS (part of `remoting`), and the broker's
//    ASYNC_FLUSH row over TLS (part of `broker`), each with its plain twin in the same run,
// each printed as a ratio of the matching raw limit measured in the same run (absolute figures drift
// with the machine's load; ratios are what to compare between runs). `--only store|remoting|broker|ha|tls|metrics|pop|grpc|tx`
// runs one part (`tls`: just the plain-vs-TLS comparisons; `metrics`: the broker row with metrics off and
// on — scraped every second — interleaved off-on-on-off, printed as the on/off ratio; `pop`: POP
// consumption against pull; `grpc`: the v5 gRPC path with the official client against remoting with
// ours, same broker; `tx`: transactional sends, half + commit, against plain sends; `headers`: the broker row with JSON and with binary
// ROCKETMQ headers, interleaved; `pending-table`: the connection's table of waiting requests, IntKeyTable vs a Map; `io-threads`: the broker row with ioThreads 0 and 1 — client sockets on the
// store thread or on a network thread — interleaved 0-1-1-0, with JSON headers, binary headers and over TLS; `sync-write`: the broker row with
// commit-log writes through the thread pool (syncWriteMaxBytes=0) and on the store thread (the default), ASYNC_FLUSH and SYNC_FLUSH). `--only restart` (not in the default run: it fills a 1 GiB segment) times a
// store's recovery after a clean close and after a crash. `--only timer [--count N]` (not in the default
// run: 2 × 1,000,000 messages) compares a broker's memory with a million timer messages pending against
// a million ordinary ones, then kills both (kill -9) and times the timer broker's index reload.
import { build } from 'esbuild';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { appendMBps, fsyncsPerSecond, measureRawLimits } from './raw-limits.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const argSeconds = process.argv.indexOf('--seconds');
const seconds = argSeconds > 0 ? Number(process.argv[argSeconds + 1]) : 5;
const argOnly = process.argv.indexOf('--only');
const only = argOnly > 0 ? process.argv[argOnly + 1] : undefined;

async function load(entry, external = []) {
  // a bundle in the repo's tree, so packages left external resolve from its node_modules
  const out = path.join(here, '..', 'node_modules', '.cache', 'rmq-bench', `${path.basename(entry, '.ts')}-${process.pid}.mjs`);
  const { v2DescriptorModule } = await import('../bin/v2-descriptor.mjs');
  const descriptor = { name: 'rmq-v2-descriptor', setup(b) {
    b.onResolve({ filter: /^rmq:v2-descriptor$/ }, (a) => ({ path: a.path, namespace: 'rmq-v2-descriptor' }));
    b.onLoad({ filter: /.*/, namespace: 'rmq-v2-descriptor' }, () => ({ contents: v2DescriptorModule(), loader: 'js' }));
  } };
  await build({ entryPoints: [path.join(here, entry)], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: out, logLevel: 'warning', external, plugins: [descriptor],
    banner: { js: "import { createRequire as __benchRequire } from 'node:module'; const require = __benchRequire(import.meta.url);" } });
  return import(pathToFileURL(out).href);
}

/** Runs of one kind pooled: total messages / total time, total CPU / total messages (`cpu`: µs per message of a run). */
const pooled = (rs, cpu) => ({
  msgPerSec: rs.reduce((x, r) => x + r.msgs, 0) / rs.reduce((x, r) => x + r.seconds, 0),
  cpuUs: rs.reduce((x, r) => x + cpu(r) * r.msgs, 0) / rs.reduce((x, r) => x + r.msgs, 0),
});
/** bench/remoting-echo-server.ts bundled on its own, for echoBench to run as a child process. */
async function buildEchoServer() {
  const serverDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rmq-bench-echo-'));
  const serverBundle = path.join(serverDir, 'echo.mjs');
  await build({ entryPoints: [path.join(here, 'remoting-echo-server.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: serverBundle, logLevel: 'warning' });
  return { serverDir, serverBundle };
}
const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
console.log(`# raw limits (${os.cpus().length} cores, node ${process.version})`);
const raw = await measureRawLimits({ seconds: Math.min(seconds, 3), log: (l) => console.log(`  ${l}`) });

if (only === undefined || only === 'store') {
  console.log('\n# store only: 1 KB bodies, 64 puts in flight (each run right after its own raw baseline)');
  const { storeThroughput } = await load('store-throughput.ts');
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'rmq-bench-raw-'));
  const line = (r) =>
    `  ${r.name.padEnd(34)} ${fmt(r.msgPerSec).padStart(8)} msg/s  ${fmt(r.mbPerSec, 1).padStart(6)} MB/s  p50 ${fmt(r.p50ms, 2)} ms  p99 ${fmt(r.p99ms, 2)} ms  ${fmt(r.msgs / Math.max(1, r.writes), 1)} msgs/write  ${r.fsyncs ? fmt(r.msgs / r.fsyncs, 1) : '-'} msgs/fsync`;

  const appendNow = await appendMBps(tmp, 2);
  const a = await storeThroughput({ name: 'ASYNC_FLUSH', flush: 'ASYNC_FLUSH', seconds });
  console.log(line(a));
  console.log(`    ratio: ${fmt(a.mbPerSec, 1)} MB/s / sequential append ${fmt(appendNow)} MB/s = ${fmt(a.mbPerSec / appendNow, 2)}`);

  for (const prealloc of [true, false]) {
    const kind = prealloc ? 'zeroed' : 'sparse';
    const rawNow = await fsyncsPerSecond(tmp, kind, 2);
    const s = await storeThroughput({ name: `SYNC_FLUSH, ${prealloc ? 'preallocated' : 'sparse'} segments`, flush: 'SYNC_FLUSH', seconds, preallocate: prealloc, segmentBytes: 64 << 20 });
    console.log(line(s));
    console.log(`    ratio: ${fmt(s.msgPerSec)} msg/s / raw 1 KiB write+fdatasync ${fmt(rawNow)}/s (${kind} file) = ${fmt(s.msgPerSec / rawNow, 2)}  (> 1: group commit shares fsyncs); fsyncs ${fmt(s.fsyncs / s.seconds)}/s = ${fmt(s.fsyncs / s.seconds / rawNow, 2)} of raw`);
  }
  {
  const rawNow = await fsyncsPerSecond(tmp, 'sparse', 2);
  const s = await storeThroughput({ name: 'SYNC_FLUSH, O_DSYNC writes', flush: 'SYNC_FLUSH', seconds, dsync: true, segmentBytes: 64 << 20 });
  console.log(line(s));
  console.log(`    ratio: ${fmt(s.msgPerSec)} msg/s / raw 1 KiB write+fdatasync ${fmt(rawNow)}/s (sparse file) = ${fmt(s.msgPerSec / rawNow, 2)}`);
}
await fsp.rm(tmp, { recursive: true, force: true });
  console.log('\n  targets (end to end through the broker, measured later): ASYNC_FLUSH >= 50,000 msg/s, SYNC_FLUSH >= 20,000 msg/s with 64 in flight');
}


if (only === undefined || only === 'remoting') {
  console.log('\n# remoting: frame codec (ours vs the obvious baseline, same run; SEND_MESSAGE_V2 request / response, 1 KiB body; per CPU second of this process)');
  const { codecBench, echoBench } = await load('remoting.ts');
  const c = codecBench(1);
  console.log(`  encode frame    ${fmt(c.encodeOurs).padStart(10)}/s   stringify+concat ${fmt(c.encodeNaive).padStart(10)}/s   ratio ${fmt(c.encodeOurs / c.encodeNaive, 2)}`);
  console.log(`  decode header   ${fmt(c.decodeOurs).padStart(10)}/s   JSON.parse       ${fmt(c.decodeParse).padStart(10)}/s   ratio ${fmt(c.decodeOurs / c.decodeParse, 2)}  (ours also checks and normalises)`);
  console.log(`  decode frames   ${fmt(c.framesPerSec).padStart(10)}/s   (pipelined stream in 64 KiB chunks, 1 KiB bodies)`);
  console.log('  binary (ROCKETMQ) headers against JSON, same commands, same run:');
  console.log(`  encode frame    ${fmt(c.encodeBinary).padStart(10)}/s   JSON ${fmt(c.encodeOurs).padStart(10)}/s   ratio ${fmt(c.encodeBinary / c.encodeOurs, 2)}`);
  console.log(`  decode header   ${fmt(c.decodeBinary).padStart(10)}/s   JSON ${fmt(c.decodeOurs).padStart(10)}/s   ratio ${fmt(c.decodeBinary / c.decodeOurs, 2)}`);
  console.log(`  decode frames   ${fmt(c.framesPerSecBinary).padStart(10)}/s   JSON ${fmt(c.framesPerSec).padStart(10)}/s   ratio ${fmt(c.framesPerSecBinary / c.framesPerSec, 2)}`);
  console.log('  the broker\'s SEND_OK reply frame alone (FrameWriter.write):');
  console.log(`  JSON template   ${fmt(c.replyTemplate).padStart(10)}/s   generic JSON ${fmt(c.replyGeneric).padStart(10)}/s   ratio ${fmt(c.replyTemplate / c.replyGeneric, 2)}`);
  console.log(`  binary          ${fmt(c.replyBinary).padStart(10)}/s   generic JSON ${fmt(c.replyGeneric).padStart(10)}/s   ratio ${fmt(c.replyBinary / c.replyGeneric, 2)}`);

  console.log('\n# remoting: request/response over loopback, two processes, 1 KiB bodies, 64 in flight');
  const { serverDir, serverBundle } = await buildEchoServer();
  const { loopbackMBps } = await import('./raw-limits.mjs');
  const rawNow = await loopbackMBps(1024, 2);
  const e = await echoBench(serverBundle, { seconds });
  console.log(`  echo (SEND_MESSAGE_V2 shape)   ${fmt(e.msgPerSec).padStart(8)} msg/s  ${fmt(e.mbPerSec, 1).padStart(6)} MB/s  p50 ${fmt(e.p50ms, 2)} ms  p99 ${fmt(e.p99ms, 2)} ms`);
  console.log(`    ratio: ${fmt(e.mbPerSec, 1)} MB/s / raw loopback with 1 KiB writes ${fmt(rawNow)} MB/s = ${fmt(e.mbPerSec / rawNow, 2)}  (target: the broker's 50,000 msg/s needs this path well above it)`);
  await fsp.rm(serverDir, { recursive: true, force: true });
}

if (only === undefined || only === 'remoting' || only === 'tls') {
  console.log('\n# remoting: plain vs TLS request/response over loopback (same echo, 1 KiB bodies, 64 in flight; runs interleaved P-T-T-P)');
  const { echoBench } = await load('remoting.ts');
  const { makeBenchCert } = await load('tls-cert.ts');
  const { serverDir, serverBundle } = await buildEchoServer();
  const cert = makeBenchCert();
  const runs = { plain: [], TLS: [] };
  try {
    for (const kind of ['plain', 'TLS', 'TLS', 'plain']) {
      const r = await echoBench(serverBundle, { seconds, ...(kind === 'TLS' ? { tls: cert } : {}) });
      runs[kind].push(r);
      console.log(`  ${kind.padEnd(6)} ${fmt(r.msgPerSec).padStart(8)} msg/s  p50 ${fmt(r.p50ms, 2)} ms  p99 ${fmt(r.p99ms, 2)} ms  CPU ${fmt(r.clientCpuUsPerMsg + r.serverCpuUsPerMsg, 1)} µs/msg (client ${fmt(r.clientCpuUsPerMsg, 1)} + server ${fmt(r.serverCpuUsPerMsg, 1)})`);
    }
  } finally {
    cert.remove();
    await fsp.rm(serverDir, { recursive: true, force: true });
  }
  const cpu = (r) => r.clientCpuUsPerMsg + r.serverCpuUsPerMsg;
  const p = pooled(runs.plain, cpu);
  const t = pooled(runs.TLS, cpu);
  console.log(`    ratio TLS/plain throughput: ${fmt(t.msgPerSec)} / ${fmt(p.msgPerSec)} msg/s = ${fmt(t.msgPerSec / p.msgPerSec, 2)}`);
  console.log(`    ratio TLS/plain CPU per message: ${fmt(t.cpuUs, 1)} / ${fmt(p.cpuUs, 1)} µs = ${fmt(t.cpuUs / p.cpuUs, 2)}`);
  console.log(`  load average now: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

if (only === undefined || only === 'broker') {
  // the runtime as deploy ships it
  const { execFileSync } = await import('node:child_process');
  execFileSync(process.execPath, [path.join(here, '..', 'bin', 'build.mjs')], { stdio: 'inherit' });
  const rmqd = path.join(here, '..', 'dist', 'rmqd.js');
  const argProf = process.argv.indexOf('--cpu-prof');
  const cpuProfDir = argProf > 0 ? path.resolve(process.argv[argProf + 1] ?? 'cpu-profiles') : undefined;
  if (cpuProfDir) await fsp.mkdir(cpuProfDir, { recursive: true });
  console.log('\n# broker end to end: our producer (this process) -> rmqd broker (own process) over loopback, 1 KB bodies, 64 in flight');
  const { brokerThroughput } = await load('broker-throughput.ts');
  const { loopbackMBps } = await import('./raw-limits.mjs');
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'rmq-bench-raw-'));
  const line = (r) =>
    `  ${r.flush.padEnd(12)} ${fmt(r.msgPerSec).padStart(8)} msg/s  ${fmt(r.mbPerSec, 1).padStart(6)} MB/s  p50 ${fmt(r.p50ms, 2)} ms  p99 ${fmt(r.p99ms, 2)} ms  p999 ${fmt(r.p999ms, 2)} ms  ` +
    `${fmt(r.msgs / Math.max(1, r.writes), 1)} msgs/write  ${r.fsyncs ? fmt(r.msgs / r.fsyncs, 1) : '-'} msgs/fsync  CPU broker ${fmt(r.brokerCpu, 2)} + client ${fmt(r.clientCpu, 2)} cores`;

  const appendNow = await appendMBps(tmp, 2);
  const loopNow = await loopbackMBps(1024, 2);
  // `--headers ROCKETMQ`: the producer (and so the broker's answers) in binary headers
  const headersArg = process.argv.indexOf('--headers');
  const serializeType = headersArg > 0 ? process.argv[headersArg + 1] : 'JSON';
  // `--auto-batch`: the producer's autoBatch
  const autoBatch = process.argv.includes('--auto-batch');
  // `--io-threads N`: the broker's ioThreads (with --cpu-prof the file holds the store thread's profile)
  const ioArg = process.argv.indexOf('--io-threads');
  const properties = ioArg > 0 ? { ioThreads: Number(process.argv[ioArg + 1]) } : {};
  const a = await brokerThroughput({ rmqd, flush: 'ASYNC_FLUSH', seconds, cpuProfDir, serializeType, autoBatch, properties });
  console.log(line(a));
  console.log(`    ratio: ${fmt(a.mbPerSec, 1)} MB/s / sequential append ${fmt(appendNow)} MB/s = ${fmt(a.mbPerSec / appendNow, 2)}; / loopback TCP with 1 KiB writes ${fmt(loopNow)} MB/s = ${fmt(a.mbPerSec / loopNow, 2)}`);
  console.log(`    target ASYNC_FLUSH >= 50,000 msg/s: ${a.msgPerSec >= 50_000 ? 'met' : 'NOT met'}`);
  {
    // the same over TLS (every port enforcing, the producer verifying): ratio against the plain row above
    const { makeBenchCert } = await load('tls-cert.ts');
    const cert = makeBenchCert();
    try {
      const t = await brokerThroughput({ rmqd, flush: 'ASYNC_FLUSH', seconds, tls: cert, serializeType, autoBatch, properties });
      console.log(line({ ...t, flush: 'ASYNC + TLS' }));
      console.log(`    ratio TLS/plain: ${fmt(t.msgPerSec)} / ${fmt(a.msgPerSec)} msg/s = ${fmt(t.msgPerSec / a.msgPerSec, 2)}; CPU ${fmt(t.cpuUsPerMsg, 1)} / ${fmt(a.cpuUsPerMsg, 1)} µs/msg = ${fmt(t.cpuUsPerMsg / a.cpuUsPerMsg, 2)}`);
    } finally {
      cert.remove();
    }
  }

  const fsyncNow = await fsyncsPerSecond(tmp, 'sparse', 2);
  const s = await brokerThroughput({ rmqd, flush: 'SYNC_FLUSH', seconds, cpuProfDir, serializeType, autoBatch, properties });
  console.log(line(s));
  console.log(`    ratio: ${fmt(s.msgPerSec)} msg/s / raw 1 KiB write+fdatasync ${fmt(fsyncNow)}/s (sparse file) = ${fmt(s.msgPerSec / fsyncNow, 2)}  (> 1: group commit shares fsyncs)`);
  console.log(`    target SYNC_FLUSH >= 20,000 msg/s: ${s.msgPerSec >= 20_000 ? 'met' : 'NOT met'}`);
  if (cpuProfDir) console.log(`\n  CPU profiles (broker-*.cpuprofile, client-*.cpuprofile) in ${cpuProfDir}`);
  console.log(`  load average now: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  await fsp.rm(tmp, { recursive: true, force: true });
}

if (only === 'tls') {
  const { execFileSync } = await import('node:child_process');
  execFileSync(process.execPath, [path.join(here, '..', 'bin', 'build.mjs')], { stdio: 'inherit' });
  const rmqd = path.join(here, '..', 'dist', 'rmqd.js');
  console.log('\n# broker end to end, plain vs TLS: our producer -> rmqd broker, ASYNC_FLUSH, 1 KB bodies, 64 in flight (runs interleaved P-T-T-P)');
  const { brokerThroughput } = await load('broker-throughput.ts');
  const { makeBenchCert } = await load('tls-cert.ts');
  const cert = makeBenchCert();
  const runs = { plain: [], TLS: [] };
  try {
    for (const kind of ['plain', 'TLS', 'TLS', 'plain']) {
      const r = await brokerThroughput({ rmqd, flush: 'ASYNC_FLUSH', seconds, ...(kind === 'TLS' ? { tls: cert } : {}) });
      runs[kind].push(r);
      console.log(`  ${kind.padEnd(6)} ${fmt(r.msgPerSec).padStart(8)} msg/s  p50 ${fmt(r.p50ms, 2)} ms  p99 ${fmt(r.p99ms, 2)} ms  CPU ${fmt(r.cpuUsPerMsg, 1)} µs/msg (broker ${fmt(r.brokerCpu, 2)} + client ${fmt(r.clientCpu, 2)} cores)`);
    }
  } finally {
    cert.remove();
  }
  const p = pooled(runs.plain, (r) => r.cpuUsPerMsg);
  const t = pooled(runs.TLS, (r) => r.cpuUsPerMsg);
  console.log(`    ratio TLS/plain throughput: ${fmt(t.msgPerSec)} / ${fmt(p.msgPerSec)} msg/s = ${fmt(t.msgPerSec / p.msgPerSec, 2)}`);
  console.log(`    ratio TLS/plain CPU per message: ${fmt(t.cpuUs, 1)} / ${fmt(p.cpuUs, 1)} µs = ${fmt(t.cpuUs / p.cpuUs, 2)}`);
  console.log(`  load average now: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

if (only === undefined || only === 'pop') {
  // POP consumption (v5 SimpleConsumer / PushConsumer path) against plain pull, same broker, same run
  const { execFileSync } = await import('node:child_process');
  execFileSync(process.execPath, [path.join(here, '..', 'bin', 'build.mjs')], { stdio: 'inherit' });
  const rmqd = path.join(here, '..', 'dist', 'rmqd.js');
  console.log('\n# POP vs pull: read a backlog of 1 KB messages (8 queues) to the end from one rmqd broker, each mode its own group');
  const { popThroughput } = await load('pop-throughput.ts');
  const messages = Math.max(5_000, Math.round(seconds * 4_000));
  for (const flush of ['ASYNC_FLUSH', 'SYNC_FLUSH']) {
    const runs = await popThroughput({ rmqd, flush, messages });
    const pull = runs[0];
    for (const r of runs) {
      console.log(`  ${flush.padEnd(11)} ${r.mode.padEnd(16)} ${fmt(r.msgPerSec).padStart(8)} msg/s  broker CPU ${fmt(r.brokerCpuUs, 1).padStart(6)} µs/msg  journal ${fmt(r.journalBytesPerMsg, 0).padStart(4)} B/msg` +
        (r === pull ? '' : `   ratio to pull: throughput ${fmt(r.msgPerSec / pull.msgPerSec, 2)}, CPU/msg ${fmt(r.brokerCpuUs / pull.brokerCpuUs, 2)}`));
    }
  }
  const { popPollers } = await load('pop-throughput.ts');
  const pl = await popPollers({ rmqd, receives: 5_000, limit: 4_000 });
  console.log(`  long polls: 5,000 concurrent receives, maxPopPollingSize 4,000: ${fmt(pl.parked)} parked, ${fmt(pl.refused)} refused POLLING_FULL; ` +
    `broker RSS ${fmt(pl.rssMB, 0)} MB, +${fmt(pl.bytesPerPoller, 0)} B per parked receive; one message answered one of them in ${fmt(pl.wakeMs, 1)} ms`);
  console.log(`  load average now: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

if (only === undefined || only === 'tx') {
  // transactional sends (half + commit) against plain sends, same broker, same run
  const { execFileSync } = await import('node:child_process');
  execFileSync(process.execPath, [path.join(here, '..', 'bin', 'build.mjs')], { stdio: 'inherit' });
  const rmqd = path.join(here, '..', 'dist', 'rmqd.js');
  console.log('\n# transactional vs plain sends: 1 KB bodies, 64 in flight, one rmqd broker; runs interleaved plain-tx-tx-plain (a transactional message = half message + END_TRANSACTION commit)');
  const { transactionThroughput } = await load('transaction-throughput.ts');
  for (const flush of ['ASYNC_FLUSH', 'SYNC_FLUSH']) {
    const runs = await transactionThroughput({ rmqd, flush, seconds });
    for (const r of runs) {
      console.log(`  ${flush.padEnd(11)} ${r.mode.padEnd(5)} ${fmt(r.msgPerSec).padStart(8)} msg/s  p50 ${fmt(r.p50ms, 2)} ms  p99 ${fmt(r.p99ms, 2)} ms  broker CPU ${fmt(r.brokerCpuUs, 1).padStart(6)} µs/msg  commit log ${fmt(r.logBytesPerMsg, 0).padStart(5)} B/msg`);
    }
    const pool = (mode) => {
      const rs = runs.filter((r) => r.mode === mode);
      return { msgPerSec: rs.reduce((x, r) => x + r.msgs, 0) / rs.reduce((x, r) => x + r.seconds, 0), cpuUs: rs.reduce((x, r) => x + r.brokerCpuUs * r.msgs, 0) / rs.reduce((x, r) => x + r.msgs, 0) };
    };
    const p = pool('plain');
    const t = pool('tx');
    console.log(`    ratio tx/plain (${flush}): throughput ${fmt(t.msgPerSec)} / ${fmt(p.msgPerSec)} msg/s = ${fmt(t.msgPerSec / p.msgPerSec, 2)}; broker CPU per message ${fmt(t.cpuUs, 1)} / ${fmt(p.cpuUs, 1)} µs = ${fmt(t.cpuUs / p.cpuUs, 2)}`);
  }
  console.log(`  load average now: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

if (only === undefined || only === 'grpc') {
  // the v5 gRPC path against remoting, same broker, same run
  const { execFileSync } = await import('node:child_process');
  execFileSync(process.execPath, [path.join(here, '..', 'bin', 'build.mjs')], { stdio: 'inherit' });
  const rmqd = path.join(here, '..', 'dist', 'rmqd.js');
  console.log('\n# v5 gRPC vs remoting, one rmqd broker (ASYNC_FLUSH), 1 KB bodies: produce with 64 sends in flight (official v5 Producer vs our Producer),');
  console.log('#   consume a 20,000-message backlog (v5 SimpleConsumer receive(32) + ack each, 8 loops, vs our pull 32 at a time, 8 queues)');
  const { grpcThroughput } = await load('grpc-throughput.ts', ['rocketmq-client-nodejs']);
  const runs = await grpcThroughput({ rmqd, seconds });
  // each v5 row against remoting at the same offered load (paced to its rate) and at full speed; consume against pull
  const sameLoad = { 'v5 gRPC': 'remoting @v5 rate', 'v5 raw': 'remoting @raw rate', 'v5 raw x32': 'remoting @x32 rate' };
  for (const r of runs) {
    console.log(`  ${r.op.padEnd(8)} ${r.path.padEnd(18)} ${fmt(r.msgPerSec).padStart(8)} msg/s  p50 ${fmt(r.p50ms, 2)} ms  p99 ${fmt(r.p99ms, 2)} ms  broker CPU ${fmt(r.brokerCpuUs, 1).padStart(6)} µs/msg  client CPU ${fmt(r.clientCpuUs, 1).padStart(6)} µs/msg`);
    if (!r.path.startsWith('v5')) continue;
    const full = runs.find((b) => b.op === r.op && b.path === 'remoting');
    const same = r.op === 'produce' ? runs.find((b) => b.op === r.op && b.path === sameLoad[r.path]) : undefined;
    const parts = [];
    if (same) parts.push(`broker CPU/msg ${fmt(r.brokerCpuUs / same.brokerCpuUs, 2)}x remoting at the same rate`);
    if (full) parts.push(`${fmt(r.brokerCpuUs / full.brokerCpuUs, 2)}x remoting at full speed; throughput ${fmt(r.msgPerSec / full.msgPerSec, 3)}x, p99 ${fmt(r.p99ms / full.p99ms, 1)}x of remoting at full speed`);
    console.log(`      ${parts.join('; ')}`);
  }
  console.log(`  load average now: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

if (only === undefined || only === 'ha') {
  const { execFileSync } = await import('node:child_process');
  execFileSync(process.execPath, [path.join(here, '..', 'bin', 'build.mjs')], { stdio: 'inherit' });
  const rmqd = path.join(here, '..', 'dist', 'rmqd.js');
  console.log('\n# replication: our producer -> broker group (master + 1 slave, own processes, ASYNC_FLUSH), 1 KB bodies, 64 in flight');
  const { haThroughput } = await load('ha-throughput.ts');
  const line = (r) =>
    `  ${r.mode.padEnd(13)} ${fmt(r.msgPerSec).padStart(8)} msg/s  ${fmt(r.mbPerSec, 1).padStart(6)} MB/s  p50 ${fmt(r.p50ms, 2)} ms  p99 ${fmt(r.p99ms, 2)} ms  not SEND_OK ${r.notOk}` +
    `${r.slaveLagBytes === undefined ? '' : `  slave lag at end ${fmt(r.slaveLagBytes)} B`}  CPU master ${fmt(r.masterCpu, 2)} + slave ${fmt(r.slaveCpu, 2)} + client ${fmt(r.clientCpu, 2)} cores`;
  const argProf = process.argv.indexOf('--cpu-prof');
  const cpuProfDir = argProf > 0 ? path.resolve(process.argv[argProf + 1] ?? 'cpu-profiles') : undefined;
  const modeArg = process.argv.indexOf('--mode');
  if (modeArg > 0) {
    // one mode alone (profiling)
    console.log(line(await haThroughput({ rmqd, mode: process.argv[modeArg + 1], seconds, cpuProfDir })));
    process.exit(0);
  }
  const base = await haThroughput({ rmqd, mode: 'no slave', seconds });
  console.log(line(base));
  // A-S-S-A: drift from the shared machine's load falls on both sides alike
  const runs = { ASYNC_MASTER: [], SYNC_MASTER: [] };
  for (const mode of ['ASYNC_MASTER', 'SYNC_MASTER', 'SYNC_MASTER', 'ASYNC_MASTER']) {
    const r = await haThroughput({ rmqd, mode, seconds });
    runs[mode].push(r);
    console.log(line(r));
  }
  const rate = (rs) => rs.reduce((a, r) => a + r.msgs, 0) / rs.reduce((a, r) => a + r.msgs / r.msgPerSec, 0);
  const a = rate(runs.ASYNC_MASTER);
  const s = rate(runs.SYNC_MASTER);
  console.log(`    ratio SYNC/ASYNC replication: ${fmt(s)} / ${fmt(a)} msg/s = ${fmt(s / a, 2)}  (RocketMQ documents ~0.9; aim: no worse)`);
  console.log(`    ratio ASYNC replication / master alone: ${fmt(a)} / ${fmt(base.msgPerSec)} msg/s = ${fmt(a / base.msgPerSec, 2)}`);
  console.log(`  load average now: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

if (only === 'pair') {
  // not in the default run: single master vs ASYNC pair vs SYNC pair, rows 1 (ASYNC_FLUSH) and 2
  // (SYNC_FLUSH), CPU µs per message of each process; `--baseline OTHER/dist/rmqd.js` runs every cell
  // on that build too, interleaved (an A/B in one run); `--rounds N` (default 2), `--rows 1,2`.
  const { execFileSync } = await import('node:child_process');
  execFileSync(process.execPath, [path.join(here, '..', 'bin', 'build.mjs')], { stdio: 'inherit' });
  const arg = (name) => (process.argv.indexOf(name) > 0 ? process.argv[process.argv.indexOf(name) + 1] : undefined);
  const builds = [{ name: 'this', rmqd: path.join(here, '..', 'dist', 'rmqd.js') }];
  if (arg('--baseline')) builds.unshift({ name: 'base', rmqd: path.resolve(arg('--baseline')) });
  // `--also NAME=PATH,...`: further builds (variants) in the same interleaving
  for (const spec of (arg('--also') ?? '').split(',').filter(Boolean)) builds.push({ name: spec.split('=')[0], rmqd: path.resolve(spec.split('=')[1]) });
  const rounds = Number(arg('--rounds') ?? 2);
  const rows = (arg('--rows') ?? '1,2').split(',').map((r) => (r.trim() === '2' ? 'SYNC_FLUSH' : 'ASYNC_FLUSH'));
  const modes = (arg('--modes') ?? 'single,ASYNC pair,SYNC pair').split(',');
  const argProf = process.argv.indexOf('--cpu-prof');
  const cpuProfDir = argProf > 0 ? path.resolve(process.argv[argProf + 1] ?? 'cpu-profiles') : undefined;
  const { pairCost } = await load('pair-cost.ts');
  console.log(`\n# replicated pair: our producer (binary headers) -> single master / ASYNC pair / SYNC pair, 1 KB, 64 in flight, ${seconds} s per cell, ${rounds} rounds; builds: ${builds.map((b) => `${b.name}=${b.rmqd}`).join(', ')}`);
  const all = [];
  for (let round = 0; round < rounds; round++) {
    // alternate the order per round so drift falls on every cell alike
    const order = round % 2 === 0 ? builds : [...builds].reverse();
    for (const flush of rows) {
      for (const mode of round % 2 === 0 ? modes : [...modes].reverse()) {
        for (const b of order) {
          const r = await pairCost({ rmqd: b.rmqd, build: b.name, mode, flush, seconds, cpuProfDir });
          all.push(r);
          console.log(`  r${round + 1} ${b.name.padEnd(4)} ${flush.padEnd(11)} ${mode.padEnd(10)} ${fmt(r.msgPerSec).padStart(7)} msg/s  p50 ${fmt(r.p50ms, 2)} p99 ${fmt(r.p99ms, 2)} ms  CPU µs/msg master ${fmt(r.masterUs, 1)} slave ${fmt(r.slaveUs, 1)} client ${fmt(r.clientUs, 1)}  not OK ${r.notOk}${r.slaveLagBytes === undefined ? '' : `  lag ${r.slaveLagBytes} B`}  load ${os.loadavg()[0].toFixed(1)}`);
        }
      }
    }
  }
  const pool = (rs) => {
    const n = rs.reduce((x, r) => x + r.msgs, 0);
    const w = (k) => rs.reduce((x, r) => x + r[k] * r.msgs, 0) / n;
    const med = (k) => rs.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(rs.length / 2)];
    return { msgPerSec: n / rs.reduce((x, r) => x + r.seconds, 0), p99ms: med('p99ms'), p50ms: med('p50ms'), masterUs: w('masterUs'), slaveUs: w('slaveUs'), clientUs: w('clientUs') };
  };
  console.log('\n| build | row | system | msg/s | vs single | p50 / p99 ms | master µs/msg | slave µs/msg | client µs/msg |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const summary = {};
  for (const b of builds) {
    for (const flush of rows) {
      const single = all.filter((r) => r.build === b.name && r.flush === flush && r.mode === 'single');
      const s = single.length ? pool(single) : undefined;
      for (const mode of modes) {
        const p = pool(all.filter((r) => r.build === b.name && r.flush === flush && r.mode === mode));
        summary[`${b.name} ${flush} ${mode}`] = p;
        console.log(`| ${b.name} | ${flush === 'SYNC_FLUSH' ? '2 fsync' : '1 page cache'} | ${mode} | ${fmt(p.msgPerSec)} | ${s ? fmt(p.msgPerSec / s.msgPerSec, 2) + '×' : ''} | ${fmt(p.p50ms, 2)} / ${fmt(p.p99ms, 2)} | ${fmt(p.masterUs, 1)} | ${fmt(p.slaveUs, 1)} | ${fmt(p.clientUs, 1)} |`);
      }
    }
  }
  if (builds[0].name === 'base') {
    for (const b of builds.slice(1)) {
      console.log(`\n${b.name} / base, same run:`);
      for (const flush of rows) for (const mode of modes) {
        const a = summary[`base ${flush} ${mode}`];
        const t = summary[`${b.name} ${flush} ${mode}`];
        console.log(`  ${flush.padEnd(11)} ${mode.padEnd(10)} msg/s ${fmt(t.msgPerSec / a.msgPerSec, 2)}×  p99 ${fmt(t.p99ms / a.p99ms, 2)}×  master µs ${fmt(t.masterUs / a.masterUs, 2)}×  slave µs ${a.slaveUs > 0 ? fmt(t.slaveUs / a.slaveUs, 2) + '×' : '-'}`);
      }
    }
  }
  if (arg('--json')) await fsp.writeFile(arg('--json'), JSON.stringify(all, null, 1));
  console.log(`  load average now: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

if (only === undefined || only === 'metrics') {
  const { execFileSync } = await import('node:child_process');
  execFileSync(process.execPath, [path.join(here, '..', 'bin', 'build.mjs')], { stdio: 'inherit' });
  const rmqd = path.join(here, '..', 'dist', 'rmqd.js');
  console.log('\n# metrics cost: our producer -> rmqd broker, 1 KB, 64 in flight, ASYNC_FLUSH; metricsPort off vs on and scraped every second');
  const { metricsRun, hotPathCost } = await load('metrics-overhead.ts');
  const runs = { off: [], on: [] };
  // off-on-on-off: drift from the shared machine's load falls on both sides alike
  for (const which of ['off', 'on', 'on', 'off']) {
    const r = await metricsRun(rmqd, which === 'on', seconds);
    runs[which].push(r);
    console.log(`  metrics ${which.padEnd(4)} ${fmt(r.msgPerSec).padStart(8)} msg/s  p50 ${fmt(r.p50ms, 2)} ms  p99 ${fmt(r.p99ms, 2)} ms  broker CPU ${fmt(r.brokerCpu, 2)} cores  ${fmt(r.cpuUsPerMsg, 1)} µs CPU/msg${r.note ? `  (${r.note})` : ''}`);
  }
  const off = pooled(runs.off, (r) => r.cpuUsPerMsg);
  const on = pooled(runs.on, (r) => r.cpuUsPerMsg);
  console.log(`    ratio metrics on/off: ${fmt(on.msgPerSec)} / ${fmt(off.msgPerSec)} msg/s = ${fmt(on.msgPerSec / off.msgPerSec, 3)}  (goal: cost < 2%, ratio > 0.98); CPU/msg ${fmt(on.cpuUs, 1)} / ${fmt(off.cpuUs, 1)} µs = ${fmt(on.cpuUs / off.cpuUs, 3)}`);
  const hot = await hotPathCost();
  const perMsgNs = hot.timedNs - hot.bareNs + hot.statsNs;
  const brokerUs = pooled(runs.off, (r) => (r.brokerCpu * 1e6) / r.msgPerSec).cpuUs;
  console.log(`    always on (both rows): request timing ${fmt(hot.timedNs - hot.bareNs)} ns + counters and message type ${fmt(hot.statsNs)} ns per send = ${fmt((perMsgNs / 1000 / brokerUs) * 100, 2)} % of the broker's ${fmt(brokerUs, 1)} µs CPU per message (off rows)`);
  console.log(`  load average now: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

if (only === 'timer') {
  // memory of a million pending timer messages against a million ordinary ones, same cluster, same run
  const { execFileSync } = await import('node:child_process');
  execFileSync(process.execPath, [path.join(here, '..', 'bin', 'build.mjs')], { stdio: 'inherit' });
  const rmqd = path.join(here, '..', 'dist', 'rmqd.js');
  const argCount = process.argv.indexOf('--count');
  const count = argCount > 0 ? Number(process.argv[argCount + 1]) : 1_000_000;
  console.log(`\n# timer: ${fmt(count)} ordinary messages to broker "plain", ${fmt(count)} timer messages due in 1-2 days to broker "timer" (128 B bodies, 256 in flight)`);
  const { timerPending } = await load('timer-pending.ts');
  const r = await timerPending({ rmqd, count, log: (l) => console.log(l) });
  console.log(`  sent in ${fmt(r.sendSeconds.plain)} s (plain) / ${fmt(r.sendSeconds.timer)} s (timer) = ${fmt(r.sendSeconds.timer / r.sendSeconds.plain, 2)}; pending in the timer index: ${fmt(r.pending)}`);
  console.log(`  timer runtime info: ${JSON.stringify(r.timerInfo)}`);
  console.log(`  broker RSS idle: plain ${fmt(r.rssMB.plainIdle)} MB, timer ${fmt(r.rssMB.timerIdle)} MB; after the sends: plain ${fmt(r.rssMB.plain)} MB, timer ${fmt(r.rssMB.timer)} MB; ratio timer/plain ${fmt(r.rssMB.timer / r.rssMB.plain, 2)}`);
  console.log(`  broker RSS during the sends (MB, plain / timer): ${r.rssSamples.map(([n, p, t]) => `${fmt(n)}: ${fmt(p)} / ${fmt(t)}`).join('; ')}`);
  console.log(`  ${fmt(r.near.count)} near timers (due 2-10 s ahead) with the rest pending: lateness at the broker (TIMER_DEQUEUE_MS - due) p50 ${fmt(r.near.broker.p50)} ms, p99 ${fmt(r.near.broker.p99)} ms, max ${fmt(r.near.broker.max)} ms, at the consumer p50 ${fmt(r.near.p50)} ms, p99 ${fmt(r.near.p99)} ms, max ${fmt(r.near.max)} ms; delivered early: ${r.near.early}`);
  console.log(`  kill -9 and restart of both brokers: the timer broker has its index back in ${fmt(r.crash.timerLoadSeconds, 1)} s, ${fmt(r.crash.pendingAfter)} pending (before: ${fmt(r.pending)}); RSS then: plain ${fmt(r.crash.rssMB.plain)} MB, timer ${fmt(r.crash.rssMB.timer)} MB; ratio timer/plain ${fmt(r.crash.rssMB.timer / r.crash.rssMB.plain, 2)}`);
  console.log(`  load average now: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

if (only === 'headers') {
  // JSON vs binary (ROCKETMQ) remoting headers end to end: the producer picks the form, the broker answers in it
  await interleavedBrokerAB({
    title: 'header forms',
    a: { label: 'JSON headers', run: { serializeType: 'JSON' } },
    b: { label: 'binary (ROCKETMQ) headers', run: { serializeType: 'ROCKETMQ' } },
    variants: [{ name: 'ASYNC_FLUSH' }],
  });
}

if (only === 'pending-table') {
  // the connection's table of waiting requests: IntKeyTable against a Map, same churn, same process
  console.log('\n# requests waiting for responses: insert one, take the oldest, N in flight (IntKeyTable vs Map, alternating)');
  const { pendingTable } = await load('pending-table.ts');
  const ops = 3_000_000;
  for (const rows of await pendingTable({ inFlight: [8, 64, 1024], ops, rounds: 4 })) {
    const of = (k) => rows.filter((r) => r.kind === k);
    const avg = (rs, f) => rs.reduce((s, r) => s + f(r), 0) / rs.length;
    const [m, t] = [of('Map'), of('IntKeyTable')];
    console.log(`  ${String(rows[0].inFlight).padStart(5)} in flight: Map ${fmt(avg(m, (r) => r.nsPerOp), 1)} ns/op, ${fmt(avg(m, (r) => r.markCompacts), 1)} mark-compacts, GC ${fmt(avg(m, (r) => r.gcMs))} ms;` +
      ` IntKeyTable ${fmt(avg(t, (r) => r.nsPerOp), 1)} ns/op, ${fmt(avg(t, (r) => r.markCompacts), 1)} mark-compacts, GC ${fmt(avg(t, (r) => r.gcMs))} ms` +
      ` — time ${fmt(avg(t, (r) => r.nsPerOp) / avg(m, (r) => r.nsPerOp), 2)}× the Map's (per run of ${fmt(ops)} ops)`);
  }
}

/**
 * The broker row (our producer -> rmqd broker, 1 KB, 64 in flight) under two settings, A and B (each
 * `run`: brokerThroughput options such as broker `properties` or the producer's `serializeType`),
 * runs interleaved A-B-B-A each round so drift of the machine hits both alike; per variant (flush
 * mode, header form, TLS) the pooled B/A ratios of throughput and of CPU per message.
 */
async function interleavedBrokerAB({ title, a, b, variants }) {
  const { execFileSync } = await import('node:child_process');
  execFileSync(process.execPath, [path.join(here, '..', 'bin', 'build.mjs')], { stdio: 'inherit' });
  const rmqd = path.join(here, '..', 'dist', 'rmqd.js');
  const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 1;
  const autoBatch = process.argv.includes('--auto-batch');
  console.log(`\n# ${title}: our producer -> rmqd broker, 1 KB, 64 in flight; A = ${a.label}, B = ${b.label}, runs interleaved A-B-B-A (${os.availableParallelism()} cores)`);
  const { brokerThroughput } = await load('broker-throughput.ts');
  for (const v of variants) {
    console.log(`  ${v.name}${autoBatch ? ', producer autoBatch' : ''}:`);
    const runs = { A: [], B: [] };
    for (let i = 0; i < rounds; i++) {
      for (const side of ['A', 'B', 'B', 'A']) {
        const setting = side === 'A' ? a : b;
        const r = await brokerThroughput({ rmqd, flush: v.flush ?? 'ASYNC_FLUSH', seconds, serializeType: v.serializeType, autoBatch, ...(v.tls ? { tls: v.tls } : {}), ...setting.run });
        runs[side].push(r);
        console.log(`    ${side} ${fmt(r.msgPerSec).padStart(8)} msg/s  p50 ${fmt(r.p50ms, 2)} ms  p99 ${fmt(r.p99ms, 2)} ms  CPU per message: broker ${fmt(r.brokerCpuUsPerMsg, 1)} µs + client ${fmt(r.clientCpuUsPerMsg, 1)} µs (broker ${fmt(r.brokerCpu, 2)} + client ${fmt(r.clientCpu, 2)} cores)`);
      }
    }
    const [pa, pb] = [pooled(runs.A, (r) => r.brokerCpuUsPerMsg), pooled(runs.B, (r) => r.brokerCpuUsPerMsg)];
    const [ca, cb] = [pooled(runs.A, (r) => r.clientCpuUsPerMsg).cpuUs, pooled(runs.B, (r) => r.clientCpuUsPerMsg).cpuUs];
    const [ba, bb] = [pooled(runs.A, (r) => r.cpuUsPerMsg).cpuUs, pooled(runs.B, (r) => r.cpuUsPerMsg).cpuUs];
    const cores = (rs, f) => rs.reduce((x, r) => x + f(r), 0) / rs.length;
    console.log(`      ratio B/A throughput: ${fmt(pb.msgPerSec)} / ${fmt(pa.msgPerSec)} msg/s = ${fmt(pb.msgPerSec / pa.msgPerSec, 2)}`);
    console.log(`      ratio B/A broker CPU per message (all its threads): ${fmt(pb.cpuUs, 1)} / ${fmt(pa.cpuUs, 1)} µs = ${fmt(pb.cpuUs / pa.cpuUs, 2)}; client ${fmt(cb, 1)} / ${fmt(ca, 1)} µs = ${fmt(cb / ca, 2)}; both ${fmt(bb, 1)} / ${fmt(ba, 1)} µs = ${fmt(bb / ba, 2)}`);
    console.log(`      broker cores busy: B ${fmt(cores(runs.B, (r) => r.brokerCpu), 2)}, A ${fmt(cores(runs.A, (r) => r.brokerCpu), 2)}`);
  }
  console.log(`  load average now: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

if (only === 'io-threads') {
  // ioThreads 0 (sockets on the broker's one thread) vs 1 (a network thread does accept, TLS and socket I/O)
  const { makeBenchCert } = await load('tls-cert.ts');
  const cert = makeBenchCert();
  try {
    await interleavedBrokerAB({
      title: 'io-threads',
      a: { label: 'ioThreads=0', run: { properties: { ioThreads: 0 } } },
      b: { label: 'ioThreads=1', run: { properties: { ioThreads: 1 } } },
      variants: [
        { name: 'JSON headers', serializeType: 'JSON' },
        { name: 'binary headers', serializeType: 'ROCKETMQ' },
        { name: 'TLS, binary', serializeType: 'ROCKETMQ', tls: cert },
      ],
    });
  } finally {
    cert.remove();
  }
}

if (only === 'sync-write') {
  // commit-log writes through the thread pool (syncWriteMaxBytes=0) vs on the store thread (the default)
  await interleavedBrokerAB({
    title: 'sync-write',
    a: { label: 'syncWriteMaxBytes=0 (every write through the thread pool)', run: { properties: { syncWriteMaxBytes: 0 } } },
    b: { label: 'syncWriteMaxBytes=262144 (default: small writes on the store thread)', run: {} },
    variants: [
      { name: 'ASYNC_FLUSH, binary headers', serializeType: 'ROCKETMQ' },
      { name: 'SYNC_FLUSH, binary headers', serializeType: 'ROCKETMQ', flush: 'SYNC_FLUSH' },
    ],
  });
}

if (only === 'restart') {
  console.log('\n# restart: opening a store whose 1 GiB segment is 90% full (recovery), after a clean close and after a crash');
  const { restartRecovery } = await load('restart-recovery.ts');
  const r = await restartRecovery();
  const med = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  console.log(`  log ${fmt(r.logBytes / 1048576)} MiB in a ${fmt(r.segmentBytes / 1048576)} MiB segment; ${fmt(raw.appendMBps ?? 0)} MB/s raw append here`);
  console.log(`  clean close -> open: ${r.cleanMs.map((x) => fmt(x)).join(', ')} ms (median ${fmt(med(r.cleanMs))})`);
  console.log(`  crash (checkpoint ${fmt(r.lagBytes / 1048576)} MiB behind) -> open: ${r.crashMs.map((x) => fmt(x)).join(', ')} ms (median ${fmt(med(r.crashMs))})`);
}
