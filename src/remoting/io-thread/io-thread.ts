/**
 * The store thread's handle on a network thread (docs/design/io-thread.md): starts the worker,
 * asks it to listen, and turns what it reports into ThreadSockets for RemotingServer. Writes,
 * pauses and closes of every socket go out in one batch per turn (flushed in a microtask, so all
 * the writes of one handler callback or one flush share it).
 *
 * The worker runs the same bundle (dist/rmqd.js) with workerData marking it a network thread
 * (runtime/main.ts); tests from source point `entry` at the built bundle.
 */
import { Worker } from 'node:worker_threads';
import { BatchBuilder, IO_THREAD_ROLE, readBatch, type WireBatch, type IoThreadData, type ListenSpec, type NetEvent, type StoreOp } from './messages.js';
import { ThreadSocket, type SocketChannel } from './thread-socket.js';

export interface IoThreadOptions {
  /** The module the worker runs (default: this bundle). */
  entry?: URL;
  /** Bytes read and not yet taken by this thread past which the network thread stops reading (default 8 MiB). */
  maxUnconsumedBytes?: number;
}

export interface ListenHandlers {
  /** A connection ready to speak frames (TLS, when on, already established). */
  onSocket(socket: ThreadSocket): void;
  /** A connection closed before it became one (a failed TLS handshake, a silent peer). */
  onRefused(peer: string, reason: string): void;
  onServerError(message: string): void;
}

/** A listening port of the network thread. */
export interface ThreadListener {
  readonly port: number;
  /** Stops accepting; resolves once every connection it accepted has closed. */
  close(): Promise<void>;
}

interface PendingListen {
  handlers: ListenHandlers;
  resolve: (port: number) => void;
  reject: (err: Error) => void;
}

const DEFAULT_MAX_UNCONSUMED_BYTES = 8 * 1024 * 1024;

export class IoThread implements SocketChannel {
  private readonly worker: Worker;
  private readonly sockets = new Map<number, ThreadSocket>();
  private readonly listening = new Map<number, ListenHandlers>();
  private readonly starting = new Map<number, PendingListen>();
  private readonly closing = new Map<number, () => void>();
  private readonly failureListeners: ((err: Error) => void)[] = [];
  private readonly out = new BatchBuilder<StoreOp>();
  private flushScheduled = false;
  private nextListener = 0;
  /** data bytes taken off the port, not yet reported (with the next batch, or once a quarter of the limit) */
  private consumed = 0;
  private readonly consumedReportBytes: number;
  private failure: Error | undefined;
  private stopping = false;

  constructor(opts: IoThreadOptions = {}) {
    const workerData: IoThreadData = { role: IO_THREAD_ROLE, maxUnconsumedBytes: opts.maxUnconsumedBytes ?? DEFAULT_MAX_UNCONSUMED_BYTES };
    // reported by then at the latest, the network thread's count falls below its resume mark (half) once all is taken
    this.consumedReportBytes = workerData.maxUnconsumedBytes / 4;
    this.worker = new Worker(opts.entry ?? new URL(import.meta.url), { workerData });
    this.worker.on('message', (wire: WireBatch) => this.onBatch(wire));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => {
      if (!this.stopping) this.fail(new Error(`network thread exited (code ${code})`));
    });
  }

  /** Called if the network thread dies: every socket is gone and nothing is listened on any more. */
  onFailure(listener: (err: Error) => void): void {
    this.failureListeners.push(listener);
  }

  listen(spec: Omit<ListenSpec, 'listener'>, handlers: ListenHandlers): Promise<ThreadListener> {
    if (this.failure) return Promise.reject(this.failure);
    const listener = ++this.nextListener;
    return new Promise<number>((resolve, reject) => {
      this.starting.set(listener, { handlers, resolve, reject });
      this.send(['listen', { ...spec, listener }]);
    }).then((port) => ({
      port,
      close: () =>
        new Promise<void>((resolve) => {
          if (this.failure || this.stopping) return resolve();
          this.closing.set(listener, resolve);
          this.send(['unlisten', listener]);
        }),
    }));
  }

  /** Ends the thread (its listeners closed first, by whoever opened them). */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.worker.terminate();
  }

  // ── SocketChannel: what ThreadSockets ask for ──────────────────────────────────────────────

  write(id: number, chunk: Uint8Array): void {
    this.send(['write', id, this.out.addBytes(chunk), chunk.length]);
  }

  setPaused(id: number, paused: boolean): void {
    this.send([paused ? 'pause' : 'resume', id]);
  }

  end(id: number): void {
    this.send(['end', id]);
  }

  destroy(id: number): void {
    this.sockets.delete(id);
    this.send(['destroy', id]);
  }

  setTimeout(id: number, millis: number): void {
    this.send(['timeout', id, millis]);
  }

  // ── the batches ────────────────────────────────────────────────────────────────────────────

  private send(op: StoreOp): void {
    this.out.add(op);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.failure) return;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.failure) return;
    if (this.consumed > 0) {
      this.out.add(['consumed', this.consumed]);
      this.consumed = 0;
    }
    if (this.out.isEmpty) return;
    const batch = this.out.take();
    this.worker.postMessage(batch, [batch.buf]);
  };

  private onBatch(wire: WireBatch): void {
    const batch = readBatch<NetEvent>(wire);
    let consumed = 0;
    for (const e of batch.events) {
      switch (e[0]) {
        case 'data': {
          const [, id, at, length] = e;
          consumed += length;
          this.sockets.get(id)?.received(Buffer.from(batch.bytes!, at, length));
          break;
        }
        case 'written':
          this.sockets.get(e[1])?.written(e[2]);
          break;
        case 'open': {
          const [, id, listener, address, port] = e;
          const handlers = this.listening.get(listener);
          const socket = new ThreadSocket(id, address, port, this);
          if (handlers === undefined) {
            socket.destroy(); // its listener is closing
            break;
          }
          this.sockets.set(id, socket);
          handlers.onSocket(socket);
          break;
        }
        case 'end':
        case 'timeout':
          this.sockets.get(e[1])?.signal(e[0]);
          break;
        case 'error':
          this.sockets.get(e[1])?.failed(Object.assign(new Error(e[2]), e[3] === undefined ? {} : { code: e[3] }));
          break;
        case 'close': {
          const s = this.sockets.get(e[1]);
          this.sockets.delete(e[1]);
          s?.closed();
          break;
        }
        case 'listening': {
          const p = this.starting.get(e[1]);
          this.starting.delete(e[1]);
          if (p) {
            this.listening.set(e[1], p.handlers);
            p.resolve(e[2]);
          }
          break;
        }
        case 'listen-failed': {
          const p = this.starting.get(e[1]);
          this.starting.delete(e[1]);
          p?.reject(Object.assign(new Error(e[2]), e[3] === undefined ? {} : { code: e[3] }));
          break;
        }
        case 'unlistened':
          this.listening.delete(e[1]);
          this.closing.get(e[1])?.();
          this.closing.delete(e[1]);
          break;
        case 'refused':
          this.listening.get(e[1])?.onRefused(e[2], e[3]);
          break;
        case 'server-error':
          this.listening.get(e[1])?.onServerError(e[2]);
          break;
      }
    }
    this.consumed += consumed;
    if (this.consumed >= this.consumedReportBytes) this.scheduleFlush();
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const p of this.starting.values()) p.reject(err);
    this.starting.clear();
    for (const done of this.closing.values()) done();
    this.closing.clear();
    for (const s of this.sockets.values()) {
      s.failed(new Error(`network thread failed: ${err.message}`));
      s.closed();
    }
    this.sockets.clear();
    for (const l of this.failureListeners) l(err);
  }
}
