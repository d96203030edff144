/**
 * One slave's HA connection on the master (Java `HAConnection`: its read and write services in
 * one event-driven object). The slave's first offset report is where sending starts; every later
 * report acknowledges what the slave holds. Sending follows the commit log's written offset:
 * whatever is in the kernel goes out in frames of at most haTransferBatchSize, many frames per
 * socket write, pausing while the socket's buffer is full.
 */
import type net from 'node:net';
import type { Logger } from '../../util/log.js';
import type { MessageStore } from '../store/index.js';
import { encodeTransfer, encodeTransferHeader, HaProtocolError, OffsetReportReader } from './wire.js';

/** Bytes read from the commit log per socket write (split into haTransferBatchSize frames). */
const READ_MAX = 256 * 1024;
/**
 * Sending is ack-clocked (like Nagle's algorithm): while the slave has not acknowledged the last
 * transfer, new writes wait for its report and then go out together — unless READ_MAX bytes are
 * ready, or this long has passed. An idle link sends at once, so latency at low load is unchanged,
 * and under load transfers grow with the round trip instead of one transfer (and one slave append,
 * report and master wake-up) per commit-log write.
 */
const ACK_LINGER_MILLIS = 5;

export interface SlaveLinkOptions {
  store: MessageStore;
  transferBatchSize: number;
  /** How long new bytes wait for the slave's report at most (default ACK_LINGER_MILLIS). */
  lingerMillis?: number;
  logger: Logger;
  /**
   * Sends wait for acknowledgements (SYNC_MASTER): then new bytes go out at once instead of waiting
   * for the slave's report on the last transfer — each waiting send's own round trip, not one more.
   */
  urgent?: () => boolean;
  /** The slave acknowledged more (or its first report arrived). */
  onAck: (link: SlaveLink) => void;
  onClose: (link: SlaveLink, reason: string) => void;
}

/** Where a link stands, for status and SYNC_MASTER decisions. */
export type SlaveLinkState = 'handshake' | 'transferring' | 'ahead' | 'behind-log' | 'closed';

export class SlaveLink {
  /** `ip:port` of the slave's socket (the slave reports the same pair as its local address). */
  readonly remoteAddress: string;
  readonly connectedAt = Date.now();
  state: SlaveLinkState = 'handshake';
  /** The first report: where the slave's stream starts. */
  requestOffset = -1;
  /** The latest report. */
  reportedOffset = -1;
  /** Next commit-log byte to send. */
  nextTransfer = -1;
  lastReadAt = Date.now();
  lastWriteAt = Date.now();
  /**
   * Since when the master waits for this slave to acknowledge more: set when bytes go out while
   * nothing was unacknowledged, moved on by each report that acknowledges more, cleared once the
   * slave has everything sent. A slave that stops (process stopped, network cut, its disk stuck)
   * leaves it standing: the master's silence check (ha-master.ts) reads it.
   */
  waitingSince: number | undefined;
  /** Whether the master last judged this slave available for SYNC sends (to log changes once). */
  judgedAvailable = true;
  /** Bytes of commit log sent, in total and since the last rate tick. */
  transferred = 0;
  private transferredAtTick = 0;
  transferRate = 0;
  private readonly reader = new OffsetReportReader();
  private pumping = false;
  private closed = false;
  private announcedCaughtUp = false;
  private lingerTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: net.Socket,
    private readonly opts: SlaveLinkOptions,
  ) {
    this.remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.pump());
    socket.on('error', (e) => this.close(`socket error: ${e.message}`));
    socket.on('close', () => this.close('connection closed by the slave'));
  }

  /**
   * What this slave acknowledges, for SYNC_MASTER: reports up to what was sent on this connection,
   * and only once the slave acknowledged something past its start (a start point alone proves
   * nothing: a slave whose log differs from ours can report any offset).
   */
  get ackOffset(): number {
    if (this.state !== 'transferring' || this.reportedOffset <= this.requestOffset) return -1;
    return this.reportedOffset;
  }

  /** The slave is connected and replicating (not stuck on a log that does not fit ours). */
  get usable(): boolean {
    return this.state === 'transferring';
  }

  private onData(chunk: Buffer): void {
    this.lastReadAt = Date.now();
    let offset: number | undefined;
    try {
      offset = this.reader.push(chunk);
    } catch (e) {
      this.close((e as Error).message);
      return;
    }
    if (offset === undefined) return;
    if (this.requestOffset < 0) this.start(offset);
    else if (offset > this.nextTransfer && this.state === 'transferring') {
      this.close(`protocol error: the slave acknowledged ${offset}, but only ${this.nextTransfer} was sent`);
      return;
    }
    if (offset >= this.nextTransfer) this.waitingSince = undefined;
    else if (offset > this.reportedOffset) this.waitingSince = this.lastReadAt;
    this.reportedOffset = offset;
    this.opts.onAck(this);
    this.pump();
  }

  /** The first report. 0 (an empty slave) starts at the oldest byte we hold, so a new slave gets every retained message. */
  private start(offset: number): void {
    const store = this.opts.store;
    const min = store.minPhysOffset;
    const max = store.writtenPhysOffset;
    this.requestOffset = offset;
    const log = this.opts.logger;
    if (offset > max) {
      this.state = 'ahead';
      this.nextTransfer = offset;
      log.error('slave log is ahead of ours: it holds data this master never had (diverged, e.g. after an unclean loss of this master); not replicating to it', { slave: this.remoteAddress, slaveOffset: offset, masterMaxOffset: max });
      // tell the slave at once that nothing follows (a heartbeat at its offset), so it sees the divergence too
      this.sendHeartbeat();
      return;
    }
    if (offset !== 0 && offset < min) {
      this.state = 'behind-log';
      this.nextTransfer = offset;
      log.error('slave needs commit-log bytes this master no longer holds (deleted by retention); it cannot catch up: rebuild it from an empty store', { slave: this.remoteAddress, slaveOffset: offset, masterMinOffset: min });
      this.close(`slave offset ${offset} is below this master's oldest byte ${min}`);
      return;
    }
    this.state = 'transferring';
    this.nextTransfer = offset === 0 ? min : offset;
    log.info('slave connected', { slave: this.remoteAddress, from: this.nextTransfer, masterMaxOffset: max });
    this.pump();
  }

  /**
   * Sends whatever the commit log has past nextTransfer (the store calls this after each write, the
   * slave's reports call it too); waits for the slave's report first while a transfer is unacknowledged.
   */
  pump(): void {
    if (this.pumping || this.closed || this.state !== 'transferring') return;
    const ready = this.opts.store.writtenPhysOffset - this.nextTransfer;
    if (ready <= 0) return;
    if (this.reportedOffset < this.nextTransfer && ready < READ_MAX && this.opts.urgent?.() !== true) {
      this.lingerTimer ??= setTimeout(() => {
        this.lingerTimer = undefined;
        this.send();
      }, this.opts.lingerMillis ?? ACK_LINGER_MILLIS);
      return;
    }
    this.send();
  }

  private send(): void {
    if (this.pumping || this.closed || this.state !== 'transferring') return;
    if (this.lingerTimer !== undefined) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = undefined;
    }
    this.pumping = true;
    void this.pumpLoop().finally(() => {
      this.pumping = false;
      if (!this.closed && this.state === 'transferring' && this.nextTransfer < this.opts.store.writtenPhysOffset && !this.socket.writableNeedDrain) this.pump();
    });
  }

  private async pumpLoop(): Promise<void> {
    const store = this.opts.store;
    try {
      while (!this.closed && !this.socket.writableNeedDrain && this.nextTransfer < store.writtenPhysOffset) {
        const from = this.nextTransfer;
        const data = await store.readRaw(from, READ_MAX);
        if (this.closed) return;
        if (data.length === 0) break;
        const frames = encodeTransfer(from, data, this.opts.transferBatchSize);
        this.socket.cork();
        for (const f of frames) this.socket.write(f);
        this.socket.uncork();
        this.nextTransfer = from + data.length;
        this.transferred += data.length;
        this.lastWriteAt = Date.now();
        this.waitingSince ??= this.lastWriteAt;
        // more only when catching up (a full read's worth ready); otherwise the next report clocks it
        if (store.writtenPhysOffset - this.nextTransfer < READ_MAX) break;
      }
      // first time caught up: a heartbeat at once tells a slave still checking its log against ours
      // that nothing more follows now (otherwise it would learn that only after haSendHeartbeatInterval)
      if (!this.announcedCaughtUp && !this.closed && this.nextTransfer >= store.writtenPhysOffset) {
        this.announcedCaughtUp = true;
        this.sendHeartbeat();
      }
    } catch (e) {
      this.close(e instanceof RangeError || e instanceof HaProtocolError ? e.message : `reading the commit log failed: ${(e as Error).message}`);
    }
  }

  /** An empty frame at nextTransfer (Java sends one after haSendHeartbeatInterval without a write). */
  sendHeartbeat(): void {
    if (this.closed || this.nextTransfer < 0) return;
    this.socket.write(encodeTransferHeader(this.nextTransfer, 0));
    this.lastWriteAt = Date.now();
  }

  /** Once a second: the transfer rate, heartbeats when idle, and the housekeeping timeout. */
  tick(now: number, heartbeatIntervalMillis: number, housekeepingIntervalMillis: number): void {
    this.transferRate = this.transferred - this.transferredAtTick;
    this.transferredAtTick = this.transferred;
    if (now - this.lastReadAt > housekeepingIntervalMillis) {
      this.close(`no report from the slave for ${now - this.lastReadAt} ms (haHousekeepingInterval ${housekeepingIntervalMillis} ms)`);
      return;
    }
    if (now - this.lastWriteAt >= heartbeatIntervalMillis) this.sendHeartbeat();
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    const wasState = this.state;
    this.state = 'closed';
    this.socket.destroy();
    if (wasState !== 'handshake' || this.requestOffset >= 0) this.opts.logger.info('slave disconnected', { slave: this.remoteAddress, reason, acked: this.reportedOffset });
    this.opts.onClose(this, reason);
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
