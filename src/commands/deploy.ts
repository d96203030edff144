import { Args, Flags } from '@oclif/core';
import { deployCluster, type DeployEvent, type DeployResult } from '../deploy/executor.js';
import { DEFAULT_MIN_FREE_BYTES } from '../deploy/preflight.js';
import { loadRuntimeRelease, renderHost } from '../render/index.js';
import { ClusterCommand, connectionFlags } from './support/cluster-command.js';
import { stateDirFlag } from './support/topology-command.js';

export default class Deploy extends ClusterCommand {
  static override summary = 'Deploy a cluster: pre-flight, push runtime + configs + units, start NameServers → masters → slaves, each health-gated.';
  static override description =
    'Every host is checked first (reachable, authenticated, Node >= 20, disk, ports, clock) and every problem is reported at once before anything changes. ' +
    'Then per host the runtime release, service user, directories, configs and units; then the processes in order, each stage waiting for health. ' +
    'A redeploy writes only what differs and restarts only the nodes whose files (or runtime) changed, rolling: slaves before their master, one group at a time. ' +
    'A failing step stops there with host, step, output and the last log lines; running deploy again converges.';
  static override examples = ['<%= config.bin %> deploy 2m-2s-sync', '<%= config.bin %> deploy my-cluster.yaml --accept-new-host-keys', '<%= config.bin %> deploy my-cluster.yaml --push-node --json'];
  static override enableJsonFlag = true;
  static override args = { topology: Args.string({ description: 'topology file or preset name', required: true }) };
  static override flags = {
    ...connectionFlags,
    'push-node': Flags.boolean({ description: "copy this machine's node binary to hosts without Node >= 20 (same OS and architecture)", default: false }),
    'min-free-disk': Flags.integer({ description: 'MiB that must be free where the stores go', default: DEFAULT_MIN_FREE_BYTES / 1024 ** 2, min: 0 }),
    'health-timeout': Flags.integer({ description: 'seconds a node may take to become healthy', default: 60, min: 1 }),
    runtime: Flags.string({ description: 'deploy this rmqd.js build instead of the bundled one', helpValue: 'FILE' }),
    'state-dir': stateDirFlag,
  };

  async run(): Promise<{ result: DeployResult; events: DeployEvent[] }> {
    const { args, flags } = await this.parse(Deploy);
    const { model } = await this.loadModel(args.topology, flags['state-dir']);
    const release = await loadRuntimeRelease(flags.runtime);
    const targets = this.openTargets(model, flags);
    const events: DeployEvent[] = [];
    const print = (e: DeployEvent) => {
      events.push(e);
      if (this.jsonEnabled()) return;
      if (e.kind === 'stage') {
        if (e.stage !== 'done') this.log(`== ${e.stage}`);
      } else if (e.kind === 'step') {
        if (e.status !== 'begin' && e.status !== 'failed') this.log(`${e.host}  ${e.step}  ${e.status}`);
      } else if (e.action !== 'failed') {
        this.log(`${e.host}  ${e.node}  ${e.action === 'start' || e.action === 'restart' ? `${e.action}…` : e.action}`);
      }
    };
    this.log(`deploying cluster ${model.cluster} (${model.mode.label}), runtime ${release.id}, ${model.nodes.length} node(s) on ${model.hosts.filter((h) => h.nodeIds.length).length} host(s)`);
    const secrets = this.aclSecrets(model);
    const result = await deployCluster(model, targets, {
      release,
      files: (host) => renderHost(model, host, release, secrets),
      parallel: flags.parallel,
      pushNode: flags['push-node'],
      preflight: { minFreeBytes: flags['min-free-disk'] * 1024 ** 2 },
      healthTimeoutMs: flags['health-timeout'] * 1000,
      onEvent: print,
    });
    const count = (a: string) => result.nodes.filter((n) => n.action === a).length;
    this.log(`deployed cluster ${model.cluster}: ${count('start')} started, ${count('restart')} restarted, ${count('unchanged')} unchanged`);
    return { result, events };
  }
}
