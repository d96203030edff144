/**
 * Base of the commands that look at a running cluster as a whole (status, console): given a
 * topology, its nodes are expected, its metrics ports read, its TLS used and each node's
 * supervisor asked about its process; without one, the NameServers (--namesrv, NAMESRV_ADDR) say
 * what exists.
 */
import { Args, Flags } from '@oclif/core';
import { expectationFromModel, type Expectation, type NodeAccess, type ProcessProbe } from '../../ops/health/index.js';
import { targetsFromModel, type MetricsTarget } from '../../ops/rates/rates.js';
import { processProbe } from '../../deploy/health-gate.js';
import { namesrvFlags, resolveNamesrvAddrs } from './namesrv.js';
import { stateDirFlag } from './topology-command.js';
import { ClusterCommand, connectionFlags } from './cluster-command.js';
import { connectOptions, type TlsFlagValues } from './credentials.js';
import { electedMasters, readFailoverState, type EtcdView } from '../../ops/failover/etcd-state.js';
import { etcdHealth, type EtcdMemberHealth } from '../../ops/failover/etcd-health.js';

export const observedClusterArgs = { topology: Args.string({ description: 'topology file or preset name (its NameServers are asked, its nodes expected)', required: false }) };

export const observedClusterFlags = {
  ...namesrvFlags,
  ...connectionFlags,
  'state-dir': stateDirFlag,
  processes: Flags.boolean({ description: 'with a topology: ask each node’s supervisor whether its process runs (SSH for SSH hosts)', default: true, allowNo: true }),
};

export interface ObservedCluster {
  namesrvAddrs: string[];
  /** The topology's nodes; none without a topology. */
  expectation: Expectation;
  access: NodeAccess;
  /** The topology's metrics endpoints (undefined without a topology). */
  metricsTargets?: MetricsTarget[];
  processes?: ProcessProbe;
  /** failover: auto — etcd's members and per group its records (who is master is etcd's to say). */
  failover?: { etcd: EtcdMemberHealth[]; view: EtcdView };
}

type ObservedFlags = TlsFlagValues & { namesrv?: string | undefined; 'state-dir'?: string | undefined; processes: boolean; 'accept-new-host-keys': boolean; 'ask-pass': boolean; 'tls-cert'?: string; 'tls-key'?: string };

export abstract class ObservingCommand extends ClusterCommand {
  protected async observedCluster(topology: string | undefined, flags: ObservedFlags): Promise<ObservedCluster> {
    let access: NodeAccess = connectOptions(flags);
    if (topology === undefined) return { namesrvAddrs: resolveNamesrvAddrs(flags.namesrv), expectation: { nameservers: [], brokers: [] }, access };
    const { model } = await this.loadModel(topology, flags['state-dir']);
    // a topology with tls: verify its nodes against its CA unless TLS was chosen explicitly
    if (access.tls === undefined && model.tls) access = { ...access, tls: this.topologyTls(model, flags) };
    const failover = model.failover.mode === 'auto' ? { etcd: await etcdHealth(model.failover.etcd), view: await readFailoverState(model) } : undefined;
    return {
      // --namesrv first, then the topology's NameServers, then NAMESRV_ADDR.
      namesrvAddrs: resolveNamesrvAddrs(flags.namesrv ?? model.namesrvAddr),
      expectation: expectationFromModel(model, topology, failover ? electedMasters(failover.view) : {}),
      access,
      metricsTargets: targetsFromModel(model),
      ...(flags.processes ? { processes: processProbe(model, this.openTargets(model, flags)) } : {}),
      ...(failover ? { failover } : {}),
    };
  }
}
