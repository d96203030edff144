/**
 * The targets of a cluster: one per host of the model, opened on first use over a shared SSH pool
 * (jump hosts included) or as this machine, each with the supervisor its host uses.
 */
import { expandHome } from '../../util/home.js';
import { envFilePath } from '../../render/index.js';
import { hostByName, type ClusterModel, type HostModel } from '../../topology/index.js';
import { InvalidInputError } from '../../errors.js';
import { ProcessSupervisor } from '../supervisors/process.js';
import type { Supervisor } from '../supervisors/supervisor.js';
import { SystemdSupervisor } from '../supervisors/systemd.js';
import { SshPool } from '../transport/pool.js';
import type { SshEndpoint, SshOptions } from '../transport/ssh.js';
import { LocalTarget } from './local.js';
import { SshTarget } from './ssh.js';
import type { Target } from './target.js';


/** The SSH endpoint of a host, following its jump-host chain (validated acyclic by the topology). */
export function endpointOf(model: ClusterModel, host: HostModel, seen: string[] = []): SshEndpoint {
  if (!host.ssh) throw new InvalidInputError(`host ${host.name} is local: it has no SSH endpoint`);
  if (seen.includes(host.name)) throw new InvalidInputError(`jump host loop: ${[...seen, host.name].join(' → ')}`);
  const s = host.ssh;
  const jumpHost = s.jumpHost ? hostByName(model, s.jumpHost) : undefined;
  if (s.jumpHost && !jumpHost) throw new InvalidInputError(`host ${host.name}: jump host ${s.jumpHost} is not in hosts`);
  return {
    host: host.address,
    port: s.port,
    user: s.user,
    ...(s.identityFile ? { identityFiles: [expandHome(s.identityFile)] } : {}),
    ...(s.knownHosts ? { knownHostsFile: expandHome(s.knownHosts) } : {}),
    ...(jumpHost ? { jump: endpointOf(model, jumpHost, [...seen, host.name]) } : {}),
  };
}

export interface ClusterTargetsOptions extends SshOptions {
  /** process supervisor: SIGTERM → SIGKILL grace. */
  stopTimeoutMs?: number;
}

export class ClusterTargets {
  readonly pool: SshPool;
  private readonly targets = new Map<string, Promise<Target>>();

  constructor(
    readonly model: ClusterModel,
    private readonly opts: ClusterTargetsOptions = {},
  ) {
    this.pool = new SshPool(opts);
  }

  /** The target of a host (connecting on first use; a failed connect is retried on the next call). */
  get(hostName: string): Promise<Target> {
    const existing = this.targets.get(hostName);
    if (existing) return existing;
    const host = hostByName(this.model, hostName);
    if (!host) return Promise.reject(new InvalidInputError(`no host named ${hostName} in cluster ${this.model.cluster}`));
    const p = host.transport === 'local' ? Promise.resolve<Target>(new LocalTarget(host.name)) : SshTarget.open(host.name, endpointOf(this.model, host), this.pool);
    this.targets.set(hostName, p);
    p.catch(() => this.targets.delete(hostName));
    return p;
  }

  supervisorFor(host: HostModel, target: Target): Supervisor {
    return host.supervisor === 'systemd'
      ? new SystemdSupervisor(target)
      : new ProcessSupervisor(target, { runAs: host.serviceUser, envFile: envFilePath(host), ...(this.opts.stopTimeoutMs ? { stopTimeoutMs: this.opts.stopTimeoutMs } : {}) });
  }

  async close(): Promise<void> {
    this.targets.clear();
    await this.pool.closeAll();
  }
}
