import { Args, Flags } from '@oclif/core';
import { describeGroup, type GroupProgress } from '../../ops/group-admin.js';
import { EXIT_FAILURE } from '../../errors.js';
import { RmqCommand } from '../support/base.js';
import { openClients } from '../support/clients.js';
import { namesrvFlags } from '../support/namesrv.js';
import { table } from '../support/table.js';
import { transactionTable } from '../support/transaction-format.js';

const time = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());
/** A queue's holders: client ids, '-' for nobody, 'unknown' when a client did not say. */
const holders = (clients: string[] | null | undefined): string => (clients === null || clients === undefined ? 'unknown' : clients.length === 0 ? '-' : clients.join(','));

export default class GroupDescribe extends RmqCommand {
  static override summary = "Show a consumer group's progress per queue (RocketMQ's consumerProgress) and its connected clients.";
  static override description =
    'For every broker group whose master knows the group: per topic and queue the broker offset (the queue\'s end), the committed consumer ' +
    'offset, the lag between them and the store time of the last consumed message (GET_CONSUME_STATS), and the consumers connected ' +
    '(GET_CONSUMER_CONNECTION_LIST), and per queue the client that holds it, as each client says (GET_CONSUMER_RUNNING_INFO, forwarded by ' +
    'the broker; a client that does not answer — ali-ons does not — leaves the queues nobody else claims "unknown"). A lag that cannot be known (no committed offset, broker unreachable) shows as "unknown", never 0. ' +
    'The same name as a producer group: its transactional (half) messages still waiting for a commit or rollback on each master, with the checks the broker made (shown also when no consumer group has the name). ' +
    'Exit code 1 when a broker could not be asked or the group is unknown.';
  static override examples = ['<%= config.bin %> group describe OrderConsumers', '<%= config.bin %> group describe OrderConsumers --topic Orders --json'];
  static override enableJsonFlag = true;
  static override args = { group: Args.string({ description: 'consumer group', required: true }) };
  static override flags = {
    ...namesrvFlags,
    topic: Flags.string({ char: 't', description: 'only this topic', helpValue: 'TOPIC' }),
    'client-timeout': Flags.integer({ description: 'how long each client may take to say which queues it holds (ms)', default: 3000, min: 1, helpValue: 'MS' }),
  };

  async run(): Promise<GroupProgress> {
    const { args, flags } = await this.parse(GroupDescribe);
    const clients = openClients(flags);
    try {
      const g = await describeGroup(clients, args.group, { clientTimeoutMillis: flags['client-timeout'], ...(flags.topic === undefined ? {} : { topic: flags.topic }) });
      if (!this.jsonEnabled()) this.print(g);
      if (g.problems.length > 0) process.exitCode = EXIT_FAILURE;
      return g;
    } finally {
      clients.close();
    }
  }

  private print(g: GroupProgress): void {
    const mode = g.messageModel === undefined ? 'no consumer online' : `${g.messageModel}, ${g.consumeType ?? '?'}, ${g.consumeFromWhere ?? '?'}`;
    this.log(`Group ${g.group}  (${mode})`);
    const rows = [['TOPIC', 'BROKER', 'QUEUE', 'BROKER OFFSET', 'CONSUMER OFFSET', 'LAG', 'INFLIGHT', 'LAST CONSUME TIME', 'CLIENT']];
    for (const q of g.queues) {
      rows.push([q.topic, q.brokerName, String(q.queueId), String(q.brokerOffset), q.consumerOffset === null ? '-' : String(q.consumerOffset), q.lag === null ? 'unknown' : String(q.lag), q.inflight === undefined ? '-' : String(q.inflight), time(q.lastConsumeTimestamp), holders(q.clients)]);
    }
    for (const p of g.problems) rows.push(['?', p.brokerName, '-', '-', '-', 'unknown', '-', `ERROR: ${p.error}`, '-']);
    this.log(table(rows).join('\n'));
    const known = g.queues.filter((q) => q.lag !== null);
    const unknown = g.queues.length - known.length + g.problems.length;
    this.log(`\n  total lag ${known.reduce((n, q) => n + (q.lag as number), 0)}${unknown > 0 ? ` (+ ${unknown} queue(s)/broker(s) unknown)` : ''}, consume TPS ${g.consumeTps.toFixed(1)}`);
    this.log(`\nClients (${g.clients.length})`);
    if (g.clients.length > 0) {
      this.log(table([['CLIENT ID', 'ADDRESS', 'LANGUAGE', 'VERSION', 'BROKERS', 'QUEUES HELD'], ...g.clients.map((c) => [c.clientId, c.clientAddr, String(c.language), String(c.version), c.brokers.join(','), c.queuesHeld === null || c.queuesHeld === undefined ? 'unknown' : String(c.queuesHeld)])]).join('\n'));
      for (const c of g.clients) if (c.runningInfoError !== undefined) this.log(`  ${c.clientId}: could not say which queues it holds: ${c.runningInfoError}`);
    }
    if (g.transactions !== undefined && g.transactions.length > 0) {
      this.log(`\nTransactions of producer group ${g.group}: half messages waiting for their commit or rollback`);
      this.log(transactionTable(g.transactions).join('\n'));
    }
    const subs = Object.values(g.subscriptions ?? {});
    if (subs.length > 0) {
      this.log('\nSubscriptions');
      this.log(table([['TOPIC', 'EXPRESSION'], ...subs.map((s) => [s.topic, s.subString])]).join('\n'));
    }
  }
}
