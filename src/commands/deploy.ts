import { readFile } from 'node:fs/promises';
import { Args, Flags } from '@oclif/core';
import { InvalidInputError } from '../errors.js';
import { deployCluster, PlanDriftError, type DeployResult } from '../deploy/executor.js';
import { DEFAULT_MAX_SLAVE_LAG_BYTES } from '../ops/health/index.js';
import { parseSavedPlan, type Plan } from '../deploy/plan/index.js';
import { DEFAULT_MIN_FREE_BYTES } from '../deploy/preflight.js';
import { loadRuntimeRelease, renderHost } from '../render/index.js';
import { ensureEtcd } from '../deploy/etcd.js';
import { electedMasters, readFailoverState } from '../ops/failover/etcd-state.js';
import { jsonProgress, listrProgress, plainProgress, type Progress } from './support/deploy-progress.js';
import { connectionFlags, lockFlags, settleFlags } from './support/cluster-command.js';
import { ProgressCommand } from './support/progress-command.js';
import { clientCertFlags, stateDirFlag } from './support/topology-command.js';

export default class Deploy extends ProgressCommand<Progress> {
  static override summary = 'Deploy a cluster: pre-flight, plan, push runtime + configs + units, start NameServers → masters → slaves, each health-gated.';
  static override description =
    'Every host is checked first (reachable, authenticated, Node >= 20, disk, ports, clock) and every problem is reported at once before anything changes. ' +
    'Then every host is planned as it is now (what `rmqctl plan` shows), and the plan applied: per host the runtime release, service user, directories, configs and units; ' +
    'then the processes in order, each waiting until it is healthy (it answers the protocol, is registered on every NameServer with its role and advertised address, ' +
    'which must answer from here; a slave replicates). A redeploy writes only what differs and restarts only the nodes whose files (or runtime) changed, rolling: ' +
    'slaves before their master, one group at a time. A failing step stops there with host, step, output and the last log lines; running deploy again converges. ' +
    'With --plan, exactly a plan saved by `rmqctl plan --out` is applied, or nothing if the hosts changed since. ' +
    'Progress: a task tree on a terminal, plain lines otherwise; --json streams one JSON event per line, then the result.';
  static override examples = [
    '<%= config.bin %> deploy 2m-2s-sync',
    '<%= config.bin %> deploy my-cluster.yaml --accept-new-host-keys',
    '<%= config.bin %> plan my-cluster.yaml --out plan.json && <%= config.bin %> deploy my-cluster.yaml --plan plan.json',
    '<%= config.bin %> deploy my-cluster.yaml --push-node --json',
  ];
  static override enableJsonFlag = true;
  static override args = { topology: Args.string({ description: 'topology file or preset name', required: true }) };
  static override flags = {
    ...connectionFlags,
    ...lockFlags,
    ...settleFlags,
    plan: Flags.string({ description: 'apply exactly this saved plan (rmqctl plan --out); refused if the hosts or the topology changed since', helpValue: 'FILE' }),
    'push-node': Flags.boolean({ description: "copy this machine's node binary to hosts without Node >= 20 (same OS and architecture)", default: false }),
    'min-free-disk': Flags.integer({ description: 'MiB that must be free where the stores go', default: DEFAULT_MIN_FREE_BYTES / 1024 ** 2, min: 0 }),
    'health-timeout': Flags.integer({ description: 'seconds a node may take to become healthy', default: 60, min: 1 }),
    'max-slave-lag': Flags.integer({ description: 'MiB a slave may be behind its master to count as caught up', default: DEFAULT_MAX_SLAVE_LAG_BYTES / 1024 ** 2, min: 0 }),
    runtime: Flags.string({ description: 'deploy this rmqd.js build instead of the bundled one', helpValue: 'FILE' }),
    'state-dir': stateDirFlag,
    ...clientCertFlags,
  };

  async run(): Promise<DeployResult & { kind: 'result' }> {
    const { args, flags } = await this.parse(Deploy);
    const { model } = await this.loadModel(args.topology, flags['state-dir']);
    const release = await loadRuntimeRelease(flags.runtime, model.runtimePin);
    let saved: Plan | undefined;
    if (flags.plan) {
      const text = await readFile(flags.plan, 'utf8').catch((e: Error) => {
        throw new InvalidInputError(`cannot read the plan ${flags.plan}: ${e.message}`);
      });
      saved = parseSavedPlan(text, flags.plan);
    }
    const targets = this.openTargets(model, flags);
    const json = this.jsonEnabled();
    this.progress = json ? jsonProgress((l) => process.stdout.write(l)) : process.stdout.isTTY ? listrProgress(model) : plainProgress((l) => this.log(l));
    this.log(`deploying cluster ${model.cluster} (${model.mode.label}), runtime ${release.id}, ${model.nodes.length} node(s) on ${model.hosts.filter((h) => h.nodeIds.length).length} host(s)${flags.plan ? `, plan ${flags.plan}` : ''}`);
    const inputs = this.renderInputs(model);
    const access = this.nodeAccess(model, flags, inputs);
    let result: DeployResult;
    try {
      result = await this.withLock(model, targets, flags, async () => {
        // failover: auto — etcd first: brokers elect their masters through it
        let masters: Record<string, string> | undefined;
        if (model.failover.mode === 'auto') {
          await ensureEtcd(model, targets, { timeoutMs: flags['health-timeout'] * 1000, onLine: (l) => (json ? process.stdout.write(`${JSON.stringify({ kind: 'etcd', line: l, time: new Date().toISOString() })}\n`) : process.stderr.write(`${l}\n`)) });
        }
        if (model.failover.mode === 'auto') masters = electedMasters(await readFailoverState(model));
        return deployCluster(model, targets, {
          ...(masters ? { masters } : {}),
        release,
        files: (host) => renderHost(model, host, release, inputs),
        parallel: flags.parallel,
        pushNode: flags['push-node'],
        preflight: { minFreeBytes: flags['min-free-disk'] * 1024 ** 2 },
        healthTimeoutMs: flags['health-timeout'] * 1000,
        maxSlaveLagBytes: flags['max-slave-lag'] * 1024 ** 2,
        access,
        topology: args.topology,
        settleMs: flags.settle * 1000,
        ...(saved ? { plan: saved } : {}),
        onEvent: (e) => this.progress?.onEvent(e),
        });
      });
    } catch (e) {
      await this.progress.end(e as Error);
      this.progress = undefined;
      if (e instanceof PlanDriftError && flags.plan) throw new PlanDriftError(e.problems, flags.plan);
      throw e;
    }
    await this.progress.end();
    this.progress = undefined;
    const count = (a: string) => result.nodes.filter((n) => n.action === a).length;
    this.log(`deployed cluster ${model.cluster}: ${count('start')} started, ${count('restart')} restarted, ${count('unchanged')} unchanged; every node healthy`);
    return { kind: 'result', ...result };
  }
}
