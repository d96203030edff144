import { Command, Errors } from '@oclif/core';
import { EXIT_FAILURE, EXIT_INVALID_INPUT, InvalidInputError } from '../../errors.js';

/**
 * Base of every rmqctl command: maps errors to the CLI's exit codes (0 ok, 1 failure, 2 invalid
 * input or usage) and reports them the same way everywhere — every problem of an InvalidInputError
 * on stderr, or, with --json, one `{ "error": { name, message, exitCode, problems? } }` object on
 * stdout, so a script reading stdout always gets JSON.
 */
export abstract class RmqCommand extends Command {
  /** The exit code an error ends the command with. */
  protected exitCodeOf(err: Error & { oclif?: { exit?: number | false } }): number {
    if (err instanceof InvalidInputError) return EXIT_INVALID_INPUT;
    // oclif's own parse errors (unknown flag, missing arg) are usage errors.
    if (err instanceof Errors.CLIError) return typeof err.oclif?.exit === 'number' ? err.oclif.exit : EXIT_INVALID_INPUT;
    return EXIT_FAILURE;
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number | false } }): Promise<unknown> {
    // this.exit() inside a command: the command has said what it had to say.
    if (err instanceof Errors.ExitError) throw err;
    const exit = this.exitCodeOf(err);
    if (this.jsonEnabled()) {
      const problems = err instanceof InvalidInputError ? { problems: err.problemData() } : {};
      this.logJson({ error: { name: err.name, message: err.message, exitCode: exit, ...problems } });
      this.exit(exit);
    }
    // oclif's own errors (usage errors print the command's usage too) keep oclif's rendering.
    if (err instanceof Errors.CLIError && !(err instanceof InvalidInputError) && typeof err.oclif?.exit === 'number') return super.catch(err);
    if (err instanceof InvalidInputError) for (const p of err.problems) process.stderr.write(`${p}\n`);
    this.error(err.message, { exit });
  }
}
