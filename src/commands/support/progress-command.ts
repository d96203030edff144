/**
 * A cluster command that shows its work as it goes (a task list in a terminal, plain lines
 * otherwise, one JSON object a line with --json): the display is ended before an error is
 * reported, and with --json the error is one more line of the stream (`{kind: 'error', error}`).
 */
import { ClusterCommand } from './cluster-command.js';

export abstract class ProgressCommand<P extends { end(err?: Error): Promise<void> }> extends ClusterCommand {
  protected progress: P | undefined;

  // --json: every line of standard output is one JSON object (events, then the result or the error)
  override logJson(json: unknown): void {
    const line = json && typeof json === 'object' && 'error' in json && !('kind' in json) ? { kind: 'error', ...json } : json;
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }

  // the base class reports the error (with --json as one JSON line, through logJson above)
  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number | false } }): Promise<unknown> {
    await this.progress?.end(err);
    this.progress = undefined;
    return super.catch(err);
  }
}
