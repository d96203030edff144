import { Args, Flags } from '@oclif/core';
import { InvalidInputError } from '../../errors.js';
import { Perm, permToString } from '../../protocol/perm.js';
import { createTopic, type BrokerOutcome } from '../../ops/topic-admin.js';
import { topicNameProblem } from '../../protocol/topic-names.js';
import { EXIT_FAILURE } from '../../errors.js';
import { RmqCommand } from '../support/base.js';
import { openClients } from '../support/clients.js';
import { namesrvFlags } from '../support/namesrv.js';

/** `6`, `rw`, `r`, `w`, `rwx` (x = inherit) → perm bits. */
export function parsePerm(s: string): number {
  if (/^[0-7]$/.test(s)) return Number(s);
  const t = s.toLowerCase().replace(/-/g, '');
  if (/^[rwx]+$/.test(t) && new Set(t).size === t.length) {
    return (t.includes('r') ? Perm.READ : 0) | (t.includes('w') ? Perm.WRITE : 0) | (t.includes('x') ? Perm.INHERIT : 0);
  }
  throw new InvalidInputError(`--perm ${JSON.stringify(s)}: expected 0-7 (READ 4 + WRITE 2 + INHERIT 1) or letters such as rw, r, w`);
}

export default class TopicCreate extends RmqCommand {
  static override summary = 'Create a topic (or update its queues and permissions) on every master of a cluster, or on one broker group.';
  static override description =
    'Sends UPDATE_AND_CREATE_TOPIC to each master; each broker registers the change with the NameServers at once, so the route exists when this returns. ' +
    'Running it again with other numbers updates the topic (an identical config changes nothing). --order also records the order-topic config ' +
    '(broker:queues;…) on every NameServer. Exit code 1 when any broker failed (each broker is reported).';
  static override examples = [
    '<%= config.bin %> topic create Orders --cluster DefaultCluster',
    "<%= config.bin %> topic create Orders --broker broker-a --read-queues 16 --write-queues 16 --namesrv '10.0.0.1:9876'",
    '<%= config.bin %> topic create Payments --cluster DefaultCluster --order --json',
  ];
  static override enableJsonFlag = true;
  static override args = { topic: Args.string({ description: 'topic name ([%|a-zA-Z0-9_-], at most 127 characters)', required: true }) };
  static override flags = {
    ...namesrvFlags,
    cluster: Flags.string({ char: 'c', description: 'create on every master of this cluster', helpValue: 'NAME', exactlyOne: ['cluster', 'broker'] }),
    broker: Flags.string({ char: 'b', description: 'create on this broker group (name, or master address host:port)', helpValue: 'NAME|ADDR', exactlyOne: ['cluster', 'broker'] }),
    'read-queues': Flags.integer({ char: 'r', description: 'read queues per broker', default: 8, min: 0, max: 16384 }),
    'write-queues': Flags.integer({ char: 'w', description: 'write queues per broker', default: 8, min: 0, max: 16384 }),
    perm: Flags.string({ char: 'p', description: 'permission: 6 / rw (read-write), 4 / r (read-only), 2 / w (write-only)', default: '6' }),
    order: Flags.boolean({ char: 'o', description: 'an order (FIFO) topic: also record its queue layout on the NameServers', default: false }),
    'multi-tag': Flags.boolean({ description: 'MULTI_TAG filter type (default SINGLE_TAG)', default: false }),
    'message-type': Flags.string({
      description: 'what RocketMQ 5 (v5 gRPC) producers may send to it: the topic attribute message.type (RocketMQ default NORMAL)',
      options: ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION'],
    }),
  };

  async run(): Promise<{ topic: string; perm: number; readQueueNums: number; writeQueueNums: number; brokers: BrokerOutcome[]; orderConf?: string; namesrvs?: BrokerOutcome[] }> {
    const { args, flags } = await this.parse(TopicCreate);
    const problem = topicNameProblem(args.topic);
    if (problem !== undefined) throw new InvalidInputError(problem);
    const perm = parsePerm(flags.perm);
    if (flags['read-queues'] === 0 && flags['write-queues'] === 0) throw new InvalidInputError('--read-queues and --write-queues are both 0: a topic needs at least one queue');
    const clients = openClients(flags);
    try {
      const sel = flags.cluster !== undefined ? { cluster: flags.cluster } : { broker: flags.broker as string };
      const result = await createTopic(clients, sel, {
        topicName: args.topic,
        readQueueNums: flags['read-queues'],
        writeQueueNums: flags['write-queues'],
        perm,
        order: flags.order,
        topicFilterType: flags['multi-tag'] ? 'MULTI_TAG' : 'SINGLE_TAG',
        ...(flags['message-type'] !== undefined ? { attributes: `+message.type=${flags['message-type']}` } : {}),
      });
      if (!this.jsonEnabled()) {
        for (const b of result.brokers) {
          this.log(b.ok ? `${args.topic}: created/updated on ${b.brokerName} (${b.addr}), ${flags['read-queues']} read / ${flags['write-queues']} write queues, perm ${permToString(perm)}` : `${args.topic}: FAILED on ${b.brokerName} (${b.addr}): ${b.error}`);
        }
        for (const n of result.namesrvs ?? []) this.log(n.ok ? `order config ${result.orderConf} recorded on NameServer ${n.addr}` : `order config FAILED on NameServer ${n.addr}: ${n.error}`);
      }
      if ([...result.brokers, ...(result.namesrvs ?? [])].some((b) => !b.ok)) process.exitCode = EXIT_FAILURE;
      return { topic: args.topic, perm, readQueueNums: flags['read-queues'], writeQueueNums: flags['write-queues'], ...result };
    } finally {
      clients.close();
    }
  }
}
