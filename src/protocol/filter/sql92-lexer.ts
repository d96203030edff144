/**
 * Tokens of RocketMQ's SQL92 property filter (`MessageSelector.bySql`), as its JavaCC grammar
 * (filter/.../parser/SelectorParser.jj) defines them: keywords and identifiers case-insensitive,
 * integer literals `0 | [1-9][0-9]*` with an optional `L`, floats `5.5 | 5. | .5 | 5E10` with an
 * optional exponent, strings in single quotes with `''` for a quote, `-- …` line comments (ended
 * by a newline, as in the grammar) and `/* … *\/` block comments. Longest match wins; at equal
 * length a keyword beats an identifier.
 */

export type Sql92TokenKind = 'keyword' | 'id' | 'int' | 'float' | 'string' | 'op' | 'eof';

export interface Sql92Token {
  kind: Sql92TokenKind;
  /** Keywords upper-cased; identifiers as written; strings decoded; operators as written. */
  text: string;
  /** 1-based column of the token's first character (line breaks count as characters). */
  column: number;
}

export class Sql92SyntaxError extends Error {
  override readonly name = 'Sql92SyntaxError';
  constructor(
    readonly column: number,
    readonly detail: string,
  ) {
    super(`SQL92 expression: ${detail} at column ${column}`);
  }
}

const KEYWORDS = new Set(['NOT', 'AND', 'OR', 'BETWEEN', 'IN', 'TRUE', 'FALSE', 'NULL', 'IS', 'CONTAINS', 'STARTSWITH', 'ENDSWITH']);
const OPERATORS = ['<>', '>=', '<=', '=', '>', '<', '(', ')', ',', '+', '-'] as const;

const ID = /[a-zA-Z_$][a-zA-Z0-9_$]*/y;
const INT = /(?:0|[1-9][0-9]*)[lL]?/y;
const FLOAT = /(?:[0-9]+\.[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+)/y;

function matchAt(re: RegExp, text: string, at: number): string | undefined {
  re.lastIndex = at;
  const m = re.exec(text);
  return m === null ? undefined : m[0];
}

export function tokenize(text: string): Sql92Token[] {
  const out: Sql92Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    if (text.startsWith('--', i)) {
      const nl = text.slice(i).search(/[\r\n]/);
      if (nl < 0) throw new Sql92SyntaxError(i + 1, 'a -- comment must end with a line break');
      i += nl + 1;
      continue;
    }
    if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new Sql92SyntaxError(i + 1, 'unterminated /* comment');
      i = end + 2;
      continue;
    }
    const column = i + 1;
    if (c === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw new Sql92SyntaxError(column, 'unterminated string literal');
        const d = text[j] as string;
        if (d === "'") {
          if (text[j + 1] === "'") {
            value += "'";
            j += 2;
            continue;
          }
          break;
        }
        value += d;
        j++;
      }
      out.push({ kind: 'string', text: value, column });
      i = j + 1;
      continue;
    }
    // numbers and words: the longest of the candidate matches
    const word = matchAt(ID, text, i);
    const int = matchAt(INT, text, i);
    const float = matchAt(FLOAT, text, i);
    const best = [
      ['float', float],
      ['int', int],
      ['word', word],
    ].filter((x): x is [string, string] => x[1] !== undefined).sort((a, b) => b[1].length - a[1].length)[0];
    if (best !== undefined) {
      const [kind, image] = best;
      if (kind === 'word') {
        const upper = image.toUpperCase();
        out.push(KEYWORDS.has(upper) ? { kind: 'keyword', text: upper, column } : { kind: 'id', text: image, column });
      } else out.push({ kind: kind as 'int' | 'float', text: image, column });
      i += image.length;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op !== undefined) {
      out.push({ kind: 'op', text: op, column });
      i += op.length;
      continue;
    }
    throw new Sql92SyntaxError(column, `unexpected character ${JSON.stringify(c)}`);
  }
  out.push({ kind: 'eof', text: '', column: text.length + 1 });
  return out;
}
