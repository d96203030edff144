/**
 * A client socket of the network thread as the store thread sees it: a FrameTransport a
 * Connection runs over unchanged. Writes go to the network thread in the turn's batch; 'data',
 * 'end', 'error', 'timeout' and 'close' come back from it.
 *
 * `writableLength` counts the bytes written here that the network thread has not yet reported
 * handed to the kernel (in transit, in its socket's buffer, or written and not reported yet: it
 * reports with its next batch, or once WRITTEN_REPORT_BYTES gathered), so a peer that does not
 * read makes it grow as with a local socket: `write` returns false past HIGH_WATER_BYTES and
 * 'drain' follows once everything is written (seen here as less than WRITTEN_REPORT_BYTES left). pause() stops 'data' here at once and the socket's reads there as soon
 * as the batch arrives.
 */
import { EventEmitter } from 'node:events';
import type { FrameTransport } from '../connection.js';
import { WRITTEN_REPORT_BYTES } from './messages.js';

/**
 * Unwritten bytes at which `write` says "full". Larger than a local socket's 16 KiB: here the
 * count includes bytes in transit between the threads, which one turn of answers can exceed.
 */
export const HIGH_WATER_BYTES = 1024 * 1024;

/** What a ThreadSocket asks of its network thread (io-thread.ts). */
export interface SocketChannel {
  write(id: number, chunk: Uint8Array): void;
  setPaused(id: number, paused: boolean): void;
  end(id: number): void;
  destroy(id: number): void;
  setTimeout(id: number, millis: number): void;
}

export class ThreadSocket extends EventEmitter implements FrameTransport {
  private unwritten = 0;
  private needDrain = false;
  private paused = false;
  /** data (and a peer's end after it) that arrived while paused, emitted on resume */
  private held: (Buffer | 'end')[] = [];
  private releaseScheduled = false;
  private ended = false;
  private gone = false;

  constructor(
    readonly id: number,
    readonly remoteAddress: string | undefined,
    readonly remotePort: number | undefined,
    private readonly channel: SocketChannel,
  ) {
    super();
  }

  get writableLength(): number {
    return this.unwritten;
  }

  get destroyed(): boolean {
    return this.gone;
  }

  setNoDelay(): this {
    return this; // the network thread sets it on every socket
  }

  setTimeout(millis: number, onTimeout?: () => void): this {
    if (onTimeout) this.once('timeout', onTimeout);
    if (!this.gone) this.channel.setTimeout(this.id, millis);
    return this;
  }

  write(chunk: Buffer): boolean {
    if (this.gone || this.ended) return false;
    this.unwritten += chunk.length;
    this.channel.write(this.id, chunk);
    if (this.unwritten < HIGH_WATER_BYTES) return true;
    this.needDrain = true;
    return false;
  }

  /** Writes already go out together, once per turn. */
  cork(): void {}
  uncork(): void {}

  pause(): this {
    if (!this.paused && !this.gone) {
      this.paused = true;
      this.channel.setPaused(this.id, true);
    }
    return this;
  }

  resume(): this {
    if (this.paused && !this.gone) {
      this.paused = false;
      this.channel.setPaused(this.id, false);
      // as a stream does: what was held comes out on the next tick, not inside resume()
      if (this.held.length > 0 && !this.releaseScheduled) {
        this.releaseScheduled = true;
        process.nextTick(this.release);
      }
    }
    return this;
  }

  end(): this {
    if (!this.ended && !this.gone) {
      this.ended = true;
      this.channel.end(this.id);
    }
    return this;
  }

  destroy(): this {
    if (this.gone) return this;
    this.channel.destroy(this.id);
    this.closed();
    return this;
  }

  // ── from the network thread (io-thread.ts) ─────────────────────────────────────────────────

  /** @internal */
  received(chunk: Buffer): void {
    if (this.gone) return;
    if (this.paused || this.held.length > 0) this.held.push(chunk);
    else this.emit('data', chunk);
  }

  /** @internal */
  written(bytes: number): void {
    this.unwritten -= bytes;
    if (this.needDrain && this.unwritten < WRITTEN_REPORT_BYTES && !this.gone) {
      this.needDrain = false;
      this.emit('drain');
    }
  }

  /** @internal: the peer ended (after the data before it), or the idle timeout passed */
  signal(event: 'end' | 'timeout'): void {
    if (this.gone) return;
    if (event === 'end' && this.held.length > 0) this.held.push('end');
    else this.emit(event);
  }

  /** @internal */
  failed(err: Error): void {
    if (!this.gone) this.emit('error', err);
  }

  /** @internal: the socket is gone (closed there, or destroyed here). */
  closed(): void {
    if (this.gone) return;
    this.gone = true;
    this.held = [];
    process.nextTick(() => this.emit('close', false));
  }

  private readonly release = (): void => {
    this.releaseScheduled = false;
    while (this.held.length > 0 && !this.paused && !this.gone) {
      const next = this.held.shift()!;
      if (next === 'end') this.emit('end');
      else this.emit('data', next);
    }
  };
}
