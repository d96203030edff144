/**
 * The master's side of replication (Java `HAService` with its accept service and
 * `GroupTransferService`): listens on haListenPort, runs one SlaveLink per connected slave, and
 * answers SYNC_MASTER's question "do enough slaves hold the bytes up to this offset?".
 *
 * Waiting is cheap: sends wait in one offset-ordered queue (store/offset-waiters.ts) with a single
 * timer for the oldest deadline; each acknowledgement resolves every waiter at or below the new
 * acknowledged level at once. When the slaves a send needs are gone, every waiter is answered
 * SLAVE_NOT_AVAILABLE at once instead of waiting out slaveTimeout.
 */
import { normaliseRemoteIp } from '../../acl/remote-address.js';
import net from 'node:net';
import { plainOnlyAcceptor, secureAcceptor } from '../../remoting/tls-accept.js';
import type { ServerTls } from '../../remoting/tls-config.js';
import { silentLogger, type Logger } from '../../util/log.js';
import { rateLimitedLogger } from '../../util/log-rate-limit.js';
import type { HaConnectionInfo } from '../../protocol/ha-runtime-info.js';
import { readInt64 } from '../../protocol/message/int64.js';
import { storeTimestampPosition } from '../../protocol/message/record.js';
import { OffsetWaiters } from '../store/offset-waiters.js';
import type { MessageStore } from '../store/index.js';
import { SlaveLink } from './slave-link.js';

export interface HaMasterOptions {
  store: MessageStore;
  /**
   * Addresses slaves may connect from (haAllowedAddresses). The HA wire carries no credentials
   * (RocketMQ's neither), so this and the network are what keep others off the commit log.
   */
  allowFrom?: (ip: string) => boolean;
  port: number;
  host?: string;
  /** TLS on the HA port (the broker's tls.server.* keys: same modes as the remoting port). */
  tls?: ServerTls;
  /** haTransferBatchSize */
  transferBatchSize: number;
  heartbeatIntervalMillis: number;
  housekeepingIntervalMillis: number;
  /** slaveTimeout: a SYNC_MASTER send waits this long for its acknowledgements. */
  slaveTimeoutMillis: number;
  /** haSlaveFallbehindMax: a slave further behind than this is not waited for. */
  slaveFallbehindMax: number;
  /** Slave acknowledgements a SYNC_MASTER send needs (≥ 1). */
  acksNeeded: number;
  /** False on a SLAVE: its HA port refuses connections (a slave pointed at a slave is a configuration error). */
  acceptSlaves: boolean;
  logger?: Logger;
}

export type ReplicaOutcome = 'PUT_OK' | 'FLUSH_SLAVE_TIMEOUT' | 'SLAVE_NOT_AVAILABLE';

/** SYSFLAG field of a stored record (docs/design/protocol.md#stored-message-record): it decides where STORETIMESTAMP is. */
const RECORD_SYSFLAG_AT = 36;

export class HaMaster {
  readonly links = new Set<SlaveLink>();
  private readonly server: net.Server;
  private readonly waiters = new OffsetWaiters();
  private readonly log: Logger;
  /** Bumped whenever the slaves a send needs are lost: waiters failed by it answer SLAVE_NOT_AVAILABLE. */
  private lostEpoch = 0;
  private tickTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private closed = false;

  constructor(private readonly opts: HaMasterOptions) {
    this.log = opts.logger ?? silentLogger;
    const refusals = rateLimitedLogger(this.log);
    // a plain HA port still closes a TLS hello at once: a slave turning TLS on then falls back
    const acceptor = opts.tls === undefined ? plainOnlyAcceptor() : secureAcceptor(opts.tls);
    this.server = net.createServer({ noDelay: true }, (raw) => {
      if (this.closed) return void raw.destroy();
      // address checks first: a refused address gets no handshake
      if (!this.admit(raw, refusals)) return;
      acceptor.accept(
        raw,
        (socket) => (this.closed ? socket.destroy() : this.link(socket)),
        (peer, reason) => refusals.warn('HA connection refused', { from: peer, reason }),
      );
    });
    this.server.on('error', (e) => this.log.error('HA server socket error', { err: e }));
  }

  /** Whether this peer may replicate from us (master role, haAllowedAddresses); closes it if not. */
  private admit(socket: net.Socket, refusals: Logger): boolean {
    if (!this.opts.acceptSlaves) {
      refusals.warn('HA connection refused: this broker is a SLAVE (point slaves at their master’s haListenPort)', { from: `${socket.remoteAddress}:${socket.remotePort}` });
      socket.destroy();
      return false;
    }
    const ip = normaliseRemoteIp(socket.remoteAddress ?? '');
    if (this.opts.allowFrom !== undefined && !this.opts.allowFrom(ip)) {
      refusals.warn('HA connection refused: address not in haAllowedAddresses', { from: `${socket.remoteAddress}:${socket.remotePort}` });
      socket.destroy();
      return false;
    }
    return true;
  }

  private link(socket: net.Socket): void {
    const link = new SlaveLink(socket, {
      store: this.opts.store,
      transferBatchSize: this.opts.transferBatchSize,
      logger: this.log,
      onAck: () => this.waiters.advance(this.ackLevel()),
      onClose: (l) => this.onLinkClosed(l),
    });
    this.links.add(link);
  }

  get port(): number | undefined {
    const a = this.server.address();
    return a !== null && typeof a === 'object' ? a.port : undefined;
  }

  /** Listens on haListenPort; the store's writes drive sending from then on. */
  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.server.once('error', onError);
      this.server.listen({ port: this.opts.port, host: this.opts.host, exclusive: true }, () => {
        this.server.off('error', onError);
        this.unsubscribe = this.opts.store.onCommitLogWritten(() => {
          for (const l of this.links) l.pump();
        });
        this.tickTimer = setInterval(() => this.tick(), Math.min(1_000, this.opts.heartbeatIntervalMillis));
        this.tickTimer.unref();
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.tickTimer !== undefined) clearInterval(this.tickTimer);
    this.unsubscribe?.();
    for (const l of [...this.links]) l.close('the master is stopping');
    this.waiters.failAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /**
   * SYNC_MASTER (4.x CommitLog.submitReplicaRequest): PUT_OK once `acksNeeded` slaves acknowledged
   * `endOffset`; SLAVE_NOT_AVAILABLE at once when too few slaves are connected or they are more than
   * haSlaveFallbehindMax behind (and as soon as they disconnect); FLUSH_SLAVE_TIMEOUT after slaveTimeout.
   */
  async waitForReplicas(endOffset: number): Promise<ReplicaOutcome> {
    if (this.ackLevel() >= endOffset) return 'PUT_OK';
    if (!this.slavesAvailable()) return 'SLAVE_NOT_AVAILABLE';
    const epoch = this.lostEpoch;
    const ok = await this.waiters.wait(endOffset, this.opts.slaveTimeoutMillis);
    if (ok) return 'PUT_OK';
    return this.lostEpoch !== epoch ? 'SLAVE_NOT_AVAILABLE' : 'FLUSH_SLAVE_TIMEOUT';
  }

  /** The offset that `acksNeeded` slaves have all acknowledged (-1 when fewer slaves acknowledged anything). */
  ackLevel(): number {
    const acks: number[] = [];
    for (const l of this.links) {
      const a = l.ackOffset;
      if (a >= 0) acks.push(a);
    }
    if (acks.length < this.opts.acksNeeded) return -1;
    acks.sort((a, b) => b - a);
    return acks[this.opts.acksNeeded - 1] as number;
  }

  /** Enough slaves replicating and within haSlaveFallbehindMax of our end (4.x HAService.isSlaveOK). */
  slavesAvailable(): boolean {
    const max = this.opts.store.maxPhysOffset;
    let n = 0;
    for (const l of this.links) if (l.usable && max - Math.max(l.reportedOffset, l.requestOffset) < this.opts.slaveFallbehindMax) n++;
    return n >= this.opts.acksNeeded;
  }

  /**
   * A broker id to send a consumer to when it reads far behind (slaveReadEnable): 1 (the first
   * slave, RocketMQ's whichBrokerWhenConsumeSlowly) when a replicating slave already holds
   * `physOffset`; undefined when none does.
   */
  slaveHolding(physOffset: number): boolean {
    for (const l of this.links) if (l.usable && l.reportedOffset > physOffset) return true;
    return false;
  }

  /** The state of every slave connection, with the lag in bytes and in time. */
  async connections(): Promise<HaConnectionInfo[]> {
    const max = this.opts.store.maxPhysOffset;
    const out: HaConnectionInfo[] = [];
    for (const l of this.links) {
      const acked = l.reportedOffset;
      const info: HaConnectionInfo = {
        addr: l.remoteAddress,
        slaveAckOffset: acked,
        diff: acked >= 0 ? max - acked : max,
        inSync: l.usable && acked >= 0 && max - acked < this.opts.slaveFallbehindMax,
        transferredByteInSecond: l.transferRate,
        transferFromWhere: l.nextTransfer,
        state: l.state,
        connectedSince: l.connectedAt,
      };
      if (l.usable && acked >= 0) info.lagMillis = await this.lagMillis(acked, max);
      out.push(info);
    }
    return out;
  }

  /** How old the oldest message the slave lacks is: now − its store time (0 when the slave has everything). */
  private async lagMillis(acked: number, max: number): Promise<number | undefined> {
    if (acked >= max) return 0;
    const store = this.opts.store;
    const seg = store.commitLog.segmentSize;
    // the ack may sit on a segment's blank tail: then the next record starts the next segment
    for (const at of [acked, acked - (acked % seg) + seg]) {
      if (at >= max) break;
      const rec = await store.lookMessageByOffset(at);
      if (rec !== undefined) return Math.max(0, Date.now() - readInt64(rec, storeTimestampPosition(rec.readInt32BE(RECORD_SYSFLAG_AT))));
    }
    return undefined;
  }

  private onLinkClosed(link: SlaveLink): void {
    this.links.delete(link);
    let usable = 0;
    for (const l of this.links) if (l.usable) usable++;
    if (usable < this.opts.acksNeeded && this.waiters.size > 0) {
      this.lostEpoch++;
      this.waiters.failAll();
    }
  }

  private tick(): void {
    const now = Date.now();
    for (const l of [...this.links]) l.tick(now, this.opts.heartbeatIntervalMillis, this.opts.housekeepingIntervalMillis);
  }
}

