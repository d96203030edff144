import { Args, Flags } from '@oclif/core';
import { InvalidInputError } from '../errors.js';
import { followNodeLog, nodeLog } from '../deploy/operations.js';
import { ClusterCommand, connectionFlags } from './support/cluster-command.js';
import { stateDirFlag } from './support/topology-command.js';
import { untilInterrupted } from './support/interrupt.js';

export default class Logs extends ClusterCommand {
  static override summary = "Show a node's log: the systemd journal over SSH, or the process supervisor's log file.";
  static override examples = ['<%= config.bin %> logs my-cluster.yaml broker-a-0', '<%= config.bin %> logs my-cluster.yaml namesrv-1 -n 500', '<%= config.bin %> logs 2m-2s-sync broker-b-1 --follow'];
  static override enableJsonFlag = true;
  static override args = {
    topology: Args.string({ description: 'topology file or preset name', required: true }),
    node: Args.string({ description: 'node id, e.g. broker-a-0 or namesrv-1', required: true }),
  };
  static override flags = {
    follow: Flags.boolean({ char: 'f', description: 'keep printing new lines until interrupted', default: false }),
    lines: Flags.integer({ char: 'n', description: 'how many of the last lines', default: 100, min: 0, max: 1_000_000 }),
    ...connectionFlags,
    'state-dir': stateDirFlag,
  };

  async run(): Promise<{ node: string; host: string; log: string }> {
    const { args, flags } = await this.parse(Logs);
    const { model } = await this.loadModel(args.topology, flags['state-dir']);
    const node = model.nodes.find((n) => n.id === args.node);
    if (!node) throw new InvalidInputError(`no node named ${args.node} in cluster ${model.cluster}`, [`nodes: ${model.nodes.map((n) => n.id).join(', ')}`]);
    const targets = this.openTargets(model, flags);
    if (flags.follow) {
      if (this.jsonEnabled()) throw new InvalidInputError('--follow cannot be combined with --json');
      await untilInterrupted((signal) => followNodeLog(model, targets, node, flags.lines, (chunk) => process.stdout.write(chunk), signal));
      return { node: node.id, host: node.host, log: '' };
    }
    const log = await nodeLog(model, targets, node, flags.lines);
    if (!this.jsonEnabled()) process.stdout.write(log);
    return { node: node.id, host: node.host, log };
  }
}
