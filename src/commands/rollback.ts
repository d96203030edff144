import { Args, Flags } from '@oclif/core';
import { rollbackCluster } from '../deploy/operations.js';
import { ClusterCommand, connectionFlags, lockFlags, settleFlags } from './support/cluster-command.js';
import { clientCertFlags, stateDirFlag } from './support/topology-command.js';

export default class Rollback extends ClusterCommand {
  static override summary = 'Switch hosts back to their previous runtime release and restart their nodes (rolling, health-gated).';
  static override examples = ['<%= config.bin %> rollback my-cluster.yaml', '<%= config.bin %> rollback my-cluster.yaml --host mq2'];
  static override enableJsonFlag = true;
  static override args = { topology: Args.string({ description: 'topology file or preset name', required: true }) };
  static override flags = { host: Flags.string({ description: 'only this host (repeatable); default: every host with nodes', multiple: true }), ...connectionFlags, ...lockFlags, ...settleFlags, 'state-dir': stateDirFlag, ...clientCertFlags };

  async run(): Promise<{ hosts: { host: string; from: string | undefined; to: string }[] }> {
    const { args, flags } = await this.parse(Rollback);
    const { model } = await this.loadModel(args.topology, flags['state-dir']);
    const hosts = flags.host?.length ? flags.host : model.hosts.filter((h) => h.nodeIds.length > 0).map((h) => h.name);
    this.select(model, { host: hosts }); // unknown host names are input errors
    const targets = this.openTargets(model, flags);
    const result = await this.withLock(model, targets, flags, () => rollbackCluster(model, targets, hosts, {
      access: this.nodeAccess(model, flags),
      topology: args.topology,
      settleMs: flags.settle * 1000,
      onEvent: (e) => {
        if (!this.jsonEnabled() && e.action !== 'failed') this.log(`${e.host}  ${e.node}  ${e.action === 'healthy' ? `healthy: ${e.detail ?? ''}` : `${e.action}…`}`);
      },
    }));
    if (!this.jsonEnabled()) for (const r of result) this.log(`${r.host}: release ${r.from ?? '(none)'} → ${r.to}`);
    return { hosts: result };
  }
}
