/**
 * The transaction snapshot (`<storePathRootDir>/transaction/state.json`): the pending half
 * messages and how far into RMQ_SYS_TRANS_HALF_TOPIC and RMQ_SYS_TRANS_OP_HALF_TOPIC they
 * reflect, so a start replays only what came after instead of both topics from their beginning.
 *
 * It is written only once the commit log holds (fsync'ed) every record it reflects, and names the
 * commit-log offsets of the last half and op record it covers: a snapshot that does not match the
 * log it is opened with (a store restored from elsewhere, a former master's tail cut off) is
 * ignored and the state rebuilt from the two topics.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../util/durable-file.js';
import type { PendingHalf } from './pending.js';

const VERSION = 1;

export interface Cursor {
  /** Next queue offset to read. */
  next: number;
  /** Commit-log offset of the entry at next − 1 (−1 when next is 0). */
  lastPhys: number;
}

export interface TransactionSnapshot {
  v: number;
  savedAt: number;
  half: Cursor;
  op: Cursor;
  pending: PendingHalf[];
  /** Op records read ahead of their half (a replica's reads can see an op before its half). */
  doneAhead: number[];
  checksAhead: [number, number][];
}

export function snapshotFile(storeRoot: string): string {
  return path.join(storeRoot, 'transaction', 'state.json');
}

export async function writeSnapshot(file: string, s: TransactionSnapshot): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o750 });
  await writeFileAtomic(file, JSON.stringify(s));
}

const int = (v: unknown): v is number => Number.isSafeInteger(v);

/** The snapshot, or undefined when there is none; throws on one that does not parse. */
export async function readSnapshot(file: string): Promise<TransactionSnapshot | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const o = JSON.parse(text) as Partial<TransactionSnapshot>;
  const cursor = (c: unknown): c is Cursor => typeof c === 'object' && c !== null && int((c as Cursor).next) && int((c as Cursor).lastPhys);
  if (o === null || typeof o !== 'object' || o.v !== VERSION || !cursor(o.half) || !cursor(o.op) || !Array.isArray(o.pending)) throw new TypeError(`not a version ${VERSION} transaction snapshot`);
  for (const p of o.pending) {
    if (!int(p.halfOffset) || !int(p.phys) || !int(p.storeTimestamp) || !int(p.checks) || !int(p.lastCheckAt) || typeof p.topic !== 'string' || !int(p.queueId) || typeof p.producerGroup !== 'string' || typeof p.uniqKey !== 'string' || !int(p.immunityMillis)) {
      throw new TypeError('malformed pending half message in the transaction snapshot');
    }
  }
  return {
    v: VERSION,
    savedAt: int(o.savedAt) ? o.savedAt : 0,
    half: o.half,
    op: o.op,
    pending: o.pending,
    doneAhead: Array.isArray(o.doneAhead) ? o.doneAhead.filter(int) : [],
    checksAhead: Array.isArray(o.checksAhead) ? o.checksAhead.filter((x): x is [number, number] => Array.isArray(x) && int(x[0]) && int(x[1])) : [],
  };
}

export const SNAPSHOT_VERSION = VERSION;
