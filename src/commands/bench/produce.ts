import { Flags } from '@oclif/core';
import { benchProduce, type BenchProduceSummary, type IntervalReport } from '../../ops/bench/produce.js';
import { Producer } from '../../client/producer.js';
import { EXIT_FAILURE } from '../../errors.js';
import { RmqCommand } from '../support/base.js';
import { namesrvFlags, resolveNamesrvAddrs } from '../support/namesrv.js';
import { connectOptions } from '../support/credentials.js';
import { untilInterrupted } from '../support/interrupt.js';

const f3 = (n: number) => n.toFixed(3);

export function formatInterval(r: IntervalReport): string {
  return `Current Time: ${r.time} | Send TPS: ${r.sendTps} | Max RT(ms): ${f3(r.maxRtMillis)} | Average RT(ms): ${f3(r.avgRtMillis)} | Send Failed: ${r.sendFailed} | Response Failed: ${r.responseFailed}`;
}

export default class BenchProduce extends RmqCommand {
  static override summary = 'Measure produce throughput and latency against a cluster (RocketMQ benchmark Producer vocabulary).';
  static override description =
    'Sends fixed-size messages from --threads concurrent senders (each waits for its answer), or with --async fires sends keeping at most ' +
    '--in-flight outstanding, for --count messages or --duration seconds (else until Ctrl-C). Every --report-interval prints Send TPS, Max and ' +
    'Average RT and failures; at the end the totals, RT p50/p99/p999 and MB/s. With --json the intervals go to standard error and the ' +
    'summary to standard output. Exit code 1 when any send failed.';
  static override examples = [
    '<%= config.bin %> bench produce --topic BenchmarkTest --threads 64 --message-size 1024 --duration 30',
    '<%= config.bin %> bench produce --async --in-flight 256 --count 1000000 --keys --tag-count 4 --json',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    ...namesrvFlags,
    topic: Flags.string({ char: 't', description: 'topic (BenchmarkTest exists on every broker)', default: 'BenchmarkTest' }),
    threads: Flags.integer({ char: 'w', description: 'concurrent senders', default: 64, min: 1, max: 100_000 }),
    'message-size': Flags.integer({ char: 's', description: 'body bytes', default: 1024, min: 1, max: 4 * 1024 * 1024 }),
    count: Flags.integer({ char: 'q', description: 'stop after this many messages', min: 1 }),
    duration: Flags.integer({ description: 'stop after this many seconds', min: 1 }),
    keys: Flags.boolean({ char: 'k', description: 'give every message a key', default: false }),
    'tag-count': Flags.integer({ char: 'l', description: 'tag messages tag0..tagN-1 (0: no tags)', default: 0, min: 0 }),
    async: Flags.boolean({ char: 'y', description: 'fire sends without waiting, at most --in-flight outstanding', default: false }),
    'in-flight': Flags.integer({ description: 'outstanding sends in --async mode (default: --threads)', min: 1 }),
    'report-interval': Flags.integer({ description: 'ms between reports', default: 1000, min: 100 }),
    group: Flags.string({ description: 'producer group', default: 'benchmark_producer' }),
  };

  async run(): Promise<BenchProduceSummary> {
    const { flags } = await this.parse(BenchProduce);
    const producer = new Producer({ namesrvAddrs: resolveNamesrvAddrs(flags.namesrv), producerGroup: flags.group, sendTimeoutMillis: Math.max(3000, flags.timeout), ...connectOptions(flags) });
    const json = this.jsonEnabled();
    const say = (line: string) => (json ? process.stderr.write(`${line}\n`) : this.log(line));
    try {
      return await untilInterrupted(async (signal) => {
        await producer.route(flags.topic);
        say(`topic: ${flags.topic}, threads: ${flags.threads}${flags.async ? `, async, in flight: ${flags['in-flight'] ?? flags.threads}` : ''}, messageSize: ${flags['message-size']}, keys: ${flags.keys}, tagCount: ${flags['tag-count']}`);
        const s = await benchProduce(producer, {
          topic: flags.topic,
          threads: flags.threads,
          async: flags.async,
          ...(flags['in-flight'] !== undefined ? { inFlight: flags['in-flight'] } : {}),
          messageSize: flags['message-size'],
          ...(flags.count !== undefined ? { count: flags.count } : {}),
          ...(flags.duration !== undefined ? { durationSeconds: flags.duration } : {}),
          keys: flags.keys,
          tagCount: flags['tag-count'],
          reportIntervalMillis: flags['report-interval'],
          onInterval: (r) => say(formatInterval(r)),
          signal,
        });
        say(`[Complete] Send Total: ${s.sendTotal} | Send TPS: ${s.sendTps} | Max RT(ms): ${f3(s.rtMillis.max)} | Average RT(ms): ${f3(s.rtMillis.avg)} | Send Failed: ${s.sendFailed} | Response Failed: ${s.responseFailed}`);
        say(`RT(ms) p50: ${f3(s.rtMillis.p50)} | p99: ${f3(s.rtMillis.p99)} | p999: ${f3(s.rtMillis.p999)} | ${s.mbPerSec.toFixed(1)} MB/s over ${s.seconds.toFixed(1)} s`);
        if (s.sendFailed > 0) process.exitCode = EXIT_FAILURE;
        return s;
      });
    } finally {
      producer.shutdown();
    }
  }
}
