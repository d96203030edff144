import { Args, Flags } from '@oclif/core';
import { confirm } from '@inquirer/prompts';
import { InvalidInputError } from '../errors.js';
import { destroyCluster } from '../deploy/operations.js';
import { ClusterCommand, connectionFlags, lockFlags } from './support/cluster-command.js';
import { stateDirFlag } from './support/topology-command.js';

export default class Destroy extends ClusterCommand {
  static override summary = "Stop every node and remove the cluster's units, configs and pid files. Data stays unless --purge.";
  static override examples = ['<%= config.bin %> destroy my-cluster.yaml', '<%= config.bin %> destroy 2m-2s-sync --yes --purge'];
  static override args = { topology: Args.string({ description: 'topology file or preset name', required: true }) };
  static override flags = {
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation', default: false }),
    purge: Flags.boolean({ description: 'also delete every node store (messages, offsets) and logs', default: false }),
    ...connectionFlags,
    ...lockFlags,
    'state-dir': stateDirFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Destroy);
    const { model } = await this.loadModel(args.topology, flags['state-dir']);
    const what = `cluster ${model.cluster}: ${model.nodes.length} node(s) on ${model.hosts.filter((h) => h.nodeIds.length).map((h) => h.name).join(', ')}${flags.purge ? ', AND ITS DATA' : ' (data kept)'}`;
    if (!flags.yes) {
      if (!process.stdin.isTTY) throw new InvalidInputError(`refusing to destroy ${what} without --yes (not an interactive terminal)`);
      if (!(await confirm({ message: `Destroy ${what}?`, default: false }))) {
        this.log('nothing destroyed');
        return;
      }
    }
    const targets = this.openTargets(model, flags);
    await this.withLock(model, targets, flags, () => destroyCluster(model, targets, { purge: flags.purge, onEvent: (e) => this.log(`${e.host}  ${e.node}  removed`) }));
    this.log(`destroyed ${what}`);
  }
}
