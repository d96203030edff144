/**
 * Command-line arguments of the rmqd roles: `-c <file>` (or `--config <file>` / `--config=<file>`);
 * the broker also takes `--io-threads N` (overrides ioThreads of its file).
 */
import { InvalidInputError } from '../errors.js';

export interface RoleArgs {
  configFile: string;
  /** broker only: --io-threads */
  ioThreads?: number;
}

export function parseRoleArgs(role: string, argv: readonly string[]): RoleArgs {
  let configFile: string | undefined;
  let ioThreads: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (role === 'broker' && (a === '--io-threads' || a.startsWith('--io-threads='))) {
      const v = a === '--io-threads' ? argv[++i] : a.slice('--io-threads='.length);
      if (v === undefined || !/^\d{1,3}$/.test(v)) throw new InvalidInputError(`rmqd ${role}: --io-threads needs a number of threads (0 or 1), got ${JSON.stringify(v ?? '')}`);
      ioThreads = Number(v);
    } else if (a === '-c' || a === '--config') {
      configFile = argv[++i];
      if (configFile === undefined) throw new InvalidInputError(`rmqd ${role}: ${a} needs a file`);
    } else if (a.startsWith('--config=')) {
      configFile = a.slice('--config='.length);
    } else {
      throw new InvalidInputError(`rmqd ${role}: unknown argument ${JSON.stringify(a)}`);
    }
  }
  if (configFile === undefined || configFile === '') throw new InvalidInputError(`rmqd ${role}: missing -c <${role}.properties>`);
  return { configFile, ...(ioThreads !== undefined ? { ioThreads } : {}) };
}
