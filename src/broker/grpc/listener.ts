/**
 * The gRPC port of a broker: our own TCP listener in front of a grpc-js Server, so that TLS and
 * plain text share one port the way the remoting port does (tls.server.mode, remoting/tls-accept.ts):
 *
 *   disabled    plain HTTP/2 only; a TLS hello is closed at once (the client fails fast, no hang)
 *   permissive  the first byte decides: 0x16 → TLS (then HTTP/2 inside), anything else plain
 *               (an HTTP/2 connection opens with "PRI * HTTP/2.0"); what RocketMQ's Proxy does, and
 *               the only mode in which every official client works with its defaults
 *   enforcing   TLS only
 *
 * Each accepted socket (after the TLS handshake, when TLS) is handed to grpc-js through
 * `Server.createConnectionInjector` — grpc-js never binds a port itself. TLS offers ALPN `h2`,
 * which gRPC clients require. The first bytes are put back on the socket, which is left paused:
 * HTTP/2 reads what is buffered and then takes the socket's handle over (resuming it in JS would
 * hand those bytes to nobody).
 */
import * as grpc from '@grpc/grpc-js';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { listenOn } from '../../remoting/listen.js';
import { onFirstBytes, peerOf, secureAcceptor, type SecureAcceptor } from '../../remoting/tls-accept.js';
import type { ServerTls } from '../../remoting/tls-config.js';
import { rateLimitedLogger } from '../../util/log-rate-limit.js';
import { silentLogger, type Logger } from '../../util/log.js';

export interface GrpcListenerOptions {
  service: grpc.ServiceDefinition;
  implementation: grpc.UntypedServiceImplementation;
  tls?: ServerTls;
  /** Largest request message accepted by the transport (bytes); larger ones fail with RESOURCE_EXHAUSTED. */
  maxReceiveMessageBytes: number;
  /** Close a connection with no call for this long (ms). */
  idleTimeoutMillis: number;
  maxConnections?: number;
  logger?: Logger;
}

export class GrpcListener {
  private readonly server: grpc.Server;
  private readonly injector: grpc.ConnectionInjector;
  private readonly tcp: net.Server;
  /** The TLS handshake (after our own sniff decided TLS); undefined when tls.server.mode is disabled. */
  private readonly tlsAcceptor: SecureAcceptor | undefined;
  private readonly mode: ServerTls['mode'] | 'disabled';
  private readonly sockets = new Set<net.Socket>();
  private readonly log: Logger;

  constructor(opts: GrpcListenerOptions) {
    this.log = rateLimitedLogger(opts.logger ?? silentLogger);
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': opts.maxReceiveMessageBytes,
      'grpc.max_send_message_length': -1,
      'grpc.max_connection_idle_ms': opts.idleTimeoutMillis,
      // clients keep their channels alive with pings (Java every 30 s); do not GOAWAY them for it
      'grpc.http2.min_ping_interval_without_data_ms': 5_000,
      'grpc.keepalive_permit_without_calls': 1,
    });
    this.server.addService(opts.service, opts.implementation);
    this.injector = this.server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    this.mode = opts.tls?.mode ?? 'disabled';
    this.tlsAcceptor = opts.tls === undefined ? undefined : secureAcceptor({ ...opts.tls, mode: 'enforcing' }, { alpnProtocols: ['h2'] });
    this.tcp = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.tcp.maxConnections = opts.maxConnections ?? 65_536;
    this.tcp.on('error', (err) => this.log.error('gRPC server socket error', { err }));
  }

  /** Starts listening; resolves with the bound port. */
  listen(port: number, host?: string): Promise<number> {
    return listenOn(this.tcp, port, host);
  }

  get port(): number | undefined {
    const a = this.tcp.address();
    return a !== null && typeof a === 'object' ? a.port : undefined;
  }

  /** Stops accepting; calls in flight get `graceMillis` to finish, then every connection is closed. */
  async close(graceMillis: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.tcp.close(() => resolve()));
    this.injector.drain(graceMillis);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, graceMillis);
      t.unref();
      this.server.tryShutdown(() => {
        clearTimeout(t);
        resolve();
      });
    });
    this.injector.destroy();
    this.server.forceShutdown();
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const refused = (peer: string, reason: string) => this.log.warn('gRPC connection refused', { peer, reason, tls: this.mode });
    const tls = this.tlsAcceptor;
    if (tls !== undefined && this.mode === 'enforcing') return tls.accept(socket, (s) => this.inject(s), refused);
    onFirstBytes(socket, refused, (transport) => {
      if (transport === 'plain') return this.inject(socket);
      if (tls === undefined) {
        refused(peerOf(socket), 'TLS handshake on a port with tls.server.mode=disabled');
        return void socket.destroy();
      }
      tls.accept(socket, (s) => this.inject(s), refused);
    });
  }

  private inject(s: Duplex): void {
    try {
      this.injector.injectConnection(s);
    } catch (e) {
      this.log.warn('gRPC connection dropped', { err: e as Error });
      s.destroy();
    }
  }
}
