import { Flags } from '@oclif/core';
import { benchConsume, type BenchConsumeSummary, type ConsumeIntervalReport } from '../../ops/bench/consume.js';
import { PushConsumer } from '../../client/consumer/push-consumer.js';
import { RmqCommand } from '../support/base.js';
import { namesrvFlags, resolveNamesrvAddrs } from '../support/namesrv.js';
import { connectOptions } from '../support/credentials.js';
import { untilInterrupted } from '../support/interrupt.js';

const f3 = (n: number) => n.toFixed(3);

export function formatConsumeInterval(r: ConsumeIntervalReport): string {
  return `Current Time: ${r.time} | Consume TPS: ${r.consumeTps} | AVG(B2C) RT(ms): ${f3(r.avgB2cMillis)} | AVG(S2C) RT(ms): ${f3(r.avgS2cMillis)} | MAX(B2C) RT(ms): ${r.maxB2cMillis} | MAX(S2C) RT(ms): ${r.maxS2cMillis}`;
}

export default class BenchConsume extends RmqCommand {
  static override summary = 'Measure consume throughput and latency of a consumer group (RocketMQ benchmark Consumer vocabulary).';
  static override description =
    'A push consumer of --group reads --topic (from the first offset when the group is new, so a topic filled by bench produce is read ' +
    'from its start) for --count messages or --duration seconds (else until Ctrl-C). Every --report-interval prints the Consume TPS and ' +
    'the born-to-consume (B2C) and store-to-consume (S2C) latency; at the end the totals, p50/p99 and MB/s. B2C and S2C use the ' +
    "producer's and the broker's clocks. With --json the intervals go to standard error and the summary to standard output.";
  static override examples = [
    '<%= config.bin %> bench consume --topic BenchmarkTest --group benchmark_consumer --duration 30',
    '<%= config.bin %> bench consume --count 1000000 --concurrency 64 --json',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    ...namesrvFlags,
    topic: Flags.string({ char: 't', description: 'topic', default: 'BenchmarkTest' }),
    group: Flags.string({ char: 'g', description: 'consumer group', default: 'benchmark_consumer' }),
    tag: Flags.string({ description: "tag expression: '*' or 'TagA || TagB'", default: '*' }),
    from: Flags.string({ description: 'where a new group starts', options: ['first', 'last'], default: 'first' }),
    concurrency: Flags.integer({ description: 'messages handled at the same time', default: 20, min: 1, max: 1000 }),
    'batch-size': Flags.integer({ description: 'messages per pull', default: 32, min: 1, max: 1024 }),
    count: Flags.integer({ char: 'q', description: 'stop after this many messages', min: 1 }),
    duration: Flags.integer({ description: 'stop after this many seconds', min: 1 }),
    'report-interval': Flags.integer({ description: 'ms between reports', default: 1000, min: 100 }),
  };

  async run(): Promise<BenchConsumeSummary & { topic: string; group: string }> {
    const { flags } = await this.parse(BenchConsume);
    const consumer = new PushConsumer({
      namesrvAddrs: resolveNamesrvAddrs(flags.namesrv),
      consumerGroup: flags.group,
      consumeFromWhere: flags.from === 'first' ? 'CONSUME_FROM_FIRST_OFFSET' : 'CONSUME_FROM_LAST_OFFSET',
      consumeConcurrency: flags.concurrency,
      pullBatchSize: flags['batch-size'],
      timeoutMillis: flags.timeout,
      instanceName: `rmqctl-bench-${process.pid}`,
      ...connectOptions(flags),
    });
    consumer.subscribe(flags.topic, flags.tag);
    const json = this.jsonEnabled();
    const say = (line: string) => (json ? process.stderr.write(`${line}\n`) : this.log(line));
    return untilInterrupted(async (signal) => {
      say(`topic: ${flags.topic}, group: ${flags.group}, concurrency: ${flags.concurrency}, batch: ${flags['batch-size']}`);
      const s = await benchConsume(consumer, {
        ...(flags.count !== undefined ? { count: flags.count } : {}),
        ...(flags.duration !== undefined ? { durationSeconds: flags.duration } : {}),
        reportIntervalMillis: flags['report-interval'],
        onInterval: (r) => say(formatConsumeInterval(r)),
        signal,
      });
      say(`[Complete] Consume Total: ${s.consumed} | Consume TPS: ${s.consumeTps} | AVG(B2C) RT(ms): ${f3(s.b2cMillis.avg)} | AVG(S2C) RT(ms): ${f3(s.s2cMillis.avg)} | MAX(B2C): ${s.b2cMillis.max} | MAX(S2C): ${s.s2cMillis.max}`);
      say(`B2C RT(ms) p50: ${f3(s.b2cMillis.p50)} | p99: ${f3(s.b2cMillis.p99)} | S2C p50: ${f3(s.s2cMillis.p50)} | p99: ${f3(s.s2cMillis.p99)} | ${s.mbPerSec.toFixed(1)} MB/s over ${s.seconds.toFixed(1)} s`);
      return { topic: flags.topic, group: flags.group, ...s };
    });
  }
}
