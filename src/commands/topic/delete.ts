import { Args, Flags } from '@oclif/core';
import { deleteTopic, type BrokerOutcome } from '../../ops/topic-admin.js';
import { EXIT_FAILURE, InvalidInputError } from '../../errors.js';
import { topicNameProblem } from '../../protocol/topic-names.js';
import { RmqCommand } from '../support/base.js';
import { openClients } from '../support/clients.js';
import { namesrvFlags } from '../support/namesrv.js';

export default class TopicDelete extends RmqCommand {
  static override summary = 'Delete a topic: from the brokers serving it, then from every NameServer (as mqadmin deleteTopic does).';
  static override description =
    'DELETE_TOPIC_IN_BROKER on the master of every broker group serving the topic (only those of --cluster, if given) removes its config and ' +
    'consume queues (its messages become unreachable and age out with the commit log); then DELETE_TOPIC_IN_NAMESRV and the order-topic ' +
    'config on every NameServer. Exit code 1 when any step failed (each is reported).';
  static override examples = ['<%= config.bin %> topic delete Orders', '<%= config.bin %> topic delete Orders --cluster DefaultCluster --json'];
  static override enableJsonFlag = true;
  static override args = { topic: Args.string({ description: 'topic name', required: true }) };
  static override flags = { ...namesrvFlags, cluster: Flags.string({ char: 'c', description: 'only from this cluster', helpValue: 'NAME' }) };

  async run(): Promise<{ topic: string; brokers: BrokerOutcome[]; namesrvs: BrokerOutcome[] }> {
    const { args, flags } = await this.parse(TopicDelete);
    const problem = topicNameProblem(args.topic);
    if (problem !== undefined) throw new InvalidInputError(problem);
    const clients = openClients(flags);
    try {
      const r = await deleteTopic(clients, args.topic, flags.cluster);
      if (!this.jsonEnabled()) {
        if (r.brokers.length === 0) this.log(`${args.topic}: no broker serves it`);
        for (const b of r.brokers) this.log(b.ok ? `${args.topic}: deleted from ${b.brokerName} (${b.addr})` : `${args.topic}: FAILED on ${b.brokerName} (${b.addr}): ${b.error}`);
        for (const n of r.namesrvs) this.log(n.ok ? `${args.topic}: deleted from NameServer ${n.addr}` : `${args.topic}: FAILED on NameServer ${n.addr}: ${n.error}`);
      }
      if ([...r.brokers, ...r.namesrvs].some((b) => !b.ok)) process.exitCode = EXIT_FAILURE;
      return { topic: args.topic, ...r };
    } finally {
      clients.close();
    }
  }
}
