/**
 * The official RocketMQ 5 Node client (`rocketmq-client-nodejs`, pinned devDependency) against a
 * test cluster's gRPC ports, shut down when the test finishes; and a raw gRPC client of our own
 * (grpc-js + the same protocol definitions) for requests the official client would never send.
 */
import * as grpc from '@grpc/grpc-js';
import { Producer, PushConsumer, SimpleConsumer, type ILogger } from 'rocketmq-client-nodejs';
import { onTestFinished } from 'vitest';
import { messagingServiceDefinition } from '../../src/grpc/descriptor.js';
import type { MessagingServiceClient } from '../../src/grpc/generated/apache/rocketmq/v2/MessagingService.js';
import { authorizationHeader, requestDateTime } from '../../src/grpc/signature.js';
import type { Credentials } from '../../src/remoting/acl-signature.js';
import type { BrokerSpec, PropertyValue } from './cluster.js';
import { freeListenPort } from './ports.js';

type ProducerOptions = ConstructorParameters<typeof Producer>[0];
type SimpleConsumerOptions = ConstructorParameters<typeof SimpleConsumer>[0];
type PushConsumerOptions = ConstructorParameters<typeof PushConsumer>[0];

/** The client's log lines, kept in memory (its default logger writes under ~/logs); V5_LOG=1 prints a PushConsumer's to the console. */
export function v5Logger(): ILogger & { lines: string[] } {
  const lines: string[] = [];
  const add = (level: string) => (...args: unknown[]) => void lines.push(`${level} ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`);
  return { lines, info: add('INFO'), warn: add('WARN'), error: add('ERROR'), debug: add('DEBUG') };
}

/** A broker spec with a free gRPC port (`grpcServerPort`). */
export async function grpcBroker(name: string, properties: Record<string, PropertyValue> = {}, id = 0): Promise<BrokerSpec & { grpcPort: number }> {
  const grpcPort = await freeListenPort();
  return { name, id, grpcPort, properties: { grpcServerPort: grpcPort, ...properties } };
}

export async function v5Producer(opts: Omit<ProducerOptions, 'namespace'> & { namespace?: string }): Promise<Producer> {
  const p = new Producer({ namespace: '', logger: v5Logger(), ...opts });
  onTestFinished(() => p.shutdown().catch(() => undefined));
  await p.startup();
  return p;
}

export async function v5SimpleConsumer(opts: Omit<SimpleConsumerOptions, 'namespace'> & { namespace?: string }): Promise<SimpleConsumer> {
  const c = new SimpleConsumer({ namespace: '', logger: v5Logger(), ...opts });
  onTestFinished(() => c.shutdown().catch(() => undefined));
  await c.startup();
  return c;
}

export async function v5PushConsumer(opts: Omit<PushConsumerOptions, 'namespace'> & { namespace?: string }): Promise<PushConsumer> {
  const c = new PushConsumer({ namespace: '', logger: process.env.V5_LOG ? { info: console.log, warn: console.log, error: console.log } : v5Logger(), ...opts });
  onTestFinished(() => c.shutdown().catch(() => undefined));
  await c.startup();
  return c;
}

/** A raw MessagingService client (plain text) to `addr`, closed when the test finishes. */
export function rawV5Client(addr: string, credentials = grpc.credentials.createInsecure()): MessagingServiceClient {
  const Ctor = grpc.makeClientConstructor(messagingServiceDefinition() as grpc.ServiceDefinition, 'MessagingService');
  const client = new Ctor(addr, credentials) as unknown as MessagingServiceClient;
  onTestFinished(() => client.close());
  return client;
}

/** Request metadata as a v5 client sends it (client id, date, and a signature when `creds` are given). */
export function v5Metadata(clientId = 'test-client@1', creds?: Credentials, over: Record<string, string> = {}): grpc.Metadata {
  const md = new grpc.Metadata();
  const dateTime = requestDateTime();
  md.set('x-mq-client-id', clientId);
  md.set('x-mq-date-time', dateTime);
  md.set('x-mq-language', 'HTTP');
  md.set('x-mq-protocol', 'v2');
  if (creds) md.set('authorization', authorizationHeader(creds.accessKey, creds.secretKey, dateTime));
  for (const [k, v] of Object.entries(over)) md.set(k, v);
  return md;
}

/** A unary call of the raw client as a promise. */
export function unaryCall<Req, Res>(client: MessagingServiceClient, method: keyof MessagingServiceClient, req: Req, md: grpc.Metadata, timeoutMs = 10_000): Promise<Res> {
  return new Promise((resolve, reject) => {
    const fn = client[method] as unknown as (r: Req, m: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, res?: Res) => void) => void;
    fn.call(client, req, md, { deadline: Date.now() + timeoutMs }, (e, res) => (e ? reject(e) : resolve(res as Res)));
  });
}
