/**
 * The slave's side of replication (Java `HAClient`): connects to the master's HA port, reports
 * where its commit log ends, appends the bytes the master streams at exactly the same offsets
 * (the store verifies and dispatches every record into the slave's own consume queues and index),
 * acknowledges progress, and reconnects and catches up by itself after either side restarts.
 *
 * Divergence check (an rmqd addition inside the same wire format): on connecting, a slave whose
 * log is not empty reports an offset up to OVERLAP_BYTES *before* its end, so the master first
 * streams bytes the slave already has. They must be identical to the slave's own. If they differ,
 * or the master's log ends before the slave's (it answers with a heartbeat before the overlap is
 * complete), the logs have diverged — e.g. the master lost data the slave still holds — and the
 * slave stops replicating and says so (log and status), rather than merging two histories.
 *
 * Acknowledgements: what the slave's commit log has in the kernel — its process may die, the
 * bytes stay — as RocketMQ's slave reports what it has written. Its flush is its own: a
 * SYNC_FLUSH slave fsyncs right behind the stream (one fsync at a time, covering everything
 * written when it starts), not in front of each acknowledgement, which would put a disk round trip
 * on every SYNC_MASTER send's path. Reported after every burst of frames and at least every
 * haSendHeartbeatInterval.
 */
import net from 'node:net';
import tls from 'node:tls';
import { parseHostPort } from '../../remoting/address.js';
import type { ClientTls } from '../../remoting/tls-config.js';
import { describeTlsError, mayFallBackToPlain, tlsConnectOptions } from '../../remoting/tls-connect.js';
import { silentLogger, type Logger } from '../../util/log.js';
import type { MessageStore } from '../store/index.js';
import { encodeOffsetReport, HaProtocolError, TransferReader, type TransferFrame } from './wire.js';

/** Replicated bytes appended but not yet in the kernel at most, before the slave stops reading the stream until its disk catches up. */
const MAX_UNWRITTEN_BYTES = 4 * 1024 * 1024;

/** Bytes a reconnecting slave asks for again to compare with its own (the divergence check). */
export const OVERLAP_BYTES = 4096;

export type HaClientState = 'idle' | 'connecting' | 'verifying' | 'replicating' | 'diverged' | 'halted' | 'truncating' | 'stopped';

export interface HaClientOptions {
  store: MessageStore;
  /** The master's HA address now (config haMasterAddress, else what the NameServers told us). */
  masterAddress: () => string | undefined;
  heartbeatIntervalMillis: number;
  housekeepingIntervalMillis: number;
  /** The slave's flushDiskType is SYNC_FLUSH: fsync right behind every append (acknowledgements do not wait for it). */
  syncFlush: boolean;
  /** Pause between connection attempts (default 1 s). */
  reconnectDelayMillis?: number;
  connectTimeoutMillis?: number;
  /** Connect to the master's HA port with TLS (the broker's tls.enable / tls.client.* keys). */
  tls?: ClientTls;
  logger?: Logger;
  /** Called when the state changes (the broker logs and reacts: e.g. pulls go to the slave while the master is away). */
  onStateChange?: (state: HaClientState, reason?: string) => void;
  /**
   * Before each session with the master at this HA address (the epoch comparison): throwing
   * StopReplication ends replication in that state; any other error is retried like a failed connect.
   */
  beforeSession?: (haAddr: string) => Promise<void>;
}

/** Replication must stop (not retry): the logs diverged, or the broker cuts its log back first. */
export class StopReplication extends Error {
  override readonly name = 'StopReplication';
  constructor(
    readonly state: 'diverged' | 'truncating' | 'halted',
    message: string,
  ) {
    super(message);
  }
}

/** Logs that must not be merged: the session ends and the client stops. */
export class DivergedError extends Error {
  override readonly name = 'DivergedError';
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

/** Replication cannot continue for a reason that retrying will not fix (segment size, bad bytes). */
class HaltError extends Error {
  override readonly name = 'HaltError';
}

function delay(ms: number, wake: { cancel?: () => void }): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref();
    wake.cancel = () => {
      clearTimeout(t);
      resolve();
    };
  });
}

export class HaClient {
  private stateValue: HaClientState = 'idle';
  private stopped = false;
  private running: Promise<void> | undefined;
  private socket: net.Socket | undefined;
  private readonly wake: { cancel?: () => void } = {};
  private readonly log: Logger;
  /** Why the client diverged/halted, or the last connection failure (status). */
  reason: string | undefined;
  /** The master address of the current or last session. */
  masterAddr: string | undefined;
  localAddr: string | undefined;
  lastReadAt = 0;
  lastWriteAt = 0;
  reportedOffset = -1;
  private received = 0;
  private receivedAtTick = 0;
  transferRate = 0;
  /** The last connection failure logged, so a master that stays down is logged once, not every second. */
  private lastFailure: string | undefined;

  constructor(private readonly opts: HaClientOptions) {
    this.log = opts.logger ?? silentLogger;
  }

  get state(): HaClientState {
    return this.stateValue;
  }

  /** Connected and the master's stream is live (it sends at least a heartbeat every haSendHeartbeatInterval). */
  get masterConnected(): boolean {
    return (this.stateValue === 'replicating' || this.stateValue === 'verifying') && Date.now() - this.lastReadAt <= this.opts.housekeepingIntervalMillis;
  }

  start(): void {
    this.running ??= this.run();
  }

  /** Ends the session and the reconnect loop. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake.cancel?.();
    this.socket?.destroy();
    await this.running;
    this.setState('stopped');
  }

  /** A new master address is known (NameServer registration): try it now instead of after the retry pause. */
  masterAddressChanged(): void {
    if (this.stateValue === 'idle' || this.stateValue === 'connecting') this.wake.cancel?.();
    else if (this.masterAddr !== undefined && this.opts.masterAddress() !== this.masterAddr) this.socket?.destroy();
  }

  /** Once a second from the broker: the receive rate. */
  tick(): void {
    this.transferRate = this.received - this.receivedAtTick;
    this.receivedAtTick = this.received;
  }

  private setState(s: HaClientState, reason?: string): void {
    if (s === this.stateValue) return;
    this.stateValue = s;
    this.opts.onStateChange?.(s, reason);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const addr = this.opts.masterAddress();
      if (addr === undefined) {
        this.setState('idle');
        await delay(this.opts.reconnectDelayMillis ?? 1_000, this.wake);
        continue;
      }
      try {
        await this.opts.beforeSession?.(addr);
        if (this.stopped) break;
        await this.session(addr);
      } catch (e) {
        if (e instanceof StopReplication) {
          this.reason = e.message;
          if (e.state !== 'truncating') this.log.error('replication stopped', { master: addr, why: e.message });
          this.setState(e.state, e.message);
          return;
        }
        if (e instanceof DivergedError) {
          this.reason = e.message;
          this.log.error('replication stopped: this slave’s commit log has diverged from its master’s; it will not be merged. Rebuild this slave from an empty store (stop it, move its store directory away, start it) once you know which copy to keep', { master: addr, at: e.at, why: e.message });
          this.setState('diverged', e.message);
          return;
        }
        if (e instanceof HaltError) {
          this.reason = e.message;
          this.log.error('replication stopped', { master: addr, why: e.message });
          this.setState('halted', e.message);
          return;
        }
        const why = (e as Error).message;
        this.reason = why;
        if (why !== this.lastFailure) this.log.warn('HA connection to the master lost; reconnecting', { master: addr, why });
        this.lastFailure = why;
      }
      if (this.stopped) break;
      this.setState('connecting');
      await delay(this.opts.reconnectDelayMillis ?? 1_000, this.wake);
    }
  }

  private async connect(addr: string): Promise<net.Socket> {
    const t = this.opts.tls;
    if (t === undefined) return this.connectSocket(addr, undefined);
    try {
      return await this.connectSocket(addr, t);
    } catch (e) {
      // policy prefer (tls.client.plainFallback): a master that speaks no TLS at all is reached in plain text
      if (!mayFallBackToPlain(t, e)) throw e;
      this.log.warn('HA: the master speaks no TLS; replicating in plain text (tls.client.plainFallback)', { master: addr });
      return this.connectSocket(addr, undefined);
    }
  }

  private connectSocket(addr: string, t: ClientTls | undefined): Promise<net.Socket> {
    const { host, port } = parseHostPort(addr);
    const timeout = this.opts.connectTimeoutMillis ?? 3_000;
    return new Promise((resolve, reject) => {
      const socket = t === undefined ? net.connect({ host, port, noDelay: true }) : tls.connect(tlsConnectOptions(host, port, t));
      socket.setNoDelay(true);
      this.socket = socket;
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connecting to ${addr} timed out after ${timeout} ms`));
      }, timeout);
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`cannot connect to ${addr}: ${t === undefined ? ((e as NodeJS.ErrnoException).code ?? e.message) : describeTlsError(e)}`, { cause: e }));
      });
      // stop() destroys a socket still connecting: that ends the attempt now, not at the timeout
      socket.once('close', () => {
        clearTimeout(timer);
        reject(new Error(`connecting to ${addr} was abandoned`));
      });
      socket.once(t === undefined ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.removeAllListeners('close');
        resolve(socket);
      });
    });
  }

  /** One connection: handshake, verify the overlap, then replicate until the connection ends. */
  private async session(addr: string): Promise<void> {
    const store = this.opts.store;
    this.masterAddr = addr;
    this.setState('connecting');
    const socket = await this.connect(addr);
    if (this.stopped) {
      socket.destroy();
      return;
    }
    this.localAddr = `${socket.localAddress ?? '?'}:${socket.localPort ?? 0}`;
    store.discardRawCarry();
    const end = store.maxPhysOffset;
    const overlap = Math.min(OVERLAP_BYTES, end - store.minPhysOffset);
    const local = overlap > 0 ? await this.readLocal(end - overlap, overlap) : Buffer.alloc(0);
    let expected = end - overlap;
    let verified = 0;
    const emptyStart = end === 0 && store.minPhysOffset === 0;
    this.lastReadAt = Date.now();
    this.setState(overlap > 0 ? 'verifying' : 'replicating');
    if (this.lastFailure !== undefined || overlap === 0) this.log.info('connected to the master', { master: addr, from: expected, end });
    this.lastFailure = undefined;

    const reader = new TransferReader();
    let processing = false;
    let inFlight: Promise<void> = Promise.resolve();
    let failure: Error | undefined;

    await new Promise<void>((resolve) => {
      const fail = (e: Error) => {
        failure ??= e;
        socket.destroy();
      };
      const report = (offset: number, force = false) => {
        // only forward (a forced report repeats the last one as a heartbeat, or states the start)
        if (socket.destroyed || (!force && offset <= this.reportedOffset)) return;
        socket.write(encodeOffsetReport(offset));
        this.reportedOffset = offset;
        this.lastWriteAt = Date.now();
      };
      /**
       * SYNC_FLUSH: one fsync at a time right behind the appends; appends meanwhile are covered by
       * the next one. The stream does not wait for it (see the header); a failed fsync ends the
       * session (the store refuses appends after a failed flush).
       */
      let flushing = false;
      let flushAgain = false;
      const flushBehind = () => {
        if (flushing) {
          flushAgain = true;
          return;
        }
        flushing = true;
        void (async () => {
          try {
            do {
              flushAgain = false;
              await store.flushCommitLog();
            } while (flushAgain && !socket.destroyed);
          } catch (e) {
            fail(new Error(`flushing replicated bytes failed: ${(e as Error).message}`));
          } finally {
            flushing = false;
          }
        })();
      };

      /**
       * Acknowledging: each append resolves once its complete records are in the kernel; the
       * offsets it covered are reported then, one report per turn of the event loop however many
       * appends one commit-log write completed.
       */
      let ackTarget = -1;
      let reportQueued = false;
      const acknowledge = (upTo: number) => {
        if (upTo > ackTarget) ackTarget = upTo;
        if (reportQueued) return;
        reportQueued = true;
        process.nextTick(() => {
          reportQueued = false;
          report(ackTarget);
          if (this.opts.syncFlush) flushBehind();
        });
      };
      /** The last append started: appends are written in order, so this settles after every earlier one. */
      let lastAppend: Promise<unknown> = Promise.resolve();
      const appendFailed = (e: Error) =>
        // bytes that are not records, another segment geometry, broken queue offsets: retrying cannot help
        fail(e instanceof RangeError ? new HaltError(`replicated bytes refused: ${e.message}`) : new Error(`appending replicated bytes failed: ${e.message}`));

      /**
       * Applies frames in order, at once: each append's checks and its copy into the log happen
       * before appendRaw returns, so frames that arrive while the previous ones are still being
       * written join the commit log's next write — the stream is not paused per write (it is only
       * when MAX_UNWRITTEN_BYTES wait for the disk, or while the store refuses writes).
       */
      const applyNow = (frames: TransferFrame[]): void => {
        let started = 0;
        for (const f of frames) {
          if (f.masterPhyOffset !== expected) {
            if (emptyStart && expected === 0 && store.maxPhysOffset === 0 && store.rawAppendOffset === 0) {
              // an empty slave: the master starts where its own log starts (Java: at its last segment)
              try {
                store.startEmptyAt(f.masterPhyOffset);
              } catch (e) {
                throw new HaltError(`the master starts its stream at ${f.masterPhyOffset}: ${(e as Error).message}`);
              }
              expected = f.masterPhyOffset;
              this.log.info('empty slave starts its log where the master’s begins', { offset: expected });
            } else {
              throw new HaProtocolError(`the master sent offset ${f.masterPhyOffset}, expected ${expected}`);
            }
          }
          if (f.data.length === 0) {
            if (verified < overlap) {
              throw new DivergedError(`the master’s commit log ends at ${expected}, before this slave’s end ${end}: the slave holds data the master does not`, expected);
            }
            continue;
          }
          let data = f.data;
          if (verified < overlap) {
            const n = Math.min(overlap - verified, data.length);
            for (let i = 0; i < n; i++) {
              if (data[i] !== local[verified + i]) {
                throw new DivergedError(`the master’s commit log differs from this slave’s at offset ${expected + i} (the slave’s log ends at ${end})`, expected + i);
              }
            }
            verified += n;
            expected += n;
            data = data.subarray(n);
            if (verified === overlap) {
              this.setState('replicating');
              this.log.info('slave log matches the master’s; replicating', { master: addr, from: end });
            }
            if (data.length === 0) continue;
          }
          // a refused append leaves the log where the bad bytes start: its rejection ends the session
          if (store.rawAppendOffset !== expected) break;
          const p = store.appendRaw(expected, data);
          const upTo = store.rawAppendOffset;
          p.then(() => acknowledge(upTo), appendFailed);
          lastAppend = p;
          started++;
          expected += data.length;
        }
        // nothing (left) to write: report where the log stands now (after the overlap check, or a heartbeat)
        if (verified === overlap && started === 0 && store.writtenPhysOffset >= store.maxPhysOffset) report(store.rawAppendOffset);
      };

      /**
       * While this slave's store refuses writes for lack of space (it recovers by itself), hold the
       * stream — the socket stays paused, the master sees reports without progress and stops
       * waiting for this slave — instead of failing the session and reconnecting every second.
       */
      let pausedForStore = false;
      let resumedAt = 0;
      const refusing = () => {
        const w = store.appendState();
        return w !== undefined && (w.code === 'disk-full' || w.code === 'disk-ratio') ? w : undefined;
      };
      const storeTakesWrites = async (): Promise<void> => {
        const first = refusing();
        if (first === undefined) return;
        pausedForStore = true;
        const since = Date.now();
        this.log.warn('replication paused: this slave’s store refuses writes; it resumes once the store takes them again', { why: first.code, reason: first.reason });
        while (refusing() !== undefined && !socket.destroyed && !this.stopped) await new Promise((r) => setTimeout(r, 250));
        pausedForStore = false;
        resumedAt = Date.now();
        if (!socket.destroyed && !this.stopped) this.log.info('replication resumed: the store takes writes again', { pausedMs: Date.now() - since });
      };

      /** Stops reading until `until` settles, then reads on. */
      const holdWhile = (until: Promise<unknown>) => {
        processing = true;
        socket.pause();
        inFlight = until
          .then(() => undefined)
          .catch((e: Error) => fail(e))
          .finally(() => {
            processing = false;
            if (!socket.destroyed) {
              socket.resume();
              drain();
            }
          });
      };

      const drain = () => {
        if (processing || socket.destroyed) return;
        let frames: TransferFrame[];
        try {
          frames = reader.frames();
        } catch (e) {
          fail(e as Error);
          return;
        }
        if (frames.length === 0) return;
        if (refusing() !== undefined && frames.some((f) => f.data.length > 0)) {
          holdWhile(storeTakesWrites().then(() => applyNow(frames)));
          return;
        }
        try {
          applyNow(frames);
        } catch (e) {
          fail(e as Error);
          return;
        }
        // the disk is behind: let it catch up before reading more
        if (store.rawAppendOffset - store.writtenPhysOffset > MAX_UNWRITTEN_BYTES) holdWhile(lastAppend.catch(() => {}));
      };

      // fine-grained, so reports go out close to every haSendHeartbeatInterval (the master counts a slave silent soon after a missed one)
      const timer = setInterval(() => {
        const now = Date.now();
        // paused for the store, the socket is not read: the master's silence means nothing then (nor just after)
        if (!pausedForStore && now - Math.max(this.lastReadAt, resumedAt) > this.opts.housekeepingIntervalMillis) {
          fail(new Error(`nothing from the master for ${now - this.lastReadAt} ms (haHousekeepingInterval ${this.opts.housekeepingIntervalMillis} ms)`));
          return;
        }
        if (now - this.lastWriteAt >= this.opts.heartbeatIntervalMillis && this.reportedOffset >= 0) report(this.reportedOffset, true);
      }, Math.max(20, Math.min(250, this.opts.heartbeatIntervalMillis / 4)));
      timer.unref();

      socket.on('data', (chunk: Buffer) => {
        this.lastReadAt = Date.now();
        this.received += chunk.length;
        reader.push(chunk);
        drain();
      });
      socket.on('error', (e) => fail(new Error(`HA connection error: ${e.message}`)));
      socket.on('close', () => {
        clearInterval(timer);
        // the next session starts from the log's end: let appends in flight finish first (said
        // aloud when that takes long: a session stuck here would otherwise be silent)
        const slow = setTimeout(() => this.log.warn('HA session closed; waiting for replicated bytes still being appended before reconnecting', { master: addr, expected, rawAppendOffset: store.rawAppendOffset }), 5_000);
        slow.unref();
        void Promise.allSettled([inFlight, lastAppend]).then(() => {
          clearTimeout(slow);
          store.discardRawCarry();
          resolve();
        });
      });
      report(end - overlap, true);
    });
    this.socket = undefined;
    if (failure instanceof DivergedError || failure instanceof HaltError) throw failure;
    if (this.stopped) return;
    throw failure ?? new Error('the master closed the connection');
  }

  /** The slave's own bytes [from, from+len), across segment ends. */
  private async readLocal(from: number, len: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let at = from;
    while (at < from + len) {
      const b = await this.opts.store.readRaw(at, from + len - at);
      if (b.length === 0) throw new HaltError(`cannot read this slave's own commit log at ${at}`);
      parts.push(b);
      at += b.length;
    }
    return Buffer.concat(parts);
  }
}
