import { Args, Flags } from '@oclif/core';
import { AdminClient } from '../client/admin.js';
import { BrokerApi } from '../client/broker-api.js';
import { collectStatus, expectationFromModel, type Expectation, type StatusReport } from '../ops/status/cluster-status.js';
import { RemotingClient } from '../remoting/client.js';
import { addReplicationStatus } from '../ops/status/replication-status.js';
import { addGrpcStatus } from '../ops/status/grpc-status.js';
import { EXIT_FAILURE } from '../errors.js';
import { namesrvFlags, resolveNamesrvAddrs } from './support/namesrv.js';
import { formatStatus } from './support/status-format.js';
import { stateDirFlag, TopologyCommand } from './support/topology-command.js';
import { connectOptions } from './support/credentials.js';
import { untilInterrupted } from './support/interrupt.js';
import { setTimeout as sleep } from 'node:timers/promises';

export default class Status extends TopologyCommand {
  static override summary = 'Show what the NameServers know and what every broker says: which are up, roles, log ends, replication.';
  static override description =
    'Asks every NameServer on its own, then every registered broker. Per NameServer: up or down. Per cluster and broker group: each node with its id, role, address, ' +
    'how long ago it last registered, its commit-log end, and replication — a master’s slaves in sync, a slave’s HA state, the master it follows and its lag in bytes ' +
    'and in time. Given a topology (file or preset), nodes it expects that no NameServer knows are marked MISSING. Exit code 1 when a NameServer is down, an expected ' +
    'node is missing or misplaced, a slave’s replication stopped (diverged), or a SYNC_MASTER lacks the slaves its sends wait for. ' +
    '--watch repeats every --interval seconds until interrupted (with --json: one JSON report per line).';
  static override examples = [
    "<%= config.bin %> status --namesrv '10.0.0.1:9876;10.0.0.2:9876'",
    '<%= config.bin %> status my-cluster.yaml',
    '<%= config.bin %> status 2m-2s-sync --json',
    '<%= config.bin %> status 2m-2s-sync --watch --interval 1',
  ];
  static override enableJsonFlag = true;
  static override args = { topology: Args.string({ description: 'topology file or preset name (its NameServers are asked, its nodes expected)', required: false }) };
  static override flags = {
    ...namesrvFlags,
    'state-dir': stateDirFlag,
    watch: Flags.boolean({ char: 'w', description: 'repeat until interrupted', default: false }),
    interval: Flags.integer({ description: 'seconds between reports with --watch', default: 2, min: 1, helpValue: 'S' }),
  };

  async run(): Promise<StatusReport | undefined> {
    const { args, flags } = await this.parse(Status);
    let expected: Expectation | undefined;
    let topologyNamesrv: string | undefined;
    let options = connectOptions(flags);
    if (args.topology !== undefined) {
      const { model } = await this.loadModel(args.topology, flags['state-dir']);
      expected = expectationFromModel(model);
      topologyNamesrv = model.namesrvAddr;
      // a topology with tls: verify its nodes against its CA unless TLS was chosen explicitly
      if (options.tls === undefined && model.tls) options = { ...options, tls: this.topologyTls(model, flags) };
    }
    // --namesrv first, then the topology's NameServers, then NAMESRV_ADDR.
    const namesrvAddrs = resolveNamesrvAddrs(flags.namesrv ?? topologyNamesrv);
    const remoting = new RemotingClient(options);
    const admin = new AdminClient({ namesrvAddrs, remoting, timeoutMillis: flags.timeout });
    const brokers = new BrokerApi(remoting, flags.timeout);
    const report = async () => {
      const r = await collectStatus(admin, expected);
      await addReplicationStatus(r, brokers);
      await addGrpcStatus(r, brokers, { ...(options.tls ? { tls: options.tls } : {}), timeoutMillis: flags.timeout });
      return r;
    };
    try {
      if (!flags.watch) {
        const r = await report();
        if (!this.jsonEnabled()) this.log(formatStatus(r));
        if (!r.healthy) process.exitCode = EXIT_FAILURE;
        return r;
      }
      await this.watch(report, flags.interval * 1000);
      return undefined;
    } finally {
      remoting.shutdown();
    }
  }

  /** Reports every `intervalMillis` until SIGINT/SIGTERM: the screen redrawn on a terminal, appended otherwise. */
  private async watch(report: () => Promise<StatusReport>, intervalMillis: number): Promise<void> {
    const redraw = process.stdout.isTTY && !this.jsonEnabled();
    await untilInterrupted(async (signal) => {
      while (!signal.aborted) {
        const started = Date.now();
        const r = await report();
        if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), ...r })}\n`);
        else {
          if (redraw) process.stdout.write('\x1b[2J\x1b[H');
          this.log(`${new Date().toISOString()}  (every ${intervalMillis / 1000} s, Ctrl-C to stop)\n${formatStatus(r)}\n`);
        }
        await sleep(Math.max(0, intervalMillis - (Date.now() - started)), undefined, { signal }).catch(() => {});
      }
    });
  }
}
