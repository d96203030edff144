import { Args, Flags } from '@oclif/core';
import { describeRecord } from '../../ops/message-lookup.js';
import { tailTopic, TOOLS_CONSUMER_GROUP } from '../../ops/topic-tail.js';
import { RmqCommand } from '../support/base.js';
import { openClients } from '../support/clients.js';
import { namesrvFlags } from '../support/namesrv.js';
import { messageView, printableText } from './get.js';
import { untilInterrupted } from '../support/interrupt.js';

export default class MessageTail extends RmqCommand {
  static override summary = 'Print messages of a topic as they arrive (no consumer group created, no offsets committed).';
  static override description =
    'Long-polls every readable queue of every broker group serving the topic, from the end of each queue (or, with --from-beginning, from ' +
    'its oldest stored message). Pulls name TOOLS_CONSUMER, the group every broker has for tools (as mqadmin does): no group is created and ' +
    'nothing is committed. Each message line names the broker group, queue and offset it came from (and which broker served it). ' +
    'Runs until interrupted (Ctrl-C) or --count messages were printed. With --json, one JSON object per line.';
  static override examples = ['<%= config.bin %> message tail Orders', '<%= config.bin %> message tail Orders --tag "TagA || TagB" --from-beginning --count 10 --json'];
  static override enableJsonFlag = true;
  static override args = { topic: Args.string({ description: 'topic', required: true }) };
  static override flags = {
    ...namesrvFlags,
    tag: Flags.string({ description: "tag expression: '*' or 'TagA || TagB'", default: '*' }),
    'from-beginning': Flags.boolean({ description: 'start at the oldest stored message of each queue', default: false }),
    count: Flags.integer({ char: 'c', description: 'stop after this many messages', min: 1 }),
    group: Flags.string({ description: 'consumer group named in the pulls (nothing is committed for it; a group the brokers do not have is created by those that auto-create groups)', default: TOOLS_CONSUMER_GROUP }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(MessageTail);
    const clients = openClients(flags);
    let printed = 0;
    const json = this.jsonEnabled();
    try {
      await untilInterrupted(async (signal, stop) => {
        const done = tailTopic(clients, {
          topic: args.topic,
          subscription: flags.tag,
          from: flags['from-beginning'] ? 'beginning' : 'end',
          consumerGroup: flags.group,
          signal,
          onMessage: (record, queue, source) => {
            if (signal.aborted) return;
            const from = source.brokerId === 0 ? 'master' : `slave ${source.brokerId}`;
            if (json) {
              const { storedRecord: _s, ...view } = messageView({ addr: source.addr, record, raw: Buffer.alloc(0) });
              process.stdout.write(`${JSON.stringify({ ...view, brokerName: queue.brokerName, brokerId: source.brokerId })}\n`);
            } else {
              const d = describeRecord(record);
              const text = printableText(d.body as Buffer);
              this.log(
                `${new Date(record.storeTimestamp).toISOString()} ${record.topic} ${queue.brokerName}/q${record.queueId}@${record.queueOffset} (${from} ${source.addr}) tags=${String(d.tags ?? '-')} keys=${String(d.keys ?? '-')} msgId=${String(d.msgId)}  ${text ?? `<${(d.body as Buffer).length} bytes binary>`}`,
              );
            }
            if (flags.count !== undefined && ++printed >= flags.count) stop();
          },
          onError: (q, e) => process.stderr.write(`${q.brokerName}/${q.queueId}: ${e.message} (retrying)\n`),
        });
        await Promise.race([done, new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }))]);
        stop();
        clients.close();
        await done;
      });
    } finally {
      clients.close();
    }
  }
}
