/**
 * Base of the commands that read a topology (validate, render, plan): the shared flags, loading
 * a topology into a ClusterModel.
 */
import path from 'node:path';
import { Flags } from '@oclif/core';
import { InvalidInputError } from '../../errors.js';
import { buildClusterModel, defaultStateDir, loadTopology, type ClusterModel, type LoadedTopology } from '../../topology/index.js';
import { formatProblem } from '../../topology/problems.js';
import { pathProblem } from '../../util/config-registry.js';
import { RmqCommand } from '../base.js';
import type { ResolvedSecrets } from '../../acl/acl-file-text.js';
import { resolveAclSecrets } from '../../topology/secrets.js';
import type { Credentials } from '../../protocol/acl-signature.js';

export const stateDirFlag = Flags.string({
  description: 'state directory of the local target for this cluster [default: $XDG_STATE_HOME/rmqctl/<cluster>, else ~/.local/state/rmqctl/<cluster>]',
  helpValue: 'DIR',
});

export const runtimeFlag = Flags.string({
  description: 'runtime bundle to ship [default: this package’s dist/rmqd.js]',
  helpValue: 'FILE',
});

export abstract class TopologyCommand extends RmqCommand {
  /** Loads a topology (path or preset name) and builds its model. */
  protected async loadModel(ref: string, stateDir: string | undefined): Promise<{ loaded: LoadedTopology; model: ClusterModel }> {
    const loaded = await loadTopology(ref);
    for (const w of loaded.warnings) process.stderr.write(`warning: ${formatProblem(w)}\n`);
    const dir = path.resolve(stateDir ?? defaultStateDir(loaded.topology.cluster));
    const why = pathProblem(dir);
    if (why) throw new InvalidInputError(`state directory ${JSON.stringify(dir)} ${why} (expected a plain absolute path; choose one with --state-dir)`);
    return { loaded, model: buildClusterModel(loaded.topology, { stateDir: dir }) };
  }

  /** The ACL secrets a rendering of `model` needs (undefined without an acl section); exit 2 when one cannot be resolved. */
  protected aclSecrets(model: ClusterModel): ResolvedSecrets | undefined {
    return model.acl === null ? undefined : resolveAclSecrets(model.acl);
  }

  /** The topology's admin account (what deploy's health checks sign with), when it has an acl section; exit 2 when its secret cannot be resolved. */
  protected adminCredentials(model: ClusterModel, secrets = this.aclSecrets(model)): Credentials | undefined {
    if (model.acl === null || !secrets) return undefined;
    const secretKey = secrets.get(model.acl.admin.accessKey);
    return secretKey === undefined ? undefined : { accessKey: model.acl.admin.accessKey, secretKey };
  }
}
