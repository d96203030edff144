/**
 * What the bench tools' command lines share: parse with node:util's parseArgs (strict), print the
 * usage and exit 2 on a bad flag, 0 on --help; option values checked into numbers, a bad one a
 * UsageError that the tool turns into the usage and exit 2 (usageFailure).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;
type CliValues<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true }>>['values'];

/** The parsed values, or the exit code when the tool should stop here (a bad flag: 2, --help: 0). */
export function parseCli<T extends Options>(argv: string[], usage: string, options: T): CliValues<T> | number {
  let values: CliValues<T>;
  try {
    values = parseArgs({ args: argv, options, strict: true }).values as CliValues<T>;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${usage}\n`);
    return 2;
  }
  if ((values as { help?: boolean }).help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  return values;
}

/** `--name`'s value as an integer ≥ min (a number ≥ min when `integer` is false). */
export function numberOption(name: string, v: string | undefined, min: number, integer = true): number {
  const n = Number(v);
  if (!(integer ? Number.isSafeInteger(n) : Number.isFinite(n)) || n < min) throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${JSON.stringify(v)}`);
  return n;
}

/** A UsageError as the tool's answer: its message and the usage on standard error, exit code 2. Anything else is rethrown. */
export function usageFailure(e: unknown, usage: string): number {
  if (!(e instanceof UsageError)) throw e;
  process.stderr.write(`${e.message}\n${usage}\n`);
  return 2;
}
