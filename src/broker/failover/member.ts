/**
 * A broker in a group with automatic failover (failover: auto): it takes the master role only by
 * holding the group's etcd lease, and gives it up — stops acknowledging writes — before that lease
 * can expire when it cannot renew it (docs/design/ha.md#automatic-failover).
 *
 *  - Every member keeps `members/<node>` (its role, epoch and log end) alive under its own session
 *    lease and looks at `leader` and `epoch` a few times a second.
 *  - A leader elsewhere: follow it (slave of its addresses). Nobody: an election. Only a member
 *    whose log is at the group's epoch may stand; the live member with the longest log stands
 *    (the topology's master first at the very first election); a SYNC group needs enough live
 *    slaves that one of them holds every acknowledged byte; in an ASYNC group the candidate may
 *    lack at most failoverMaxLagBytes of what the master last published. The winner writes
 *    leader (under a fresh lease), epoch+1 and failovers/<epoch> in one transaction, then becomes
 *    master of that epoch — no restart — and the others follow it.
 *  - The master renews its lease every fifth of its TTL. Its store takes (and acknowledges) puts
 *    only until send-time-of-the-last-renewal + TTL − failoverFenceMarginMillis: etcd expires the
 *    lease no earlier than TTL after it received that renewal, so the master has stopped before
 *    any other member can win. When etcd cannot be reached at all, the master keeps writing while
 *    every other member promises, for one TTL at a time, not to stand (a member that reaches etcd
 *    and sees no leader, or another one, refuses): with etcd down there is no failover, and
 *    healthy masters keep writing.
 *  - A former master that comes back sees the newer epoch, follows the new master, and its log is
 *    cut back to the last common point (ha/replication.ts, runtime/broker.ts); the cut is recorded
 *    in truncations/<epoch>/<node>.
 */
import { EtcdLeaseInvalidError, type Lease } from 'etcd3';
import type { FailoverRecord, LeaderRecord, MemberRecord } from '../../protocol/failover/records.js';
import { silentLogger, type Logger } from '../../util/log.js';
import { acksNeeded } from '../ha/replication.js';
import type { Broker } from '../broker.js';
import { EtcdGroup } from './etcd-group.js';

/** How often a member looks at the group's leader. */
const TICK_MILLIS = 200;
/** How long candidates wait for every member to publish its log end before comparing. */
const SETTLE_MILLIS = 300;

export interface Peer {
  node: string;
  addr: string;
}

export interface MemberOptions {
  broker: Broker;
  /** The node's role in its config file: a master there stands first at the very first election. */
  preferred: boolean;
  peers: Peer[];
  /** Asks a peer to promise not to stand for one lease (FAILOVER_PROMISE); resolves true when it does. */
  askPromise: (peer: Peer, epoch: number) => Promise<boolean>;
  logger?: Logger;
}

export type MemberState = 'follower' | 'leader' | 'stopped';

export class FailoverMember {
  private readonly etcd: EtcdGroup;
  private readonly log: Logger;
  private readonly ttl: number;
  private readonly margin: number;
  private state: MemberState = 'follower';
  private tickTimer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private publishTimer: NodeJS.Timeout | undefined;
  private ticking = false;
  private session: Lease | undefined;
  private leaderLease: Lease | undefined;
  private epochNow = 0;
  /** The leader this member follows (node name), and what it last saw. */
  private following: string | undefined;
  private leaderSeen: LeaderRecord | undefined;
  /** Until when this member promised a master not to stand (ms, its own clock). */
  private promisedUntil = 0;
  private campaigning = false;
  /** The master's write lease from etcd and from the peers' promises (ms since epoch). */
  private etcdUntil = 0;
  private failsafeUntil = 0;
  private noLeaderSince: number | undefined;
  private renewing = false;
  private lastRefusal: string | undefined;

  constructor(private readonly opts: MemberOptions) {
    const c = opts.broker.config;
    this.log = opts.logger ?? silentLogger;
    this.ttl = c.failoverLeaseSeconds;
    this.margin = c.failoverFenceMarginMillis;
    this.etcd = new EtcdGroup({ endpoints: (c.failoverEtcdEndpoints ?? '').split(','), prefix: c.failoverEtcdPrefix, cluster: c.brokerClusterName, group: c.brokerName });
  }

  get node(): string {
    return this.opts.broker.config.nodeName ?? this.opts.broker.brokerAddr;
  }

  get role(): MemberState {
    return this.state;
  }

  start(): void {
    // a member is no master until it wins: no write lease
    this.opts.broker.store.setWriteLease(0, 'this broker holds no failover lease');
    this.tickTimer = setInterval(() => void this.tick(), TICK_MILLIS);
    this.tickTimer.unref();
    this.publishTimer = setInterval(() => void this.publish().catch(() => {}), 1_000);
    this.publishTimer.unref();
    void this.reportTruncation();
    void this.tick();
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    for (const t of [this.tickTimer, this.renewTimer, this.publishTimer]) if (t !== undefined) clearInterval(t);
    // a master that stops hands over at once instead of after its lease runs out
    await this.leaderLease?.revoke().catch(() => {});
    await this.session?.revoke().catch(() => {});
    this.etcd.close();
  }

  /**
   * FAILOVER_PROMISE from the master `node` of `epoch`: promise not to stand for one lease, unless
   * etcd (reachable from here) names no leader or another one.
   */
  promise(node: string, epoch: number): { ok: boolean; why?: string } {
    if (this.state !== 'follower' || this.campaigning) return { ok: false, why: `${this.node} is ${this.campaigning ? 'standing for election' : this.state}` };
    if (epoch < this.epochNow) return { ok: false, why: `epoch ${epoch} is older than the group's ${this.epochNow}` };
    if (this.etcd.reachable(TICK_MILLIS * 5) && this.leaderSeen?.node !== node) {
      return { ok: false, why: `etcd names ${this.leaderSeen ? `${this.leaderSeen.node} (epoch ${this.leaderSeen.epoch})` : 'no leader'}, not ${node}` };
    }
    this.promisedUntil = Date.now() + this.ttl * 1000;
    return { ok: true };
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.state === 'stopped') return;
    this.ticking = true;
    try {
      const { leader, epoch } = await this.etcd.state();
      this.epochNow = epoch;
      this.leaderSeen = leader;
      if (this.state === 'leader') {
        if (leader?.node !== this.node) await this.stepDown(leader === undefined ? 'its lease expired in etcd' : `etcd names ${leader.node} (epoch ${leader.epoch})`);
        return;
      }
      if (leader !== undefined) {
        this.noLeaderSince = undefined;
        if (leader.node !== this.node && this.following !== `${leader.node}@${leader.epoch}`) await this.follow(leader);
        return;
      }
      this.noLeaderSince ??= Date.now();
      await this.maybeStand(epoch);
    } catch (e) {
      if (this.lastRefusal !== `etcd: ${(e as Error).message}`) this.log.warn('etcd unreachable', { why: (e as Error).message, role: this.state });
      this.lastRefusal = `etcd: ${(e as Error).message}`;
    } finally {
      this.ticking = false;
    }
  }

  private async follow(leader: LeaderRecord): Promise<void> {
    const b = this.opts.broker;
    this.log.info('following the group’s master', { master: leader.node, epoch: leader.epoch, addr: leader.addr });
    await b.changeRole({ brokerRole: 'SLAVE', brokerId: b.config.failoverSlaveId, masterAddr: leader.addr, haMasterAddress: leader.haAddr });
    this.following = `${leader.node}@${leader.epoch}`;
    await this.publish().catch(() => {});
  }

  /** Whether this member should stand now, and the election if so. */
  private async maybeStand(epoch: number): Promise<void> {
    const b = this.opts.broker;
    const refuse = (why: string) => {
      if (this.lastRefusal !== why) this.log.info('not standing for master', { why });
      this.lastRefusal = why;
    };
    if (Date.now() < this.promisedUntil) return refuse(`promised the master not to stand until ${new Date(this.promisedUntil).toISOString()}`);
    const myEpoch = b.epochs.current.epoch;
    if (myEpoch !== epoch) {
      // one epoch behind: the master of `epoch` died before this slave learned of it (it learns at its
      // next HA session). It holds everything up to that epoch's start, and a SYNC master acknowledges
      // nothing its slaves lack; an ASYNC one is bounded by the lag check below
      const began = myEpoch === epoch - 1 ? await this.etcd.failover(epoch) : undefined;
      if (began === undefined || b.store.maxPhysOffset < began.startOffset) return refuse(`this log is at epoch ${myEpoch}, the group at ${epoch}: it must follow the current master first`);
    }
    if (epoch === 0 && !this.opts.preferred && Date.now() - (this.noLeaderSince ?? Date.now()) < 2 * this.ttl * 1000) return refuse('the first election: the topology’s master stands first');
    this.campaigning = true;
    try {
      await this.publish('candidate');
      await new Promise((r) => setTimeout(r, SETTLE_MILLIS));
      const members = (await this.etcd.members()).filter((m) => m.epoch === epoch || m.epoch === epoch - 1);
      const mine = b.store.maxPhysOffset;
      // the last master does not count: alive and well it would have kept its lease (a tie goes to the smaller name)
      const progress = await this.etcd.progress();
      // a master that died and came back (systemd restarts it within seconds) stands only after its
      // slaves had one lease to: they hold what it acknowledged, and a crashed master is the suspect
      const others = members.filter((m) => m.node !== this.node);
      if (epoch > 0 && progress?.node === this.node && others.length > 0 && Date.now() - (this.noLeaderSince ?? Date.now()) < this.ttl * 1000) {
        return refuse(`the former master lets ${others.map((m) => m.node).join(', ')} stand first (for one lease)`);
      }
      const better = members.find((m) => m.node !== this.node && m.node !== progress?.node && (m.offset > mine || (m.offset === mine && m.node < this.node)));
      if (better !== undefined) return refuse(`${better.node} holds more (${better.offset} ≥ ${mine})`);
      // enough live members that one of them holds every acknowledged byte: all slaves but acksNeeded − 1
      const groupSlaves = this.opts.peers.length;
      const live = members.filter((m) => m.node !== this.leaderSeen?.node).length;
      const needed = Math.max(1, groupSlaves - acksNeeded(b.config) + 1);
      const sync = b.config.failoverMasterRole === 'SYNC_MASTER';
      if (epoch > 0 && sync && live < needed) return refuse(`${live} live member(s) of ${groupSlaves} slaves: ${needed} needed so that one holds every acknowledged message`);
      const behind = progress !== undefined && progress.epoch === epoch ? Math.max(0, progress.offset - mine) : undefined;
      if (epoch > 0 && !sync && behind !== undefined && behind > b.config.failoverMaxLagBytes) {
        return refuse(`this log lacks ${behind} bytes of what the master last published (failoverMaxLagBytes ${b.config.failoverMaxLagBytes})`);
      }
      await this.stand(epoch, mine, progress, behind);
    } finally {
      this.campaigning = false;
    }
  }

  private async stand(epoch: number, offset: number, progress: MemberRecord | undefined, behind: number | undefined): Promise<void> {
    const b = this.opts.broker;
    const lease = this.etcd.lease(this.ttl, false);
    const sentAt = Date.now();
    const id = await this.etcd.grant(lease);
    const next = epoch + 1;
    const leader: LeaderRecord = { node: this.node, addr: b.brokerAddr, haAddr: `${b.config.brokerIP2}:${b.config.haListenPort}`, epoch: next, since: Date.now(), startOffset: offset };
    const record: FailoverRecord = {
      epoch: next,
      to: this.node,
      ...(progress?.node !== undefined && epoch > 0 ? { from: progress.node } : {}),
      at: Date.now(),
      reason: epoch === 0 ? 'bootstrap' : progress?.node === this.node ? 'reacquired' : 'lease-expired',
      startOffset: offset,
      ...(progress !== undefined && progress.epoch === epoch ? { previousMasterOffset: progress.offset } : {}),
      ...(behind !== undefined ? { lossBytesAtMost: behind } : {}),
      replication: b.config.failoverMasterRole === 'SYNC_MASTER' ? 'sync' : 'async',
    };
    if (!(await this.etcd.campaign(epoch, id, leader, record))) {
      await lease.revoke().catch(() => {});
      this.log.info('another member won the election', { epoch: next });
      return;
    }
    this.leaderLease = lease;
    this.etcdUntil = sentAt + this.ttl * 1000 - this.margin;
    b.store.setWriteLease(this.etcdUntil, `the failover lease of ${this.node} (epoch ${next})`);
    this.state = 'leader';
    this.following = undefined;
    this.lastRefusal = undefined;
    this.log.warn('elected master of the group', { epoch: next, startOffset: offset, previousMaster: record.from, lossBytesAtMost: record.lossBytesAtMost, reason: record.reason });
    // renewals start now: taking the role (registration, POP state) may take longer than the lease
    this.renewTimer = setInterval(() => void this.renew(), Math.max(200, (this.ttl * 1000) / 5));
    this.renewTimer.unref();
    await b.changeRole({ brokerRole: b.config.failoverMasterRole, brokerId: 0, epoch: next, nodeName: this.node, haAllowedAddresses: b.config.haAllowedAddresses });
    await this.publish().catch(() => {});
  }

  /** The master's renewal: the write lease moves on with each one etcd (or, without etcd, every peer) grants. */
  private async renew(): Promise<void> {
    const lease = this.leaderLease;
    if (this.state !== 'leader' || lease === undefined || this.renewing) return;
    this.renewing = true;
    try {
      await this.renewOnce(lease);
    } finally {
      this.renewing = false;
    }
  }

  private async renewOnce(lease: Lease): Promise<void> {
    const b = this.opts.broker;
    const sentAt = Date.now();
    try {
      const left = await this.etcd.renew(lease, Math.max(200, Math.min(1_000, (this.ttl * 1000) / 5)));
      if (left <= 0) return void (await this.stepDown('its lease is gone from etcd'));
      this.etcdUntil = sentAt + this.ttl * 1000 - this.margin;
      await this.etcd.putProgress(this.record('master')).catch(() => {});
    } catch (e) {
      if (e instanceof EtcdLeaseInvalidError) return void (await this.stepDown('its lease is gone from etcd'));
      // etcd unreachable: keep writing only while every other member promises not to stand
      const answers = await Promise.all(this.opts.peers.map((p) => this.opts.askPromise(p, b.epochs.current.epoch).catch(() => false)));
      if (answers.length > 0 && answers.every(Boolean)) {
        if (this.failsafeUntil < Date.now()) this.log.warn('etcd unreachable: every member promised not to stand; writes go on', { why: (e as Error).message });
        this.failsafeUntil = sentAt + this.ttl * 1000 - this.margin;
      }
    }
    const until = Math.max(this.etcdUntil, this.failsafeUntil);
    b.store.setWriteLease(until, `the failover lease of ${this.node} (epoch ${b.epochs.current.epoch})`);
    b.store.checkWriteState();
  }

  private async stepDown(why: string): Promise<void> {
    if (this.state !== 'leader') return;
    const b = this.opts.broker;
    this.state = 'follower';
    if (this.renewTimer !== undefined) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
    b.store.setWriteLease(0, `${this.node} is no longer master: ${why}`);
    b.store.checkWriteState();
    this.log.warn('no longer master: writes stopped; following the new master once etcd names one', { why });
    this.leaderLease = undefined;
    this.following = undefined;
    await b.changeRole({ brokerRole: 'SLAVE', brokerId: b.config.failoverSlaveId });
  }

  private record(role: MemberRecord['role']): MemberRecord {
    const b = this.opts.broker;
    return { node: this.node, addr: b.brokerAddr, haAddr: `${b.config.brokerIP2}:${b.config.haListenPort}`, role, epoch: b.epochs.current.epoch, offset: b.store.maxPhysOffset, at: Date.now() };
  }

  private async publish(role?: MemberRecord['role']): Promise<void> {
    if (this.state === 'stopped') return;
    if (this.session === undefined) {
      const s = this.etcd.lease(this.ttl, true);
      s.on('lost', () => {
        if (this.session === s) this.session = undefined;
      });
      await this.etcd.grant(s);
      this.session = s;
    }
    await this.etcd.putMember(this.session, this.record(role ?? (this.state === 'leader' ? 'master' : 'slave')));
  }

  /**
   * A log cut back when this broker rejoined as a slave: recorded under the epoch it follows — the
   * group's epoch in etcd (this broker's own history was cut back to the last common point and
   * learns the new epoch only once it replicates from the new master).
   */
  private async reportTruncation(): Promise<void> {
    const cut = this.opts.broker.store.truncated;
    if (cut === undefined) return;
    for (let i = 0; i < 30 && this.state !== 'stopped'; i++) {
      try {
        const { epoch } = await this.etcd.state();
        await this.etcd.putTruncation(Math.max(epoch, this.opts.broker.epochs.current.epoch), { node: this.node, from: cut.from, to: cut.to, bytes: cut.bytes, messages: cut.messages, at: Date.now() });
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  }
}
