/**
 * v5 clients as the broker knows them, by client id (the Proxy's `GrpcClientSettingsManager` +
 * `GrpcClientChannel`, local mode): the Settings each declared on its Telemetry stream, that
 * stream (the only way the broker can reach the client), and its membership in the broker's own
 * client tables (broker/client-manager.ts) — so `rmqctl group list/describe` (and mqadmin) show
 * v5 consumers next to remoting ones:
 *   - a producer is registered in the producer group named after each topic it declared (what the
 *     Proxy does: v5 producers have no group);
 *   - a consumer joins its group (CLUSTERING, consume from the last offset; SimpleConsumer as
 *     CONSUME_ACTIVELY, PushConsumer as CONSUME_PASSIVELY) with its subscriptions.
 * Heartbeats refresh the membership; NotifyClientTermination ends it; a client silent for
 * channelExpiredTimeout is dropped by the client tables' own expiry scan.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Settings__Output } from '../../grpc/generated/apache/rocketmq/v2/Settings.js';
import type { TelemetryCommand, TelemetryCommand__Output } from '../../grpc/generated/apache/rocketmq/v2/TelemetryCommand.js';
import type { ClientType__Output } from '../../grpc/generated/apache/rocketmq/v2/ClientType.js';
import type { ConsumerData, SubscriptionData } from '../../protocol/heartbeat.js';
import { javaStringHashCode } from '../../protocol/message/tags.js';
import { MQVersion } from '../../remoting/version.js';
import type { RemotingCommand } from '../../remoting/command.js';
import type { Logger } from '../../util/log.js';
import type { ClientLink, ClientManager } from '../client-manager.js';
import type { CallContext } from './call.js';

export type TelemetryStream = grpc.ServerDuplexStream<TelemetryCommand__Output, TelemetryCommand>;

/**
 * A v5 client in the broker's client tables: it has no remoting connection to forward requests
 * to; a oneway request the broker pushes (CHECK_TRANSACTION_STATE) goes to `push`, which writes
 * its v5 form on the Telemetry stream (the Proxy's GrpcClientChannel).
 */
class GrpcClientLink implements ClientLink {
  private closed = false;
  private readonly listeners: ((reason: string) => void)[] = [];

  constructor(
    readonly remoteAddress: string,
    private readonly onClosed: (reason: string) => void,
    private readonly push: (cmd: RemotingCommand) => void = () => undefined,
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  onClose(listener: (reason: string) => void): void {
    if (this.closed) listener('already closed');
    else this.listeners.push(listener);
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.onClosed(reason);
    for (const l of this.listeners.splice(0)) l(reason);
  }

  /** NOTIFY_CONSUMER_IDS_CHANGED and the like are dropped (v5 consumers ask for their assignment every few seconds instead). */
  oneway(cmd: RemotingCommand): void {
    if (!this.closed) this.push(cmd);
  }

  request(_cmd: RemotingCommand, _timeoutMillis: number): Promise<RemotingCommand> {
    return Promise.reject(new Error('a v5 (gRPC) client does not answer remoting requests'));
  }
}

export type ClientKind = 'producer' | 'simple-consumer' | 'push-consumer' | 'unknown';

export function clientKindOf(t: ClientType__Output | undefined): ClientKind {
  switch (t) {
    case 'PRODUCER':
      return 'producer';
    case 'SIMPLE_CONSUMER':
    case 'LITE_SIMPLE_CONSUMER':
      return 'simple-consumer';
    case 'PUSH_CONSUMER':
    case 'LITE_PUSH_CONSUMER':
      return 'push-consumer';
    default:
      return 'unknown';
  }
}

export class GrpcSession {
  settings: Settings__Output | undefined;
  telemetry: TelemetryStream | undefined;
  readonly link: GrpcClientLink;
  /** Producer groups (topic names) and the consumer group it is registered in. */
  readonly producerGroups = new Set<string>();
  consumerGroup: string | undefined;

  constructor(
    readonly clientId: string,
    public peer: string,
    public language: string,
    onClosed: (s: GrpcSession, reason: string) => void,
    push: (s: GrpcSession, cmd: RemotingCommand) => void = () => undefined,
  ) {
    this.link = new GrpcClientLink(peer, (reason) => onClosed(this, reason), (cmd) => push(this, cmd));
  }

  get kind(): ClientKind {
    return clientKindOf(this.settings?.clientType);
  }
}

function subscriptionData(topic: string, type: string, expression: string): SubscriptionData {
  const e = expression.trim();
  const all = type !== 'SQL' && (e === '' || e === '*');
  const tags = type === 'SQL' || all ? [] : e.split('||').map((t) => t.trim()).filter((t) => t !== '');
  return { topic, subString: all ? '*' : e, classFilterMode: false, tagsSet: tags, codeSet: tags.map(javaStringHashCode), subVersion: Date.now(), expressionType: type === 'SQL' ? 'SQL92' : 'TAG' };
}

export class GrpcSessions {
  private readonly sessions = new Map<string, GrpcSession>();

  constructor(
    private readonly clients: ClientManager,
    private readonly log: Logger,
    /** Called when a client ends (terminated or expired), to release what it held (auto-renewed deliveries). */
    private readonly onEnded: (s: GrpcSession) => void = () => undefined,
    /** A oneway remoting request the broker sends the client (CHECK_TRANSACTION_STATE): written on its Telemetry stream. */
    private readonly push: (s: GrpcSession, cmd: RemotingCommand) => void = () => undefined,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  get(clientId: string): GrpcSession | undefined {
    return this.sessions.get(clientId);
  }

  /** The session of the calling client, created on first sight. */
  of(c: CallContext): GrpcSession {
    let s = this.sessions.get(c.clientId);
    if (s === undefined || s.link.isClosed) {
      s = new GrpcSession(c.clientId, c.peer, c.language, (ended, reason) => this.ended(ended, reason), this.push);
      this.sessions.set(c.clientId, s);
    }
    s.peer = c.peer;
    return s;
  }

  /** Takes the client's Settings and (re)registers it in the client tables. */
  applySettings(s: GrpcSession, settings: Settings__Output): void {
    s.settings = settings;
    this.register(s, true);
  }

  /** A heartbeat: the client is alive; refreshes its membership (without changing subscriptions). */
  heartbeat(s: GrpcSession): void {
    this.register(s, false);
  }

  private register(s: GrpcSession, updateSubscriptions: boolean): void {
    const settings = s.settings;
    if (settings === undefined) return;
    const channel = { conn: s.link, clientId: s.clientId, language: s.language, version: MQVersion.V5_0_0 };
    if (settings.pubSub === 'publishing') {
      for (const t of settings.publishing?.topics ?? []) {
        if (t.name === '') continue;
        s.producerGroups.add(t.name);
        this.clients.registerProducer(t.name, channel);
      }
      return;
    }
    const sub = settings.subscription;
    const group = sub?.group?.name;
    if (settings.pubSub !== 'subscription' || group === undefined || group === '') return;
    if (s.consumerGroup !== undefined && s.consumerGroup !== group) this.clients.unregisterConsumer(s.consumerGroup, s.link);
    s.consumerGroup = group;
    const data: ConsumerData = {
      groupName: group,
      consumeType: s.kind === 'push-consumer' ? 'CONSUME_PASSIVELY' : 'CONSUME_ACTIVELY',
      messageModel: 'CLUSTERING',
      consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET',
      subscriptionDataSet: (sub?.subscriptions ?? [])
        .filter((e) => (e.topic?.name ?? '') !== '')
        .map((e) => subscriptionData(e.topic!.name, String(e.expression?.type ?? 'TAG'), e.expression?.expression ?? '*')),
      unitMode: false,
    };
    this.clients.registerConsumer(data, channel, { updateSubscriptions });
  }

  /** NotifyClientTermination: the client leaves every table; its Telemetry stream, if still open, ends. */
  terminate(s: GrpcSession, why: string): void {
    s.link.close(why);
  }

  /** Closes every session (the broker is stopping): their Telemetry streams end, so clients reconnect elsewhere or later. */
  closeAll(): void {
    for (const s of [...this.sessions.values()]) s.link.close('broker shutting down');
  }

  private ended(s: GrpcSession, reason: string): void {
    if (this.sessions.get(s.clientId) === s) this.sessions.delete(s.clientId);
    for (const g of s.producerGroups) this.clients.unregisterProducer(g, s.link);
    if (s.consumerGroup !== undefined) this.clients.unregisterConsumer(s.consumerGroup, s.link);
    const t = s.telemetry;
    s.telemetry = undefined;
    if (t !== undefined && !t.writableEnded) {
      try {
        t.end();
      } catch {
        /* the stream is already gone */
      }
    }
    this.log.debug('v5 client ended', { clientId: s.clientId, peer: s.peer, why: reason });
    this.onEnded(s);
  }
}
