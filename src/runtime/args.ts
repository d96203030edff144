/** Command-line arguments shared by the rmqd roles: `-c <file>` (or `--config <file>` / `--config=<file>`). */
import { InvalidInputError } from '../errors.js';

export interface RoleArgs {
  configFile: string;
}

export function parseRoleArgs(role: string, argv: readonly string[]): RoleArgs {
  let configFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '-c' || a === '--config') {
      configFile = argv[++i];
      if (configFile === undefined) throw new InvalidInputError(`rmqd ${role}: ${a} needs a file`);
    } else if (a.startsWith('--config=')) {
      configFile = a.slice('--config='.length);
    } else {
      throw new InvalidInputError(`rmqd ${role}: unknown argument ${JSON.stringify(a)}`);
    }
  }
  if (configFile === undefined || configFile === '') throw new InvalidInputError(`rmqd ${role}: missing -c <${role}.properties>`);
  return { configFile };
}
