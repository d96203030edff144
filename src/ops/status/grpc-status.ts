/**
 * The v5 gRPC endpoint of every registered broker, for `rmqctl status`: the port the broker says it
 * serves on (its runtime info's `grpcServerPort`), at the address it registered with, and whether
 * that endpoint answers the v5 protocol from here (grpc/probe.ts). A broker that declares a gRPC
 * port that does not answer is a problem; a broker without one is just shown without.
 */
import type { BrokerApi } from '../../client/broker-api.js';
import { probeMessagingService, type ProbeTls } from '../../grpc/probe.js';
import type { NodeGrpc, StatusReport } from './status-report.js';

export async function addGrpcStatus(report: StatusReport, brokers: BrokerApi, opts: { tls?: ProbeTls; timeoutMillis?: number } = {}): Promise<void> {
  const nodes = report.clusters.flatMap((c) => c.groups.flatMap((g) => g.nodes)).filter((n) => !n.missing && n.addr !== undefined);
  await Promise.all(
    nodes.map(async (n) => {
      const addr = n.addr as string;
      let port: number;
      try {
        port = Number((await brokers.runtimeInfo(addr)).grpcServerPort ?? 0);
      } catch {
        return; // the broker does not answer at all: replication status already says so
      }
      if (!Number.isInteger(port) || port <= 0) return;
      const endpoint = `${addr.slice(0, addr.lastIndexOf(':'))}:${port}`;
      const r = await probeMessagingService(endpoint, opts);
      const g: NodeGrpc = { endpoint, answers: r.answers };
      if (r.answers) g.latencyMillis = r.latencyMillis;
      else {
        g.error = r.error;
        report.problems.push(`${n.id}: its gRPC endpoint ${endpoint} (RocketMQ 5 clients) does not answer: ${r.error}`);
      }
      n.grpc = g;
    }),
  );
  report.healthy = report.problems.length === 0;
}
