import { Flags } from '@oclif/core';
import { ClusterHealth, type HealthReport } from '../ops/health/index.js';
import { EXIT_FAILURE } from '../errors.js';
import { formatStatus } from './support/status-format.js';
import { ObservingCommand, observedClusterArgs, observedClusterFlags } from './support/observing-command.js';
import { untilInterrupted } from './support/interrupt.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { type EtcdView } from '../ops/failover/etcd-state.js';
import { type EtcdMemberHealth } from '../ops/failover/etcd-health.js';
import { formatFailover } from './support/failover-format.js';
import { RateSource, type RateReport } from '../ops/rates/rates.js';
import { formatRates } from './support/rates-format.js';

export default class Status extends ObservingCommand {
  static override summary = 'Is the cluster healthy? Every NameServer and broker judged: running, answering, registered, writable, replicas in sync — and what to run when not.';
  static override description =
    'Asks every NameServer on its own, then every broker. A node is healthy only if it runs, answers, is registered on every NameServer (at its advertised address), ' +
    'a master accepts writes (write permission, store writable, disk below diskSpaceWarningLevelRatio) and, in a SYNC group, its slaves are in sync as the master counts them ' +
    '(a slave also within a lag bound of its master). Per node: id, role, address, state, pid, how long ago it registered, its commit-log end and replication. ' +
    'Given a topology (file or preset), its nodes are expected and each node’s supervisor is asked whether its process runs (over SSH for SSH hosts; --no-processes skips that): ' +
    'a dead process is named with the command that starts it and the one that shows its log. Without a topology the NameServers say what exists: a group without a master, or a ' +
    'broker some NameServers lack, is a problem too. Exit code 1 when anything is unhealthy, 0 when all is well. ' +
    '--watch repeats every --interval seconds until interrupted (with --json: one JSON report per line).';
  static override examples = [
    "<%= config.bin %> status --namesrv '10.0.0.1:9876;10.0.0.2:9876'",
    '<%= config.bin %> status my-cluster.yaml',
    '<%= config.bin %> status 2m-2s-sync --json',
    '<%= config.bin %> status 2m-2s-sync --watch --interval 1',
  ];
  static override enableJsonFlag = true;
  static override args = observedClusterArgs;
  static override flags = {
    ...observedClusterFlags,
    watch: Flags.boolean({ char: 'w', description: 'repeat until interrupted', default: false }),
    interval: Flags.integer({ description: 'seconds between reports with --watch', default: 2, min: 1, helpValue: 'S' }),
  };

  async run(): Promise<(HealthReport & { failover?: { etcd: EtcdMemberHealth[]; groups: EtcdView['groups']; error?: string } }) | undefined> {
    const { args, flags } = await this.parse(Status);
    const { namesrvAddrs, expectation: expected, access: options, metricsTargets, processes, failover } = await this.observedCluster(args.topology, flags);
    const health = new ClusterHealth(expected, { namesrvAddrs, access: options, timeoutMs: flags.timeout, ...(processes ? { processes } : {}) });
    const report = () => health.report();
    try {
      if (!flags.watch) {
        const r = await report();
        if (!this.jsonEnabled()) this.log(formatStatus(r, { withTopology: args.topology !== undefined }) + (failover ? formatFailover(failover.view, failover.etcd) : ''));
        const noQuorum = failover !== undefined && failover.etcd.filter((m) => m.healthy).length * 2 <= failover.etcd.length;
        if (!r.healthy || noQuorum) process.exitCode = EXIT_FAILURE;
        return failover ? { ...r, failover: { etcd: failover.etcd, groups: failover.view.groups, ...(failover.view.error ? { error: failover.view.error } : {}) } } : r;
      }
      // --watch adds message rates from the brokers' metrics (ops/rates)
      const rates = new RateSource({ ...(metricsTargets ? { targets: metricsTargets } : {}), namesrvAddrs, access: options, timeoutMillis: flags.timeout });
      try {
        await this.watch(report, flags.interval * 1000, args.topology !== undefined, () => rates.sample());
      } finally {
        rates.close();
      }
      return undefined;
    } finally {
      health.close();
    }
  }

  /** Reports every `intervalMillis` until SIGINT/SIGTERM: the screen redrawn on a terminal, appended otherwise. */
  private async watch(report: () => Promise<HealthReport>, intervalMillis: number, withTopology: boolean, rates: () => Promise<RateReport | undefined>): Promise<void> {
    const redraw = process.stdout.isTTY && !this.jsonEnabled();
    await untilInterrupted(async (signal) => {
      while (!signal.aborted) {
        const started = Date.now();
        const [r, rr] = await Promise.all([report(), rates().catch((e: unknown) => ({ error: (e as Error).message }))]);
        if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), ...r, rates: rr ?? null })}\n`);
        else {
          if (redraw) process.stdout.write('\x1b[2J\x1b[H');
          const ratesText = rr !== undefined && 'error' in rr ? `rates: unavailable (${rr.error})` : formatRates(rr);
          this.log(`${new Date().toISOString()}  (every ${intervalMillis / 1000} s, Ctrl-C to stop)\n${formatStatus(r, { withTopology })}\n${ratesText}\n`);
        }
        await sleep(Math.max(0, intervalMillis - (Date.now() - started)), undefined, { signal }).catch(() => {});
      }
    });
  }
}
