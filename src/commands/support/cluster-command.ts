/**
 * Base of the commands that act on a deployed cluster's hosts (deploy, start/stop/restart, logs,
 * rollback, destroy): connection flags (host keys, password prompt, parallelism), node selection,
 * and the cluster's targets.
 */
import { Flags } from '@oclif/core';
import { password } from '@inquirer/prompts';
import { InvalidInputError } from '../../errors.js';
import { selectNodes } from '../../deploy/executor.js';
import { ClusterTargets } from '../../deploy/targets/open.js';
import { ClusterLock } from '../../deploy/lock.js';
import type { SecretPrompt } from '../../deploy/transport/ssh.js';
import type { ClusterModel, ClusterNode } from '../../topology/index.js';
import { TopologyCommand } from './topology-command.js';

export const connectionFlags = {
  'accept-new-host-keys': Flags.boolean({ description: 'record host keys not yet in known_hosts (a changed key always stops)', default: false }),
  'ask-pass': Flags.boolean({ description: 'ask for an SSH password or key passphrase when keys and agent do not do (interactive only)', default: false }),
  parallel: Flags.integer({ description: 'hosts worked on at once', default: 8, min: 1, max: 64 }),
};

/** For the commands that change a cluster: they hold its lock (deploy/lock.ts) while they run. */
export const lockFlags = {
  'force-unlock': Flags.boolean({
    description: 'remove the cluster lock another run left (check first that it is not running: the error names its user, machine, pid and command)',
    default: false,
  }),
};

/** Rolling restarts: the pause between groups so clients route to a restarted group again. */
export const settleFlags = {
  settle: Flags.integer({
    description: 'rolling restart: seconds to wait after a group’s master is back before the next group, so clients (which re-read routes every 30 s) route to it again',
    default: 30,
    min: 0,
    helpValue: 'S',
  }),
};

export const selectionFlags = {
  host: Flags.string({ description: 'only nodes on this host (repeatable)', multiple: true }),
  node: Flags.string({ description: 'only this node, e.g. broker-a-0 (repeatable)', multiple: true }),
};

/** A hidden prompt on the terminal; secrets never come from flags, the environment or logs. */
const terminalPrompt: SecretPrompt = async ({ prompt }) => password({ message: prompt, mask: true });

export abstract class ClusterCommand extends TopologyCommand {
  protected targets: ClusterTargets | undefined;

  protected openTargets(model: ClusterModel, flags: { 'accept-new-host-keys': boolean; 'ask-pass': boolean }): ClusterTargets {
    if (flags['ask-pass'] && !process.stdin.isTTY) throw new InvalidInputError('--ask-pass needs an interactive terminal (a password is never read from a flag or a pipe)');
    this.targets = new ClusterTargets(model, {
      acceptNewHostKeys: flags['accept-new-host-keys'],
      // every key trusted on first use is shown (stderr: --json output stays JSON)
      onHostKeyRecorded: (k) => process.stderr.write(`recorded the host key of ${k.endpoint} in ${k.file}: ${k.host} ${k.keyType} ${k.fingerprint}\n`),
      ...(flags['ask-pass'] ? { prompt: terminalPrompt } : {}),
    });
    return this.targets;
  }

  /**
   * Runs `work` holding the cluster's lock (every host with nodes); a run that holds it already
   * makes this one refuse at once, naming the holder. Notes (a stale lock taken over, a lock broken
   * with --force-unlock) go to stderr.
   */
  protected async withLock<T>(model: ClusterModel, targets: ClusterTargets, flags: { 'force-unlock': boolean }, work: () => Promise<T>): Promise<T> {
    const command = ['rmqctl', ...this.id!.split(':'), ...this.argv].join(' ');
    const lock = await ClusterLock.acquire(model, targets, { command, forceUnlock: flags['force-unlock'], onNote: (l) => process.stderr.write(`${l}\n`) });
    try {
      return await work();
    } finally {
      await lock.release().catch((e: Error) => process.stderr.write(`could not release the cluster lock: ${e.message}\n`));
    }
  }

  protected select(model: ClusterModel, flags: { host?: string[]; node?: string[] }): ClusterNode[] {
    return selectNodes(model, { ...(flags.host ? { hosts: flags.host } : {}), ...(flags.node ? { nodes: flags.node } : {}) });
  }

  protected override async finally(err: Error | undefined): Promise<unknown> {
    await this.targets?.close().catch(() => {});
    return super.finally(err);
  }
}
