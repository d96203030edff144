/** start / stop / restart: the same command with a different action. */
import { ensureEtcd } from '../../deploy/etcd.js';
import { electedMasters, readFailoverState } from '../../ops/failover/etcd-state.js';
import { Args } from '@oclif/core';
import { controlNodes, type NodeAction, type OperationEvent } from '../../deploy/operations.js';
import { clientCertFlags, stateDirFlag } from './topology-command.js';
import { ClusterCommand, connectionFlags, lockFlags, selectionFlags, settleFlags } from './cluster-command.js';

export function nodeControlCommand(action: NodeAction, summary: string) {
  return class NodeControl extends ClusterCommand {
    static override summary = summary;
    static override description =
      `Order: ${action === 'stop' ? 'slaves, then masters, then NameServers' : action === 'start' ? 'NameServers, then masters, then slaves' : 'NameServers one by one, then each broker group (slaves before their master)'}` +
      `${action === 'stop' ? '' : action === 'start' ? ', each waiting until it is healthy (running, answering, registered on every NameServer, a master writable; a master whose slaves are not started in this run is waited for once they are in sync)' : ', each broker waiting until its whole group is healthy again (the master writable and, in a SYNC group, every slave in sync) before the next, so some group always accepts sends'}` +
      '. Without --host/--node: every node of the cluster.';
    static override examples = [`<%= config.bin %> ${action} my-cluster.yaml`, `<%= config.bin %> ${action} my-cluster.yaml --node broker-a-1`, `<%= config.bin %> ${action} 2m-2s-sync --host mq1 --json`];
    static override enableJsonFlag = true;
    static override args = { topology: Args.string({ description: 'topology file or preset name', required: true }) };
    static override flags = { ...selectionFlags, ...connectionFlags, ...lockFlags, 'state-dir': stateDirFlag, ...(action === 'stop' ? {} : clientCertFlags), ...(action === 'restart' ? settleFlags : {}) };

    async run(): Promise<{ events: OperationEvent[] }> {
      const { args, flags } = await this.parse(NodeControl);
      const { model } = await this.loadModel(args.topology, flags['state-dir']);
      const nodes = this.select(model, flags);
      const targets = this.openTargets(model, flags);
      const events: OperationEvent[] = [];
      // failover: auto — etcd runs before the brokers, and names who is master now
      if (model.failover.mode === 'auto' && action !== 'stop') await ensureEtcd(model, targets, { onLine: (l) => process.stderr.write(`${l}\n`) });
      const masters = model.failover.mode === 'auto' && action !== 'stop' ? electedMasters(await readFailoverState(model)) : undefined;
      await this.withLock(model, targets, flags, () => controlNodes(model, targets, nodes, action, {
        ...(masters ? { masters } : {}),
        ...(action === 'stop' ? {} : { access: this.nodeAccess(model, flags) }),
        topology: args.topology,
        ...('settle' in flags ? { settleMs: (flags.settle as number) * 1000 } : {}),
        onEvent: (e) => {
          events.push(e);
          if (!this.jsonEnabled() && e.action !== 'failed') this.log(`${e.host}  ${e.node}  ${e.action === 'healthy' ? `healthy: ${e.detail ?? ''}` : `${e.action}…`}`);
        },
      }));
      return { events };
    }
  };
}
