/**
 * Problems found in a topology file, each pinned to a source position, and the error that carries
 * all of them to the CLI (exit 2).
 */
import { InvalidInputError } from '../errors.js';

export type FieldPath = readonly (string | number)[];

export interface Problem {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
  /** Dotted field path, e.g. `brokers[0].slaves[1].port`; empty for the file as a whole. */
  path: string;
  /** What is wrong, ending in `(expected …)` where an expectation can be stated. */
  message: string;
}

export function formatPath(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** `file:line:col  path  message` — one line, the format every topology problem is printed in. */
export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.col}  ${p.path === '' ? '(file)' : p.path}  ${p.message}`;
}

export function compareProblems(a: Problem, b: Problem): number {
  return a.line - b.line || a.col - b.col || a.path.localeCompare(b.path) || a.message.localeCompare(b.message);
}

/** A topology that cannot be used: every problem at once, sorted by position. */
export class TopologyError extends InvalidInputError {
  override readonly name: string = 'TopologyError';
  readonly details: readonly Problem[];
  constructor(file: string, problems: readonly Problem[]) {
    const sorted = [...problems].sort(compareProblems);
    super(`${file}: ${sorted.length} problem${sorted.length === 1 ? '' : 's'}; nothing was written`, sorted.map(formatProblem));
    this.details = sorted;
  }

  override problemData(): readonly Problem[] {
    return this.details;
  }
}

/** A short, quoted rendering of a user's value for messages. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  return String(v);
}
