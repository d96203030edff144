/**
 * A remoting server: accepts TCP connections and answers their requests through one dispatcher.
 * The NameServer and the broker each run one. With `ioThread`, the network thread owns the
 * listener and the sockets (accept, TLS, reads, writes) and connections here run over its
 * ThreadSockets; requests are handled on this thread all the same (docs/design/io-thread.md).
 */
import net from 'node:net';
import { silentLogger, type Logger } from '../util/log.js';
import { rateLimitedLogger } from '../util/log-rate-limit.js';
import { Connection, type ConnectionOptions, type FrameTransport } from './connection.js';
import type { IoThread, ThreadListener } from './io-thread/io-thread.js';
import type { RequestDispatcher } from './dispatcher.js';
import { secureAcceptor, type SecureAcceptor } from './tls-accept.js';
import type { ServerTls } from './tls-config.js';
import { listenOn } from './listen.js';

export interface RemotingServerOptions extends Omit<ConnectionOptions, 'dispatcher'> {
  dispatcher: RequestDispatcher;
  /** Refuse connections beyond this many at once (default 65,536). */
  maxConnections?: number;
  /** TLS (permissive or enforcing); plain only without it. */
  tls?: ServerTls;
  /** Accept and do socket I/O on this network thread instead of here. */
  ioThread?: IoThread;
}

/** Java's NettyServerConfig.serverChannelMaxIdleTimeSeconds. */
export const SERVER_IDLE_TIMEOUT_MILLIS = 120_000;

export class RemotingServer {
  readonly connections = new Set<Connection>();
  /** The listener: here, or on the network thread. */
  private readonly server: net.Server | undefined;
  private threadListener: ThreadListener | undefined;
  private readonly log: Logger;
  /** What connections log through: a flood of bad peers must not flood the log. */
  private readonly connectionLog: Logger;
  private readonly connectListeners: ((c: Connection) => void)[] = [];
  private readonly disconnectListeners: ((c: Connection, reason: string) => void)[] = [];
  private readonly acceptor: SecureAcceptor | undefined;
  /** Sockets accepted but not yet a Connection (first byte or TLS handshake pending). */
  private readonly handshaking = new Set<net.Socket>();

  constructor(private readonly opts: RemotingServerOptions) {
    this.log = opts.logger ?? silentLogger;
    this.connectionLog = rateLimitedLogger(this.log);
    if (opts.ioThread !== undefined) return;
    this.acceptor = opts.tls === undefined ? undefined : secureAcceptor(opts.tls);
    this.server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server.maxConnections = opts.maxConnections ?? 65_536;
    this.server.on('error', (err) => this.log.error('server socket error', { err }));
  }

  /** Starts listening; resolves with the bound port (useful with port 0). */
  async listen(port: number, host?: string): Promise<number> {
    if (this.server !== undefined) return listenOn(this.server, port, host);
    this.threadListener = await this.opts.ioThread!.listen(
      { port, host, maxConnections: this.opts.maxConnections ?? 65_536, tls: this.opts.tls },
      {
        onSocket: (s) => this.attach(s),
        onRefused: (peer, reason) => this.connectionLog.warn('connection refused', { peer, reason, tls: this.opts.tls?.mode }),
        onServerError: (message) => this.log.error('server socket error', { err: message }),
      },
    );
    return this.threadListener.port;
  }

  get port(): number | undefined {
    if (this.server === undefined) return this.threadListener?.port;
    const a = this.server.address();
    return a !== null && typeof a === 'object' ? a.port : undefined;
  }

  onConnection(listener: (c: Connection) => void): void {
    this.connectListeners.push(listener);
  }

  /** Called when an accepted connection closes, with the reason. */
  onDisconnect(listener: (c: Connection, reason: string) => void): void {
    this.disconnectListeners.push(listener);
  }

  /** Stops accepting, closes every connection (writing what is queued first), resolves when done. */
  async close(): Promise<void> {
    const server = this.server;
    const closed = server === undefined ? (this.threadListener?.close() ?? Promise.resolve()) : new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of [...this.handshaking]) s.destroy();
    for (const c of [...this.connections]) c.close('server shutting down', { graceful: true });
    await closed;
  }

  private accept(socket: net.Socket): void {
    if (this.acceptor === undefined) return this.attach(socket);
    this.handshaking.add(socket);
    socket.once('close', () => this.handshaking.delete(socket));
    this.acceptor.accept(
      socket,
      (s) => {
        this.handshaking.delete(socket);
        this.attach(s);
      },
      (peer, reason) => this.connectionLog.warn('connection refused', { peer, reason, tls: this.acceptor?.mode }),
    );
  }

  private attach(socket: FrameTransport): void {
    const conn = new Connection(socket, {
      ...this.opts,
      idleTimeoutMillis: this.opts.idleTimeoutMillis ?? SERVER_IDLE_TIMEOUT_MILLIS,
      dispatcher: this.opts.dispatcher,
      logger: this.connectionLog,
    });
    this.connections.add(conn);
    this.log.debug('connection accepted', { peer: conn.remoteAddress });
    conn.onClose((reason) => {
      this.connections.delete(conn);
      this.log.debug('connection closed', { peer: conn.remoteAddress, reason });
      for (const l of this.disconnectListeners) l(conn, reason);
    });
    for (const l of this.connectListeners) l(conn);
  }
}
