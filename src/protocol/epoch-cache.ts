/**
 * GET_BROKER_EPOCH_CACHE (1007) reply body: RocketMQ 5's `EpochEntryCache` (clusterName,
 * brokerName, brokerId, epochList of {epoch, startOffset, endOffset}, maxOffset) — the epochs of
 * a broker's commit log: which master epoch wrote which range. A slave compares its own with its
 * master's to find the last point both logs share (ha/epochs.ts). rmqd adds `node` per entry
 * (which node was master) and `at` (when it began), which Java readers ignore.
 */
import { toFastJson } from './fastjson.js';
import { JsonCheck } from './json-check.js';

export interface EpochEntry {
  epoch: number;
  /** First commit-log byte written in this epoch. */
  startOffset: number;
  /** First byte after it: the next epoch's start, or the log's end for the last one. */
  endOffset: number;
  /** rmqd: the node (topology id, else its address) that was master. */
  node?: string;
  /** rmqd: when the epoch began, ms since epoch. */
  at?: number;
}

export interface EpochEntryCache {
  clusterName: string;
  brokerName: string;
  brokerId: number;
  epochList: EpochEntry[];
  /** The broker's commit-log end. */
  maxOffset: number;
}

export function encodeEpochEntryCache(c: EpochEntryCache): Buffer {
  return Buffer.from(toFastJson(c), 'utf8');
}

export function decodeEpochEntryCache(body: Buffer | undefined): EpochEntryCache {
  const check = new JsonCheck('EpochEntryCache');
  const o = check.body(body);
  const epochList = check.array(o.epochList ?? [], 'epochList').map((v, i) => {
    const p = `epochList[${i}]`;
    const e = check.object(v, p);
    const entry: EpochEntry = { epoch: check.integer(e.epoch, `${p}.epoch`), startOffset: check.integer(e.startOffset, `${p}.startOffset`), endOffset: check.integer(e.endOffset, `${p}.endOffset`) };
    const node = check.optionalString(e.node, `${p}.node`);
    if (node !== undefined) entry.node = node;
    if (e.at !== undefined && e.at !== null) entry.at = check.integer(e.at, `${p}.at`);
    return entry;
  });
  return {
    clusterName: check.optionalString(o.clusterName, 'clusterName') ?? '',
    brokerName: check.optionalString(o.brokerName, 'brokerName') ?? '',
    brokerId: check.integerOr(o.brokerId, 'brokerId', 0),
    epochList,
    maxOffset: check.integer(o.maxOffset, 'maxOffset'),
  };
}
