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
import { WriteTimeline } from './write-timeline.js';

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
  /** How long an unacknowledged link holds new bytes for the slave's report at most (slave-link.ts; tests lengthen it). */
  lingerMillis?: number;
  heartbeatIntervalMillis: number;
  housekeepingIntervalMillis: number;
  /** slaveTimeout: a SYNC_MASTER send waits this long for its acknowledgements. */
  slaveTimeoutMillis: number;
  /** haSlaveFallbehindMax: a slave further behind than this is not waited for. */
  slaveFallbehindMax: number;
  /**
   * haSlaveOutOfSyncMillis: a slave that acknowledges nothing new this long while bytes sent to it
   * are unacknowledged — or sends no report for heartbeatIntervalMillis + this — is silent: not
   * waited for (SLAVE_NOT_AVAILABLE at once) and not in sync; nor is one behind for longer than this.
   */
  outOfSyncMillis: number;
  /** Slave acknowledgements a SYNC_MASTER send needs (≥ 1). */
  acksNeeded: number;
  /** False on a SLAVE: its HA port refuses connections (a slave pointed at a slave is a configuration error). Changes with the role. */
  acceptSlaves: boolean;
  logger?: Logger;
}

export type ReplicaOutcome = 'PUT_OK' | 'FLUSH_SLAVE_TIMEOUT' | 'SLAVE_NOT_AVAILABLE';

/** The master's judgement of one slave connection now. */
export interface SlaveJudgement {
  /** SYNC_MASTER sends wait for this slave's acknowledgement (4.x isSlaveOK, plus: not silent). */
  available: boolean;
  /** Available, acknowledged something, and missing nothing written longer ago than outOfSyncMillis. */
  inSync: boolean;
  /** Why not in sync (or not available). */
  reason?: string;
  /** ms since the slave's last report. */
  silentMillis: number;
  /** ms the slave has been missing bytes the master had written (0: it has everything written). */
  behindMillis: number;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

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
  /** When the commit log reached which offset: how long a slave has been missing data. */
  private readonly timeline = new WriteTimeline();
  private availableJudgedAt = -1;
  private availableJudged = false;
  /** Whether slaves may connect now (the role: a master does, a slave refuses). */
  acceptSlaves: boolean;
  /** haAllowedAddresses now (it changes when a switchover makes another node master). */
  allowFrom: ((ip: string) => boolean) | undefined;

  constructor(private readonly opts: HaMasterOptions) {
    this.log = opts.logger ?? silentLogger;
    this.acceptSlaves = opts.acceptSlaves;
    this.allowFrom = opts.allowFrom;
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
    if (!this.acceptSlaves) {
      refusals.warn('HA connection refused: this broker is a SLAVE (point slaves at their master’s haListenPort)', { from: `${socket.remoteAddress}:${socket.remotePort}` });
      socket.destroy();
      return false;
    }
    const ip = normaliseRemoteIp(socket.remoteAddress ?? '');
    if (this.allowFrom !== undefined && !this.allowFrom(ip)) {
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
      ...(this.opts.lingerMillis !== undefined ? { lingerMillis: this.opts.lingerMillis } : {}),
      logger: this.log,
      urgent: () => this.waiters.size > 0,
      onAck: (l) => {
        // the first report makes a link usable
        if (l.reportedOffset === l.requestOffset) this.availableJudgedAt = -1;
        this.waiters.advance(this.ackLevel());
      },
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
        this.unsubscribe = this.opts.store.onCommitLogWritten((written) => {
          this.timeline.record(written);
          for (const l of this.links) l.pump();
        });
        // often enough to notice a silent slave within a quarter of haSlaveOutOfSyncMillis
        this.tickTimer = setInterval(() => this.tick(), Math.max(50, Math.min(1_000, this.opts.heartbeatIntervalMillis, this.opts.outOfSyncMillis / 4)));
        this.tickTimer.unref();
        resolve();
      });
    });
  }

  /** Drops every slave connection (the role changes); waiting SYNC sends are answered SLAVE_NOT_AVAILABLE. */
  closeLinks(reason: string): void {
    for (const l of [...this.links]) l.close(reason);
    this.lostEpoch++;
    this.waiters.failAll();
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
    if (!this.slavesAvailableNow()) return 'SLAVE_NOT_AVAILABLE';
    const epoch = this.lostEpoch;
    const ok = await this.waiters.wait(endOffset, this.opts.slaveTimeoutMillis);
    if (ok) return 'PUT_OK';
    return this.lostEpoch !== epoch ? 'SLAVE_NOT_AVAILABLE' : 'FLUSH_SLAVE_TIMEOUT';
  }

  /** The offset that `acksNeeded` slaves have all acknowledged (-1 when fewer slaves acknowledged anything). */
  ackLevel(): number {
    if (this.opts.acksNeeded === 1) {
      let best = -1;
      for (const l of this.links) best = Math.max(best, l.ackOffset);
      return best;
    }
    const acks: number[] = [];
    for (const l of this.links) {
      const a = l.ackOffset;
      if (a >= 0) acks.push(a);
    }
    if (acks.length < this.opts.acksNeeded) return -1;
    acks.sort((a, b) => b - a);
    return acks[this.opts.acksNeeded - 1] as number;
  }

  /** Enough slaves replicating, within haSlaveFallbehindMax of our end (4.x HAService.isSlaveOK) and not silent. */
  slavesAvailable(): boolean {
    return this.availableCount() >= this.opts.acksNeeded;
  }

  /**
   * slavesAvailable() judged once per millisecond at most: every SYNC send asks, and judging each
   * link costs more than the rest of its wait. A link that connects or closes, or a changed
   * judgement in tick(), forgets the answer at once.
   */
  private slavesAvailableNow(): boolean {
    const now = Date.now();
    if (now !== this.availableJudgedAt) {
      this.availableJudgedAt = now;
      this.availableJudged = this.availableCount(now) >= this.opts.acksNeeded;
    }
    return this.availableJudged;
  }

  private availableCount(now = Date.now()): number {
    let n = 0;
    for (const l of this.links) if (this.judge(l, now).available) n++;
    return n;
  }

  /**
   * Where one slave stands. Silent: bytes sent to it have waited longer than outOfSyncMillis for
   * any new acknowledgement, or nothing at all came from it for haSendHeartbeatInterval +
   * outOfSyncMillis (an idle slave still reports every haSendHeartbeatInterval). Behind: it lacks
   * bytes the master wrote more than outOfSyncMillis ago.
   */
  judge(l: SlaveLink, now = Date.now()): SlaveJudgement {
    const o = this.opts;
    const store = o.store;
    const silentMillis = Math.max(0, now - l.lastReadAt);
    const written = store.writtenPhysOffset;
    const acked = l.reportedOffset;
    let behindMillis = 0;
    if (l.usable && acked < written) {
      const since = this.timeline.firstPast(Math.max(acked, l.requestOffset));
      behindMillis = since === undefined ? 0 : Math.max(0, now - since);
    }
    const out = (available: boolean, reason: string): SlaveJudgement => ({ available, inSync: false, reason, silentMillis, behindMillis });
    if (!l.usable) {
      const why: Record<string, string> = {
        handshake: 'connected, no offset report yet',
        ahead: 'its commit log is ahead of this master’s (diverged): not replicating to it',
        'behind-log': 'it needs bytes this master no longer holds: rebuild it from an empty store',
        closed: 'disconnected',
      };
      return out(false, why[l.state] ?? l.state);
    }
    const unacked = Math.max(0, l.nextTransfer - Math.max(acked, l.requestOffset));
    if (l.waitingSince !== undefined && now - l.waitingSince > o.outOfSyncMillis) {
      const waited = now - l.waitingSince;
      return out(
        false,
        silentMillis > o.outOfSyncMillis
          ? `no report from the slave for ${seconds(silentMillis)} while ${unacked} bytes sent to it are unacknowledged (process stopped or network cut?)`
          : `the slave reports but has acknowledged nothing new for ${seconds(waited)} while ${unacked} bytes sent to it are unacknowledged (its disk full or stuck?)`,
      );
    }
    if (silentMillis > o.heartbeatIntervalMillis + o.outOfSyncMillis) {
      return out(false, `no report from the slave for ${seconds(silentMillis)} (it reports at least every haSendHeartbeatInterval ${o.heartbeatIntervalMillis} ms; process stopped or network cut?)`);
    }
    const lagBytes = store.maxPhysOffset - Math.max(acked, l.requestOffset);
    if (lagBytes >= o.slaveFallbehindMax) return out(false, `${lagBytes} bytes behind, more than haSlaveFallbehindMax ${o.slaveFallbehindMax}`);
    if (l.ackOffset < 0) return out(true, 'has acknowledged nothing on this connection yet');
    if (behindMillis > o.outOfSyncMillis) return out(true, `catching up: missing bytes written ${seconds(behindMillis)} ago (${Math.max(0, written - acked)} bytes)`);
    return { available: true, inSync: true, silentMillis, behindMillis };
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
    const now = Date.now();
    for (const l of this.links) {
      const acked = l.reportedOffset;
      const j = this.judge(l, now);
      const info: HaConnectionInfo = {
        addr: l.remoteAddress,
        slaveAckOffset: acked,
        diff: acked >= 0 ? max - acked : max,
        inSync: j.inSync,
        transferredByteInSecond: l.transferRate,
        transferFromWhere: l.nextTransfer,
        state: l.state,
        connectedSince: l.connectedAt,
        available: j.available,
        lastReportTimestamp: l.lastReadAt,
        silentMillis: j.silentMillis,
        behindMillis: j.behindMillis,
      };
      if (j.reason !== undefined) info.outOfSyncReason = j.reason;
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
    this.availableJudgedAt = -1;
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
    let lost = false;
    for (const l of this.links) {
      if (!l.usable) continue;
      const j = this.judge(l, now);
      if (j.available === l.judgedAvailable) continue;
      l.judgedAvailable = j.available;
      this.availableJudgedAt = -1;
      if (j.available) this.log.info('slave acknowledges again: SYNC sends wait for it', { slave: l.remoteAddress, acked: l.reportedOffset });
      else {
        lost = true;
        this.log.warn('slave silent: SYNC sends no longer wait for it', { slave: l.remoteAddress, why: j.reason, acked: l.reportedOffset });
      }
    }
    // sends already waiting for a slave that went silent are answered now, not after slaveTimeout
    if (lost && this.waiters.size > 0 && this.availableCount(now) < this.opts.acksNeeded) {
      this.lostEpoch++;
      this.waiters.failAll();
    }
  }

  /** Slaves SYNC sends wait for now. */
  get availableSlaves(): number {
    return this.availableCount();
  }
}

