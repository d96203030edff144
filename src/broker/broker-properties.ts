/**
 * `rmqd broker -c broker.properties`: the file read through the broker.properties key registry
 * (config.ts, shared with topology rendering), with the defaults RocketMQ fills in at start-up:
 * store root `~/store`, NameServers from NAMESRV_ADDR, brokerIP1 = a local IPv4 address. Bad
 * values refuse the start naming file:line; unknown keys come back as warnings.
 */
import { compileAddressPattern } from '../acl/remote-address.js';
import os from 'node:os';
import path from 'node:path';
import { InvalidInputError } from '../errors.js';
import { parseAddressList } from '../remoting/address.js';
import { readConfigFile } from '../util/config-registry.js';
import { guessLocalAddress } from '../util/local-address.js';
import { parseBrokerConfig, type BrokerConfig } from '../node-config/broker-keys.js';

/** The broker's configuration with every value it runs with decided. */
export interface ResolvedBrokerConfig extends Omit<BrokerConfig, 'brokerName' | 'storePathRootDir' | 'brokerIP1' | 'brokerIP2' | 'namesrvAddr' | 'ioThreads'> {
  brokerName: string;
  /** Network threads for client connections (0 or 1; see resolveIoThreads). */
  ioThreads: number;
  storePathRootDir: string;
  brokerIP1: string;
  brokerIP2: string;
  /** Parsed namesrvAddr (empty: the broker runs without NameServers). */
  namesrvAddrs: string[];
}

export interface LoadedBrokerConfig {
  config: ResolvedBrokerConfig;
  /** `file:line  unknown key …`, and notes about values that were guessed. */
  warnings: string[];
}

export function resolveBrokerConfig(parsed: BrokerConfig, file: string, env: NodeJS.ProcessEnv = process.env): LoadedBrokerConfig {
  const warnings: string[] = [];
  if (parsed.brokerName === null) throw new InvalidInputError(`invalid broker configuration ${file}`, [`${file}  brokerName is required`]);
  const brokerIP1 = parsed.brokerIP1 ?? guessLocalAddress();
  if (parsed.brokerIP1 === null) warnings.push(`${file}  brokerIP1 not set: advertising ${brokerIP1} (set brokerIP1 to the address clients reach this broker at)`);
  const nsText = parsed.namesrvAddr ?? env.NAMESRV_ADDR;
  let namesrvAddrs: string[] = [];
  if (nsText !== undefined && nsText.trim() !== '') {
    namesrvAddrs = parseAddressList(nsText, parsed.namesrvAddr !== null ? `namesrvAddr in ${file}` : 'NAMESRV_ADDR');
  } else {
    warnings.push(`${file}  namesrvAddr not set (nor NAMESRV_ADDR): the broker registers with no NameServer, so clients cannot find it`);
  }
  if (parsed.haAllowedAddresses !== null) {
    try {
      compileAddressPattern(parsed.haAllowedAddresses);
    } catch (e) {
      throw new InvalidInputError(`invalid broker configuration ${file}`, [`${file}  haAllowedAddresses ${(e as Error).message}`]);
    }
  }
  const ioThreads = resolveIoThreads(parsed.ioThreads, `${file}  ioThreads`);
  const { brokerName: _n, storePathRootDir: _s, brokerIP1: _i1, brokerIP2: _i2, namesrvAddr: _a, ioThreads: _t, ...rest } = parsed;
  return {
    config: {
      ...rest,
      brokerName: parsed.brokerName,
      ioThreads,
      storePathRootDir: parsed.storePathRootDir ?? path.join(os.homedir(), 'store'),
      brokerIP1,
      brokerIP2: parsed.brokerIP2 ?? brokerIP1,
      namesrvAddrs,
    },
    warnings,
  };
}

/** Cores from which a broker with ioThreads unset runs a network thread (docs/design/io-thread.md#the-default). */
export const IO_THREAD_MIN_CORES = 4;

/**
 * ioThreads as the broker runs it: unset = from the core count; more than 1 refused, saying why
 * (`where` names the setting: file and key, or the command-line flag).
 */
export function resolveIoThreads(wanted: number | null, where: string, cores = os.availableParallelism()): number {
  if (wanted === null) return cores >= IO_THREAD_MIN_CORES ? 1 : 0;
  if (wanted > 1) {
    throw new InvalidInputError(`${where}: ${wanted} network threads asked for, at most 1 is possible`, [
      `several threads accepting on one port need SO_REUSEPORT (Node >= 22.12) or moving accepted sockets between threads, which Node ${process.version} cannot do; 0 or 1 (one network thread for every client connection)`,
    ]);
  }
  return wanted;
}

export function loadBrokerConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedBrokerConfig {
  const { config, warnings } = readConfigFile(file, 'broker configuration', parseBrokerConfig);
  const resolved = resolveBrokerConfig(config, file, env);
  resolved.warnings.unshift(...warnings);
  return resolved;
}
