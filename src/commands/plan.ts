import { writeFile } from 'node:fs/promises';
import { Args, Flags } from '@oclif/core';
import { EXIT_FAILURE, InvalidInputError, RmqError } from '../errors.js';
import { observeHost } from '../deploy/observe.js';
import { portProblems } from '../deploy/preflight.js';
import { processProbe } from '../deploy/health-gate.js';
import { ClusterHealth, expectationFromModel, type HealthReport } from '../ops/health/index.js';
import { electedMasters, readFailoverState } from '../ops/failover/etcd-state.js';
import { mapSettled } from '../util/concurrency.js';
import { EMPTY_HOST, formatPlan, planCluster, type HostObservation, type Plan } from '../deploy/plan/index.js';
import { loadRuntimeRelease, renderCluster } from '../render/index.js';
import type { ClusterModel, HostModel } from '../topology/index.js';
import type { ClusterTargets } from '../deploy/targets/open.js';
import type { ClientCertFlagValues } from './support/topology-command.js';
import { ClusterCommand, connectionFlags } from './support/cluster-command.js';
import { clientCertFlags, runtimeFlag, stateDirFlag } from './support/topology-command.js';

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
    ...clientCertFlags,
  };

  async run(): Promise<Plan & { problems?: string[]; health?: Pick<HealthReport, 'healthy' | 'problems' | 'warnings'> }> {
    const { args, flags } = await this.parse(PlanCommand);
    const { model } = await this.loadModel(args.topology, flags['state-dir']);
    const release = await loadRuntimeRelease(flags.runtime, model.runtimePin);
    const targets = flags.offline ? undefined : this.openTargets(model, flags);
    // every host read at once: an error names every host that cannot be read, not only the first
    const observed = new Map<string, HostObservation>();
    if (targets) {
      const results = await mapSettled(model.hosts, flags.parallel, (h) => observeHost(model, targets, h));
      const failed = results.filter((r) => !r.ok);
      if (failed.length) {
        throw new RmqError(`cannot read ${failed.length} of ${model.hosts.length} host${model.hosts.length === 1 ? '' : 's'}; nothing was planned:\n${failed.map((r) => `  ${r.item.name}: ${(r.error as Error).message}`).join('\n')}`);
      }
      for (const r of results) observed.set(r.item.name, r.value!);
    }
    const observe = async (host: HostModel): Promise<HostObservation> => observed.get(host.name) ?? { observed: 'empty', view: EMPTY_HOST };
    const plan = await planCluster(model, renderCluster(model, release, this.renderInputs(model)), release, observe);
    this.log(formatPlan(plan, { showUnchanged: flags['show-unchanged'], diffs: !flags['no-diff'] }));

    const problems = targets ? await this.portConflicts(model, targets) : [];
    if (problems.length) this.log(`\nA deploy would stop at these (ports held by other processes):\n${problems.map((p) => `  ${p}`).join('\n')}`);
    const running = plan.hosts.some((h) => Object.values(h.services ?? {}).some((sv) => sv.active));
    const health = targets && running ? await this.health(model, targets, args.topology, flags) : undefined;
    if (health) this.log(health.healthy ? '\nThe running cluster is healthy.' : `\nThe running cluster is NOT healthy now (rmqctl status ${args.topology}):\n${health.problems.map((p) => `  - ${p}`).join('\n')}`);

    if (flags.out) {
      await writeFile(flags.out, `${JSON.stringify(plan, null, 2)}\n`, { mode: 0o600 }).catch((e: Error) => {
        throw new InvalidInputError(`cannot write the plan to ${flags.out}: ${e.message}`);
      });
      this.log(`\nSaved the plan to ${flags.out}. Apply exactly it with: rmqctl deploy ${args.topology} --plan ${flags.out}`);
    }
    if (problems.length) process.exitCode = EXIT_FAILURE;
    else if (flags['detailed-exitcode']) process.exitCode = plan.changed ? EXIT_CHANGES : EXIT_NO_CHANGES;
    return { ...plan, ...(targets ? { problems } : {}), ...(health ? { health: { healthy: health.healthy, problems: health.problems, warnings: health.warnings } } : {}) };
  }

  /** Ports of the topology's nodes that another process (another cluster's rmqd, named) holds on each host. */
  private async portConflicts(model: ClusterModel, targets: ClusterTargets): Promise<string[]> {
    const hosts = model.hosts.filter((h) => h.nodeIds.length > 0);
    const per = await Promise.all(hosts.map(async (h) => (await portProblems(model, h, await targets.get(h.name))).map((m) => `${h.name}: ${m}`)));
    return per.flat();
  }

  /** The one judge on the running cluster (finding: plan said nothing while a master refused every write). */
  private async health(model: ClusterModel, targets: ClusterTargets, ref: string, flags: ClientCertFlagValues): Promise<HealthReport> {
    const masters = model.failover.mode === 'auto' ? electedMasters(await readFailoverState(model)) : {};
    const health = new ClusterHealth(expectationFromModel(model, ref, masters), { access: this.nodeAccess(model, flags), processes: processProbe(model, targets) });
    try {
      return await health.report();
    } finally {
      health.close();
    }
  }

  // With --detailed-exitcode, 2 means "changes": every error, invalid input included, is 1.
  protected override exitCodeOf(err: Error & { oclif?: { exit?: number | false } }): number {
    const code = super.exitCodeOf(err);
    return this.argv.includes('--detailed-exitcode') && code === EXIT_CHANGES ? EXIT_FAILURE : code;
  }
}
