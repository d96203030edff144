/**
 * The one way a value reaches a remote shell. An SSH exec request is a single string that the
 * remote user's shell parses, so every argument is quoted here — never interpolated anywhere else.
 * (File contents never go through a shell at all: they travel over SFTP.)
 */
import { InvalidInputError } from '../../errors.js';

/** Characters that need no quoting in any POSIX shell context we build. */
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quotes one argument for a POSIX shell: single quotes, with each embedded `'` written as `'\''`.
 * A NUL byte cannot be part of any shell argument (C strings), so it is refused.
 */
export function shQuote(value: string): string {
  if (value.includes('\0')) throw new InvalidInputError(`a shell argument cannot contain a NUL byte: ${JSON.stringify(value.slice(0, 40))}`);
  if (SAFE.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** An argv as one shell command line: each element quoted, joined by spaces. */
export function shJoin(argv: readonly string[]): string {
  if (argv.length === 0) throw new InvalidInputError('empty command');
  return argv.map(shQuote).join(' ');
}

/**
 * `sh -c <script> <name> <args…>`: a fixed script that reads its values as "$1", "$2"… — the
 * values are never spliced into the script text.
 */
export function shScript(script: string, args: readonly string[] = [], name = 'rmqctl'): string[] {
  return ['sh', '-c', script, name, ...args];
}
