import path from 'node:path';
import { Args, Flags } from '@oclif/core';
import { loadRuntimeRelease, renderCluster, writeReviewTree } from '../render/index.js';
import { runtimeFlag, stateDirFlag, TopologyCommand } from './support/topology-command.js';

export default class Render extends TopologyCommand {
  static override summary = 'Render a topology into config files and units, one folder per host, for review.';
  static override description =
    'Writes DIR/<host>/<path> for every file a deploy would place (paths relative to the host root: / for SSH hosts, ' +
    'the state directory for the local host) and DIR/manifest.json with each entry’s mode, owner and sha256. ' +
    'Rendering is pure: the same topology gives byte-identical output.';
  static override examples = ['<%= config.bin %> render 2m-2s-sync --out ./rendered', '<%= config.bin %> render my-cluster.yaml --out /tmp/review --force'];
  static override args = { topology: Args.string({ description: 'topology file or preset name', required: true }) };
  static override flags = {
    out: Flags.string({ char: 'o', description: 'directory to write into (must be empty unless --force)', required: true, helpValue: 'DIR' }),
    force: Flags.boolean({ description: 'write into a non-empty directory, replacing files of the same name' }),
    'state-dir': stateDirFlag,
    runtime: runtimeFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Render);
    const { model } = await this.loadModel(args.topology, flags['state-dir']);
    const sets = renderCluster(model, await loadRuntimeRelease(flags.runtime, model.runtimePin), this.renderInputs(model));
    const out = path.resolve(flags.out);
    const count = await writeReviewTree(sets, out, { force: flags.force });
    for (const s of sets) this.log(`${s.host}: ${s.entries.length} entries → ${path.join(out, s.host)}`);
    this.log(`wrote ${count} files and manifest.json to ${out}`);
  }
}
