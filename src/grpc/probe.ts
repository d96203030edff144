/**
 * Does an address answer the v5 protocol? One cheap call (QueryRoute of an empty topic name, which
 * a MessagingService refuses at once with ILLEGAL_TOPIC — or UNAUTHORIZED under ACL — without
 * touching any state): any v2 status back means the endpoint serves the protocol. For
 * `rmqctl status` and deploy's health checks.
 */
import * as grpc from '@grpc/grpc-js';
import { messagingServiceDefinition } from './descriptor.js';
import type { QueryRouteResponse__Output } from './generated/apache/rocketmq/v2/QueryRouteResponse.js';
import { requestDateTime } from './signature.js';

export interface ProbeTls {
  /** PEM CA bundle to trust; unset = the system roots. */
  ca?: string;
  cert?: string;
  key?: string;
  /** Verify the server's certificate name (default true). */
  verify?: boolean;
}

export type ProbeResult = { answers: true; code: string; latencyMillis: number; tls: boolean } | { answers: false; error: string };

let Client: grpc.ServiceClientConstructor | undefined;

/** Probes `addr` (host:port): over TLS when `tls` is given, else plain text. */
export function probeMessagingService(addr: string, opts: { tls?: ProbeTls; timeoutMillis?: number } = {}): Promise<ProbeResult> {
  Client ??= grpc.makeClientConstructor(messagingServiceDefinition(), 'MessagingService');
  const t = opts.tls;
  const creds =
    t === undefined
      ? grpc.credentials.createInsecure()
      : grpc.credentials.createSsl(t.ca ? Buffer.from(t.ca) : null, t.key ? Buffer.from(t.key) : null, t.cert ? Buffer.from(t.cert) : null, t.verify === false ? { checkServerIdentity: () => undefined } : {});
  const client = new Client(addr, creds);
  const md = new grpc.Metadata();
  md.set('x-mq-client-id', 'rmqctl-probe');
  md.set('x-mq-date-time', requestDateTime());
  md.set('x-mq-protocol', 'v2');
  const started = Date.now();
  return new Promise<ProbeResult>((resolve) => {
    const call = client.QueryRoute as unknown as (r: unknown, m: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, res?: QueryRouteResponse__Output) => void) => void;
    call.call(client, { topic: { name: '' } }, md, { deadline: Date.now() + (opts.timeoutMillis ?? 3_000) }, (e, res) => {
      client.close();
      if (e) resolve({ answers: false, error: e.details || e.message });
      else resolve({ answers: true, code: String(res?.status?.code ?? 'no status'), latencyMillis: Date.now() - started, tls: t !== undefined });
    });
  });
}
