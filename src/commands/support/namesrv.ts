/**
 * The `--namesrv` flag of the commands that talk to NameServers, and the admin client built from
 * it. Like RocketMQ's tools, the NAMESRV_ADDR environment variable is the fallback.
 */
import { Flags } from '@oclif/core';
import { AdminClient } from '../../client/admin.js';
import { InvalidInputError } from '../../errors.js';
import { parseAddressList } from '../../remoting/address.js';
import { connectOptions, tlsFlags, type TlsFlagValues } from './credentials.js';

export const namesrvFlags = {
  namesrv: Flags.string({
    char: 'n',
    description: "NameServers, 'host:port;host:port' [default: $NAMESRV_ADDR]",
    helpValue: 'ADDRS',
  }),
  timeout: Flags.integer({ description: 'per-request timeout in ms', default: 3000, min: 1, helpValue: 'MS' }),
  ...tlsFlags,
};

/** The NameServer list from the flag, else from NAMESRV_ADDR, else `fallback` (a topology's); InvalidInputError when none. */
export function resolveNamesrvAddrs(flag: string | undefined, fallback?: string): string[] {
  const value = flag ?? process.env.NAMESRV_ADDR ?? fallback;
  if (value === undefined || value.trim() === '') {
    throw new InvalidInputError("no NameServer given: pass --namesrv 'host:port;host:port' (or set NAMESRV_ADDR)");
  }
  return parseAddressList(value, '--namesrv');
}

export function adminClient(addrs: string[], timeoutMillis: number, flags: TlsFlagValues): AdminClient {
  return new AdminClient({ namesrvAddrs: addrs, timeoutMillis, ...connectOptions(flags) });
}
