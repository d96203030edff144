/**
 * The v5 gRPC endpoint of a broker (RocketMQ's "local proxy mode": the MessagingService inside
 * every broker, on its own port, `grpcServerPort`): the RPCs wired to the broker's own store,
 * topics, groups, client tables, ACL and POP engine.
 *
 *   QueryRoute                the topic's masters, each as its own gRPC endpoint (route.ts)
 *   Telemetry                 the Settings handshake both ways (settings.ts); the stream is kept per
 *                             client id as the broker→client channel (sessions.ts)
 *   Heartbeat                 keeps the client in the broker's client tables
 *   SendMessage               send.ts
 *   RecallMessage             recall.ts: a pending timer message, here or forwarded to its broker
 *   QueryAssignment, ReceiveMessage, AckMessage, ChangeInvisibleDuration,
 *   ForwardMessageToDeadLetterQueue   consume.ts, over the POP engine
 *   NotifyClientTermination   the client leaves the tables; its renewed deliveries come back
 *   EndTransaction            commit / rollback of a half message (transaction.ts); the broker's
 *                             checks reach v5 producers on their Telemetry stream
 *   PullMessage, UpdateOffset, GetOffset, QueryOffset,
 *   SyncLiteSubscription      answered NOT_IMPLEMENTED (50100) in their response status
 * Any other method of the service, or another service, is answered UNIMPLEMENTED by grpc-js.
 */
import type * as grpc from '@grpc/grpc-js';
import type { AclPolicy } from '../../acl/config.js';
import type { RemotingClient } from '../../remoting/client.js';
import { status, V2Error } from '../../grpc/codes.js';
import { messagingServiceDefinition } from '../../grpc/descriptor.js';
import { DEFAULT_MESSAGE_LIMITS, type MessageLimits } from '../../grpc/message.js';
import type { HeartbeatRequest__Output } from '../../grpc/generated/apache/rocketmq/v2/HeartbeatRequest.js';
import type { NotifyClientTerminationRequest__Output } from '../../grpc/generated/apache/rocketmq/v2/NotifyClientTerminationRequest.js';
import type { QueryRouteRequest__Output } from '../../grpc/generated/apache/rocketmq/v2/QueryRouteRequest.js';
import type { QueryRouteResponse } from '../../grpc/generated/apache/rocketmq/v2/QueryRouteResponse.js';
import type { Settings__Output } from '../../grpc/generated/apache/rocketmq/v2/Settings.js';
import type { TelemetryCommand__Output } from '../../grpc/generated/apache/rocketmq/v2/TelemetryCommand.js';
import { topicNameProblem } from '../../protocol/topic-names.js';
import type { ServerTls } from '../../remoting/tls-config.js';
import { rateLimitedLogger } from '../../util/log-rate-limit.js';
import type { Logger } from '../../util/log.js';
import type { BrokerContext } from '../context.js';
import type { PopService } from '../pop/types.js';
import { Perm } from './auth.js';
import { GrpcCallLatency } from './call-latency.js';
import { callContext, serverStream, statusOfError, unary, type CallContext, type CallEnv } from './call.js';
import { ConsumeHandlers, MAX_BATCH, MAX_POLL_MILLIS } from './consume.js';
import { GrpcListener } from './listener.js';
import { acceptedMessageTypes, messageQueuesOf, RouteService } from './route.js';
import { createSendHandler } from './send.js';
import { createRecallHandler } from './recall.js';
import { GrpcSessions, type TelemetryStream } from './sessions.js';
import { createEndTransactionHandler, pushToV5Client } from './transaction.js';
import { serverSettings } from './settings.js';

export interface GrpcEndpointOptions {
  ctx: BrokerContext;
  /** The ACL policy in force, or undefined when the broker does not enforce ACL. */
  acl: () => AclPolicy | undefined;
  /** The broker's own client to its NameServers and peers (signed with aclAccessKey when set). */
  remoting: RemotingClient;
  /** The POP engine, once the broker has one (master only). */
  pop: () => PopService | undefined;
  tls?: ServerTls;
  logger: Logger;
}

/**
 * The Node client's startup can miss the Settings reply: it registers its wait for it only after
 * fetching every topic's route, while the first route already opened the Telemetry stream — a fast
 * reply to a client with several topics (or a route retried) arrives before anyone waits, and
 * `startup()` then waits forever (BaseClient#startup). The first reply on a stream is therefore
 * repeated at these delays (the client takes a repeated Settings as a no-op re-sync).
 */
const SETTINGS_REPEAT_MILLIS = [500, 2_000, 6_000, 15_000];

/** RPCs of the service this broker does not implement: their v2 answer. */
const NOT_BUILT = ['UpdateOffset', 'GetOffset', 'QueryOffset', 'SyncLiteSubscription'] as const;

export class GrpcEndpoint {
  private readonly listener: GrpcListener;
  readonly sessions: GrpcSessions;
  readonly routes: RouteService;
  private readonly consume: ConsumeHandlers;
  private readonly log: Logger;
  private readonly env: CallEnv;
  private readonly limits: MessageLimits;
  /** Every v5 call's latency and answer code (`rocketmq_rpc_latency{protocol_type="grpc"}`). */
  readonly latency = new GrpcCallLatency();

  constructor(private readonly opts: GrpcEndpointOptions) {
    const { ctx } = opts;
    const c = ctx.config;
    this.log = opts.logger;
    this.env = { acl: opts.acl, log: rateLimitedLogger(opts.logger), latency: this.latency };
    this.limits = { ...DEFAULT_MESSAGE_LIMITS, maxBodyBytes: c.maxMessageSize };
    this.routes = new RouteService({
      namesrvAddrs: c.namesrvAddrs,
      remoting: opts.remoting,
      self: { brokerName: c.brokerName, brokerAddr: ctx.brokerAddr, host: c.brokerIP1, grpcPort: c.grpcServerPort },
      localTopic: (t) => ctx.topics.get(t),
      log: opts.logger.child('route'),
    });
    const clientsLog = opts.logger.child('clients');
    this.sessions = new GrpcSessions(ctx.clients, clientsLog, (s) => this.consume.releaseClient(s), (s, cmd) => pushToV5Client(s, cmd, clientsLog));
    this.consume = new ConsumeHandlers({ ctx, pop: opts.pop, sessions: this.sessions, routes: this.routes, log: opts.logger.child('consume') });
    this.listener = new GrpcListener({
      service: messagingServiceDefinition(),
      implementation: this.implementation(),
      ...(opts.tls ? { tls: opts.tls } : {}),
      // room for a body of maxMessageSize plus its metadata, so an oversized body is answered MESSAGE_BODY_TOO_LARGE
      maxReceiveMessageBytes: c.maxMessageSize + 1024 * 1024,
      idleTimeoutMillis: Math.max(c.serverChannelMaxIdleTimeSeconds * 1000, 60_000),
      logger: opts.logger,
    });
  }

  get port(): number | undefined {
    return this.listener.port;
  }

  async start(): Promise<number> {
    const c = this.opts.ctx.config;
    const port = await this.listener.listen(c.grpcServerPort, c.bindAddress);
    this.consume.start();
    this.log.info('gRPC endpoint listening', { addr: `${c.brokerIP1}:${port}`, tls: this.opts.tls?.mode ?? 'disabled', acl: this.opts.acl() !== undefined });
    return port;
  }

  /** Ends Telemetry streams (clients reconnect elsewhere or later), lets calls in flight finish for `graceMillis`, closes. */
  async stop(graceMillis = 2_000): Promise<void> {
    this.consume.stop();
    this.sessions.closeAll();
    await this.listener.close(graceMillis);
  }

  private implementation(): grpc.UntypedServiceImplementation {
    const env = this.env;
    const { ctx } = this.opts;
    const send = createSendHandler(ctx, this.limits);
    const impl: grpc.UntypedServiceImplementation = {
      QueryRoute: unary(env, 'QueryRoute', (req: QueryRouteRequest__Output, c) => this.queryRoute(req, c)),
      Heartbeat: unary(env, 'Heartbeat', (req: HeartbeatRequest__Output, c) => {
        const s = this.sessions.of(c);
        const group = req.group?.name;
        if (group !== undefined && group !== '') c.authorize([{ group }]);
        this.sessions.heartbeat(s);
        return { status: status('OK') };
      }),
      SendMessage: unary(env, 'SendMessage', send),
      RecallMessage: unary(env, 'RecallMessage', createRecallHandler({ ctx, routes: this.routes, remoting: this.opts.remoting })),
      EndTransaction: unary(env, 'EndTransaction', createEndTransactionHandler(ctx)),
      QueryAssignment: unary(env, 'QueryAssignment', this.consume.queryAssignment),
      ReceiveMessage: serverStream(env, 'ReceiveMessage', this.consume.receive),
      AckMessage: unary(env, 'AckMessage', this.consume.ack),
      ChangeInvisibleDuration: unary(env, 'ChangeInvisibleDuration', this.consume.changeInvisible),
      ForwardMessageToDeadLetterQueue: unary(env, 'ForwardMessageToDeadLetterQueue', this.consume.forwardToDlq),
      NotifyClientTermination: unary(env, 'NotifyClientTermination', (req: NotifyClientTerminationRequest__Output, c) => {
        const s = this.sessions.get(c.clientId);
        if (s !== undefined) this.sessions.terminate(s, `client terminated${req.group?.name ? ` (group ${req.group.name})` : ''}`);
        return { status: status('OK') };
      }),
      PullMessage: serverStream(env, 'PullMessage', async () => {
        throw new V2Error('NOT_IMPLEMENTED', 'PullMessage is not implemented by this broker (use ReceiveMessage)');
      }),
      Telemetry: (call: TelemetryStream) => this.telemetry(call),
    };
    for (const rpc of NOT_BUILT) {
      impl[rpc] = unary(env, rpc, () => {
        throw new V2Error('NOT_IMPLEMENTED', `${rpc} is not implemented by this broker`);
      });
    }
    return impl;
  }

  private async queryRoute(req: QueryRouteRequest__Output, c: CallContext): Promise<QueryRouteResponse> {
    const topic = req.topic?.name ?? '';
    const problem = topic === '' ? 'topic name is empty' : topicNameProblem(topic);
    if (problem !== undefined) throw new V2Error('ILLEGAL_TOPIC', problem);
    c.authorize([{ topic, topicPerm: Perm.ANY }]);
    const brokers = await this.routes.brokers(topic);
    if (brokers === undefined) throw new V2Error('TOPIC_NOT_FOUND', `topic ${topic} does not exist`);
    const accept = acceptedMessageTypes(this.opts.ctx.topics.get(topic));
    const messageQueues = brokers.flatMap((b) => messageQueuesOf(topic, b, accept));
    if (messageQueues.length === 0) throw new V2Error('TOPIC_NOT_FOUND', `topic ${topic} has no broker serving the v5 protocol`);
    return { status: status('OK'), messageQueues };
  }

  /**
   * Telemetry: each `settings` command from the client is checked (client type, ACL on what it
   * declares), taken (the client joins the tables) and answered with the server's Settings. The
   * stream stays open (it is the broker's way to the client) until the client ends it.
   */
  private telemetry(call: TelemetryStream): void {
    const peer = call.getPeer();
    let c: CallContext;
    try {
      c = callContext(this.env, call.metadata, peer);
    } catch (e) {
      call.write({ status: statusOfError(e, this.env.log, 'Telemetry') });
      call.end();
      return;
    }
    const session = this.sessions.of(c);
    session.telemetry = call;
    const repeats: NodeJS.Timeout[] = [];
    call.on('data', (cmd: TelemetryCommand__Output) => {
      try {
        if (cmd.command !== 'settings' || cmd.settings === null || cmd.settings === undefined) return; // thread stack traces, verify results: nothing to do
        const settings = cmd.settings;
        this.checkSettings(settings, c);
        this.sessions.applySettings(session, settings);
        const group = settings.subscription?.group?.name;
        const reply = serverSettings(settings, {
          maxBodyBytes: this.limits.maxBodyBytes,
          ...(group ? { group: this.opts.ctx.subscriptionGroups.find(group) } : {}),
          receiveBatchSize: MAX_BATCH,
          longPollingTimeoutMillis: MAX_POLL_MILLIS,
        });
        if (!call.writableEnded) call.write({ status: status('OK'), settings: reply });
        if (repeats.length === 0) {
          for (const ms of SETTINGS_REPEAT_MILLIS) {
            const t = setTimeout(() => {
              if (!call.writableEnded && !call.cancelled) call.write({ status: status('OK'), settings: reply });
            }, ms);
            t.unref();
            repeats.push(t);
          }
        }
      } catch (e) {
        if (!call.writableEnded) call.write({ status: statusOfError(e, this.env.log, 'Telemetry') });
      }
    });
    const done = () => {
      for (const t of repeats) clearTimeout(t);
      if (session.telemetry === call) session.telemetry = undefined;
    };
    call.on('end', () => {
      done();
      if (!call.writableEnded) call.end();
    });
    call.on('error', done);
    call.on('cancelled', done);
  }

  private checkSettings(s: Settings__Output, c: CallContext): void {
    if (s.clientType === undefined || s.clientType === 'CLIENT_TYPE_UNSPECIFIED') throw new V2Error('UNRECOGNIZED_CLIENT_TYPE', 'settings carry no client_type');
    if (s.pubSub === 'publishing') {
      c.authorize((s.publishing?.topics ?? []).map((t) => ({ topic: t.name, topicPerm: Perm.PUB })));
      return;
    }
    if (s.pubSub === 'subscription') {
      const group = s.subscription?.group?.name ?? '';
      if (group === '') throw new V2Error('ILLEGAL_CONSUMER_GROUP', 'subscription settings name no consumer group');
      c.authorize([{ group }, ...(s.subscription?.subscriptions ?? []).map((e) => ({ topic: e.topic?.name ?? '' }))]);
      if (this.opts.ctx.subscriptionGroups.find(group) === undefined) throw new V2Error('CONSUMER_GROUP_NOT_FOUND', `consumer group ${group} does not exist (autoCreateSubscriptionGroup is off)`);
      return;
    }
    throw new V2Error('BAD_REQUEST', 'settings have neither publishing nor subscription');
  }
}
