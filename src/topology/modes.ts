/**
 * Cluster modes: what each named mode requires of the broker groups and which broker settings it
 * implies. Settings follow the Apache distribution's own examples (`conf/2m-noslave`,
 * `conf/2m-2s-async`, `conf/2m-2s-sync`): ASYNC_FLUSH, deleteWhen=04, fileReservedTime=48; masters
 * ASYNC_MASTER, or SYNC_MASTER in the sync mode; slaves SLAVE with brokerId > 0.
 */
import type { BrokerRole } from '../node-config/broker-keys.js';
import type { ModeName, Topology } from './schema.js';

export interface ModeShape {
  /** How the mode is shown: its name, or `3m-2s-sync` style for the general form. */
  label: string;
  /** Exact number of broker groups, or the least number when `atLeast`. */
  masters: number;
  atLeast: boolean;
  slavesPerMaster: number;
  replication: 'sync' | 'async';
  masterRole: BrokerRole;
}

const NAMED: Record<ModeName, Omit<ModeShape, 'label'>> = {
  'single-master': { masters: 1, atLeast: false, slavesPerMaster: 0, replication: 'async', masterRole: 'ASYNC_MASTER' },
  'multi-master': { masters: 2, atLeast: true, slavesPerMaster: 0, replication: 'async', masterRole: 'ASYNC_MASTER' },
  '2m-2s-async': { masters: 2, atLeast: false, slavesPerMaster: 1, replication: 'async', masterRole: 'ASYNC_MASTER' },
  '2m-2s-sync': { masters: 2, atLeast: false, slavesPerMaster: 1, replication: 'sync', masterRole: 'SYNC_MASTER' },
};

export function modeShape(mode: Topology['mode']): ModeShape {
  if (typeof mode === 'string') return { label: mode, ...NAMED[mode] };
  const { masters, slavesPerMaster, replication } = mode;
  return {
    label: `${masters}m-${masters * slavesPerMaster}s-${slavesPerMaster === 0 ? 'noslave' : replication}`,
    masters,
    atLeast: false,
    slavesPerMaster,
    replication,
    masterRole: replication === 'sync' ? 'SYNC_MASTER' : 'ASYNC_MASTER',
  };
}

/**
 * Broker keys a group gets from the mode (before any override). In a sync group the master must
 * wait for one slave's ack: RocketMQ 5 counts that as inSyncReplicas=2 (master included); 4.x
 * SYNC_MASTER waits for a slave regardless. enableAutoInSyncReplicas stays off, so a sync master
 * never silently degrades to acking alone.
 */
export function modeBrokerDefaults(shape: ModeShape, groupSize: number): Record<string, string> {
  if (shape.replication !== 'sync' || groupSize < 2) return {};
  return { totalReplicas: String(groupSize), inSyncReplicas: '2' };
}
