/**
 * What the store thread and the network thread say to each other (docs/design/io-thread.md).
 * Each side sends at most one batch per event-loop turn: a list of events in order and one
 * transferred ArrayBuffer holding the bytes of every `data` / `write` in it, addressed by
 * offset and length — one copy and one postMessage for everything a turn read or wrote.
 *
 * Sockets are numbered by the network thread (`id`); listeners by the store thread.
 */
import type { ServerTls } from '../tls-config.js';

/** workerData of a network thread: the bundle's entry point checks it to run as one. */
export const IO_THREAD_ROLE = 'rmqd-io-thread';
export interface IoThreadData {
  role: typeof IO_THREAD_ROLE;
  /** Unanswered bytes handed to the store thread past which the network thread stops reading. */
  maxUnconsumedBytes: number;
}

export function isIoThreadData(d: unknown): d is IoThreadData {
  return typeof d === 'object' && d !== null && (d as { role?: unknown }).role === IO_THREAD_ROLE;
}

/**
 * Written bytes are reported to the store thread with the next batch that goes anyway, and on
 * their own only once this many have gathered: a report per write would double the messages of
 * a request/response exchange. The store thread's count of unwritten bytes is so at most this
 * stale, which its 'drain' allows for (thread-socket.ts).
 */
export const WRITTEN_REPORT_BYTES = 256 * 1024;

export interface ListenSpec {
  listener: number;
  port: number;
  host?: string | undefined;
  maxConnections: number;
  tls?: ServerTls | undefined;
}

/** Store thread -> network thread. */
export type StoreOp =
  | ['listen', ListenSpec]
  | ['unlisten', number]
  /** bytes [offset, offset + length) of the batch's buffer go out on the socket */
  | ['write', number, number, number]
  | ['pause', number]
  | ['resume', number]
  /** half-close after what is written */
  | ['end', number]
  | ['destroy', number]
  | ['timeout', number, number]
  /** bytes of `data` the store thread has taken off the port (read backpressure) */
  | ['consumed', number];

/** Network thread -> store thread. */
export type NetEvent =
  | ['listening', number, number]
  | ['listen-failed', number, string, string | undefined]
  | ['unlistened', number]
  /** socket id, listener, remote address, remote port */
  | ['open', number, number, string | undefined, number | undefined]
  | ['data', number, number, number]
  /** bytes of the socket's writes handed to the kernel */
  | ['written', number, number]
  | ['end', number]
  | ['timeout', number]
  | ['error', number, string, string | undefined]
  | ['close', number]
  /** listener, peer, why (TLS handshake failures and the like, for the store thread's log) */
  | ['refused', number, string, string]
  | ['server-error', number, string];

export interface Batch<T> {
  events: T[];
  bytes: ArrayBuffer | null;
}

/**
 * Builds one batch: events in order, payload bytes gathered and copied into one fresh buffer at
 * `take()` (the sources may be pooled or reused views, and a transferred buffer must be ours).
 */
export class BatchBuilder<T> {
  private events: T[] = [];
  private chunks: Uint8Array[] = [];
  private size = 0;

  get isEmpty(): boolean {
    return this.events.length === 0;
  }

  add(event: T): void {
    this.events.push(event);
  }

  /** Adds `chunk` to the payload; returns its offset there. */
  addBytes(chunk: Uint8Array): number {
    const at = this.size;
    this.chunks.push(chunk);
    this.size += chunk.length;
    return at;
  }

  /** The batch and the buffer to transfer with it. */
  take(): Batch<T> {
    let bytes: ArrayBuffer | null = null;
    if (this.size > 0) {
      // its own ArrayBuffer (not the pool's), not zero-filled: every byte is written below
      const out = Buffer.allocUnsafeSlow(this.size);
      let at = 0;
      for (const c of this.chunks) {
        out.set(c, at);
        at += c.length;
      }
      bytes = out.buffer as ArrayBuffer;
    }
    const batch = { events: this.events, bytes };
    this.events = [];
    this.chunks = [];
    this.size = 0;
    return batch;
  }
}
