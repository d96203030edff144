import { Args } from '@oclif/core';
import { collectStatus, expectationFromModel, type Expectation, type StatusReport } from '../client/cluster-status.js';
import { EXIT_FAILURE } from '../errors.js';
import { adminClient, namesrvFlags, resolveNamesrvAddrs } from './support/namesrv.js';
import { formatStatus } from './support/status-format.js';
import { stateDirFlag, TopologyCommand } from './support/topology-command.js';

export default class Status extends TopologyCommand {
  static override summary = 'Show what the NameServers know: which are up, and every broker of every cluster.';
  static override description =
    'Asks every NameServer on its own. Per NameServer: up or down. Per cluster and broker group: each node with its id, role, address and ' +
    'how long ago it last registered. Given a topology (file or preset), nodes it expects that no NameServer knows are marked MISSING. ' +
    'Exit code 1 when a NameServer is down or an expected node is missing or misplaced.';
  static override examples = [
    "<%= config.bin %> status --namesrv '10.0.0.1:9876;10.0.0.2:9876'",
    '<%= config.bin %> status my-cluster.yaml',
    '<%= config.bin %> status 2m-2s-sync --json',
  ];
  static override enableJsonFlag = true;
  static override args = { topology: Args.string({ description: 'topology file or preset name (its NameServers are asked, its nodes expected)', required: false }) };
  static override flags = { ...namesrvFlags, 'state-dir': stateDirFlag };

  async run(): Promise<StatusReport> {
    const { args, flags } = await this.parse(Status);
    let expected: Expectation | undefined;
    let topologyNamesrv: string | undefined;
    if (args.topology !== undefined) {
      const { model } = await this.loadModel(args.topology, flags['state-dir']);
      expected = expectationFromModel(model);
      topologyNamesrv = model.namesrvAddr;
    }
    // --namesrv first, then the topology's NameServers, then NAMESRV_ADDR.
    const admin = adminClient(resolveNamesrvAddrs(flags.namesrv ?? topologyNamesrv), flags.timeout);
    try {
      const report = await collectStatus(admin, expected);
      if (!this.jsonEnabled()) this.log(formatStatus(report));
      if (!report.healthy) process.exitCode = EXIT_FAILURE;
      return report;
    } finally {
      admin.close();
    }
  }
}
