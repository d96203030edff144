import { Command, Errors } from '@oclif/core';
import { EXIT_FAILURE, EXIT_INVALID_INPUT, InvalidInputError } from '../errors.js';

/**
 * Base of every rmqctl command: maps library errors to the CLI's exit codes
 * (0 ok, 1 failure, 2 invalid input or usage) and prints every problem of an InvalidInputError.
 */
export abstract class RmqCommand extends Command {
  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    if (err instanceof InvalidInputError) {
      for (const p of err.problems) process.stderr.write(`${p}\n`);
      this.error(err.message, { exit: EXIT_INVALID_INPUT });
    }
    // oclif's own parse errors (unknown flag, missing arg) are usage errors.
    if (err instanceof Errors.CLIError && err.oclif?.exit === undefined) {
      this.error(err.message, { exit: EXIT_INVALID_INPUT });
    }
    if (err.oclif?.exit !== undefined) return super.catch(err);
    this.error(err.message, { exit: EXIT_FAILURE });
  }
}
