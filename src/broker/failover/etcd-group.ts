/**
 * One broker group's records in etcd (protocol/failover/records.ts) through the etcd3 client: the
 * reads, the leases and the one transaction a member needs. Every call has a deadline; a failed
 * call throws (the member decides what it means) and marks etcd unreachable from here until the
 * next call that succeeds.
 */
import { Etcd3, type Lease } from 'etcd3';
import { decodeRecord, groupPrefix, keys, type FailoverRecord, type LeaderRecord, type MemberRecord, type TruncationRecord } from '../../protocol/failover/records.js';

export interface EtcdGroupOptions {
  endpoints: string[];
  prefix: string;
  cluster: string;
  group: string;
  /** Per call (default 1500 ms). */
  callTimeoutMs?: number;
}

export class EtcdGroup {
  readonly client: Etcd3;
  readonly base: string;
  /** When a call last succeeded (ms since epoch; 0: never). */
  lastOkAt = 0;
  lastError: string | undefined;

  constructor(opts: EtcdGroupOptions) {
    const timeout = opts.callTimeoutMs ?? 1_500;
    this.client = new Etcd3({
      hosts: opts.endpoints,
      dialTimeout: timeout,
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
    });
    this.base = groupPrefix(opts.prefix, opts.cluster, opts.group);
  }

  /** etcd answered a call within the last `withinMs`. */
  reachable(withinMs: number): boolean {
    return Date.now() - this.lastOkAt <= withinMs;
  }

  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      const r = await work();
      this.lastOkAt = Date.now();
      this.lastError = undefined;
      return r;
    } catch (e) {
      this.lastError = (e as Error).message;
      throw e;
    }
  }

  /** The leader record and the group's epoch. */
  async state(): Promise<{ leader: LeaderRecord | undefined; epoch: number }> {
    return this.call(async () => {
      const [leader, epoch] = await Promise.all([this.client.get(keys.leader(this.base)).string(), this.client.get(keys.epoch(this.base)).string()]);
      return { leader: decodeRecord<LeaderRecord>(leader), epoch: epoch === null ? 0 : Number(epoch) };
    });
  }

  async members(): Promise<MemberRecord[]> {
    return this.call(async () => {
      const all = await this.client.getAll().prefix(keys.members(this.base)).strings();
      return Object.values(all).flatMap((v) => decodeRecord<MemberRecord>(v) ?? []);
    });
  }

  /** The record of how epoch `epoch`'s master got it. */
  async failover(epoch: number): Promise<FailoverRecord | undefined> {
    return this.call(async () => decodeRecord<FailoverRecord>(await this.client.get(keys.failover(this.base, epoch)).string()));
  }

  /** The master's last published progress (not leased: it outlives the master). */
  async progress(): Promise<MemberRecord | undefined> {
    return this.call(async () => decodeRecord<MemberRecord>(await this.client.get(`${this.base}progress`).string()));
  }

  async putProgress(r: MemberRecord): Promise<void> {
    await this.call(() => this.client.put(`${this.base}progress`).value(JSON.stringify(r)).exec());
  }

  /** A lease of `ttlSeconds` without automatic keep-alive (the holder renews it itself). */
  lease(ttlSeconds: number, autoKeepAlive: boolean): Lease {
    const l = this.client.lease(ttlSeconds, { autoKeepAlive });
    l.on('lost', () => {});
    return l;
  }

  async grant(lease: Lease): Promise<string> {
    return this.call(() => lease.grant());
  }

  /**
   * Renews the lease once: its remaining TTL in seconds (≤ 0: gone; EtcdLeaseInvalidError when etcd
   * no longer knows it). A keep-alive is a stream without a deadline: one that does not answer
   * within `timeoutMs` (a partition drops packets, it does not refuse them) counts as failed.
   */
  async renew(lease: Lease, timeoutMs: number): Promise<number> {
    return this.call(async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no keep-alive answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        const r = await Promise.race([lease.keepaliveOnce(), timeout]);
        return Number(r.TTL);
      } finally {
        clearTimeout(timer);
      }
    });
  }

  async putMember(lease: Lease, r: MemberRecord): Promise<void> {
    await this.call(() => lease.put(keys.member(this.base, r.node)).value(JSON.stringify(r)).exec());
  }

  /**
   * The election: the leader key absent and the epoch still `epoch` → leader (under `leaseId`),
   * epoch + 1 and the failover record, at once. False when another member won first.
   */
  async campaign(epoch: number, leaseId: string, leader: LeaderRecord, record: FailoverRecord): Promise<boolean> {
    return this.call(async () => {
      const c = this.client.if(keys.leader(this.base), 'Create', '==', 0);
      if (epoch === 0) c.and(keys.epoch(this.base), 'Create', '==', 0);
      else c.and(keys.epoch(this.base), 'Value', '==', String(epoch));
      const r = await c
        .then(
          this.client.put(keys.leader(this.base)).value(JSON.stringify(leader)).lease(leaseId),
          this.client.put(keys.epoch(this.base)).value(String(leader.epoch)),
          this.client.put(keys.failover(this.base, leader.epoch)).value(JSON.stringify(record)),
        )
        .commit();
      return r.succeeded === true;
    });
  }

  async putTruncation(epoch: number, r: TruncationRecord): Promise<void> {
    await this.call(() => this.client.put(keys.truncation(this.base, epoch, r.node)).value(JSON.stringify(r)).exec());
  }

  close(): void {
    this.client.close();
  }
}
