/**
 * Protocol-level health of a node, checked from the operator's machine:
 *  1. process   — the supervisor has it running (a crashed or crash-looping unit fails at once);
 *  2. protocol  — it answers the RocketMQ protocol on its host's address (NameServer: cluster
 *                 info; broker: runtime info, from the process the supervisor started);
 *  3. registered (brokers) — every NameServer of the cluster has it in its cluster, group and
 *                 brokerId, at `brokerIP1:listenPort`;
 *  4. advertised (brokers) — that address, the one clients are routed to, answers from here (the
 *                 brokerIP1 trap: a broker reachable on its host address but advertising another);
 *  5. replication (slaves) — connected to its master and caught up within a bound (see replication.ts);
 *  6. grpc (brokers with a gRPC port) — the v5 MessagingService answers at `brokerIP1:grpcPort`,
 *                 the endpoint RocketMQ 5 clients are routed to.
 * Each failure names the check and says what is wrong; `fatal` ones are not retried.
 */
import { RmqError } from '../../errors.js';
import { decodeKVTable } from '../../protocol/bodies.js';
import { RequestCode, ResponseCode } from '../../remoting/codes.js';
import { decodeClusterInfo } from '../../protocol/route.js';
import { createRequest, type RemotingCommand } from '../../remoting/command.js';
import { RemotingClient } from '../../remoting/client.js';
import type { Credentials } from '../../remoting/acl-signature.js';
import type { ClientTls } from '../../remoting/tls-config.js';
import { hostByName, type BrokerNode, type ClusterModel, type ClusterNode, type NodeId } from '../../topology/index.js';
import type { ServiceStatus, Supervisor } from '../supervisors/supervisor.js';
import type { Target } from '../targets/target.js';
import { registrationProblem } from './registration.js';
import { decodeHaRuntimeInfo } from '../../protocol/ha-runtime-info.js';
import { replicationProblem } from './replication.js';
import { probeMessagingService } from '../../grpc/probe.js';

export type HealthCheckName = 'process' | 'protocol' | 'registered' | 'advertised' | 'replication' | 'grpc';

/** A check failed; `fatal`: waiting will not help (the process crashed, the advertised address is wrong). */
export class HealthFailure extends RmqError {
  override readonly name: string = 'HealthFailure';
  constructor(
    readonly check: HealthCheckName,
    message: string,
    readonly fatal = false,
  ) {
    super(message);
  }
}

export interface HealthContext {
  target: Target;
  supervisor: Supervisor;
}

/** Is the node serving? Throws (HealthFailure, or any error = not yet) when not; returns a one-line summary when it is. */
export type HealthCheck = (node: ClusterNode, ctx: HealthContext) => Promise<string | void>;

export interface ClusterHealthOptions {
  /** Per protocol call (default 3 s). */
  callTimeoutMs?: number;
  /** Largest tolerated slave lag in bytes (default 8 MiB). */
  maxSlaveLagBytes?: number;
  /** How the operator's machine reaches the nodes. */
  access?: NodeAccess;
}

/** How the operator's machine talks to a cluster's nodes. */
export interface NodeAccess {
  /** The cluster's admin account when its nodes enforce an ACL: every request is signed with it. */
  credentials?: Credentials;
  /** TLS, verified against the cluster's CA, when its nodes serve TLS. */
  tls?: ClientTls;
}

export const DEFAULT_MAX_SLAVE_LAG_BYTES = 8 * 1024 * 1024;
/** Tolerance between the supervisor's start time and the runtime's own boot time (clock ticks, rounding). */
const BOOT_SLACK_MS = 2_000;

const processCrashed = (st: ServiceStatus) => /^failed\//.test(st.state) || /\/auto-restart$/.test(st.state) || st.state === 'stale';

/** The supervisor has the node running; a crashed or crash-looping one is a fatal failure. */
export async function processHealth(node: ClusterNode, supervisor: Supervisor): Promise<ServiceStatus> {
  const st = await supervisor.status(node);
  if (!st.active) throw new HealthFailure('process', processCrashed(st) ? `the process exited (${st.state})` : `not running (${st.state})`, processCrashed(st));
  return st;
}

/** The checks of a cluster's nodes over one shared remoting client; close() when done. */
export class ClusterHealth {
  private readonly remoting: RemotingClient;
  private readonly timeout: number;
  private readonly maxLag: number;

  constructor(
    private readonly model: ClusterModel,
    opts: ClusterHealthOptions = {},
  ) {
    this.timeout = opts.callTimeoutMs ?? 3_000;
    this.maxLag = opts.maxSlaveLagBytes ?? DEFAULT_MAX_SLAVE_LAG_BYTES;
    this.remoting = new RemotingClient({ ...opts.access });
    this.access = opts.access ?? {};
  }

  private readonly access: NodeAccess;

  readonly check: HealthCheck = async (node, ctx) => {
    const st = await processHealth(node, ctx.supervisor);
    return node.kind === 'namesrv' ? this.namesrv(node) : this.broker(node, st);
  };

  close(): void {
    this.remoting.shutdown();
  }

  /** Where the process itself is reached: its host's address (what deploy connects to). */
  private direct(node: ClusterNode): string {
    const host = hostByName(this.model, node.host);
    return `${host?.address ?? node.address}:${node.listenPort}`;
  }

  private async call(check: HealthCheckName, addr: string, code: number, what: string): Promise<RemotingCommand> {
    let res: RemotingCommand;
    try {
      res = await this.remoting.request(addr, createRequest(code), this.timeout);
    } catch (e) {
      throw new HealthFailure(check, `${what} ${addr} does not answer the RocketMQ protocol from this machine: ${(e as Error).message}`);
    }
    return res;
  }

  private async namesrv(node: ClusterNode): Promise<string> {
    const addr = this.direct(node);
    const res = await this.call('protocol', addr, RequestCode.GET_BROKER_CLUSTER_INFO, 'NameServer');
    if (res.code !== ResponseCode.SUCCESS) throw new HealthFailure('protocol', `${addr} answered cluster info with code ${res.code}${res.remark ? `: ${res.remark}` : ''}`);
    decodeClusterInfo(res.body);
    return `answers at ${addr}`;
  }

  private async runtimeInfo(check: HealthCheckName, addr: string, what: string): Promise<Record<string, string>> {
    const res = await this.call(check, addr, RequestCode.GET_BROKER_RUNTIME_INFO, what);
    if (res.code !== ResponseCode.SUCCESS) throw new HealthFailure(check, `${addr} answered runtime info with code ${res.code}${res.remark ? `: ${res.remark}` : ''}`);
    return decodeKVTable(res.body);
  }

  private async broker(node: BrokerNode, st: ServiceStatus): Promise<string> {
    // 2. the process answers, and it is the one the supervisor started (not a stale process on the port)
    const addr = this.direct(node);
    const info = await this.runtimeInfo('protocol', addr, 'broker');
    const boot = Number(info.bootTimestamp);
    if (st.startedAt && Number.isFinite(boot) && boot > 0 && boot < st.startedAt.getTime() - BOOT_SLACK_MS) {
      throw new HealthFailure('protocol', `${addr} is answered by a process that booted at ${new Date(boot).toISOString()}, before ${node.id} was started (${st.startedAt.toISOString()}): another process holds the port`, true);
    }

    // 3. registered as expected on every NameServer
    const advertised = `${node.brokerIP1}:${node.listenPort}`;
    const expected = { cluster: this.model.cluster, brokerName: node.brokerName, brokerId: node.brokerId, addr: advertised };
    const nameservers = this.model.nodes.filter((n) => n.kind === 'namesrv');
    const problems: string[] = [];
    await Promise.all(
      nameservers.map(async (ns) => {
        const nsAddr = `${ns.address}:${ns.listenPort}`;
        try {
          const res = await this.remoting.request(nsAddr, createRequest(RequestCode.GET_BROKER_CLUSTER_INFO), this.timeout);
          if (res.code !== ResponseCode.SUCCESS) throw new Error(`answered code ${res.code}`);
          const why = registrationProblem(decodeClusterInfo(res.body), expected);
          if (why) problems.push(`on ${ns.id} (${nsAddr}): ${why}`);
        } catch (e) {
          problems.push(`${ns.id} (${nsAddr}) cannot be asked: ${(e as Error).message}`);
        }
      }),
    );
    if (problems.length) throw new HealthFailure('registered', problems.sort().join('; '));

    // 4. the advertised address (what clients get in routes) answers from here
    if (advertised !== addr) {
      try {
        await this.remoting.request(advertised, createRequest(RequestCode.GET_BROKER_RUNTIME_INFO), this.timeout);
      } catch (e) {
        throw new HealthFailure(
          'advertised',
          `${node.id} answers at ${addr} but registers as ${advertised} (brokerIP1), and clients are routed there: ${advertised} does not answer from this machine (${(e as Error).message}). ` +
            `Set brokerIP1 in the topology to an address clients can reach (or leave it out to advertise the host's address ${addr.slice(0, addr.lastIndexOf(':'))})`,
          true,
        );
      }
    }

    // 5. a slave replicates from its master and is caught up
    let replication = '';
    if (node.role === 'slave' && node.masterId) replication = await this.replication(node, node.masterId);

    // 6. RocketMQ 5 clients are routed to brokerIP1:grpcPort: it answers the v5 protocol from here
    let grpc = '';
    if (node.grpcPort > 0) {
      const at = `${node.brokerIP1}:${node.grpcPort}`;
      const r = await probeMessagingService(at, { ...(this.access.tls ? { tls: this.access.tls } : {}), timeoutMillis: this.timeout });
      if (!r.answers) throw new HealthFailure('grpc', `${node.id}'s gRPC endpoint ${at} (grpcPort) does not answer the v5 protocol from this machine: ${r.error}`);
      grpc = `; gRPC at ${at}`;
    }
    return `answers at ${addr}, registered as ${advertised} on ${nameservers.length}/${nameservers.length} NameServers${replication}${grpc}`;
  }

  private async replication(node: BrokerNode, masterId: NodeId): Promise<string> {
    const master = this.model.nodes.find((n): n is BrokerNode => n.id === masterId && n.kind === 'broker');
    if (!master) return '';
    const addr = this.direct(node);
    const res = await this.call('replication', addr, RequestCode.GET_BROKER_HA_STATUS, 'broker');
    if (res.code === ResponseCode.REQUEST_CODE_NOT_SUPPORTED) return '; replication not checked (this runtime does not report HA status)';
    if (res.code !== ResponseCode.SUCCESS) throw new HealthFailure('replication', `${addr} answered HA status with code ${res.code}${res.remark ? `: ${res.remark}` : ''}`);
    const ha = decodeHaRuntimeInfo(res.body);
    const masterInfo = await this.runtimeInfo('replication', this.direct(master), `master ${master.id}`);
    const masterMaxOffset = Number(masterInfo.commitLogMaxOffset ?? 0);
    const why = replicationProblem(ha, { masterHaAddr: `${master.brokerIP1}:${master.haPort}`, masterMaxOffset, maxLagBytes: this.maxLag });
    if (why) throw new HealthFailure('replication', why);
    return `; replicating from ${master.id}, ${Math.max(0, masterMaxOffset - ha.haClientRuntimeInfo.maxOffset)} bytes behind`;
  }
}
