import { Flags } from '@oclif/core';
import { RmqCommand } from '../support/base.js';
import { adminClient, namesrvFlags, resolveNamesrvAddrs } from '../support/namesrv.js';

export default class TopicList extends RmqCommand {
  static override summary = 'List the topics the NameServers have routes for.';
  static override description = 'Asks a NameServer (GET_ALL_TOPIC_LIST_FROM_NAMESERVER, or GET_TOPICS_BY_CLUSTER with --cluster), failing over to the next.';
  static override examples = ["<%= config.bin %> topic list --namesrv '10.0.0.1:9876'", '<%= config.bin %> topic list --cluster DefaultCluster --json'];
  static override enableJsonFlag = true;
  static override flags = {
    ...namesrvFlags,
    cluster: Flags.string({ char: 'c', description: 'only topics with queues on this cluster', helpValue: 'NAME' }),
  };

  async run(): Promise<{ topics: string[] }> {
    const { flags } = await this.parse(TopicList);
    const admin = adminClient(resolveNamesrvAddrs(flags.namesrv), flags.timeout, flags);
    try {
      const topics = flags.cluster === undefined ? await admin.topicList() : await admin.topicsByCluster(flags.cluster);
      if (!this.jsonEnabled()) for (const t of topics) this.log(t);
      return { topics };
    } finally {
      admin.close();
    }
  }
}
