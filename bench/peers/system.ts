/**
 * What bench/compare needs of each system it measures. The workload (bench/peers/workload.ts) is
 * the same for all: it only publishes through `publish` and reads through `consume`, so the
 * harness cost is the same and only the server and its client differ.
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import type { CpuSeconds } from './processes.js';

/** When a publish is acknowledged: once the write is in the page cache, or once it is fsynced. */
export type Durability = 'page-cache' | 'fsync';

/** One started server (or cluster) with a client connected, and a fresh, empty destination. */
export interface Endpoint {
  /** Publishes one message; resolves when the server acknowledges it at the endpoint's durability. */
  publish(body: Buffer): Promise<void>;
  /**
   * Delivers every message of the destination from its first one, and new ones as they arrive,
   * until `signal` aborts; resolves when the consumer has stopped.
   */
  consume(onMessage: (body: Uint8Array) => void, signal: AbortSignal): Promise<void>;
  /** CPU seconds the server processes used so far. */
  serverCpu(): CpuSeconds;
  /** The server processes (bench/soak reads their memory). */
  readonly serverPids?: readonly number[];
  /** Server and client settings this endpoint runs with, for the report. */
  readonly settings: string;
  /** Stops the client and the server, removes its files. */
  close(): Promise<void>;
}

export interface StartOptions {
  durability: Durability;
  /** In-flight window of the workload (the consumer's prefetch is set to match). */
  window: number;
  /** Write CPU profiles (our broker) here, if set. */
  cpuProfDir?: string;
  /** Names the profile files. */
  label: string;
  log: (line: string) => void;
}

export interface System {
  /** Short id used by `--systems`. */
  readonly id: string;
  readonly label: string;
  /** Ours (a row's ratio compares ours with the best of the others). */
  readonly ours: boolean;
  /** Why it cannot run on this machine (server binary missing…); undefined when it can. */
  probe(): Promise<string | undefined>;
  /** Server version, once probed. */
  version(): Promise<string>;
  /** Why this system has no mode with this durability, if it has none. */
  unsupported(d: Durability): string | undefined;
  start(o: StartOptions): Promise<Endpoint>;
}

/**
 * An executable: `envVar` if set (so a test or a user can point at another build), else the first
 * `name` in `dirs` (default: PATH and the sbin directories, where Debian puts nats-server).
 */
export function findExecutable(name: string, envVar: string, dirs?: readonly string[]): string | undefined {
  const override = process.env[envVar];
  const search = dirs ?? [...(process.env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  const candidates = override !== undefined ? [override] : search.filter(Boolean).map((d) => path.join(d, name));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}
