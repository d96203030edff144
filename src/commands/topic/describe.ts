import { Args } from '@oclif/core';
import { describeTopic, type TopicDescription } from '../../ops/topic-admin.js';
import { EXIT_FAILURE } from '../../errors.js';
import { permToString } from '../../protocol/perm.js';
import { RmqCommand } from '../support/base.js';
import { openClients } from '../support/clients.js';
import { namesrvFlags } from '../support/namesrv.js';
import { table } from '../support/table.js';
import { transactionTable } from '../support/transaction-format.js';
import { TopicNotFoundError } from './route.js';

export default class TopicDescribe extends RmqCommand {
  static override summary = 'Show a topic: its broker groups, and per queue the min/max offset and when it last got a message.';
  static override description =
    'Gets the route from a NameServer, then GET_TOPIC_STATS_INFO from the master of every broker group serving the topic. ' +
    'Messages in a queue = max − min. Transactional messages whose producer has neither committed nor rolled them back yet (half messages) are listed per broker and producer group, with the checks the broker made. ' +
    'Exit code 1 when the topic has no route or a broker could not be asked.';
  static override examples = ['<%= config.bin %> topic describe Orders', "<%= config.bin %> topic describe Orders --namesrv '10.0.0.1:9876' --json"];
  static override enableJsonFlag = true;
  static override args = { topic: Args.string({ description: 'topic name', required: true }) };
  static override flags = { ...namesrvFlags };

  async run(): Promise<TopicDescription> {
    const { args, flags } = await this.parse(TopicDescribe);
    const clients = openClients(flags);
    try {
      const d = await describeTopic(clients, args.topic);
      if (d === undefined) throw new TopicNotFoundError(`topic ${args.topic} has no route: no registered broker serves it`);
      if (!this.jsonEnabled()) this.print(d);
      if (d.brokers.some((b) => b.error !== undefined)) process.exitCode = EXIT_FAILURE;
      return d;
    } finally {
      clients.close();
    }
  }

  private print(d: TopicDescription): void {
    this.log(`Topic ${d.topic}${d.route.orderTopicConf ? `  (order topic: ${d.route.orderTopicConf})` : ''}`);
    this.log(table([['BROKER', 'MASTER', 'READ', 'WRITE', 'PERM', 'PUT TPS'], ...d.brokers.map((b) => [b.brokerName, b.addr ?? '-', String(b.readQueueNums), String(b.writeQueueNums), permToString(b.perm), b.topicPutTps.toFixed(1)])]).join('\n'));
    const rows = [['BROKER', 'QUEUE', 'MIN OFFSET', 'MAX OFFSET', 'MESSAGES', 'LAST UPDATE']];
    for (const b of d.brokers) {
      if (b.error !== undefined) rows.push([b.brokerName, '-', '-', '-', '-', `ERROR: ${b.error}`]);
      for (const q of b.queues) rows.push([q.brokerName, String(q.queueId), String(q.minOffset), String(q.maxOffset), String(q.maxOffset - q.minOffset), q.lastUpdateTimestamp > 0 ? new Date(q.lastUpdateTimestamp).toISOString() : '-']);
    }
    this.log('');
    this.log(table(rows).join('\n'));
    const total = d.brokers.reduce((n, b) => n + b.queues.reduce((m, q) => m + q.maxOffset - q.minOffset, 0), 0);
    this.log(`\n  ${total} message(s) stored`);
    const tx = d.transactions.filter((b) => b.pending > 0 || b.error !== undefined);
    if (tx.length > 0) {
      this.log('\nTransactions: half messages waiting for their commit or rollback');
      this.log(transactionTable(tx).join('\n'));
    }
  }
}
