import { Args } from '@oclif/core';
import type { ClusterModel, Problem } from '../topology/index.js';
import { stateDirFlag, TopologyCommand } from './support/topology-command.js';

export interface ValidateResult {
  valid: true;
  file: string;
  warnings: Problem[];
  model: ClusterModel;
}

export default class Validate extends TopologyCommand {
  static override summary = 'Check a topology file (or preset) and print every problem at once.';
  static override description =
    'Problems are printed as `file:line:col  field  message (expected …)`, all at once, and the exit code is 2. ' +
    'A valid topology prints a summary; with --json, the full cluster model (nodes, ports, paths, effective properties).';
  static override examples = ['<%= config.bin %> validate my-cluster.yaml', '<%= config.bin %> validate 2m-2s-sync --json'];
  static override enableJsonFlag = true;
  static override args = { topology: Args.string({ description: 'topology file or preset name', required: true }) };
  static override flags = { 'state-dir': stateDirFlag };

  async run(): Promise<ValidateResult> {
    const { args, flags } = await this.parse(Validate);
    const { loaded, model } = await this.loadModel(args.topology, flags['state-dir']);
    const brokers = model.nodes.filter((n) => n.kind === 'broker').length;
    this.log(
      `${loaded.file}: valid — cluster ${model.cluster}, mode ${model.mode.label}, ` +
        `${model.nodes.length - brokers} NameServer(s), ${brokers} broker(s) on ${model.hosts.length} host(s)`,
    );
    return { valid: true, file: loaded.file, warnings: loaded.warnings, model };
  }
}
