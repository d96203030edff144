import { Args, Flags } from '@oclif/core';
import { EXIT_FAILURE, InvalidInputError } from '../errors.js';
import { EMPTY_HOST, formatPlan, LOCAL_FS, planCluster, type HostObservation, type Plan } from '../deploy/plan/index.js';
import { loadRuntimeRelease, renderCluster } from '../render/index.js';
import type { HostModel } from '../topology/index.js';
import { runtimeFlag, stateDirFlag, TopologyCommand } from './support/topology-command.js';

/** --detailed-exitcode: terraform's convention. */
const EXIT_NO_CHANGES = 0;
const EXIT_CHANGES = 2;

export default class PlanCommand extends TopologyCommand {
  static override summary = 'Show what a deploy would write, delete, start and restart, host by host.';
  static override description =
    'Renders the topology and compares every file with what the host has now: the local host is read from its state ' +
    'directory; --offline compares every host with an empty one (SSH hosts are read by deploy’s SSH transport; until ' +
    'that is wired in, plan them with --offline). Prints each entry as create / update (with a unified diff) / unchanged / ' +
    'delete, then the ordered actions (stop removed nodes, write, delete, daemon-reload, then NameServers → masters → ' +
    'slaves: start new nodes, restart only changed ones), then a summary. Nothing is changed.';
  static override examples = [
    '<%= config.bin %> plan 2m-2s-sync',
    '<%= config.bin %> plan my-cluster.yaml --offline --json',
    '<%= config.bin %> plan my-cluster.yaml --detailed-exitcode   # 0 no changes, 2 changes, 1 error',
  ];
  static override enableJsonFlag = true;
  static override args = { topology: Args.string({ description: 'topology file or preset name', required: true }) };
  static override flags = {
    offline: Flags.boolean({ description: 'do not read any host: plan as if every host were empty' }),
    'detailed-exitcode': Flags.boolean({ description: 'exit 0 when there are no changes, 2 when there are, 1 on any error' }),
    'show-unchanged': Flags.boolean({ description: 'list unchanged entries too' }),
    'no-diff': Flags.boolean({ description: 'leave out the diffs of updated files' }),
    'state-dir': stateDirFlag,
    runtime: runtimeFlag,
  };

  async run(): Promise<Plan> {
    const { args, flags } = await this.parse(PlanCommand);
    const { model } = await this.loadModel(args.topology, flags['state-dir']);
    const release = await loadRuntimeRelease(flags.runtime);
    const observe = async (host: HostModel): Promise<HostObservation> => {
      if (flags.offline) return { observed: 'empty', view: EMPTY_HOST };
      if (host.transport === 'local') return { observed: 'local', view: LOCAL_FS };
      throw new InvalidInputError(`host ${host.name} is reached over SSH and plan cannot read SSH hosts yet (expected --offline, which plans against an empty host)`);
    };
    const plan = await planCluster(model, renderCluster(model, release), release, observe);
    this.log(formatPlan(plan, { showUnchanged: flags['show-unchanged'], diffs: !flags['no-diff'] }));
    if (flags['detailed-exitcode']) process.exitCode = plan.changed ? EXIT_CHANGES : EXIT_NO_CHANGES;
    return plan;
  }

  // With --detailed-exitcode, 2 means "changes": every error, invalid input included, is 1.
  protected override exitCodeOf(err: Error & { oclif?: { exit?: number | false } }): number {
    const code = super.exitCodeOf(err);
    return this.argv.includes('--detailed-exitcode') && code === EXIT_CHANGES ? EXIT_FAILURE : code;
  }
}
