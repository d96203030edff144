import { Args, Flags } from '@oclif/core';
import { Producer, RecallError } from '../../client/producer.js';
import { InvalidMessageError } from '../../client/message.js';
import { InvalidInputError } from '../../errors.js';
import { decodeRecallHandle, RecallHandleError } from '../../protocol/message/recall-handle.js';
import { RmqCommand } from '../support/base.js';
import { connectOptions } from '../support/credentials.js';
import { namesrvFlags, resolveNamesrvAddrs } from '../support/namesrv.js';

export interface MessageRecallOutput {
  topic: string;
  /** The recalled message's id (UNIQ_KEY). */
  msgId: string;
  /** The broker that held it. */
  brokerName: string;
  /** When it would have been delivered (ISO-8601). */
  wasDueAt: string;
}

export default class MessageRecall extends RmqCommand {
  static override summary = 'Recall a pending timer message: it is never delivered.';
  static override description =
    'Takes the topic and the recall handle a timer message\'s send returned (`message send --delay/--deliver-at` prints it; a v5 ' +
    'SendReceipt carries it as recallHandle). The handle names the broker that holds the message; the recall goes to that broker\'s master. ' +
    'Exit 2 for a malformed handle or one of another topic; exit 1 when the broker refuses: the message is already due (delivered), or it holds no such message.';
  static override examples = ['<%= config.bin %> message recall Orders djEgT3JkZXJzIGJyb2tlci1hIDE3NjQzNTAwMDAwMDEgMEEwMDAwMDEwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDE=', '<%= config.bin %> message recall Orders "$HANDLE" --json'];
  static override enableJsonFlag = true;
  static override args = {
    topic: Args.string({ description: 'topic the message was sent to', required: true }),
    handle: Args.string({ description: 'the recall handle from the send result', required: true }),
  };
  static override flags = {
    ...namesrvFlags,
    group: Flags.string({ description: 'producer group named in the recall', default: 'rmqctl_producer' }),
    timeout: Flags.integer({ description: 'request timeout in ms', default: 10_000, min: 1, helpValue: 'MS' }),
  };

  async run(): Promise<MessageRecallOutput> {
    const { args, flags } = await this.parse(MessageRecall);
    let handle;
    try {
      handle = decodeRecallHandle(args.handle);
    } catch (e) {
      if (e instanceof RecallHandleError) throw new InvalidInputError(`HANDLE: ${e.message}`);
      throw e;
    }
    if (handle.topic !== args.topic) throw new InvalidInputError(`HANDLE: the recall handle is for topic ${handle.topic}, not ${args.topic}`);
    const producer = new Producer({ namesrvAddrs: resolveNamesrvAddrs(flags.namesrv), producerGroup: flags.group, ...connectOptions(flags) });
    try {
      const msgId = await producer.recallMessage(args.topic, args.handle, flags.timeout);
      const out: MessageRecallOutput = { topic: args.topic, msgId, brokerName: handle.brokerName, wasDueAt: new Date(handle.timestamp - 1).toISOString() };
      if (!this.jsonEnabled()) this.log(`RECALLED  msgId ${msgId}  ${args.topic} on ${handle.brokerName} (was due ${out.wasDueAt})`);
      return out;
    } catch (e) {
      if (e instanceof InvalidMessageError) throw new InvalidInputError(e.message);
      if (e instanceof RecallError) this.error(e.message, { exit: 1 });
      throw e;
    } finally {
      producer.shutdown();
    }
  }
}
