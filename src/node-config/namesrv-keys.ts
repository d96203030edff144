/**
 * namesrv.properties keys (the contract between the rendered file and `rmqd namesrv`). Names
 * follow RocketMQ's NamesrvConfig where RocketMQ has the setting; `brokerExpiryMillis` is ours
 * (RocketMQ hard-codes 120 s).
 */
import type { PropertyEntry } from '../util/properties.js';
import { TLS_SERVER_KEYS } from '../remoting/tls-config.js';
import { parseConfig, type ConfigOf, type KeySpec, type ParsedConfig } from '../util/config-registry.js';

export const NAMESRV_KEYS = {
  listenPort: { spec: { kind: 'int', min: 1, max: 65535 }, default: 9876, origin: 'NettyServerConfig', description: 'remoting port', managedBy: 'port of the NameServer' },
  metricsPort: { spec: { kind: 'int', min: 0, max: 65535 }, default: 0, origin: 'rmqd', description: 'Prometheus endpoint (/metrics, /healthz); 0 = off', managedBy: 'metricsPort of the NameServer' },
  kvConfigPath: { spec: { kind: 'path' }, default: null, origin: 'NamesrvConfig', description: 'KV config file; default <store dir>/kvConfig.json', managedBy: 'storeRoot' },
  scanNotActiveBrokerInterval: { spec: { kind: 'int', min: 100, max: 600000 }, default: 5000, origin: 'NamesrvConfig', description: 'how often silent brokers are looked for, ms' },
  brokerExpiryMillis: { spec: { kind: 'int', min: 1000, max: 600000 }, default: 120000, origin: 'rmqd', description: 'drop a broker silent for this long, ms' },
  orderMessageEnable: { spec: { kind: 'bool' }, default: false, origin: 'NamesrvConfig', description: 'serve ORDER_TOPIC_CONFIG from the KV store in routes' },
  aclEnable: { spec: { kind: 'bool' }, default: false, origin: 'rmqd', description: 'check every request against aclFile (RocketMQ ACL 1.0)', managedBy: 'acl' },
  aclFile: { spec: { kind: 'path' }, default: null, origin: 'rmqd', description: 'ACL file in the plain_acl.yml shape; required when aclEnable; re-read when it changes', managedBy: 'acl' },
  ...TLS_SERVER_KEYS,
} as const satisfies Record<string, KeySpec>;

export type NamesrvKey = keyof typeof NAMESRV_KEYS;
export type NamesrvConfig = ConfigOf<typeof NAMESRV_KEYS>;

/** Parses namesrv.properties entries; problems name file:line, unknown keys are for a warning. */
export function parseNamesrvConfig(entries: readonly PropertyEntry[], file: string): ParsedConfig<typeof NAMESRV_KEYS> {
  return parseConfig(NAMESRV_KEYS, entries, file);
}
