import { Flags } from '@oclif/core';
import { DEFAULT_CONSOLE_HOST, startConsole } from '../ops/console/index.js';
import { untilInterrupted } from './support/interrupt.js';
import { ObservingCommand, observedClusterArgs, observedClusterFlags } from './support/observing-command.js';

export default class Console extends ObservingCommand {
  static override summary = 'A web console for the cluster, served on this machine: nodes and health, topics, consumer groups and their lag, messages, dead letters, live charts.';
  static override description =
    'Serves a web page and its JSON API on 127.0.0.1 (another address only with --host) until interrupted, and prints the address to open with a random token: ' +
    'every request must carry that token (the first brings it in the URL and gets a cookie). The console asks the cluster as the other commands do — ' +
    'signed with the ACL credentials of the environment or profile, over TLS as flags, environment, profile or the topology say — and shows: every NameServer ' +
    'and broker judged by the health judge of `rmqctl status` (roles, replication lag, problems with what to run); topics with their queues and rates, create and ' +
    'delete (confirmed by typing the name), a test message; consumer groups with lag per queue over time and their clients, offset reset (confirmed); ' +
    'message search by id, key or time range; each group’s dead letters, sent back to the group on request. Charts come from the nodes’ metrics (metricsPort), ' +
    'else from the brokers’ runtime figures. The page is built into the package: nothing is loaded from the network.';
  static override examples = [
    "<%= config.bin %> console --namesrv '10.0.0.1:9876;10.0.0.2:9876'",
    '<%= config.bin %> console my-cluster.yaml',
    '<%= config.bin %> console 2m-2s-sync --port 8080',
  ];
  static override enableJsonFlag = true;
  static override args = observedClusterArgs;
  static override flags = {
    ...observedClusterFlags,
    host: Flags.string({ description: 'address to serve on; anything but loopback lets other machines reach the console (they still need the token)', default: DEFAULT_CONSOLE_HOST, helpValue: 'ADDR' }),
    port: Flags.integer({ description: 'port to serve on (0: any free port)', default: 0, min: 0, max: 65535 }),
    interval: Flags.integer({ description: 'seconds between the samples of the live charts', default: 2, min: 1, max: 60, helpValue: 'S' }),
  };

  async run(): Promise<{ url: string; host: string; port: number } | undefined> {
    const { args, flags } = await this.parse(Console);
    const { namesrvAddrs, expectation, access, metricsTargets, processes } = await this.observedCluster(args.topology, flags);
    const running = await startConsole({
      namesrvAddrs,
      access,
      timeoutMillis: flags.timeout,
      intervalMillis: flags.interval * 1000,
      host: flags.host,
      port: flags.port,
      expectation,
      ...(processes ? { processes } : {}),
      ...(metricsTargets && metricsTargets.length > 0 ? { metricsTargets } : {}),
      ...(args.topology !== undefined ? { topology: args.topology } : {}),
      log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
    });
    try {
      // the token is shown once, here, on standard output — never in a log line
      if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify({ url: running.entryUrl, host: running.host, port: running.port })}\n`);
      else {
        this.log(`rmqctl console for ${namesrvAddrs.join(';')}${access.credentials ? ` (signed as ${access.credentials.accessKey})` : ''}`);
        this.log(`open ${running.entryUrl}`);
        this.log('(the token in this address is the console’s password; Ctrl-C stops the console)');
      }
      await untilInterrupted((signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })));
    } finally {
      await running.stop();
    }
    return undefined;
  }
}
