import { Args } from '@oclif/core';
import { RmqError } from '../../errors.js';
import { permToString } from '../../protocol/perm.js';
import type { TopicRouteData } from '../../protocol/route.js';
import { RmqCommand } from '../support/base.js';
import { adminClient, namesrvFlags, resolveNamesrvAddrs } from '../support/namesrv.js';

export class TopicNotFoundError extends RmqError {
  override readonly name: string = 'TopicNotFoundError';
}

export default class TopicRoute extends RmqCommand {
  static override summary = 'Show where a topic lives: its queues per broker group and the brokers serving them.';
  static override description = 'Asks a NameServer (GET_ROUTEINFO_BY_TOPIC), failing over to the next. Exit code 1 when no NameServer has a route for the topic.';
  static override examples = ["<%= config.bin %> topic route TopicTest --namesrv '10.0.0.1:9876;10.0.0.2:9876'", '<%= config.bin %> topic route TopicTest --json'];
  static override enableJsonFlag = true;
  static override args = { topic: Args.string({ description: 'topic name', required: true }) };
  static override flags = { ...namesrvFlags };

  async run(): Promise<{ topic: string; route: TopicRouteData }> {
    const { args, flags } = await this.parse(TopicRoute);
    const admin = adminClient(resolveNamesrvAddrs(flags.namesrv), flags.timeout, flags);
    try {
      const route = await admin.topicRoute(args.topic);
      if (route === undefined) throw new TopicNotFoundError(`topic ${args.topic} has no route: no registered broker serves it`);
      if (!this.jsonEnabled()) this.printRoute(args.topic, route);
      return { topic: args.topic, route };
    } finally {
      admin.close();
    }
  }

  private printRoute(topic: string, route: TopicRouteData): void {
    this.log(`Topic ${topic}`);
    const rows = route.queueDatas.map((q) => {
      const b = route.brokerDatas.find((d) => d.brokerName === q.brokerName);
      const addrs = b ? Object.entries(b.brokerAddrs).map(([id, a]) => `${id === '0' ? 'master' : `slave ${id}`} ${a}`).join(', ') : '(broker group not registered)';
      return [q.brokerName, b?.cluster ?? '-', String(q.readQueueNums), String(q.writeQueueNums), permToString(q.perm), addrs];
    });
    const head = ['BROKER', 'CLUSTER', 'READ', 'WRITE', 'PERM', 'ADDRESSES'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
    for (const r of [head, ...rows]) this.log(`  ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ')}`);
    if (route.orderTopicConf) this.log(`  order topic conf: ${route.orderTopicConf}`);
  }
}
