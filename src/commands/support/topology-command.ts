/**
 * Base of the commands that read a topology (validate, render, plan): the shared flags, loading
 * a topology into a ClusterModel.
 */
import path from 'node:path';
import { Flags } from '@oclif/core';
import { InvalidInputError } from '../../errors.js';
import { buildClusterModel, defaultStateDir, loadTopology, type ClusterModel, type LoadedTopology } from '../../topology/index.js';
import { mastersOf, readMasters } from '../../topology/masters.js';
import { formatProblem } from '../../util/problems.js';
import { pathProblem } from '../../util/config-registry.js';
import { RmqCommand } from './base.js';
import { resolveAclSecrets } from '../../topology/secrets.js';
import { resolveTlsFiles } from '../../topology/tls-files.js';
import type { RenderInputs } from '../../render/render.js';
import type { NodeAccess } from '../../ops/health/index.js';
import { resolveClientTls } from '../../settings/tls.js';
import type { ClientTls } from '../../remoting/tls-config.js';
import { expandHome } from '../../util/home.js';
import { cliProfile } from './credentials.js';

export const stateDirFlag = Flags.string({
  description: 'state directory of the local target for this cluster [default: $XDG_STATE_HOME/rmqctl/<cluster>, else ~/.local/state/rmqctl/<cluster>]',
  helpValue: 'DIR',
});

export const runtimeFlag = Flags.string({
  description: 'runtime bundle to ship [default: this package’s dist/rmqd.js]',
  helpValue: 'FILE',
});

/** The client certificate deploy-side commands present to nodes that require one (tls.clientAuth: require). */
export const clientCertFlags = {
  'tls-cert': Flags.string({ description: 'client certificate (PEM) for nodes with tls.clientAuth: require [default: $RMQCTL_TLS_CERT]', helpValue: 'FILE' }),
  'tls-key': Flags.string({ description: 'private key of --tls-cert (PEM, mode 0600) [default: $RMQCTL_TLS_KEY]', helpValue: 'FILE' }),
};
export type ClientCertFlagValues = { 'tls-cert'?: string; 'tls-key'?: string };

export abstract class TopologyCommand extends RmqCommand {
  /**
   * Loads a topology (path or preset name) and builds its model, with the masters a switchover
   * recorded in the state directory (topology/masters.ts).
   */
  protected async loadModel(ref: string, stateDir: string | undefined): Promise<{ loaded: LoadedTopology; model: ClusterModel; stateDir: string }> {
    const loaded = await loadTopology(ref);
    for (const w of loaded.warnings) process.stderr.write(`warning: ${formatProblem(w)}\n`);
    const dir = path.resolve(stateDir ?? defaultStateDir(loaded.topology.cluster));
    const why = pathProblem(dir);
    if (why) throw new InvalidInputError(`state directory ${JSON.stringify(dir)} ${why} (expected a plain absolute path; choose one with --state-dir)`);
    const masters = mastersOf(await readMasters(dir, loaded.topology.cluster));
    return { loaded, model: buildClusterModel(loaded.topology, { stateDir: dir, masters }), stateDir: dir };
  }

  /** What rendering `model` needs from this machine (ACL secrets, TLS files); exit 2 when one cannot be resolved or used. */
  protected renderInputs(model: ClusterModel): RenderInputs {
    return { ...(model.acl ? { acl: resolveAclSecrets(model.acl) } : {}), ...(model.tls ? { tls: resolveTlsFiles(model) } : {}) };
  }

  /**
   * How this machine reaches the cluster's nodes (deploy's health checks, status of a topology):
   * signed with the topology's admin account when it has `acl`, over TLS verified against its CA
   * when it has `tls`. `inputs`: secrets already resolved for a rendering.
   */
  protected nodeAccess(model: ClusterModel, flags: ClientCertFlagValues = {}, inputs?: RenderInputs): NodeAccess {
    const out: NodeAccess = {};
    if (model.acl) {
      const secrets = inputs?.acl ?? resolveAclSecrets(model.acl);
      const secretKey = secrets.get(model.acl.admin.accessKey);
      if (secretKey !== undefined) out.credentials = { accessKey: model.acl.admin.accessKey, secretKey };
    }
    const tls = this.topologyTls(model, flags);
    if (tls) out.tls = tls;
    return out;
  }

  /** TLS as the topology's `tls` section asks of a client, or undefined without one. */
  protected topologyTls(model: ClusterModel, flags: ClientCertFlagValues = {}): ClientTls | undefined {
    if (!model.tls) return undefined;
    // the topology's CA always; a client certificate from flags, environment or profile
    // permissive is the migration step: a node not yet restarted with TLS is reached in plain text
    const policy = model.tls.mode === 'permissive' ? { tls: true } : { tlsRequire: true };
    const tls = resolveClientTls({ ...policy, ca: expandHome(model.tls.ca), cert: flags['tls-cert'], key: flags['tls-key'] }, process.env, cliProfile());
    if (model.tls.clientAuth === 'require' && tls?.cert === undefined) {
      throw new InvalidInputError('the topology has tls.clientAuth: require: this machine needs a client certificate the cluster CA issued (--tls-cert and --tls-key, RMQCTL_TLS_CERT and RMQCTL_TLS_KEY, or tlsCert and tlsKey in the rmqctl profile)');
    }
    return tls;
  }
}
