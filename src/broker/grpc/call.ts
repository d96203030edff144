/**
 * One v5 call as the handlers see it, and the wrappers every RPC goes through: the request
 * metadata (client id required, as the Proxy's pipeline does), authentication when the broker
 * enforces ACL, and the rule that a handler's refusal is answered with its v2 status in the
 * response — never a transport error, never a hang. An unexpected failure is logged and answered
 * INTERNAL_ERROR; the broker serves on.
 */
import type * as grpc from '@grpc/grpc-js';
import type { AclPolicy } from '../../acl/config.js';
import { remoteIpOf } from '../../acl/acl-dispatcher.js';
import { status, V2Error, type CodeName } from '../../grpc/codes.js';
import type { Status } from '../../grpc/generated/apache/rocketmq/v2/Status.js';
import { AUTHORIZATION_HEADER, DATE_TIME_HEADER } from '../../grpc/signature.js';
import type { Logger } from '../../util/log.js';
import { authenticate, authorize, type Caller, type Needs } from './auth.js';
import type { GrpcCallLatency } from './call-latency.js';

export interface CallContext {
  clientId: string;
  /** `ip:port` of the client. */
  peer: string;
  ip: string;
  /** x-mq-language (Node sends HTTP). */
  language: string;
  clientVersion: string;
  caller: Caller;
  /** Throws V2Error FORBIDDEN unless the caller may touch all of `needs`. */
  authorize(needs: Needs): void;
}

export interface CallEnv {
  /** The ACL policy in force, or undefined when the broker does not enforce ACL. */
  acl(): AclPolicy | undefined;
  log: Logger;
  /** Every call's latency and answer code, for metrics. */
  latency?: GrpcCallLatency;
}

const one = (md: grpc.Metadata, key: string): string | undefined => {
  const v = md.get(key)[0];
  return typeof v === 'string' ? v : undefined;
};

/** Reads and checks the call's metadata; throws V2Error (CLIENT_ID_REQUIRED, UNAUTHORIZED). */
export function callContext(env: CallEnv, md: grpc.Metadata, peer: string): CallContext {
  const clientId = one(md, 'x-mq-client-id');
  if (clientId === undefined || clientId === '') throw new V2Error('CLIENT_ID_REQUIRED', 'x-mq-client-id header is missing');
  if (clientId.length > 256 || /[\u0000-\u001f]/.test(clientId)) throw new V2Error('BAD_REQUEST', 'x-mq-client-id must be at most 256 printable characters');
  const ip = remoteIpOf(peer);
  const policy = env.acl();
  const caller: Caller = policy === undefined ? {} : authenticate(policy, ip, one(md, AUTHORIZATION_HEADER), one(md, DATE_TIME_HEADER));
  return {
    clientId,
    peer,
    ip,
    language: one(md, 'x-mq-language') ?? 'UNKNOWN',
    clientVersion: one(md, 'x-mq-client-version') ?? '',
    caller,
    authorize: policy === undefined ? () => undefined : (needs) => authorize(caller, needs),
  };
}

/** The status a thrown error is answered with (V2Error: its own; anything else: logged, INTERNAL_ERROR). */
export function statusOfError(e: unknown, log: Logger, rpc: string): Status & { code: CodeName } {
  if (e instanceof V2Error) return status(e.code, e.message);
  log.error('gRPC call failed', { rpc, err: e as Error });
  return status('INTERNAL_ERROR', `internal error: ${(e as Error).message ?? String(e)}`);
}

/** The code name a response's status carries (a status-less response is OK). */
function codeOf(st: Status | null | undefined): string {
  const c = st?.code;
  if (c === undefined || c === null) return 'OK';
  return String(c); // handlers answer code names; a number would be shown as is
}

/** Logs refusals that matter to an operator (ACL), rate-limited by the caller's logger. */
function logRefusal(log: Logger, rpc: string, peer: string, s: Status & { code: CodeName }): void {
  if (s.code === 'UNAUTHORIZED' || s.code === 'FORBIDDEN') log.warn('gRPC call refused by ACL', { rpc, peer, code: s.code, remark: s.message });
  else log.debug('gRPC call refused', { rpc, peer, code: s.code, remark: s.message });
}

/** A unary RPC: `fn` answers the response, or throws; a throw becomes `{status}` in the response. */
export function unary<Req, Res extends { status?: Status | null }>(
  env: CallEnv,
  rpc: string,
  fn: (req: Req, c: CallContext, call: grpc.ServerUnaryCall<Req, Res>) => Res | Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const started = env.latency?.start() ?? 0;
    const peer = call.getPeer();
    let settled = false;
    const reply = (res: Res, result: 'success' | 'process_request_failed' = 'success') => {
      if (settled) return;
      settled = true;
      env.latency?.record(rpc, codeOf(res.status), started, result);
      callback(null, res);
    };
    const fail = (e: unknown) => {
      const s = statusOfError(e, env.log, rpc);
      logRefusal(env.log, rpc, peer, s);
      reply({ status: s } as Res, e instanceof V2Error ? 'success' : 'process_request_failed');
    };
    try {
      const c = callContext(env, call.metadata, peer);
      const r = fn(call.request, c, call);
      if (r instanceof Promise) r.then(reply, fail);
      else reply(r);
    } catch (e) {
      fail(e);
    }
  };
}

/** A server-streaming RPC: `fn` writes the stream and ends it; a throw becomes one `{status}` message, then the end. */
export function serverStream<Req, Res extends { status?: Status | null }>(
  env: CallEnv,
  rpc: string,
  fn: (req: Req, c: CallContext, call: grpc.ServerWritableStream<Req, Res>) => Promise<void>,
): grpc.handleServerStreamingCall<Req, Res> {
  return (call) => {
    const started = env.latency?.start() ?? 0;
    const peer = call.getPeer();
    const fail = (e: unknown) => {
      const s = statusOfError(e, env.log, rpc);
      env.latency?.record(rpc, s.code, started, e instanceof V2Error ? 'success' : 'process_request_failed');
      logRefusal(env.log, rpc, peer, s);
      if (!call.writableEnded && !call.cancelled) {
        call.write({ status: s } as Res);
        call.end();
      }
    };
    try {
      const c = callContext(env, call.metadata, peer);
      fn(call.request, c, call).then(() => {
        env.latency?.record(rpc, 'OK', started);
        if (!call.writableEnded) call.end();
      }, fail);
    } catch (e) {
      fail(e);
    }
  };
}
