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
import type { SecretPrompt } from '../../deploy/transport/ssh.js';
import type { ClusterModel, ClusterNode } from '../../topology/index.js';
import { TopologyCommand } from './topology-command.js';

export const connectionFlags = {
  'accept-new-host-keys': Flags.boolean({ description: 'record host keys not yet in known_hosts (a changed key always stops)', default: false }),
  'ask-pass': Flags.boolean({ description: 'ask for an SSH password or key passphrase when keys and agent do not do (interactive only)', default: false }),
  parallel: Flags.integer({ description: 'hosts worked on at once', default: 8, min: 1, max: 64 }),
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
    this.targets = new ClusterTargets(model, { acceptNewHostKeys: flags['accept-new-host-keys'], ...(flags['ask-pass'] ? { prompt: terminalPrompt } : {}) });
    return this.targets;
  }

  protected select(model: ClusterModel, flags: { host?: string[]; node?: string[] }): ClusterNode[] {
    return selectNodes(model, { ...(flags.host ? { hosts: flags.host } : {}), ...(flags.node ? { nodes: flags.node } : {}) });
  }

  protected override async finally(err: Error | undefined): Promise<unknown> {
    await this.targets?.close().catch(() => {});
    return super.finally(err);
  }
}
