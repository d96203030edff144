import { writeFile } from 'node:fs/promises';
import { Args, Flags } from '@oclif/core';
import { EXIT_FAILURE, InvalidInputError } from '../errors.js';
import { observeHost } from '../deploy/observe.js';
import { EMPTY_HOST, formatPlan, planCluster, type HostObservation, type Plan } from '../deploy/plan/index.js';
import { loadRuntimeRelease, renderCluster } from '../render/index.js';
import type { HostModel } from '../topology/index.js';
import { ClusterCommand, connectionFlags } from './support/cluster-command.js';
import { runtimeFlag, stateDirFlag } from './support/topology-command.js';

/** --detailed-exitcode: terraform's convention. */
const EXIT_NO_CHANGES = 0;
const EXIT_CHANGES = 2;

export default class PlanCommand extends ClusterCommand {
  static override summary = 'Show what a deploy would write, delete, start and restart, host by host.';
  static override description =
    'Renders the topology and compares every file with what each host has now — SSH hosts over SSH (read-only), the local host in its state ' +
    'directory — and asks each node’s supervisor whether it runs (and, with systemd, whether its unit is enabled); --offline compares every host ' +
    'with an empty one and asks nothing. Prints each entry as create / update (with a unified diff) / unchanged / delete, then the ordered actions ' +
    '(stop removed nodes, write, delete, daemon-reload, enable, start what is not running NameServers → masters → slaves, then restart what changed, ' +
    'rolling: slaves before their master), then a summary. Nothing is changed. --out saves the plan for `rmqctl deploy --plan`, which applies exactly ' +
    'it, or refuses if the hosts changed since.';
  static override examples = [
    '<%= config.bin %> plan 2m-2s-sync',
    '<%= config.bin %> plan my-cluster.yaml --out plan.json     # then: rmqctl deploy my-cluster.yaml --plan plan.json',
    '<%= config.bin %> plan my-cluster.yaml --offline --json',
    '<%= config.bin %> plan my-cluster.yaml --detailed-exitcode   # 0 no changes, 2 changes, 1 error',
  ];
  static override enableJsonFlag = true;
  static override args = { topology: Args.string({ description: 'topology file or preset name', required: true }) };
  static override flags = {
    offline: Flags.boolean({ description: 'do not read any host: plan as if every host were empty' }),
    out: Flags.string({ description: 'also save the plan (JSON) to this file, for rmqctl deploy --plan', helpValue: 'FILE' }),
    'detailed-exitcode': Flags.boolean({ description: 'exit 0 when there are no changes, 2 when there are, 1 on any error' }),
    'show-unchanged': Flags.boolean({ description: 'list unchanged entries too' }),
    'no-diff': Flags.boolean({ description: 'leave out the diffs of updated files' }),
    ...connectionFlags,
    'state-dir': stateDirFlag,
    runtime: runtimeFlag,
  };

  async run(): Promise<Plan> {
    const { args, flags } = await this.parse(PlanCommand);
    const { model } = await this.loadModel(args.topology, flags['state-dir']);
    const release = await loadRuntimeRelease(flags.runtime);
    const targets = flags.offline ? undefined : this.openTargets(model, flags);
    const observe = async (host: HostModel): Promise<HostObservation> => (targets ? observeHost(model, targets, host) : { observed: 'empty', view: EMPTY_HOST });
    const plan = await planCluster(model, renderCluster(model, release, this.renderInputs(model)), release, observe);
    this.log(formatPlan(plan, { showUnchanged: flags['show-unchanged'], diffs: !flags['no-diff'] }));
    if (flags.out) {
      await writeFile(flags.out, `${JSON.stringify(plan, null, 2)}\n`, { mode: 0o600 }).catch((e: Error) => {
        throw new InvalidInputError(`cannot write the plan to ${flags.out}: ${e.message}`);
      });
      this.log(`\nSaved the plan to ${flags.out}. Apply exactly it with: rmqctl deploy ${args.topology} --plan ${flags.out}`);
    }
    if (flags['detailed-exitcode']) process.exitCode = plan.changed ? EXIT_CHANGES : EXIT_NO_CHANGES;
    return plan;
  }

  // With --detailed-exitcode, 2 means "changes": every error, invalid input included, is 1.
  protected override exitCodeOf(err: Error & { oclif?: { exit?: number | false } }): number {
    const code = super.exitCodeOf(err);
    return this.argv.includes('--detailed-exitcode') && code === EXIT_CHANGES ? EXIT_FAILURE : code;
  }
}
