/**
 * The epoch history of a broker's commit log (RocketMQ 5's EpochFileCache): which master epoch
 * wrote which range of the log. Every time a node becomes master it begins a new epoch at its log's
 * end; slaves copy their master's history. Kept in `epochs.json` in the commit-log directory, so
 * the history of a log is checkable after the fact (docs/design/ha.md#epochs).
 *
 * A log without a history is epoch 0 from its start. Two logs agree up to the end of the last
 * epoch they both have with the same start (the shorter of the two ends there): that is the
 * last common point. A slave that holds more than that, under an older epoch than its master's
 * newest, holds what a former master wrote and nobody replicated — cut back to the common point.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { EpochEntry } from '../../protocol/epoch-cache.js';
import { writeFileAtomic } from '../../util/durable-file.js';

/** An epoch and where it starts (its end is the next one's start, or the log's end). */
export interface EpochStart {
  epoch: number;
  startOffset: number;
  /** The node that was master (topology id, else its address). */
  node?: string;
  /** When it began, ms since epoch. */
  at?: number;
}

export const EPOCH_FILE = 'epochs.json';

const FIRST: EpochStart = { epoch: 0, startOffset: 0 };

/** Logs `local` and `remote` (epoch starts, end) share everything below the returned offset. */
export function lastCommonOffset(local: { epochs: readonly EpochStart[]; end: number }, remote: { epochs: readonly EpochStart[]; end: number }): number | undefined {
  const endOf = (list: readonly EpochStart[], i: number, end: number) => (i + 1 < list.length ? list[i + 1]!.startOffset : end);
  for (let i = local.epochs.length - 1; i >= 0; i--) {
    const l = local.epochs[i]!;
    const j = remote.epochs.findIndex((r) => r.epoch === l.epoch);
    if (j < 0) continue;
    const r = remote.epochs[j]!;
    // the same epoch number from another start: two histories that never met (fresh stores of two clusters)
    if (r.startOffset !== l.startOffset) return undefined;
    return Math.min(endOf(local.epochs, i, local.end), endOf(remote.epochs, j, remote.end));
  }
  return undefined;
}

/** The wire form (RocketMQ's EpochEntry) of a history whose log ends at `end`. */
export function epochEntries(list: readonly EpochStart[], end: number): EpochEntry[] {
  return list.map((e, i) => ({ epoch: e.epoch, startOffset: e.startOffset, endOffset: i + 1 < list.length ? list[i + 1]!.startOffset : end, ...(e.node !== undefined ? { node: e.node } : {}), ...(e.at !== undefined ? { at: e.at } : {}) }));
}

export class EpochHistory {
  private list: EpochStart[];

  private constructor(
    readonly file: string,
    list: EpochStart[],
  ) {
    this.list = list.length > 0 ? list : [{ ...FIRST }];
  }

  /** Reads `<commitLogDir>/epochs.json` (a log without one is epoch 0 from its start). A damaged file refuses the start. */
  static async load(commitLogDir: string): Promise<EpochHistory> {
    const file = path.join(commitLogDir, EPOCH_FILE);
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new EpochHistory(file, []);
      throw e;
    }
    return new EpochHistory(file, parseEpochs(text, file));
  }

  get entries(): readonly EpochStart[] {
    return this.list;
  }

  get current(): EpochStart {
    return this.list[this.list.length - 1]!;
  }

  /** A new epoch from `startOffset` (this node became master). Refuses an epoch not newer than the current one. */
  async begin(epoch: number, startOffset: number, meta: { node?: string; at?: number } = {}): Promise<void> {
    const cur = this.current;
    if (!Number.isSafeInteger(epoch) || epoch <= cur.epoch) throw new RangeError(`epoch ${epoch} is not newer than this log's epoch ${cur.epoch}`);
    if (startOffset < cur.startOffset) throw new RangeError(`epoch ${epoch} cannot start at ${startOffset}, before epoch ${cur.epoch} began (${cur.startOffset})`);
    // an epoch that wrote nothing stays (an empty range): the history shows every change of master
    await this.replace([...this.list, { epoch, startOffset, ...meta }]);
  }

  /** Takes the master's history (a slave, after any truncation, so its log is a prefix of the master's). */
  async adopt(remote: readonly EpochStart[]): Promise<boolean> {
    const list = remote.length > 0 ? remote.map((e) => ({ ...e })) : [{ ...FIRST }];
    if (JSON.stringify(list) === JSON.stringify(this.list)) return false;
    await this.replace(list);
    return true;
  }

  /** Drops the epochs that begin after `offset` (the log was cut back to it). */
  async truncate(offset: number): Promise<void> {
    const list = this.list.filter((e, i) => i === 0 || e.startOffset <= offset);
    if (list.length !== this.list.length) await this.replace(list);
  }

  private async replace(list: EpochStart[]): Promise<void> {
    await writeFileAtomic(this.file, `${JSON.stringify({ version: 1, epochs: list }, null, 1)}\n`);
    this.list = list;
  }
}

function parseEpochs(text: string, file: string): EpochStart[] {
  const bad = (why: string) => new Error(`${file}: ${why} (the commit log's epoch history; move it away only if the log is rebuilt too)`);
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    throw bad(`not JSON: ${(e as Error).message}`);
  }
  const epochs = (o as { epochs?: unknown } | null)?.epochs;
  if (!Array.isArray(epochs)) throw bad('expected {"epochs": [...]}');
  const list: EpochStart[] = [];
  for (const [i, v] of epochs.entries()) {
    const e = v as Partial<EpochStart> | null;
    if (e === null || typeof e !== 'object' || !Number.isSafeInteger(e.epoch) || !Number.isSafeInteger(e.startOffset) || (e.epoch as number) < 0 || (e.startOffset as number) < 0) throw bad(`epochs[${i}] must be {epoch, startOffset} with integers >= 0`);
    const prev = list[list.length - 1];
    if (prev !== undefined && ((e.epoch as number) <= prev.epoch || (e.startOffset as number) < prev.startOffset)) throw bad(`epochs[${i}] does not follow epochs[${i - 1}] (epochs and offsets must grow)`);
    list.push({ epoch: e.epoch as number, startOffset: e.startOffset as number, ...(typeof e.node === 'string' ? { node: e.node } : {}), ...(Number.isSafeInteger(e.at) ? { at: e.at as number } : {}) });
  }
  return list;
}
