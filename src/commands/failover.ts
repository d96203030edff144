import { confirm } from '@inquirer/prompts';
import { Args, Flags } from '@oclif/core';
import { InvalidInputError } from '../errors.js';
import { RenderedRoleRecorder } from '../deploy/failover.js';
import { Switchover, SWITCHOVER_STEPS, type SwitchoverResult } from '../ops/failover/switchover.js';
import { connectionFlags, lockFlags } from './support/cluster-command.js';
import { ProgressCommand } from './support/progress-command.js';
import { jsonSteps, listrSteps, plainSteps, type StepProgress } from './support/step-progress.js';
import { clientCertFlags, stateDirFlag } from './support/topology-command.js';

export default class Failover extends ProgressCommand<StepProgress> {
  static override summary = 'Move the master role of a broker group to one of its slaves (a planned switchover), with no acknowledged message lost.';
  static override description =
    "RocketMQ's maintenance procedure as one command, without a restart: the group's write permission is wiped on every NameServer and its master stops taking " +
    'sends (producers send to the other groups meanwhile); once the chosen slave holds every byte of the master, the slave becomes master of a new epoch ' +
    '(brokerId 0, the same replication mode) and the former master its slave; the permission comes back and every NameServer routes to the new master. ' +
    "The nodes' config files and the state directory's masters.yaml are updated on the way, so the next `rmqctl plan` shows no change and a restarted node keeps its role. " +
    'Refused, with the reason and nothing changed, when the slave is not replicating, not in sync, too far behind or does not answer; if the slave does not ' +
    'catch up in time after the writes stopped, everything is undone. Progress: a task list on a terminal, plain lines otherwise; --json: one JSON object per step, then the result.';
  static override examples = [
    '<%= config.bin %> failover 2m-2s-sync broker-a --yes',
    '<%= config.bin %> failover my-cluster.yaml broker-b --to broker-b-1',
    '<%= config.bin %> failover my-cluster.yaml broker-a --to broker-a-0 --yes --json',
  ];
  static override enableJsonFlag = true;
  static override args = {
    topology: Args.string({ description: 'topology file or preset name', required: true }),
    group: Args.string({ description: 'the broker group (brokerName) whose master changes', required: true }),
  };
  static override flags = {
    ...connectionFlags,
    ...lockFlags,
    to: Flags.string({ description: 'the node to make master, e.g. broker-a-1 [default: the slave with the least lag]', helpValue: 'NODE' }),
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation', default: false }),
    'max-lag': Flags.integer({ description: 'MiB the slave may lack when checked (the writes stop while it catches up)', default: 64, min: 0 }),
    timeout: Flags.integer({ description: 'seconds the slave may take to hold every byte once the writes stopped; then everything is undone', default: 10, min: 1 }),
    'state-dir': stateDirFlag,
    ...clientCertFlags,
  };

  async run(): Promise<SwitchoverResult & { kind: 'result'; files: string[]; stateFile?: string }> {
    const { args, flags } = await this.parse(Failover);
    const { loaded, model, stateDir } = await this.loadModel(args.topology, flags['state-dir']);
    if (model.failover.mode === 'auto') {
      throw new InvalidInputError(`cluster ${model.cluster} has failover: auto — its groups elect their masters through etcd (\`rmqctl status ${args.topology}\` shows who holds each lease); to move a master, stop it (\`rmqctl stop ${args.topology} --node <its node>\`: it hands its lease back and an in-sync slave takes over) and start it again`);
    }
    const inputs = this.renderInputs(model);
    const access = this.nodeAccess(model, flags, inputs);
    const json = this.jsonEnabled();
    const targets = this.openTargets(model, flags);
    const sw = new Switchover(model, { access, maxLagBytes: flags['max-lag'] * 1024 ** 2, catchUpTimeoutMs: flags.timeout * 1000, onEvent: (e) => this.progress?.onEvent(e) });
    try {
      const plan = await sw.plan(args.group, flags.to);
      const what = plan.alreadyMaster
        ? `${plan.to.id} is the master of ${plan.group} already: record it`
        : `move the master of ${plan.group} from ${plan.from.id} to ${plan.to.id} (${plan.lagBytes} bytes behind now; epoch ${plan.epoch}); sends to ${plan.group} pause meanwhile`;
      if (!flags.yes) {
        if (!process.stdin.isTTY || json) throw new InvalidInputError(`refusing to ${what} without --yes (not an interactive terminal)`);
        if (!(await confirm({ message: `${what[0]!.toUpperCase()}${what.slice(1)}?`, default: false }))) this.exit(1);
      }
      if (!json) this.log(`${what[0]!.toUpperCase()}${what.slice(1)}`);
      const recorder = new RenderedRoleRecorder({ topology: loaded.topology, stateDir, targets, inputs, by: ['rmqctl', 'failover', ...this.argv].join(' ') });
      this.progress = json ? jsonSteps((l) => process.stdout.write(l)) : process.stdout.isTTY ? listrSteps(SWITCHOVER_STEPS.filter((s) => s !== 'check')) : plainSteps((l) => this.log(l));
      const result = await this.withLock(model, targets, flags, () => sw.run(plan, recorder));
      await this.progress.end();
      this.progress = undefined;
      if (!json) {
        if (result.alreadyMaster) this.log(`recorded ${result.to} as the master of ${result.group} (${recorder.stateFile})`);
        else this.log(`${result.to} is the master of ${result.group} (epoch ${result.epoch}, from offset ${result.offset}); ${result.from} follows it. Sends to ${result.group} were paused ${result.writesStoppedMs} ms (the slave caught up in ${result.catchUpMs} ms). Recorded in ${recorder.stateFile}`);
      }
      return { kind: 'result', ...result, files: recorder.written, ...(recorder.stateFile ? { stateFile: recorder.stateFile } : {}) };
    } finally {
      sw.close();
    }
  }
}
