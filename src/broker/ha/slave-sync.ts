/**
 * A slave keeps its configuration in step with its master (Java `SlaveSynchronize`): topic
 * config (GET_ALL_TOPIC_CONFIG, 21), and whatever else registers a source — consumer offsets (43),
 * delay offsets (45) and subscription groups (201) come with consumer groups. Every source is
 * asked of the master's remoting address every `intervalMillis`, right after the slave first
 * learns where its master is, and soon after the slave replicates a message of a topic it does
 * not know yet (so a topic created on the master can be read from the slave within moments).
 */
import { ResponseCode } from '../../remoting/codes.js';
import { createRequest } from '../../remoting/command.js';
import type { RemotingClient } from '../../remoting/client.js';
import { silentLogger, type Logger } from '../../util/log.js';

/** State a slave copies from its master: the master's answer to `requestCode` replaces the slave's copy. */
export interface SlaveSyncSource {
  /** For logs: `topic config`, `consumer offsets`, … */
  name: string;
  /** What is asked of the master (21, 43, 45, 201). */
  requestCode: number;
  /** Takes the master's reply body. Throwing (a malformed body) is logged; the next round tries again. */
  apply(body: Buffer | undefined): Promise<void> | void;
}

export interface SlaveSyncOptions {
  remoting: RemotingClient;
  /** The master's remoting address now (from NameServer registration), if known. */
  masterAddr: () => string | undefined;
  sources: () => readonly SlaveSyncSource[];
  intervalMillis: number;
  timeoutMillis?: number;
  logger?: Logger;
}

/** How soon a requested sync runs: requests within this window share one round. */
const SOON_MILLIS = 50;

export class SlaveSync {
  private timer: NodeJS.Timeout | undefined;
  private soonTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly log: Logger;
  /** Last failure per source, so a master that stays away is logged once per source. */
  private readonly failures = new Map<string, string>();
  /** When each source last synced (status, tests). */
  readonly lastSynced = new Map<string, number>();

  constructor(private readonly opts: SlaveSyncOptions) {
    this.log = opts.logger ?? silentLogger;
  }

  start(): void {
    this.timer = setInterval(() => void this.syncAll(), this.opts.intervalMillis);
    this.timer.unref();
    this.syncSoon();
  }

  /** Stops syncing; resolves once a round in flight is over (it applies nothing more). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.soonTimer !== undefined) clearTimeout(this.soonTimer);
    await this.running;
  }

  /** A round shortly (coalescing bursts of requests). */
  syncSoon(): void {
    if (this.stopped || this.soonTimer !== undefined) return;
    this.soonTimer = setTimeout(() => {
      this.soonTimer = undefined;
      void this.syncAll();
    }, SOON_MILLIS);
    this.soonTimer.unref();
  }

  /** One round over every source (one at a time); a round asked for while one runs follows it. */
  syncAll(): Promise<void> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.round();
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async round(): Promise<void> {
    const addr = this.opts.masterAddr();
    if (addr === undefined || this.stopped) return;
    for (const src of this.opts.sources()) {
      if (this.stopped) return;
      try {
        const res = await this.opts.remoting.request(addr, createRequest(src.requestCode), this.opts.timeoutMillis ?? 3_000);
        if (res.code !== ResponseCode.SUCCESS) throw new Error(`the master answered ${res.code}${res.remark ? `: ${res.remark}` : ''}`);
        // stopped while asking (this broker became master): the answer must not overwrite its own state
        if (this.stopped) return;
        await src.apply(res.body);
        this.lastSynced.set(src.name, Date.now());
        if (this.failures.delete(src.name)) this.log.info('slave sync works again', { what: src.name, master: addr });
      } catch (e) {
        const why = (e as Error).message;
        if (this.failures.get(src.name) !== why) this.log.warn('slave sync from the master failed; retrying next round', { what: src.name, master: addr, why });
        this.failures.set(src.name, why);
      }
    }
  }
}
