/**
 * The v5 protocol's gRPC definitions at run time: the descriptor embedded at build time
 * (`rmq:v2-descriptor`, made from the pinned package's .proto files by bin/v2-descriptor.mjs)
 * turned into grpc-js service and message definitions by @grpc/proto-loader, once, on first use.
 *
 * Conversion options (what handlers see): int64 as JS numbers (offsets and times stay far below
 * 2^53), enums as their names, scalar defaults filled in, and each oneof's chosen field named.
 * The TypeScript types of those objects are generated from the same protos (generated/, by
 * `npm run gen:grpc-types`).
 */
import type * as grpc from '@grpc/grpc-js';
import { fromJSON, type MessageTypeDefinition, type Options, type PackageDefinition } from '@grpc/proto-loader';
import descriptor from 'rmq:v2-descriptor';

export const LOADER_OPTIONS: Options = { longs: Number, enums: String, defaults: true, oneofs: true };

/** The package every v5 name lives in. */
export const V2_PACKAGE = 'apache.rocketmq.v2';
/** The service's full name, as it appears in gRPC paths (`/apache.rocketmq.v2.MessagingService/SendMessage`). */
export const MESSAGING_SERVICE = `${V2_PACKAGE}.MessagingService`;

let pkg: PackageDefinition | undefined;

/** Every service, message and enum of the protocol, keyed by full name. */
export function v2Package(): PackageDefinition {
  pkg ??= fromJSON(descriptor, LOADER_OPTIONS);
  return pkg;
}

/** The MessagingService definition a grpc-js server registers and a client is built from. */
export function messagingServiceDefinition(): grpc.ServiceDefinition {
  return v2Package()[MESSAGING_SERVICE] as unknown as grpc.ServiceDefinition;
}

/** One message type's codec (`serialize` / `deserialize`), by its short name (`SendMessageRequest`). */
export function v2MessageType(name: string): MessageTypeDefinition<object, object> {
  const t = v2Package()[`${V2_PACKAGE}.${name}`];
  if (t === undefined || !('serialize' in t)) throw new Error(`no message type ${V2_PACKAGE}.${name}`);
  return t as MessageTypeDefinition<object, object>;
}
