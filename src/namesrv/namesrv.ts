/**
 * The NameServer process: the route table behind a remoting server, the expiry scan, and one log
 * line per registration change (a broker joining, leaving and why, changing its topics) — none
 * for the routine re-registrations and heartbeats.
 */
import { performance } from 'node:perf_hooks';
import { NodeAcl } from '../acl/node-acl.js';
import type { Connection } from '../remoting/connection.js';
import { RemotingServer } from '../remoting/server.js';
import { TimedDispatcher } from '../remoting/timed-dispatcher.js';
import { MetricsServer } from '../util/metrics-server.js';
import { namesrvMetricsRegistry } from './metrics.js';
import type { ServerTls } from '../remoting/tls-config.js';
import type { Logger } from '../util/log.js';
import { namesrvConfigText, type NamesrvRuntimeConfig } from './config.js';
import { namesrvHandlers } from './handlers.js';
import { KvConfigStore } from './kv-config.js';
import { RouteTable, type RouteEvent } from './route-table.js';

export interface NameServerOptions {
  config: NamesrvRuntimeConfig;
  logger: Logger;
  /** Address to bind (default all interfaces, as Java). */
  host?: string;
  /** Test hook: the clock (monotonic ms). */
  now?: () => number;
  /** The properties file, for error messages (default 'namesrv.properties'). */
  configFile?: string;
  /** TLS for the remoting port (tls.server.* keys, read by the runtime). */
  tls?: ServerTls;
}

const monotonicNow = () => Math.floor(performance.now());

function describe(e: RouteEvent): [level: 'info' | 'warn', msg: string, fields: Record<string, unknown>] {
  switch (e.type) {
    case 'joined':
      return ['info', 'broker joined', { cluster: e.clusterName, broker: e.brokerName, id: e.brokerId, addr: e.brokerAddr, ha: e.haServerAddr || undefined, topics: e.topics, expiryMs: e.timeoutMillis }];
    case 'topics changed':
      return ['info', 'broker topics changed', { broker: e.brokerName, addr: e.brokerAddr, added: e.added.length, changed: e.changed.length, topics: [...e.added, ...e.changed].slice(0, 10).join(',') }];
    case 'replaced':
      return ['warn', 'broker id taken over by another address', { broker: e.brokerName, id: e.brokerId, old: e.oldAddr, new: e.newAddr }];
    case 'rejected':
      return ['warn', 'broker registration ignored', { broker: e.brokerName, id: e.brokerId, addr: e.brokerAddr, why: e.why }];
    case 'left': {
      const r = e.reason;
      const why = r.kind === 'expired' ? `expired: silent ${r.silentMillis} ms > ${r.timeoutMillis} ms` : r.kind;
      return [r.kind === 'unregistered' ? 'info' : 'warn', 'broker left', { cluster: e.clusterName, broker: e.brokerName, id: e.brokerId, addr: e.brokerAddr, why, groupGone: e.groupGone || undefined }];
    }
  }
}

export class NameServer {
  readonly routes: RouteTable<Connection>;
  private readonly server: RemotingServer;
  private readonly kv: KvConfigStore;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly acl: NodeAcl;
  private scanTimer: NodeJS.Timeout | undefined;
  private readonly rpc: TimedDispatcher;
  private metricsServer: MetricsServer | undefined;

  constructor(private readonly opts: NameServerOptions) {
    const { config } = opts;
    this.log = opts.logger;
    this.now = opts.now ?? monotonicNow;
    this.routes = new RouteTable<Connection>(config.brokerExpiryMillis);
    this.kv = KvConfigStore.load(config.kvConfigPath);
    const handlers = namesrvHandlers({
      routes: this.routes,
      kv: this.kv,
      orderMessageEnable: config.orderMessageEnable,
      configText: () => namesrvConfigText(config),
      now: this.now,
      record: (events) => this.record(events),
      log: this.log,
    });
    this.acl = NodeAcl.open(config, opts.configFile ?? 'namesrv.properties', this.log.child('acl'));
    this.rpc = new TimedDispatcher(this.acl.guard(handlers, this.log.child('acl')));
    this.server = new RemotingServer({ dispatcher: this.rpc, logger: this.log.child('remoting'), ...(opts.tls ? { tls: opts.tls } : {}) });
    this.server.onDisconnect((conn) => {
      const events: RouteEvent[] = [];
      this.routes.channelClosed(conn, events);
      this.record(events);
    });
  }

  /** Listens and starts the expiry scan; resolves with the port. */
  async start(): Promise<number> {
    const { config } = this.opts;
    const port = await this.server.listen(config.listenPort, this.opts.host);
    this.scanTimer = setInterval(() => this.scan(), config.scanNotActiveBrokerInterval);
    this.scanTimer.unref();
    if (config.metricsPort > 0) {
      const registry = namesrvMetricsRegistry({ routes: this.routes, rpc: this.rpc, now: this.now, nodeId: `${this.opts.host ?? '0.0.0.0'}:${port}` });
      const server = new MetricsServer({ registry, logger: this.log.child('metrics') });
      try {
        await server.listen(config.metricsPort, this.opts.host);
      } catch (e) {
        await this.stop();
        throw e;
      }
      this.metricsServer = server;
    }
    this.log.info('NameServer listening', {
      port,
      metricsPort: config.metricsPort || undefined,
      brokerExpiryMs: config.brokerExpiryMillis,
      scanIntervalMs: config.scanNotActiveBrokerInterval,
      kvConfig: config.kvConfigPath,
      orderMessageEnable: config.orderMessageEnable,
    });
    return port;
  }

  /** Stops accepting, closes connections (writing what is queued), stops the scan. */
  async stop(): Promise<void> {
    if (this.scanTimer !== undefined) clearInterval(this.scanTimer);
    this.scanTimer = undefined;
    await this.server.close();
    await this.metricsServer?.close();
    this.acl.close();
  }

  /** Drops silent brokers and closes the connections only they used. */
  scan(): void {
    const events: RouteEvent[] = [];
    const idle = this.routes.expire(this.now(), events);
    this.record(events);
    for (const conn of idle) conn.close('broker expired');
  }

  private record(events: RouteEvent[]): void {
    for (const e of events) {
      const [level, msg, fields] = describe(e);
      this.log[level](msg, fields);
    }
  }
}
