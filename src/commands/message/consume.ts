import { Args, Flags } from '@oclif/core';
import type { ConsumedMessage } from '../../client/consumer/consumed-message.js';
import { PushConsumer } from '../../client/consumer/push-consumer.js';
import { InvalidInputError, RmqError } from '../../errors.js';
import { RmqCommand } from '../support/base.js';
import { resolveNamesrvAddrs, adminClient, namesrvFlags } from '../support/namesrv.js';
import { parseTimeFlag } from '../support/time.js';
import { printableText } from './get.js';
import { connectOptions } from '../support/credentials.js';
import { untilInterrupted } from '../support/interrupt.js';

/** One consumed message as `--json` prints it (a line each). */
export function consumedView(m: ConsumedMessage): Record<string, unknown> {
  const text = printableText(m.body);
  return {
    topic: m.topic,
    brokerName: m.queue.brokerName,
    queueId: m.queue.queueId,
    queueOffset: m.queueOffset,
    msgId: m.msgId,
    offsetMsgId: m.offsetMsgId,
    tags: m.tags ?? null,
    keys: m.keys,
    reconsumeTimes: m.reconsumeTimes,
    bornTimestamp: m.bornTimestamp,
    storeTimestamp: m.storeTimestamp,
    bornHost: m.bornHost,
    storeHost: m.storeHost,
    properties: Object.fromEntries(m.properties),
    body: { ...(text !== undefined ? { text } : {}), base64: m.body.toString('base64'), bytes: m.body.length },
  };
}

type From = { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' | 'CONSUME_FROM_LAST_OFFSET' } | { consumeFromWhere: 'CONSUME_FROM_TIMESTAMP'; consumeTimestamp: number };

function parseFrom(v: string): From {
  if (v === 'first') return { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' };
  if (v === 'last') return { consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET' };
  try {
    return { consumeFromWhere: 'CONSUME_FROM_TIMESTAMP', consumeTimestamp: parseTimeFlag(v, '--from') };
  } catch {
    throw new InvalidInputError(`--from: expected first, last, 'now', epoch ms or an ISO-8601 time, got '${v}'`);
  }
}

export default class MessageConsume extends RmqCommand {
  static override summary = 'Consume a topic as a member of a consumer group, printing each message; offsets are committed.';
  static override description =
    'Joins --group (CLUSTERING: the group\'s queues are shared with its other members; --broadcast: this process gets every message, ' +
    'offsets kept in memory only), consumes one message at a time and commits the offsets when it stops — after --count messages, or on ' +
    'Ctrl-C. --from says where a group without committed offsets starts (first, last, or a time); a group with offsets resumes from ' +
    'them. A message pulled but not printed before stopping stays unacknowledged and is delivered again. With --json, one JSON object ' +
    'per line.';
  static override examples = [
    '<%= config.bin %> message consume Orders --group OrderAudit --from first --count 10',
    '<%= config.bin %> message consume Orders --group OrderAudit --tag "TagA || TagB" --from 2026-11-28T09:00:00Z --json',
  ];
  static override enableJsonFlag = true;
  static override args = { topic: Args.string({ description: 'topic', required: true }) };
  static override flags = {
    ...namesrvFlags,
    group: Flags.string({ char: 'g', description: 'consumer group', helpValue: 'GROUP', required: true }),
    tag: Flags.string({ description: "tag expression: '*' or 'TagA || TagB'", default: '*', exclusive: ['sql'] }),
    sql: Flags.string({ description: "SQL92 filter over message properties, e.g. \"a > 5 AND b = 'x'\" (the brokers need enablePropertyFilter=true)" }),
    from: Flags.string({ description: "where a new group starts: first, last, or a time ('now', epoch ms, ISO-8601)", default: 'last', helpValue: 'first|last|TIME' }),
    count: Flags.integer({ char: 'c', description: 'stop after this many messages', min: 1 }),
    broadcast: Flags.boolean({ description: 'BROADCASTING: get every message, whatever other members get', default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(MessageConsume);
    const namesrvAddrs = resolveNamesrvAddrs(flags.namesrv);
    const from = parseFrom(flags.from);
    const admin = adminClient(namesrvAddrs, flags.timeout, flags);
    try {
      const route = await admin.topicRoute(args.topic);
      if (route === undefined || route.queueDatas.length === 0) throw new RmqError(`topic ${args.topic} has no route: no registered broker serves it`);
    } finally {
      admin.close();
    }
    const consumer = new PushConsumer({
      namesrvAddrs,
      consumerGroup: flags.group,
      messageModel: flags.broadcast ? 'BROADCASTING' : 'CLUSTERING',
      ...from,
      // one at a time: --count is exact and the output in queue order
      consumeConcurrency: 1,
      timeoutMillis: flags.timeout,
      instanceName: `rmqctl-${process.pid}`,
      ...connectOptions(flags),
    });
    consumer.subscribe(args.topic, flags.sql !== undefined ? { sql: flags.sql } : flags.tag);
    const json = this.jsonEnabled();
    let printed = 0;
    await untilInterrupted(async (signal, interrupt) => {
      let stopping: Promise<void> | undefined;
      // shutdown() marks the consumer stopping at once: no further message reaches the handler
      const stop = () => (stopping ??= consumer.shutdown());
      signal.addEventListener('abort', stop, { once: true });
      try {
        await consumer.start((m) => {
          if (json) process.stdout.write(`${JSON.stringify(consumedView(m))}\n`);
          else {
            const text = printableText(m.body);
            this.log(
              `${new Date(m.storeTimestamp).toISOString()} ${m.topic} ${m.queue.brokerName}/q${m.queue.queueId}@${m.queueOffset} tags=${m.tags ?? '-'} keys=${m.keys.join(' ') || '-'} ` +
                `msgId=${m.msgId}${m.reconsumeTimes > 0 ? ` reconsumeTimes=${m.reconsumeTimes}` : ''}  ${text ?? `<${m.body.length} bytes binary>`}`,
            );
          }
          printed++;
          if (flags.count !== undefined && printed >= flags.count) interrupt();
        });
        if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        await stop();
        process.stderr.write(`${printed} message(s) consumed by group ${flags.group}; offsets committed\n`);
      } finally {
        await stop();
      }
    });
  }
}
