import { readFile } from 'node:fs/promises';
import { Args, Flags } from '@oclif/core';
import { Producer, type SendResult } from '../../client/producer.js';
import { InvalidInputError } from '../../errors.js';
import { RmqCommand } from '../support/base.js';
import { namesrvFlags, resolveNamesrvAddrs } from '../support/namesrv.js';
import { connectOptions } from '../support/credentials.js';

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** `k=v` pairs of repeated --property flags. */
export function parseProperties(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new InvalidInputError(`--property ${JSON.stringify(p)}: expected name=value`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

export default class MessageSend extends RmqCommand {
  static override summary = 'Send one message to a topic.';
  static override description =
    'The body is the argument, or the contents of --file, or standard input. Prints the send result: status, msgId (the producer id, ' +
    'UNIQ_KEY), offsetMsgId (broker address + commit-log offset), queue and queue offset. Retries on another broker group as a producer does.';
  static override examples = [
    "<%= config.bin %> message send Orders 'hello' --tag TagA --keys order-1 --property source=cli",
    '<%= config.bin %> message send Orders --file payload.bin',
    'echo hi | <%= config.bin %> message send Orders --json',
  ];
  static override enableJsonFlag = true;
  static override args = {
    topic: Args.string({ description: 'topic', required: true }),
    body: Args.string({ description: 'message body (else --file, else standard input)', required: false }),
  };
  static override flags = {
    ...namesrvFlags,
    file: Flags.string({ char: 'f', description: 'read the body from this file', helpValue: 'PATH', exclusive: ['body'] }),
    tag: Flags.string({ char: 't', description: 'message tag', helpValue: 'TAG' }),
    keys: Flags.string({ char: 'k', description: 'message keys (indexed: `message get --key` finds them); comma-separated or repeated', multiple: true, helpValue: 'KEY' }),
    property: Flags.string({ char: 'P', description: 'user property name=value (repeatable)', multiple: true, helpValue: 'NAME=VALUE' }),
    flag: Flags.integer({ description: 'user int flag stored with the message', default: 0 }),
    'no-wait': Flags.boolean({ description: 'WAIT=false: with SYNC_FLUSH, do not wait for the fsync', default: false }),
    group: Flags.string({ description: 'producer group', default: 'rmqctl_producer' }),
  };

  async run(): Promise<SendResult & { topic: string }> {
    const { args, flags } = await this.parse(MessageSend);
    let body: Buffer;
    if (args.body !== undefined) body = Buffer.from(args.body, 'utf8');
    else if (flags.file !== undefined) {
      try {
        body = await readFile(flags.file);
      } catch (e) {
        throw new InvalidInputError(`--file ${flags.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    } else if (process.stdin.isTTY) throw new InvalidInputError('no message body: give it as an argument, with --file, or on standard input');
    else body = await readStdin();
    const keys = (flags.keys ?? []).flatMap((k) => k.split(',')).map((k) => k.trim()).filter((k) => k !== '');
    const producer = new Producer({ namesrvAddrs: resolveNamesrvAddrs(flags.namesrv), producerGroup: flags.group, sendTimeoutMillis: flags.timeout, ...connectOptions(flags) });
    try {
      const r = await producer.send({
        topic: args.topic,
        body,
        ...(flags.tag !== undefined ? { tags: flags.tag } : {}),
        ...(keys.length > 0 ? { keys } : {}),
        properties: parseProperties(flags.property ?? []),
        flag: flags.flag,
        waitStoreMsgOK: !flags['no-wait'],
      });
      if (!this.jsonEnabled()) {
        this.log(`${r.sendStatus}  msgId ${r.msgId}  offsetMsgId ${r.offsetMsgId}`);
        this.log(`  ${args.topic} ${r.messageQueue.brokerName} queue ${r.messageQueue.queueId} offset ${r.queueOffset}`);
      }
      return { topic: args.topic, ...r };
    } finally {
      producer.shutdown();
    }
  }
}
