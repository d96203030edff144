import { Args, Flags } from '@oclif/core';
import { resetGroupOffsets, type ResetOutcome } from '../../ops/group-admin.js';
import { EXIT_FAILURE } from '../../errors.js';
import { RmqCommand } from '../support/base.js';
import { openClients } from '../support/clients.js';
import { namesrvFlags } from '../support/namesrv.js';
import { table } from '../support/table.js';
import { parseTimeFlag } from '../support/time.js';

export default class GroupResetOffset extends RmqCommand {
  static override summary = "Move a consumer group's offsets of a topic to a point in time.";
  static override description =
    "On the master of every broker group serving the topic (INVOKE_BROKER_TO_RESET_OFFSET, as mqadmin resetOffsetByTime), each queue's " +
    'offset becomes that of the first message stored at or after --to-time (the end of the queue when none is). Consumers of the group ' +
    'that are running are sent to the new offset on their next pull; ones that are not start there. With --no-force queues only move ' +
    'back (nothing is skipped). Exit code 1 when a broker group could not be reset.';
  static override examples = [
    '<%= config.bin %> group reset-offset OrderConsumers --topic Orders --to-time 2026-11-28T09:00:00Z',
    '<%= config.bin %> group reset-offset OrderConsumers --topic Orders --to-time now --json',
  ];
  static override enableJsonFlag = true;
  static override args = { group: Args.string({ description: 'consumer group', required: true }) };
  static override flags = {
    ...namesrvFlags,
    topic: Flags.string({ char: 't', description: 'topic whose offsets move', helpValue: 'TOPIC', required: true }),
    'to-time': Flags.string({ description: "'now', epoch ms, or an ISO-8601 time", helpValue: 'TIME', required: true }),
    force: Flags.boolean({ description: 'also move queues forward (--no-force: only back)', default: true, allowNo: true }),
  };

  async run(): Promise<ResetOutcome & { group: string; topic: string; timestamp: number }> {
    const { args, flags } = await this.parse(GroupResetOffset);
    const timestamp = parseTimeFlag(flags['to-time'], '--to-time');
    const clients = openClients(flags);
    try {
      const r = await resetGroupOffsets(clients, args.group, flags.topic, timestamp, flags.force);
      if (!this.jsonEnabled()) {
        this.log(`Group ${args.group}, topic ${flags.topic}: offsets at ${new Date(timestamp).toISOString()}`);
        const rows = [['BROKER', 'QUEUE', 'NEW OFFSET'], ...r.queues.map((q) => [q.brokerName, String(q.queueId), String(q.offset)])];
        for (const p of r.problems) rows.push([p.brokerName, '-', `ERROR: ${p.error}`]);
        this.log(table(rows).join('\n'));
      }
      if (r.problems.length > 0) process.exitCode = EXIT_FAILURE;
      return { group: args.group, topic: flags.topic, timestamp, ...r };
    } finally {
      clients.close();
    }
  }
}
