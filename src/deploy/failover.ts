/**
 * The deploy side of a planned switchover: what `rmqctl failover` records once the slave holds
 * every byte and before the roles change — each node of the group gets its config file rendered
 * with its new role (brokerId, brokerRole, HA addresses), written in place on its host (no
 * restart: the brokers change role at runtime), and the cluster's state directory gets
 * masters.yaml — so a node that restarts comes back in its current role and the next `plan`
 * shows no change. `undo` puts back what was there.
 */
import type { RenderInputs } from '../render/render.js';
import { releaseOf, renderHost, type DesiredFile } from '../render/index.js';
import { buildClusterModel, hostByName, type ClusterModel, type NodeId, type Topology } from '../topology/index.js';
import { mastersOf, readMasters, writeMasters, type MastersState } from '../topology/masters.js';
import type { RoleRecorder } from '../ops/failover/switchover.js';
import type { ClusterTargets } from './targets/open.js';

export interface RecorderOptions {
  topology: Topology;
  stateDir: string;
  targets: ClusterTargets;
  inputs: RenderInputs;
  /** Who recorded it (the command line), kept in masters.yaml. */
  by: string;
}

export class RenderedRoleRecorder implements RoleRecorder {
  private undoWork: (() => Promise<void>) | undefined;
  /** The files written by the last record(), for reporting. */
  written: string[] = [];
  stateFile: string | undefined;

  constructor(private readonly opts: RecorderOptions) {}

  async record(group: string, to: NodeId, epoch: number): Promise<ClusterModel> {
    const { topology, stateDir, targets, inputs } = this.opts;
    const before = await readMasters(stateDir, topology.cluster);
    const next: MastersState = { cluster: topology.cluster, groups: { ...before.groups, [group]: { master: to, epoch, since: new Date().toISOString(), by: this.opts.by } } };
    const model = buildClusterModel(topology, { stateDir, masters: mastersOf(next) });
    // configs do not depend on the runtime release: render with an empty one
    const release = releaseOf(Buffer.alloc(0));
    const g = model.groups.find((x) => x.name === group)!;
    const previous: { host: string; path: string; content: Buffer | undefined; file: DesiredFile }[] = [];
    this.written = [];
    try {
      for (const id of g.nodeIds) {
        const node = model.nodes.find((n) => n.id === id)!;
        const host = hostByName(model, node.host)!;
        const file = renderHost(model, host, release, inputs).entries.find((e): e is DesiredFile => e.kind === 'file' && e.path === node.configPath);
        if (file === undefined) continue;
        const target = await targets.get(host.name);
        const had = await target.readFile(file.path);
        if (had !== undefined && had.equals(file.content)) continue;
        previous.push({ host: host.name, path: file.path, content: had, file });
        await target.writeFileAtomic(file.path, file.content, own(file));
        this.written.push(`${host.name}:${file.path}`);
      }
      this.stateFile = await writeMasters(stateDir, next);
    } catch (e) {
      await restore(previous, targets);
      throw e;
    }
    this.undoWork = async () => {
      await restore(previous, targets);
      await writeMasters(stateDir, before);
    };
    return model;
  }

  async undo(): Promise<void> {
    await this.undoWork?.();
    this.undoWork = undefined;
  }
}

function own(f: DesiredFile): { mode: number; owner?: string; group?: string } {
  return { mode: f.mode, ...(f.owner !== null ? { owner: f.owner } : {}), ...(f.group !== null ? { group: f.group } : {}) };
}

async function restore(previous: { host: string; path: string; content: Buffer | undefined; file: DesiredFile }[], targets: ClusterTargets): Promise<void> {
  for (const p of previous.reverse()) {
    const t = await targets.get(p.host);
    if (p.content === undefined) await t.remove(p.path);
    else await t.writeFileAtomic(p.path, p.content, own(p.file));
  }
}
