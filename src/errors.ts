/**
 * Errors that cross module boundaries. The CLI maps them to exit codes:
 * InvalidInputError → 2 (bad topology, bad flag value, bad file), anything else → 1.
 */
export class RmqError extends Error {
  override readonly name: string = 'RmqError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The user gave us something we cannot accept. Exit code 2; nothing was changed. */
export class InvalidInputError extends RmqError {
  override readonly name: string = 'InvalidInputError';
  /** One line per problem, already formatted for humans (e.g. `file:line:col  field  message`). */
  readonly problems: readonly string[];
  constructor(message: string, problems: readonly string[] = []) {
    super(message);
    this.problems = problems;
  }

  /** The problems as data for `--json` output (subclasses with structured problems override). */
  problemData(): readonly unknown[] {
    return this.problems.map((message) => ({ message }));
  }
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_INVALID_INPUT = 2;
