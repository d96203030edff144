/**
 * The client side of the remoting protocol: one connection per peer address, opened on first use
 * and again after it closes; requests with a deadline that covers connecting; requests the peer
 * sends us (a broker notifying a consumer) answered through an optional dispatcher.
 * The admin client, producer and consumer build on it.
 */
import net from 'node:net';
import tls from 'node:tls';
import { RmqError } from '../errors.js';
import { parseHostPort } from './address.js';
import { createRequest, type RemotingCommand, type SerializeTypeName } from './command.js';
import { Connection, type ConnectionOptions } from './connection.js';
import { RemoteResponseError, RemotingConnectError, RemotingTimeoutError } from './errors.js';
import { ResponseCode, RmqExtensionCode } from './codes.js';
import { signRequest, type Credentials } from './acl-signature.js';
import { silentLogger, type Logger } from '../util/log.js';
import type { ClientTls } from './tls-config.js';
import { describeTlsError, mayFallBackToPlain, tlsConnectOptions } from './tls-connect.js';

export interface RemotingClientOptions extends ConnectionOptions {
  /** Upper bound for opening a connection (default 3 s). */
  connectTimeoutMillis?: number;
  /**
   * Signs every request with these ACL credentials (RocketMQ ACL 1.0). A function is asked per
   * request, so a node whose ACL file is reloaded signs with the current secret.
   */
  credentials?: Credentials | (() => Credentials | undefined);
  /** Connect with TLS (see ClientTls.policy for falling back to plain). */
  tls?: ClientTls;
  /**
   * A peer that answers nothing for this long while requests wait gets a liveness probe
   * (connection.ts); unanswered for as long again, the connection is closed and its requests
   * fail at once, as with a dead peer (default 1500 ms; 0 = never probe).
   */
  probeSilentPeerAfterMillis?: number;
}

export const DEFAULT_PROBE_SILENT_PEER_AFTER_MILLIS = 1_500;

export const DEFAULT_REQUEST_TIMEOUT_MILLIS = 3_000;

/** How a client class (admin, producer, consumers) is told to connect. */
export interface ClientConnectOptions {
  /** ACL credentials every request is signed with. */
  credentials?: Credentials;
  /** Connect with TLS. */
  tls?: ClientTls;
  /** Header form of its requests: 'ROCKETMQ' (binary, cheaper both ways) or JSON (default). */
  serializeType?: SerializeTypeName;
  /** A shared RemotingClient: it brings its own credentials, TLS and header form. */
  remoting?: RemotingClient;
}

/**
 * The credentials, TLS and header form a client class passes to the RemotingClient it makes
 * itself. With a shared `remoting` they would be silently dropped (its requests go out unsigned),
 * so that is refused.
 */
export function ownConnectionOptions(o: ClientConnectOptions, who: string): Pick<RemotingClientOptions, 'credentials' | 'tls' | 'serializeType'> {
  if (o.remoting !== undefined && (o.credentials !== undefined || o.tls !== undefined || o.serializeType !== undefined)) {
    throw new RmqError(`${who}: credentials and tls belong on the shared RemotingClient given as remoting, as does serializeType (here they would be ignored)`);
  }
  return { ...(o.credentials ? { credentials: o.credentials } : {}), ...(o.tls ? { tls: o.tls } : {}), ...(o.serializeType ? { serializeType: o.serializeType } : {}) };
}

export class RemotingClient {
  private readonly connections = new Map<string, Connection>();
  private readonly connecting = new Map<string, Promise<Connection>>();
  private readonly log: Logger;
  private shutDown = false;

  constructor(private readonly opts: RemotingClientOptions = {}) {
    this.log = opts.logger ?? silentLogger;
  }

  /** The open connection to `addr`, opening one if needed (at most one attempt at a time per address). */
  connection(addr: string, timeoutMillis = this.opts.connectTimeoutMillis ?? 3_000): Promise<Connection> {
    if (this.shutDown) return Promise.reject(new RmqError('remoting client is shut down'));
    const open = this.connections.get(addr);
    if (open !== undefined && !open.isClosed) return Promise.resolve(open);
    let inProgress = this.connecting.get(addr);
    if (inProgress === undefined) {
      inProgress = this.connect(addr, Math.min(timeoutMillis, this.opts.connectTimeoutMillis ?? 3_000)).finally(() => this.connecting.delete(addr));
      this.connecting.set(addr, inProgress);
    }
    return inProgress;
  }

  /** Sends a request to `addr`; the timeout covers connecting and waiting for the response. */
  request(addr: string, cmd: RemotingCommand, timeoutMillis = DEFAULT_REQUEST_TIMEOUT_MILLIS): Promise<RemotingCommand> {
    if (this.opts.credentials !== undefined) this.sign(cmd);
    // hot path: an open connection takes the request at once (no extra promise turn)
    const open = this.connections.get(addr);
    if (open !== undefined && !open.isClosed && !this.shutDown) return open.request(cmd, timeoutMillis);
    return this.requestConnecting(addr, cmd, timeoutMillis);
  }

  private async requestConnecting(addr: string, cmd: RemotingCommand, timeoutMillis: number): Promise<RemotingCommand> {
    const deadline = Date.now() + timeoutMillis;
    const conn = await this.connection(addr, timeoutMillis);
    const left = deadline - Date.now();
    if (left <= 0) throw new RemotingTimeoutError(addr, cmd.code, timeoutMillis);
    return conn.request(cmd, left);
  }

  /** Like request, but a response code other than SUCCESS (or one of `accept`) throws RemoteResponseError. */
  async requestOk(addr: string, cmd: RemotingCommand, timeoutMillis = DEFAULT_REQUEST_TIMEOUT_MILLIS, accept: readonly number[] = []): Promise<RemotingCommand> {
    const response = await this.request(addr, cmd, timeoutMillis);
    if (response.code !== ResponseCode.SUCCESS && !accept.includes(response.code)) {
      throw new RemoteResponseError(response.code, response.remark, cmd.code, addr);
    }
    return response;
  }

  async oneway(addr: string, cmd: RemotingCommand): Promise<void> {
    if (this.opts.credentials !== undefined) this.sign(cmd);
    const conn = await this.connection(addr);
    conn.oneway(cmd);
  }

  /** Closes the connection to `addr` (the next request opens a new one). */
  closeConnection(addr: string, reason = 'closed by client'): void {
    this.connections.get(addr)?.close(reason);
  }

  private probeRequest(): RemotingCommand {
    const cmd = createRequest(RmqExtensionCode.PING);
    if (this.opts.credentials !== undefined) this.sign(cmd);
    return cmd;
  }

  private sign(cmd: RemotingCommand): void {
    const c = this.opts.credentials;
    const creds = typeof c === 'function' ? c() : c;
    if (creds !== undefined) signRequest(cmd, creds);
  }

  /**
   * Closes every connection; later requests fail. Resolves once every socket has closed, i.e. each
   * peer has seen the close (bounded by the graceful close's 2 s): a consumer that awaits it knows
   * no broker still holds a pull for it. Callers that need not know may ignore the promise.
   */
  shutdown(): Promise<void> {
    this.shutDown = true;
    const open = [...this.connections.values()];
    this.connections.clear();
    for (const c of open) c.close('client shut down', { graceful: true });
    return Promise.all(open.map((c) => c.whenSocketClosed())).then(() => undefined);
  }

  private connect(addr: string, timeoutMillis: number): Promise<Connection> {
    let hp: { host: string; port: number };
    try {
      hp = parseHostPort(addr);
    } catch (e) {
      return Promise.reject(new RemotingConnectError(addr, (e as Error).message));
    }
    const t = this.opts.tls;
    if (t === undefined) return this.connectSocket(addr, hp, timeoutMillis, false);
    const started = Date.now();
    return this.connectSocket(addr, hp, timeoutMillis, true).catch((e: unknown) => {
      const left = timeoutMillis - (Date.now() - started);
      if (!mayFallBackToPlain(t, e) || left <= 0) throw e;
      this.log.warn('TLS refused by the peer; using plain text (policy prefer)', { peer: addr });
      return this.connectSocket(addr, hp, left, false);
    });
  }

  private connectSocket(addr: string, hp: { host: string; port: number }, timeoutMillis: number, useTls: boolean): Promise<Connection> {
    const t: ClientTls = this.opts.tls ?? {};
    const connectEvent = useTls ? 'secureConnect' : 'connect';
    return new Promise<Connection>((resolve, reject) => {
      const socket = useTls
        ? tls.connect(tlsConnectOptions(hp.host, hp.port, t))
        : net.connect({ host: hp.host, port: hp.port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new RemotingConnectError(addr, `timed out after ${timeoutMillis} ms`));
      }, timeoutMillis);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new RemotingConnectError(addr, useTls ? describeTlsError(err) : err.message, { cause: err }));
      });
      socket.once(connectEvent, () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        if (this.shutDown) {
          socket.destroy();
          reject(new RmqError('remoting client is shut down'));
          return;
        }
        // Client side: answers to our requests are small; never pause reading.
        const probeAfter = this.opts.probeSilentPeerAfterMillis ?? DEFAULT_PROBE_SILENT_PEER_AFTER_MILLIS;
        const livenessProbe = probeAfter > 0 ? { afterMillis: probeAfter, timeoutMillis: probeAfter, request: () => this.probeRequest() } : undefined;
        const conn = new Connection(socket, { pauseReadingWhenBlocked: false, ...this.opts, logger: this.log, ...(livenessProbe ? { livenessProbe } : {}) });
        this.connections.set(addr, conn);
        conn.onClose((reason) => {
          if (this.connections.get(addr) === conn) this.connections.delete(addr);
          this.log.debug('connection closed', { peer: addr, reason });
        });
        resolve(conn);
      });
    });
  }
}
