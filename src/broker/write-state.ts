/**
 * Whether this broker stores a send now, and if not why — its role, its write permission, and the
 * store's own state (disk use, a full disk, a failed write, shutdown) — in the words and codes
 * GET_BROKER_RUNTIME_INFO reports (`writable`, `writeRefusal`, `writeRefusalReason`,
 * `writeRefusedSince`), so a health check can name the problem and what to do.
 */
import { isWriteable } from '../protocol/perm.js';
import type { ResolvedBrokerConfig } from './broker-properties.js';
import type { MessageStore, StoreRefusalCode } from './store/index.js';

export type WriteRefusalCode = 'slave' | 'no-permission' | StoreRefusalCode;

export type BrokerWriteState = { writable: true } | { writable: false; code: WriteRefusalCode; reason: string; /** ms since epoch; 0 when not known (role, permission) */ since: number };

export function brokerWriteState(config: Pick<ResolvedBrokerConfig, 'brokerRole' | 'brokerPermission'>, store: MessageStore): BrokerWriteState {
  if (config.brokerRole === 'SLAVE') return { writable: false, code: 'slave', reason: 'a SLAVE takes no sends (its master does)', since: 0 };
  if (!isWriteable(config.brokerPermission)) {
    return { writable: false, code: 'no-permission', reason: `brokerPermission is ${config.brokerPermission} (not writable): sends are refused with NO_PERMISSION; set brokerPermission=6 to take writes`, since: 0 };
  }
  const s = store.writeState();
  return s === undefined ? { writable: true } : { writable: false, code: s.code, reason: s.reason, since: s.since };
}

/**
 * The runtime-info keys (strings, as RocketMQ's KV table): the broker's (`writable`, `writeRefusal`,
 * `writeRefusalReason`, `writeRefusedSince`) and the store's own (`storeWritable`,
 * `storeWriteRefusal`, `storeWriteRefusalReason`) — on a slave, whether replication can append.
 */
export function writeStateInfo(w: BrokerWriteState, store: MessageStore): Record<string, string> {
  const s = store.appendState();
  return {
    ...(w.writable
      ? { writable: 'true', writeRefusal: '', writeRefusalReason: '', writeRefusedSince: '0' }
      : { writable: 'false', writeRefusal: w.code, writeRefusalReason: w.reason, writeRefusedSince: String(w.since) }),
    ...(s === undefined ? { storeWritable: 'true', storeWriteRefusal: '', storeWriteRefusalReason: '' } : { storeWritable: 'false', storeWriteRefusal: s.code, storeWriteRefusalReason: s.reason }),
  };
}
