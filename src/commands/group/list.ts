import { Flags } from '@oclif/core';
import { listGroups, type BrokerProblem, type GroupSummary } from '../../ops/group-admin.js';
import { EXIT_FAILURE } from '../../errors.js';
import { RmqCommand } from '../support/base.js';
import { openClients } from '../support/clients.js';
import { namesrvFlags } from '../support/namesrv.js';
import { table } from '../support/table.js';

export default class GroupList extends RmqCommand {
  static override summary = 'List the consumer groups of the cluster with their connected clients and total lag.';
  static override description =
    "Asks every broker group's master for its subscription groups (GET_ALL_SUBSCRIPTIONGROUP_CONFIG), then per group the connected " +
    'consumers (GET_CONSUMER_CONNECTION_LIST) and progress (GET_CONSUME_STATS). LAG is "unknown" when a queue has no committed offset ' +
    "or a broker could not be asked — never 0. RocketMQ's own system groups are left out unless --system. " +
    'Exit code 1 when a broker could not be asked.';
  static override examples = ["<%= config.bin %> group list --namesrv '10.0.0.1:9876'", '<%= config.bin %> group list --json'];
  static override enableJsonFlag = true;
  static override flags = {
    ...namesrvFlags,
    system: Flags.boolean({ description: "include RocketMQ's system groups (TOOLS_CONSUMER, …)", default: false }),
  };

  async run(): Promise<{ groups: GroupSummary[]; problems: BrokerProblem[] }> {
    const { flags } = await this.parse(GroupList);
    const clients = openClients(flags);
    try {
      const r = await listGroups(clients, { includeSystem: flags.system });
      if (!this.jsonEnabled()) {
        const rows = [['GROUP', 'CLIENTS', 'MODEL', 'TYPE', 'TOPICS', 'LAG', 'TPS', 'BROKERS']];
        for (const g of r.groups) {
          rows.push([g.group, String(g.clients), g.messageModel ?? '-', g.consumeType ?? '-', g.topics.join(',') || '-', g.lag === null ? 'unknown' : String(g.lag), g.consumeTps.toFixed(1), g.brokers.join(',')]);
        }
        this.log(table(rows).join('\n'));
        for (const p of r.problems) process.stderr.write(`${p.brokerName}${p.addr ? ` (${p.addr})` : ''}: ${p.error}\n`);
      }
      if (r.problems.length > 0) process.exitCode = EXIT_FAILURE;
      return r;
    } finally {
      clients.close();
    }
  }
}
