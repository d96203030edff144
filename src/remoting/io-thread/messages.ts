/**
 * What the store thread and the network thread say to each other (docs/design/io-thread.md).
 * Each side sends at most one batch per event-loop turn: a list of events in order and the bytes
 * of every `data` / `write` in it, addressed by offset and length, all in one transferred
 * ArrayBuffer (WireBatch) — one copy and one postMessage for everything a turn read or wrote.
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

/** A batch as the receiving side reads it: events in order, `data`/`write` offsets into `bytes`. */
export interface Batch<T> {
  events: T[];
  bytes: ArrayBuffer | null;
}

/**
 * A batch as it crosses: one transferred buffer holding the events as four int32s each (kind and
 * arity, then up to three numbers) followed by the payload. postMessage's structured clone of a
 * list of small arrays costs about half a microsecond per event, measured; numbers in the
 * transferred buffer cost nothing to move. The few events with strings (open, error, listen …)
 * travel in `rare`, their place in the order kept by a RARE entry.
 */
export interface WireBatch {
  n: number;
  buf: ArrayBuffer;
  rare: unknown[] | null;
}

/** Events whose fields are all numbers, encoded into the buffer. */
const NUMERIC_KINDS = ['data', 'write', 'written', 'consumed', 'end', 'close', 'timeout', 'pause', 'resume', 'destroy', 'unlisten', 'unlistened', 'listening'] as const;
const RARE = 255;
const QUAD = 16;

type Tuple = readonly [string, ...unknown[]];

/**
 * Builds one batch: events in order, payload bytes gathered and copied into one fresh buffer at
 * `take()` (the sources may be pooled or reused views, and a transferred buffer must be ours).
 */
export class BatchBuilder<T extends Tuple> {
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

  /** The batch to post, its buffer to transfer. */
  take(): WireBatch {
    const n = this.events.length;
    const head = n * QUAD;
    // its own ArrayBuffer (not the pool's), not zero-filled: every byte is written below
    const out = Buffer.allocUnsafeSlow(head + this.size);
    const quads = new Int32Array(out.buffer, 0, n * 4);
    let rare: unknown[] | null = null;
    for (let i = 0; i < n; i++) {
      const e = this.events[i]!;
      const kind = (NUMERIC_KINDS as readonly string[]).indexOf(e[0]);
      if (kind < 0) {
        rare ??= [];
        quads[i * 4] = RARE;
        quads[i * 4 + 1] = rare.length;
        rare.push(e);
        continue;
      }
      quads[i * 4] = kind | ((e.length - 1) << 8);
      for (let f = 1; f < e.length; f++) quads[i * 4 + f] = e[f] as number;
    }
    let at = head;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    this.events = [];
    this.chunks = [];
    this.size = 0;
    return { n, buf: out.buffer as ArrayBuffer, rare };
  }
}

/** The events of a batch that crossed, `data`/`write` offsets made offsets into `bytes`. */
export function readBatch<T>(w: WireBatch): Batch<T> {
  const head = w.n * QUAD;
  const quads = new Int32Array(w.buf, 0, w.n * 4);
  const events: unknown[] = new Array(w.n);
  for (let i = 0; i < w.n; i++) {
    const code = quads[i * 4]!;
    if (code === RARE) {
      events[i] = w.rare![quads[i * 4 + 1]!];
      continue;
    }
    const kind = NUMERIC_KINDS[code & 0xff]!;
    const arity = code >> 8;
    const e: unknown[] = [kind];
    for (let f = 1; f <= arity; f++) e.push(quads[i * 4 + f]);
    if (kind === 'data' || kind === 'write') e[2] = (e[2] as number) + head;
    events[i] = e;
  }
  return { events: events as T[], bytes: w.buf.byteLength > head ? w.buf : null };
}
