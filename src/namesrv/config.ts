/**
 * `rmqd namesrv -c namesrv.properties`: reads the file through the namesrv.properties key
 * registry (src/node-config/namesrv-keys.ts, shared with rendering). Bad values refuse the start,
 * naming file:line; unknown keys come back as warnings to log (RocketMQ ignores them too).
 */
import os from 'node:os';
import path from 'node:path';
import { NAMESRV_KEYS, parseNamesrvConfig, type NamesrvConfig } from '../node-config/namesrv-keys.js';
import { readConfigFile } from '../util/config-registry.js';

export interface NamesrvRuntimeConfig extends Omit<NamesrvConfig, 'kvConfigPath'> {
  /** Resolved: the file's value, or Java's default `~/namesrv/kvConfig.json`. */
  kvConfigPath: string;
}

export interface LoadedNamesrvConfig {
  config: NamesrvRuntimeConfig;
  /** One line per unknown key, `file:line  unknown key …`. */
  warnings: string[];
}

export function loadNamesrvConfig(file: string): LoadedNamesrvConfig {
  const { config, warnings } = readConfigFile(file, 'NameServer configuration', parseNamesrvConfig);
  return { config: { ...config, kvConfigPath: config.kvConfigPath ?? path.join(os.homedir(), 'namesrv', 'kvConfig.json') }, warnings };
}

/** The effective configuration as properties text (GET_NAMESRV_CONFIG's body). */
export function namesrvConfigText(config: NamesrvRuntimeConfig): string {
  return `${Object.keys(NAMESRV_KEYS)
    .map((k) => `${k}=${String(config[k as keyof NamesrvRuntimeConfig])}`)
    .join('\n')}\n`;
}
