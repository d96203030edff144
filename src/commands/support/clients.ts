/**
 * The clients a command that talks to brokers needs, built from the `--namesrv` / `--timeout`
 * flags and sharing one set of connections; `close()` when done.
 */
import { AdminClient } from '../../client/admin.js';
import { BrokerApi } from '../../client/broker-api.js';
import { GroupApi } from '../../client/group-api.js';
import { RemotingClient } from '../../remoting/client.js';
import type { TopicAdminDeps } from '../../ops/topic-admin.js';
import { resolveNamesrvAddrs } from './namesrv.js';
import { connectOptions, type TlsFlagValues } from './credentials.js';

export interface CommandClients extends TopicAdminDeps {
  namesrvAddrs: string[];
  groups: GroupApi;
  close(): void;
}

export function openClients(flags: { namesrv?: string | undefined; timeout: number } & TlsFlagValues): CommandClients {
  const namesrvAddrs = resolveNamesrvAddrs(flags.namesrv);
  const remoting = new RemotingClient(connectOptions(flags));
  const admin = new AdminClient({ namesrvAddrs, remoting, timeoutMillis: flags.timeout });
  return { namesrvAddrs, remoting, admin, brokers: new BrokerApi(remoting, flags.timeout), groups: new GroupApi(remoting, flags.timeout), timeoutMillis: flags.timeout, close: () => remoting.shutdown() };
}
