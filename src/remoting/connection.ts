/**
 * One remoting connection over a TCP socket, the same on both ends: many requests in flight
 * matched by opaque, oneway sends, per-request timeouts, and requests from the peer answered
 * through a dispatcher. Frames produced during one event-loop turn go out in one batched write.
 *
 * Backpressure: when the socket stops draining, a connection that answers requests (server side)
 * stops reading from its peer until the socket drains, so a peer that sends without reading
 * cannot make us buffer answers without bound; past `maxQueuedWriteBytes` the connection closes.
 *
 * Liveness (client side, `livenessProbe`): a peer whose process is stopped (SIGSTOP, a hung
 * machine) keeps its TCP connections open and answers nothing, so requests would wait out their
 * whole timeout. While requests wait and nothing has come from the peer for `afterMillis`, one
 * probe request goes out; any answer to it (even REQUEST_CODE_NOT_SUPPORTED) proves the process
 * runs, no answer within `timeoutMillis` closes the connection and fails the waiting requests
 * with ConnectionClosedError — a stopped peer is treated like a dead one within about
 * afterMillis + timeoutMillis (#20). Deadlines use the monotonic clock: a wall-clock step does not
 * stretch or cut them.
 */
import { ResponseCode } from './codes.js';
import { silentLogger, type Logger } from '../util/log.js';
import { IntKeyTable } from '../util/int-key-table.js';
import { createResponse, FLAG_ONEWAY, FLAG_RESPONSE, isOneway, nextOpaque, type RemotingCommand, type SerializeTypeName } from './command.js';
import type { HandlerResult, RequestDispatcher } from './dispatcher.js';
import { ConnectionClosedError, FrameError, RemotingTimeoutError, ResponseError } from './errors.js';
import { DEFAULT_MAX_FRAME_LENGTH, FrameDecoder, FrameWriter } from './frame-codec.js';

export interface ConnectionOptions {
  /** Answers requests from the peer. Without one, every request gets REQUEST_CODE_NOT_SUPPORTED. */
  dispatcher?: RequestDispatcher;
  logger?: Logger;
  /** Largest frame accepted or sent (default 16 MiB, as Java). */
  maxFrameLength?: number;
  /** Close after this long without reads or writes; 0 = never (default). Java servers use 120 s. */
  idleTimeoutMillis?: number;
  /** Close when this many bytes wait to be written (default 64 MiB). */
  maxQueuedWriteBytes?: number;
  /** Stop reading while the socket does not drain (default true). */
  pauseReadingWhenBlocked?: boolean;
  /** Requests from the peer being handled at once; beyond it, SYSTEM_BUSY (default 10,000). */
  maxConcurrentRequests?: number;
  /**
   * Frames are batched into one socket write per event-loop turn, or written as soon as this many
   * bytes are pending (default 16 KiB).
   */
  flushAtBytes?: number;
  /** Probe a silent peer while requests wait for it (see above); absent = never. */
  livenessProbe?: LivenessProbe;
  /**
   * Header form of the requests this side sends when the command names none (default JSON):
   * 'ROCKETMQ' is the binary header, cheaper to write and read; a peer answers in the form the
   * request came in (rmqd and 4.x Java servers do; Java's `rocketmq.serialize.type` is the same
   * choice). ali-ons reads only JSON, so a server never picks this for its peer: answers follow
   * the request.
   */
  serializeType?: SerializeTypeName;
}

export interface LivenessProbe {
  /** Silence (nothing read from the peer) with requests waiting, before a probe goes out. */
  afterMillis: number;
  /** How long the probe may go unanswered before the connection is closed. */
  timeoutMillis: number;
  /** The probe request (a fresh command each time). */
  request: () => RemotingCommand;
}

/** Milliseconds on the monotonic clock (request deadlines must not follow wall-clock steps). */
const monotonicNow = (): number => performance.now();

interface PendingRequest {
  resolve: (response: RemotingCommand) => void;
  reject: (err: Error) => void;
  deadline: number;
  code: number;
  timeoutMillis: number;
}

const DEFAULT_MAX_QUEUED_WRITE_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_CONCURRENT_REQUESTS = 10_000;
const DEFAULT_FLUSH_AT_BYTES = 16 * 1024;
/** Unwritten bytes at which a connection stops reading its peer until the socket drains. */
const PAUSE_READING_AT_BYTES = 1024 * 1024;

/**
 * What a Connection speaks over: a net.Socket or tls.TLSSocket as they are, or a client socket
 * owned by the network thread (io-thread/thread-socket.ts). Only what Connection uses.
 */
export interface FrameTransport {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  /** Bytes written and not yet handed to the kernel. */
  readonly writableLength: number;
  setNoDelay(noDelay: boolean): unknown;
  setTimeout(millis: number, onTimeout: () => void): unknown;
  /** false: the buffer is full, 'drain' follows once it has emptied. */
  write(chunk: Buffer): boolean;
  cork(): void;
  uncork(): void;
  pause(): unknown;
  resume(): unknown;
  end(): unknown;
  destroy(): unknown;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'drain' | 'close' | 'end', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/** `ip:port` of a socket's peer, IPv4-mapped IPv6 addresses shown as plain IPv4. */
export function peerAddress(socket: Pick<FrameTransport, 'remoteAddress' | 'remotePort'>): string {
  const ip = (socket.remoteAddress ?? '?').replace(/^::ffff:/, '');
  return `${ip.includes(':') ? `[${ip}]` : ip}:${socket.remotePort ?? '?'}`;
}

let connectionIds = 0;

export class Connection {
  /** Process-unique id, for logs and as a map key. */
  readonly id = ++connectionIds;
  readonly remoteAddress: string;
  private readonly decoder: FrameDecoder;
  private readonly writer: FrameWriter;
  private readonly pending = new IntKeyTable<PendingRequest>();
  private readonly closeListeners: ((reason: string) => void)[] = [];
  private readonly log: Logger;
  private readonly dispatcher: RequestDispatcher | undefined;
  private readonly maxQueuedWriteBytes: number;
  private readonly pauseReadingWhenBlocked: boolean;
  private readonly maxConcurrentRequests: number;
  private readonly flushAtBytes: number;
  private flushScheduled = false;
  private blocked = false;
  private activeRequests = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private closedReason: string | undefined;
  private socketClosed = false;
  private readonly socketCloseWaiters: (() => void)[] = [];
  private readonly probe: LivenessProbe | undefined;
  private lastReadAt = monotonicNow();
  private probeTimer: NodeJS.Timeout | undefined;
  private probing = false;
  private readonly serializeType: SerializeTypeName | undefined;

  constructor(
    private readonly socket: FrameTransport,
    opts: ConnectionOptions = {},
  ) {
    this.remoteAddress = peerAddress(socket);
    const maxFrame = opts.maxFrameLength ?? DEFAULT_MAX_FRAME_LENGTH;
    this.decoder = new FrameDecoder(maxFrame);
    this.writer = new FrameWriter(maxFrame);
    this.log = opts.logger ?? silentLogger;
    this.dispatcher = opts.dispatcher;
    this.maxQueuedWriteBytes = opts.maxQueuedWriteBytes ?? DEFAULT_MAX_QUEUED_WRITE_BYTES;
    this.pauseReadingWhenBlocked = opts.pauseReadingWhenBlocked ?? true;
    this.maxConcurrentRequests = opts.maxConcurrentRequests ?? DEFAULT_MAX_CONCURRENT_REQUESTS;
    this.flushAtBytes = opts.flushAtBytes ?? DEFAULT_FLUSH_AT_BYTES;
    this.probe = opts.livenessProbe;
    this.serializeType = opts.serializeType === 'ROCKETMQ' ? 'ROCKETMQ' : undefined;

    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.onDrain());
    socket.on('error', (err) => this.close(`socket error: ${err.message}`));
    socket.on('close', () => {
      this.markSocketClosed();
      this.close('closed by peer');
    });
    socket.on('end', () => this.close('closed by peer'));
    if (opts.idleTimeoutMillis && opts.idleTimeoutMillis > 0) {
      const idle = opts.idleTimeoutMillis;
      socket.setTimeout(idle, () => this.close(`idle for ${idle} ms`));
    }
  }

  get isClosed(): boolean {
    return this.closedReason !== undefined;
  }

  /**
   * Resolves once the socket itself has closed. After a graceful close that is when the peer has
   * read our end and closed its side (so it has also dropped what it held for us), or at the
   * 2-s bound, when the socket is destroyed for a peer that does not close.
   */
  whenSocketClosed(): Promise<void> {
    if (this.socketClosed) return Promise.resolve();
    return new Promise((resolve) => this.socketCloseWaiters.push(resolve));
  }

  private markSocketClosed(): void {
    this.socketClosed = true;
    for (const w of this.socketCloseWaiters.splice(0)) w();
  }

  /** Why the connection closed, once it has. */
  get closeReason(): string | undefined {
    return this.closedReason;
  }

  /** Requests sent and still waiting for their response. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Bytes encoded or handed to the socket and not yet written to the kernel. */
  get queuedWriteBytes(): number {
    return this.writer.pendingBytes + this.socket.writableLength;
  }

  /** Called once, when the connection closes for any reason. */
  onClose(listener: (reason: string) => void): void {
    if (this.closedReason !== undefined) listener(this.closedReason);
    else this.closeListeners.push(listener);
  }

  /**
   * Sends `cmd` as a request and resolves with the peer's response (any response code; callers
   * decide what a code means). Rejects with RemotingTimeoutError after `timeoutMillis`, or
   * ConnectionClosedError when the connection closes first.
   */
  request(cmd: RemotingCommand, timeoutMillis: number): Promise<RemotingCommand> {
    if (this.closedReason !== undefined) return Promise.reject(new ConnectionClosedError(this.remoteAddress, this.closedReason));
    cmd.flag &= ~(FLAG_RESPONSE | FLAG_ONEWAY);
    if ((cmd.opaque | 0) !== cmd.opaque || this.pending.has(cmd.opaque)) cmd.opaque = nextOpaque();
    if (cmd.serializeType === undefined && this.serializeType !== undefined) cmd.serializeType = this.serializeType;
    return new Promise<RemotingCommand>((resolve, reject) => {
      const deadline = monotonicNow() + timeoutMillis;
      try {
        this.enqueue(cmd);
      } catch (e) {
        reject(e as Error);
        return;
      }
      if (this.pending.size === 0) this.lastReadAt = monotonicNow(); // silence counts from the first waiting request
      this.pending.set(cmd.opaque, { resolve, reject, deadline, code: cmd.code, timeoutMillis });
      if (deadline < this.timerAt) this.armTimer(deadline);
      if (this.probe !== undefined && this.probeTimer === undefined) this.armProbe(this.probe);
    });
  }

  /** Sends `cmd` as a oneway request: the peer writes no response. */
  oneway(cmd: RemotingCommand): void {
    if (this.closedReason !== undefined) throw new ConnectionClosedError(this.remoteAddress, this.closedReason);
    cmd.flag = (cmd.flag & ~FLAG_RESPONSE) | FLAG_ONEWAY;
    if (cmd.serializeType === undefined && this.serializeType !== undefined) cmd.serializeType = this.serializeType;
    this.enqueue(cmd);
  }

  /** Sends a command as it is (a response made with createResponse, typically). Dropped once closed. */
  send(cmd: RemotingCommand): void {
    if (this.closedReason !== undefined) return;
    this.enqueue(cmd);
  }

  /**
   * Closes the connection: pending requests fail with ConnectionClosedError and close listeners
   * run. `graceful` writes what is queued first (shutdown); otherwise the socket is destroyed.
   */
  close(reason: string, opts: { graceful?: boolean } = {}): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    if (opts.graceful) {
      this.flush();
      this.socket.end();
      // A peer that never reads must not keep the socket open forever.
      setTimeout(() => {
        this.socket.destroy();
        this.markSocketClosed();
      }, 2_000).unref();
    } else {
      this.socket.destroy();
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.probeTimer !== undefined) clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    const err = new ConnectionClosedError(this.remoteAddress, reason);
    const pending = this.pending.values();
    this.pending.clear();
    for (const p of pending) p.reject(err);
    for (const l of this.closeListeners.splice(0)) {
      try {
        l(reason);
      } catch (e) {
        this.log.error('close listener failed', { peer: this.remoteAddress, err: e as Error });
      }
    }
  }

  private enqueue(cmd: RemotingCommand): void {
    this.writer.write(cmd);
    if (this.writer.pendingBytes + this.socket.writableLength > this.maxQueuedWriteBytes) {
      const queued = this.writer.pendingBytes + this.socket.writableLength;
      this.log.warn('closing connection: peer does not read', { peer: this.remoteAddress, queuedBytes: queued, limit: this.maxQueuedWriteBytes });
      this.close(`peer does not read: ${queued} bytes queued, limit ${this.maxQueuedWriteBytes}`);
      throw new ConnectionClosedError(this.remoteAddress, 'write queue limit exceeded');
    }
    // Pausing at once (not only when the batched write finds the socket full) keeps what one
    // received chunk of requests can queue small.
    if (this.pauseReadingWhenBlocked && !this.blocked && this.writer.pendingBytes + this.socket.writableLength > PAUSE_READING_AT_BYTES) {
      this.blocked = true;
      this.socket.pause();
    }
    // Enough for a large write: send it now rather than at the end of the turn. With many
    // requests in flight this lets the peer start on the first ones while we produce the rest,
    // instead of both sides taking turns on whole batches.
    if (!this.blocked && this.writer.pendingBytes >= this.flushAtBytes) {
      this.flush();
      return;
    }
    // At the end of this callback and the microtasks it started (every answer one commit-log write
    // released, every request of one received chunk): one socket write for all of them, and before
    // the event loop moves on. setImmediate here deferred answers produced in the check phase (the
    // commit log writes there) to the next turn, behind whatever I/O that turn read first.
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(this.flushTask);
    }
  }

  private readonly flushTask = (): void => {
    this.flushScheduled = false;
    if (this.closedReason === undefined) this.flush();
  };

  private flush(): void {
    const parts = this.writer.take();
    if (parts.length === 0) return;
    let ok: boolean;
    if (parts.length === 1) {
      ok = this.socket.write(parts[0] as Buffer);
    } else {
      // cork/uncork hands all pieces to one writev call.
      this.socket.cork();
      ok = true;
      for (const p of parts) ok = this.socket.write(p);
      this.socket.uncork();
    }
    if (!ok && !this.blocked) {
      this.blocked = true;
      if (this.pauseReadingWhenBlocked) this.socket.pause();
    } else if (ok && this.blocked) {
      // Everything fit after all: no 'drain' will come, so unblock here.
      this.onDrain();
    }
  }

  private onDrain(): void {
    if (!this.blocked) return;
    this.blocked = false;
    if (this.pauseReadingWhenBlocked && this.closedReason === undefined) {
      this.socket.resume();
      // Frames that arrived before we paused wait in the decoder.
      this.decodeBuffered();
    }
  }

  /** True while reading from the peer is paused because our writes do not drain. */
  get isReadingPaused(): boolean {
    return this.blocked && this.pauseReadingWhenBlocked;
  }

  private onData(chunk: Buffer): void {
    if (this.closedReason !== undefined) return;
    this.lastReadAt = monotonicNow();
    this.decoder.push(chunk);
    this.decodeBuffered();
  }

  private decodeBuffered(): void {
    for (;;) {
      // Paused: leave the rest buffered until the socket drains, so the answers we queue stay
      // bounded by what one handler call produces, not by how much the peer has sent.
      if (this.closedReason !== undefined || this.isReadingPaused) return;
      let cmd: RemotingCommand | undefined;
      try {
        cmd = this.decoder.next();
      } catch (e) {
        const reason = e instanceof FrameError ? e.message : `decoder failure: ${(e as Error).message}`;
        this.log.warn('closing connection: undecodable frame', { peer: this.remoteAddress, reason });
        this.close(`undecodable frame: ${reason}`);
        return;
      }
      if (cmd === undefined) return;
      if ((cmd.flag & FLAG_RESPONSE) !== 0) this.onResponse(cmd);
      else this.onRequest(cmd);
    }
  }

  private onResponse(cmd: RemotingCommand): void {
    const p = this.pending.take(cmd.opaque);
    if (p === undefined) {
      this.log.debug('response without a waiting request (late or unknown opaque)', { peer: this.remoteAddress, opaque: cmd.opaque, code: cmd.code });
      return;
    }
    p.resolve(cmd);
  }

  private onRequest(req: RemotingCommand): void {
    if (this.dispatcher === undefined) {
      this.answer(req, createResponse(req, ResponseCode.REQUEST_CODE_NOT_SUPPORTED, { remark: ` request type ${req.code} not supported` }));
      return;
    }
    if (this.activeRequests >= this.maxConcurrentRequests) {
      this.answer(req, createResponse(req, ResponseCode.SYSTEM_BUSY, { remark: `[OVERLOAD] ${this.activeRequests} requests of this connection are being handled` }));
      return;
    }
    let result: HandlerResult | Promise<HandlerResult>;
    try {
      result = this.dispatcher.dispatch(req, this);
    } catch (e) {
      this.answerError(req, e);
      return;
    }
    if (result instanceof Promise) {
      this.activeRequests++;
      result.then(
        (response) => {
          this.activeRequests--;
          this.answer(req, response);
        },
        (e: unknown) => {
          this.activeRequests--;
          this.answerError(req, e);
        },
      );
    } else {
      this.answer(req, result);
    }
  }

  private answer(req: RemotingCommand, response: HandlerResult): void {
    if (response === null || response === undefined || isOneway(req) || this.closedReason !== undefined) return;
    response.opaque = req.opaque;
    response.flag |= FLAG_RESPONSE;
    // in the request's header form: a peer reads what it writes (ali-ons reads only JSON)
    response.serializeType = req.serializeType;
    try {
      this.enqueue(response);
    } catch (e) {
      if (e instanceof FrameError) {
        this.log.warn('response could not be encoded', { peer: this.remoteAddress, code: req.code, reason: e.message });
        this.enqueue({ ...createResponse(req, ResponseCode.SYSTEM_ERROR, { remark: e.message }), serializeType: req.serializeType });
      }
      // ConnectionClosedError: the connection is gone, nothing to answer.
    }
  }

  private answerError(req: RemotingCommand, e: unknown): void {
    if (e instanceof ResponseError) {
      this.answer(req, createResponse(req, e.responseCode, { remark: e.message }));
      return;
    }
    const message = e instanceof Error ? e.message : String(e);
    this.log.warn('request handler failed', { peer: this.remoteAddress, code: req.code, err: message });
    this.answer(req, createResponse(req, ResponseCode.SYSTEM_ERROR, { remark: message }));
  }

  private armTimer(deadline: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = deadline;
    this.timer = setTimeout(this.sweepTimeouts, Math.max(0, deadline - monotonicNow()));
    this.timer.unref();
  }

  /** Checks for a silent peer every afterMillis / 2 while requests wait. */
  private armProbe(probe: LivenessProbe): void {
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      if (this.closedReason !== undefined || this.pending.size === 0) return;
      const silentFor = monotonicNow() - this.lastReadAt;
      if (!this.probing && silentFor >= probe.afterMillis) {
        this.probing = true;
        const waiting = this.pending.size;
        this.request(probe.request(), probe.timeoutMillis).then(
          () => {
            this.probing = false;
          },
          (e: unknown) => {
            this.probing = false;
            if (e instanceof RemotingTimeoutError) {
              const why = `peer answered nothing for ${Math.round(monotonicNow() - this.lastReadAt)} ms, not even a liveness probe, while ${waiting} requests waited (process stopped or network cut?)`;
              this.log.warn('closing connection: peer not responding', { peer: this.remoteAddress, why });
              this.close(why);
            }
          },
        );
      }
      if (this.pending.size > 0) this.armProbe(probe);
    }, Math.max(10, probe.afterMillis / 2));
    this.probeTimer.unref();
  }

  /** Fails every request past its deadline, then re-arms for the earliest one left. */
  private readonly sweepTimeouts = (): void => {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = monotonicNow();
    let next = Number.POSITIVE_INFINITY;
    const expired: number[] = [];
    this.pending.forEach((p, opaque) => {
      if (p.deadline <= now) expired.push(opaque);
      else if (p.deadline < next) next = p.deadline;
    });
    for (const opaque of expired) {
      const p = this.pending.take(opaque)!;
      p.reject(new RemotingTimeoutError(this.remoteAddress, p.code, p.timeoutMillis));
    }
    if (next !== Number.POSITIVE_INFINITY) this.armTimer(next);
  };
}
