import { readFile } from 'node:fs/promises';
import { Args, Flags } from '@oclif/core';
import { DEFAULT_SEND_TIMEOUT_MILLIS, Producer, type SendResult, type SendStatus } from '../../client/producer.js';
import { EXIT_FAILURE, InvalidInputError, RmqError } from '../../errors.js';
import { RmqCommand } from '../support/base.js';
import { adminClient, namesrvFlags, resolveNamesrvAddrs } from '../support/namesrv.js';
import { connectOptions, type TlsFlagValues } from '../support/credentials.js';
import type { Message } from '../../client/message.js';
import type { LocalTransactionState } from '../../client/transaction-producer.js';
import { sendTransactional, type TransactionalMode, type TransactionalSendOutput } from '../../ops/transactional-send.js';

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

/** No NameServer has a route for the topic (a NameServer that cannot be asked leaves it to the send). */
async function topicMissing(namesrvAddrs: string[], topic: string, flags: { timeout: number } & TlsFlagValues): Promise<boolean> {
  const admin = adminClient(namesrvAddrs, flags.timeout, flags);
  try {
    return (await admin.topicRoute(topic)) === undefined;
  } catch {
    return false;
  } finally {
    admin.close();
  }
}
/**
 * What a send status other than SEND_OK means for the message, and what to do. Every one of them
 * is a stored message (it has a msgId and a queue offset) that is not as safe as asked for.
 */
export const SEND_STATUS_MEANING: Record<Exclude<SendStatus, 'SEND_OK'>, string> = {
  FLUSH_DISK_TIMEOUT:
    'the broker stored the message but did not get it onto its disk within syncFlushTimeout (a slow or full disk): it is lost if that broker stops or its machine fails before the write. Check the broker (rmqctl status); sending again may duplicate it.',
  FLUSH_SLAVE_TIMEOUT:
    'stored on the master, but its slave did not confirm within slaveTimeout: it is lost if the master fails before the slave has it. Check the group’s slave (rmqctl status); sending again may duplicate it.',
  SLAVE_NOT_AVAILABLE:
    'stored on the master only: the SYNC_MASTER has no slave in sync to copy it to (slave down, silent or catching up). It is lost if the master’s disk fails before a slave has it. Check the group’s slave (rmqctl status); sending again may duplicate it.',
};

export type MessageSendOutput = SendResult & { topic: string; /** SEND_OK */ ok: boolean; /** What a status other than SEND_OK means. */ meaning?: string };

export default class MessageSend extends RmqCommand {
  static override summary = 'Send one message to a topic.';
  static override description =
    'The body is the argument, or the contents of --file, or standard input. Prints the send result: status, msgId (the producer id, ' +
    'UNIQ_KEY), offsetMsgId (broker address + commit-log offset), queue and queue offset. Retries on another broker group as a producer does. ' +
    'Exits 1 unless the status is SEND_OK, saying what the status means: FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT and SLAVE_NOT_AVAILABLE are stored but not as safe as a SEND_OK (--json carries sendStatus, ok and meaning).';
  static override examples = [
    "<%= config.bin %> message send Orders 'hello' --tag TagA --keys order-1 --property source=cli",
    '<%= config.bin %> message send Orders --file payload.bin',
    "<%= config.bin %> message send Orders 'order 42' --keys order-42 --transactional commit",
    "<%= config.bin %> message send Orders 'order 43' --transactional check --check-answer commit",
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
    create: Flags.boolean({ description: 'a topic that does not exist is created by the broker from its defaults (autoCreateTopicEnable); without it such a send is refused', default: false }),
    transactional: Flags.string({
      description:
        'send it as a transactional message, both phases: a half message (stored, not visible), then `commit` or `rollback` as the local transaction says; ' +
        '`check` leaves the transaction open and waits for the broker to check back (after transactionTimeOut, every transactionCheckInterval), answering with --check-answer',
      options: ['commit', 'rollback', 'check'],
      helpValue: 'commit|rollback|check',
    }),
    'check-answer': Flags.string({ description: 'with --transactional check: what this producer answers the broker’s check (unknown: leave it to the next check)', options: ['commit', 'rollback', 'unknown'], default: 'commit', dependsOn: ['transactional'] }),
    'check-timeout': Flags.integer({ description: 'with --transactional check: give up waiting for the broker’s check after this many ms (the transaction stays open)', default: 120_000, min: 1, helpValue: 'MS', dependsOn: ['transactional'] }),
    timeout: Flags.integer({
      description: 'send timeout in ms, every attempt included; the default is longer than a broker waits for its disk (syncFlushTimeout 5 s) and its slave (slaveTimeout 3 s), so a stored message is not reported as a timeout',
      default: DEFAULT_SEND_TIMEOUT_MILLIS,
      min: 1,
      helpValue: 'MS',
    }),
  };

  async run(): Promise<MessageSendOutput | TransactionalSendOutput> {
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
    const namesrvAddrs = resolveNamesrvAddrs(flags.namesrv);
    // a mistyped topic is not created silently (finding 9 of #21)
    if (!flags.create && (await topicMissing(namesrvAddrs, args.topic, flags))) {
      throw new RmqError(`topic ${args.topic} does not exist; create it with \`rmqctl topic create ${args.topic}\` (or send with --create to let the broker create it from its defaults)`);
    }
    const message: Message = {
      topic: args.topic,
      body,
      ...(flags.tag !== undefined ? { tags: flags.tag } : {}),
      ...(keys.length > 0 ? { keys } : {}),
      properties: parseProperties(flags.property ?? []),
      flag: flags.flag,
      waitStoreMsgOK: !flags['no-wait'],
    };
    if (flags.transactional !== undefined) return this.sendTransactional(message, namesrvAddrs, flags as typeof flags & { transactional: TransactionalMode });
    const producer = new Producer({ namesrvAddrs, producerGroup: flags.group, sendTimeoutMillis: flags.timeout, autoCreateTopic: flags.create, ...connectOptions(flags) });
    try {
      const r = await producer.send(message);
      const ok = r.sendStatus === 'SEND_OK';
      const out: MessageSendOutput = { topic: args.topic, ...r, ok, ...(ok ? {} : { meaning: SEND_STATUS_MEANING[r.sendStatus as Exclude<SendStatus, 'SEND_OK'>] }) };
      if (!this.jsonEnabled()) {
        this.log(`${r.sendStatus}  msgId ${r.msgId}  offsetMsgId ${r.offsetMsgId}`);
        this.log(`  ${args.topic} ${r.messageQueue.brokerName} queue ${r.messageQueue.queueId} offset ${r.queueOffset}`);
        if (!ok) this.logToStderr(`${r.sendStatus}: ${out.meaning}`);
      }
      if (!ok) {
        if (this.jsonEnabled()) this.logJson(out);
        this.exit(EXIT_FAILURE);
      }
      return out;
    } finally {
      producer.shutdown();
    }
  }

  /** --transactional: ops/transactional-send.ts, its steps printed as they happen. */
  private async sendTransactional(message: Message, namesrvAddrs: string[], flags: { transactional: TransactionalMode; group: string; timeout: number; create: boolean; 'check-answer': string; 'check-timeout': number } & TlsFlagValues): Promise<TransactionalSendOutput> {
    const answers: Record<string, LocalTransactionState> = { commit: 'COMMIT_MESSAGE', rollback: 'ROLLBACK_MESSAGE', unknown: 'UNKNOW' };
    const say = (line: string) => {
      if (!this.jsonEnabled()) this.log(line);
    };
    const out = await sendTransactional(
      message,
      {
        namesrvAddrs,
        producerGroup: flags.group,
        sendTimeoutMillis: flags.timeout,
        autoCreateTopic: flags.create,
        mode: flags.transactional,
        checkAnswer: answers[flags['check-answer']] ?? 'COMMIT_MESSAGE',
        checkTimeoutMillis: flags['check-timeout'],
        ...connectOptions(flags),
      },
      (e) => {
        if (e.kind === 'half') say(`half message ${e.result.sendStatus}  msgId ${e.result.msgId}  transactionId ${e.result.transactionId}  (${message.topic} ${e.result.messageQueue.brokerName} queue ${e.result.messageQueue.queueId}; not visible to consumers yet)`);
        else if (e.kind === 'waiting') say(`local transaction: UNKNOW; waiting up to ${e.timeoutMillis} ms for the broker to check back (producer group ${flags.group})`);
        else say(`check ${e.n} from the broker: answered ${e.answer}${e.error !== undefined ? ` (ending failed: ${e.error})` : ''}`);
      },
    );
    say(out.error === undefined ? `transaction ${out.outcome}${out.checks > 0 ? ` after ${out.checks} check(s)` : ''}` : `transaction ${out.outcome}: ${out.error}`);
    if (out.error !== undefined) {
      if (this.jsonEnabled()) this.logJson(out);
      this.exit(EXIT_FAILURE);
    }
    return out;
  }
}
