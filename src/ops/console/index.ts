/**
 * `rmqctl console`'s library side: one set of clients (signed and over TLS as the operator's
 * settings say), the health judge, the sampler for the live charts, and the HTTP server.
 */
import { AdminClient } from '../../client/admin.js';
import { BrokerApi } from '../../client/broker-api.js';
import { GroupApi } from '../../client/group-api.js';
import { Producer } from '../../client/producer.js';
import { RemotingClient } from '../../remoting/client.js';
import { ClusterHealth, type Expectation, type NodeAccess, type ProcessProbe } from '../health/index.js';
import { RateSource, type MetricsTarget } from '../rates/rates.js';
import type { ConsoleContext } from './api.js';
import { ConsoleSampler } from './sampler.js';
import { startConsoleServer, type ConsoleServer } from './server.js';
import type { Asset } from './assets.js';

export { DEFAULT_CONSOLE_HOST } from './server.js';
export type { ConsoleServer } from './server.js';

export interface ConsoleOptions {
  namesrvAddrs: string[];
  access: NodeAccess;
  timeoutMillis: number;
  /** A topology's nodes (status's expectation); without one the NameServers say what exists. */
  expectation?: Expectation;
  processes?: ProcessProbe;
  /** A topology's metrics endpoints; without them each broker says where its metrics are. */
  metricsTargets?: MetricsTarget[];
  topology?: string;
  host?: string;
  port?: number;
  token?: string;
  /** How often the charts' figures are sampled. */
  intervalMillis: number;
  assets?: Map<string, Asset>;
  log?: (line: string) => void;
}

export interface RunningConsole extends ConsoleServer {
  /** Stops the server, the sampler and every client. */
  stop(): Promise<void>;
}

export async function startConsole(o: ConsoleOptions): Promise<RunningConsole> {
  const remoting = new RemotingClient(o.access);
  const admin = new AdminClient({ namesrvAddrs: o.namesrvAddrs, remoting, timeoutMillis: o.timeoutMillis });
  const brokers = new BrokerApi(remoting, o.timeoutMillis);
  const groups = new GroupApi(remoting, o.timeoutMillis);
  const health = new ClusterHealth(o.expectation ?? { nameservers: [], brokers: [] }, { namesrvAddrs: o.namesrvAddrs, access: o.access, timeoutMs: o.timeoutMillis, ...(o.processes ? { processes: o.processes } : {}) });
  const rates = new RateSource({ ...(o.metricsTargets ? { targets: o.metricsTargets } : {}), namesrvAddrs: o.namesrvAddrs, access: o.access, timeoutMillis: o.timeoutMillis });
  const sampler = new ConsoleSampler({ admin, brokers, groups, rates }, o.intervalMillis);
  let producer: Producer | undefined;
  const ctx: ConsoleContext = {
    admin,
    brokers,
    groups,
    remoting,
    timeoutMillis: o.timeoutMillis,
    health,
    sampler,
    producer: () => (producer ??= new Producer({ namesrvAddrs: o.namesrvAddrs, producerGroup: 'rmqctl_console', remoting, autoCreateTopic: false })),
    session: {
      namesrvAddrs: o.namesrvAddrs,
      ...(o.topology !== undefined ? { topology: o.topology } : {}),
      ...(o.access.credentials ? { signedAs: o.access.credentials.accessKey } : {}),
      tls: o.access.tls !== undefined,
      intervalMillis: o.intervalMillis,
    },
  };
  const closeClients = () => {
    producer?.shutdown();
    rates.close();
    health.close();
    remoting.shutdown();
  };
  let server: ConsoleServer;
  try {
    server = await startConsoleServer({ ctx, ...pick(o) });
  } catch (e) {
    closeClients();
    throw e;
  }
  sampler.start();
  return {
    ...server,
    stop: async () => {
      await server.close();
      await sampler.stop();
      closeClients();
    },
  };
}

function pick(o: ConsoleOptions) {
  return { ...(o.host !== undefined ? { host: o.host } : {}), ...(o.port !== undefined ? { port: o.port } : {}), ...(o.token !== undefined ? { token: o.token } : {}), ...(o.assets ? { assets: o.assets } : {}), ...(o.log ? { log: o.log } : {}) };
}
