/**
 * Gathers what the judge looks at, all at once: every NameServer's view (cluster info and
 * registration ages), every broker's runtime info and HA status — expected brokers at the address
 * this machine reaches their process, registered ones at their registered address —, whether each
 * advertised address that differs answers, and the supervisors' view of each expected node.
 */
import { AdminClient } from '../../client/admin.js';
import { InvalidInputError } from '../../errors.js';
import { BrokerApi } from '../../client/broker-api.js';
import { RemotingClient } from '../../remoting/client.js';
import { createRequest } from '../../remoting/command.js';
import { RequestCode } from '../../remoting/codes.js';
import type { Credentials } from '../../remoting/acl-signature.js';
import type { ClientTls } from '../../remoting/tls-config.js';
import { probeMessagingService } from '../../grpc/probe.js';
import type { BrokerFacts, ClusterFacts, Expectation, GrpcEndpointFacts, ProcessProbe, ProcessState } from './report.js';

/** How the operator's machine talks to a cluster's nodes. */
export interface NodeAccess {
  /** The cluster's admin account when its nodes enforce an ACL: every request is signed with it. */
  credentials?: Credentials;
  /** TLS, verified against the cluster's CA, when its nodes serve TLS. */
  tls?: ClientTls;
}

export interface FactsOptions {
  access?: NodeAccess;
  /** Per protocol call (default 3 s). */
  timeoutMs?: number;
  /** The NameServers to ask; default the expectation's. */
  namesrvAddrs?: string[];
  /** The supervisors' view of expected nodes (a topology's targets); without it processes are not asked. */
  processes?: ProcessProbe;
}

/** Which part of the cluster to look at (default all). */
export interface FactsScope {
  /** Broker groups whose brokers are asked. */
  brokerNames?: ReadonlySet<string>;
  /** Expected nodes whose supervisors are asked. */
  processNodes?: ReadonlySet<string>;
}

/** One shared remoting client for every question; close() when done. */
export class FactsCollector {
  private readonly remoting: RemotingClient;
  private readonly admin: AdminClient;
  private readonly brokers: BrokerApi;
  private readonly namesrvAddrs: string[];

  constructor(
    readonly expectation: Expectation,
    private readonly opts: FactsOptions = {},
  ) {
    const timeout = opts.timeoutMs ?? 3_000;
    this.namesrvAddrs = opts.namesrvAddrs ?? expectation.nameservers.map((n) => n.addr);
    if (this.namesrvAddrs.length === 0) throw new InvalidInputError('no NameServer to ask: give --namesrv or a topology');
    this.remoting = new RemotingClient({ ...opts.access });
    this.admin = new AdminClient({ namesrvAddrs: this.namesrvAddrs, remoting: this.remoting, timeoutMillis: timeout });
    this.brokers = new BrokerApi(this.remoting, timeout);
  }

  async collect(scope: FactsScope = {}): Promise<ClusterFacts> {
    const inScope = (brokerName: string) => scope.brokerNames === undefined || scope.brokerNames.has(brokerName);
    const processesOf = this.expectation.nameservers.map((n) => n.id).concat(this.expectation.brokers.filter((b) => inScope(b.brokerName)).map((b) => b.id));
    const [probes, processes] = await Promise.all([
      Promise.all(this.namesrvAddrs.map((addr) => this.admin.probe(addr))),
      this.processes(processesOf.filter((id) => scope.processNodes === undefined || scope.processNodes.has(id))),
    ]);

    // expected brokers where their process is; registered ones where they registered
    const addrs = new Set<string>();
    for (const b of this.expectation.brokers) if (inScope(b.brokerName)) addrs.add(b.directAddr ?? b.addr);
    for (const p of probes) {
      for (const g of Object.values(p.clusterInfo?.brokerAddrTable ?? {})) {
        if (!inScope(g.brokerName)) continue;
        const expected = this.expectation.brokers.filter((b) => b.brokerName === g.brokerName);
        for (const [id, addr] of Object.entries(g.brokerAddrs)) {
          const e = expected.find((b) => b.brokerId === Number(id) && b.addr === addr);
          addrs.add(e?.directAddr ?? addr);
        }
      }
    }
    const brokers = new Map<string, BrokerFacts>();
    await Promise.all([...addrs].map(async (addr) => brokers.set(addr, await this.brokerFacts(addr))));

    const advertised = new Map<string, string | undefined>();
    await Promise.all(
      this.expectation.brokers
        .filter((b) => inScope(b.brokerName) && b.directAddr !== undefined && b.directAddr !== b.addr)
        .map(async (b) => {
          const f = brokers.get(b.directAddr as string);
          if (f === undefined || 'error' in f) return; // the process itself does not answer: that is the problem
          try {
            await this.remoting.request(b.addr, createRequest(RequestCode.GET_BROKER_RUNTIME_INFO), this.opts.timeoutMs ?? 3_000);
            advertised.set(b.addr, undefined);
          } catch (e) {
            advertised.set(b.addr, (e as Error).message);
          }
        }),
    );
    return { probes, brokers, advertised, processes };
  }

  private async brokerFacts(addr: string): Promise<BrokerFacts> {
    let runtime: Record<string, string>;
    try {
      runtime = await this.brokers.runtimeInfo(addr);
    } catch (e) {
      return { error: (e as Error).message };
    }
    const grpc = await this.grpcFacts(addr, runtime);
    try {
      return { runtime, ha: await this.brokers.haStatus(addr), ...(grpc ? { grpc } : {}) };
    } catch (e) {
      // a broker without replication (a Java 4.x broker: code 907 unknown) still shows its offsets
      return { runtime, haError: (e as Error).message, ...(grpc ? { grpc } : {}) };
    }
  }

  /** The broker's v5 gRPC endpoint, probed where this machine reaches the broker (undefined: it serves none). */
  private async grpcFacts(addr: string, runtime: Record<string, string>): Promise<GrpcEndpointFacts | undefined> {
    const port = Number(runtime.grpcServerPort ?? 0);
    if (!Number.isInteger(port) || port <= 0) return undefined;
    const endpoint = `${addr.slice(0, addr.lastIndexOf(':'))}:${port}`;
    const tls = this.opts.access?.tls;
    const timeoutMillis = this.opts.timeoutMs ?? 3_000;
    let r = await probeMessagingService(endpoint, { timeoutMillis, ...(tls ? { tls: { ...(tls.ca ? { ca: tls.ca } : {}), ...(tls.cert ? { cert: tls.cert } : {}), ...(tls.key ? { key: tls.key } : {}), ...(tls.verify === false ? { verify: false } : {}) } } : {}) });
    // TLS preferred, not required (a cluster turning TLS on): a node not yet on TLS answers in plain text
    if (!r.answers && tls?.policy === 'prefer') {
      const plain = await probeMessagingService(endpoint, { timeoutMillis });
      if (plain.answers) r = plain;
    }
    return r.answers ? { endpoint, answers: true, latencyMillis: r.latencyMillis } : { endpoint, answers: false, error: r.error };
  }

  private async processes(ids: string[]): Promise<Map<string, ProcessState | { error: string }>> {
    const out = new Map<string, ProcessState | { error: string }>();
    const probe = this.opts.processes;
    if (!probe) return out;
    await Promise.all(
      ids.map(async (id) => {
        try {
          out.set(id, await probe(id));
        } catch (e) {
          out.set(id, { error: (e as Error).message });
        }
      }),
    );
    return out;
  }

  close(): void {
    this.remoting.shutdown();
  }
}
