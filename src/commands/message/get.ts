import { Flags } from '@oclif/core';
import { describeRecord, findById, findByKey, type FoundMessage } from '../../ops/message-lookup.js';
import { messageView, type MessageView } from '../../ops/message-view.js';
import { InvalidInputError } from '../../errors.js';
import { RmqCommand } from '../support/base.js';
import { openClients } from '../support/clients.js';
import { namesrvFlags } from '../support/namesrv.js';

export { messageView, printableText, type MessageView } from '../../ops/message-view.js';

export default class MessageGet extends RmqCommand {
  static override summary = 'Look up stored messages by id or by key.';
  static override description =
    '--id takes an offset msgId (offsetMsgId of a send result: it names the broker and the commit-log offset) or, with --topic, the ' +
    "producer's msgId (UNIQ_KEY). --key finds messages of --topic whose keys include it, on every broker serving the topic, newest first. " +
    'Exit code 1 when nothing is found.';
  static override examples = [
    '<%= config.bin %> message get --id 7F00000100002A9F0000000000001A2B',
    '<%= config.bin %> message get --id 0A0B0C0D00C818B4AAC2123456780001 --topic Orders',
    '<%= config.bin %> message get --key order-1 --topic Orders --json',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    ...namesrvFlags,
    id: Flags.string({ char: 'i', description: 'offset msgId, or producer msgId (UNIQ_KEY) with --topic', helpValue: 'ID', exactlyOne: ['id', 'key'] }),
    key: Flags.string({ char: 'k', description: 'a message key (needs --topic)', helpValue: 'KEY', exactlyOne: ['id', 'key'], dependsOn: ['topic'] }),
    topic: Flags.string({ char: 't', description: 'topic of the message', helpValue: 'TOPIC' }),
    max: Flags.integer({ description: 'at most this many messages per broker (--key)', default: 32, min: 1, max: 64 }),
    'body-only': Flags.boolean({ description: 'write only the (first) body, raw, to standard output', default: false }),
  };

  async run(): Promise<{ messages: MessageView[] }> {
    const { flags } = await this.parse(MessageGet);
    if (flags.id !== undefined && !/^[0-9A-Fa-f]+$/.test(flags.id)) throw new InvalidInputError(`--id ${JSON.stringify(flags.id)}: a message id is hexadecimal`);
    const clients = openClients(flags);
    try {
      const found = flags.id !== undefined ? await findById(clients, flags.id, flags.topic) : await findByKey(clients, flags.topic as string, flags.key as string, { maxNum: flags.max });
      if (found.length === 0) {
        this.error(`no message of topic ${flags.topic} has key ${flags.key}`, { exit: 1 });
      }
      const views = found.map(messageView);
      if (flags['body-only'] && !this.jsonEnabled()) {
        process.stdout.write(describeRecord((found[0] as FoundMessage).record).body as Buffer);
      } else if (!this.jsonEnabled()) {
        for (const v of views) this.print(v);
      }
      return { messages: views };
    } finally {
      clients.close();
    }
  }

  private print(v: MessageView): void {
    const props = v.properties as Record<string, string>;
    const rows: [string, unknown][] = [
      ['msgId', v.msgId],
      ['offsetMsgId', v.offsetMsgId],
      ['topic', v.topic],
      ['tags', v.tags ?? '-'],
      ['keys', v.keys ?? '-'],
      ['queue', `${v.queueId} offset ${v.queueOffset}`],
      ['broker', v.brokerAddr],
      ['commitLogOffset', v.commitLogOffset],
      ['born', `${new Date(v.bornTimestamp as number).toISOString()} from ${v.bornHost}`],
      ['stored', `${new Date(v.storeTimestamp as number).toISOString()} at ${v.storeHost}`],
      ['reconsumeTimes', v.reconsumeTimes],
      ['flag', v.flag],
      ['properties', Object.entries(props).map(([k, val]) => `${k}=${val}`).join(' ')],
      ['body', v.body.text !== undefined ? `${v.body.bytes} bytes: ${v.body.text}` : `${v.body.bytes} bytes (binary), base64: ${v.body.base64}`],
    ];
    for (const [k, val] of rows) this.log(`${k.padEnd(16)} ${String(val)}`);
    this.log('');
  }
}
