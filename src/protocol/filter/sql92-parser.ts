/**
 * RocketMQ's SQL92 filter grammar (SelectorParser.jj), by recursive descent, lowest precedence
 * first:
 *   or         := and (OR and)*
 *   and        := equality (AND equality)*
 *   equality   := comparison ( '=' comparison | '<>' comparison | IS NULL | IS NOT NULL )*
 *   comparison := unary ( ('>'|'>='|'<'|'<=') unary | [NOT] (CONTAINS|STARTSWITH|ENDSWITH) string
 *                       | [NOT] BETWEEN unary AND unary | [NOT] IN '(' string (',' string)* ')' )*
 *   unary      := '+' unary | '-' unary | NOT unary | primary
 *   primary    := literal | identifier | '(' or ')'
 * (So `NOT a = 1` reads as `(NOT a) = 1`, as in RocketMQ.) The checks RocketMQ makes while
 * parsing are made here too, each a Sql92SyntaxError at the offending column: only numbers may be
 * compared with > >= < <= as constants, NULL is not compared with = or <> (IS NULL is), a boolean
 * constant is not compared with another kind of constant, IN needs a property on its left, and a
 * BETWEEN of constants needs low ≤ high.
 */
import { Sql92SyntaxError, tokenize, type Sql92Token } from './sql92-lexer.js';

export type Sql92Constant = { kind: 'const'; value: string | boolean | null } | { kind: 'const'; value: number; integer: boolean };

export type Sql92Node =
  | Sql92Constant
  | { kind: 'prop'; name: string }
  | { kind: 'neg'; operand: Sql92Node }
  | { kind: 'not'; operand: Sql92Node }
  /** A non-boolean value used where a condition is expected: true only when it is the boolean true. */
  | { kind: 'bool'; operand: Sql92Node }
  | { kind: 'and' | 'or'; left: Sql92Node; right: Sql92Node }
  | { kind: 'eq'; left: Sql92Node; right: Sql92Node }
  | { kind: 'order'; op: '>' | '>=' | '<' | '<='; left: Sql92Node; right: Sql92Node }
  | { kind: 'in'; operand: Sql92Node; values: ReadonlySet<string>; negated: boolean }
  | { kind: 'text'; op: 'CONTAINS' | 'STARTSWITH' | 'ENDSWITH'; operand: Sql92Node; search: string; negated: boolean };

const BOOLEAN_KINDS = new Set<Sql92Node['kind']>(['not', 'bool', 'and', 'or', 'eq', 'order', 'in', 'text']);
const isBooleanNode = (n: Sql92Node) => BOOLEAN_KINDS.has(n.kind) || (n.kind === 'const' && typeof n.value === 'boolean');
const asCondition = (n: Sql92Node): Sql92Node => (isBooleanNode(n) ? n : { kind: 'bool', operand: n });

export function parseSql92(text: string): Sql92Node {
  return new Parser(tokenize(text)).parseAll();
}

class Parser {
  private at = 0;

  constructor(private readonly tokens: readonly Sql92Token[]) {}

  parseAll(): Sql92Node {
    if (this.peek().kind === 'eof') throw new Sql92SyntaxError(1, 'empty expression');
    const n = this.or();
    const t = this.peek();
    if (t.kind !== 'eof') throw this.unexpected(t, 'AND, OR or the end of the expression');
    return asCondition(n);
  }

  private peek(ahead = 0): Sql92Token {
    return this.tokens[Math.min(this.at + ahead, this.tokens.length - 1)] as Sql92Token;
  }

  private next(): Sql92Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.at++;
    return t;
  }

  private isKeyword(word: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === 'keyword' && t.text === word;
  }

  private isOp(op: string): boolean {
    const t = this.peek();
    return t.kind === 'op' && t.text === op;
  }

  private expectKeyword(word: string): void {
    if (!this.isKeyword(word)) throw this.unexpected(this.peek(), word);
    this.next();
  }

  private expectOp(op: string): void {
    if (!this.isOp(op)) throw this.unexpected(this.peek(), `'${op}'`);
    this.next();
  }

  private unexpected(t: Sql92Token, expected: string): Sql92SyntaxError {
    const what = t.kind === 'eof' ? 'end of expression' : t.kind === 'string' ? `string '${t.text}'` : `'${t.text}'`;
    return new Sql92SyntaxError(t.column, `unexpected ${what} (expected ${expected})`);
  }

  private or(): Sql92Node {
    let left = this.and();
    while (this.isKeyword('OR')) {
      this.next();
      left = { kind: 'or', left: asCondition(left), right: asCondition(this.and()) };
    }
    return left;
  }

  private and(): Sql92Node {
    let left = this.equality();
    while (this.isKeyword('AND')) {
      this.next();
      left = { kind: 'and', left: asCondition(left), right: asCondition(this.equality()) };
    }
    return left;
  }

  private equality(): Sql92Node {
    let left = this.comparison();
    for (;;) {
      const t = this.peek();
      if (this.isOp('=') || this.isOp('<>')) {
        this.next();
        const right = this.comparison();
        checkEqualOperands(left, right, t.column);
        const eq: Sql92Node = { kind: 'eq', left, right };
        left = t.text === '=' ? eq : { kind: 'not', operand: eq };
      } else if (this.isKeyword('IS')) {
        this.next();
        const negated = this.isKeyword('NOT');
        if (negated) this.next();
        this.expectKeyword('NULL');
        const isNull: Sql92Node = { kind: 'eq', left, right: { kind: 'const', value: null } };
        left = negated ? { kind: 'not', operand: isNull } : isNull;
      } else return left;
    }
  }

  private comparison(): Sql92Node {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'op' && (t.text === '>' || t.text === '>=' || t.text === '<' || t.text === '<=')) {
        this.next();
        const right = this.unary();
        checkOrderOperand(left, t.column);
        checkOrderOperand(right, t.column);
        left = { kind: 'order', op: t.text, left, right };
        continue;
      }
      const negated = this.isKeyword('NOT') && (this.isKeyword('CONTAINS', 1) || this.isKeyword('STARTSWITH', 1) || this.isKeyword('ENDSWITH', 1) || this.isKeyword('BETWEEN', 1) || this.isKeyword('IN', 1));
      if (negated) this.next();
      const k = this.peek();
      if (k.kind === 'keyword' && (k.text === 'CONTAINS' || k.text === 'STARTSWITH' || k.text === 'ENDSWITH')) {
        this.next();
        left = { kind: 'text', op: k.text, operand: left, search: this.string(), negated };
      } else if (this.isKeyword('BETWEEN')) {
        this.next();
        const low = this.unary();
        this.expectKeyword('AND');
        const high = this.unary();
        left = between(left, low, high, negated, k.column);
      } else if (this.isKeyword('IN')) {
        this.next();
        if (left.kind !== 'prop') throw new Sql92SyntaxError(k.column, 'IN needs a property name on its left');
        this.expectOp('(');
        const values = [this.string()];
        while (this.isOp(',')) {
          this.next();
          values.push(this.string());
        }
        this.expectOp(')');
        left = { kind: 'in', operand: left, values: new Set(values), negated };
      } else return left;
    }
  }

  private string(): string {
    const t = this.next();
    if (t.kind !== 'string') throw this.unexpected(t, 'a string literal');
    return t.text;
  }

  private unary(): Sql92Node {
    if (this.isOp('+')) {
      this.next();
      return this.unary();
    }
    if (this.isOp('-')) {
      this.next();
      const operand = this.unary();
      // a negative literal is a constant (RocketMQ folds it the same way)
      if (operand.kind === 'const' && 'integer' in operand) return { kind: 'const', value: -operand.value, integer: operand.integer };
      return { kind: 'neg', operand };
    }
    if (this.isKeyword('NOT')) {
      this.next();
      return { kind: 'not', operand: asCondition(this.unary()) };
    }
    return this.primary();
  }

  private primary(): Sql92Node {
    const t = this.next();
    switch (t.kind) {
      case 'string':
        return { kind: 'const', value: t.text };
      case 'int': {
        const digits = t.text.replace(/[lL]$/, '');
        const value = Number(digits);
        if (!Number.isSafeInteger(value)) throw new Sql92SyntaxError(t.column, `integer ${digits} is out of range (at most ±${Number.MAX_SAFE_INTEGER})`);
        return { kind: 'const', value, integer: true };
      }
      case 'float': {
        const value = Number(t.text);
        if (!Number.isFinite(value)) throw new Sql92SyntaxError(t.column, `number ${t.text} is out of range`);
        return { kind: 'const', value, integer: false };
      }
      case 'id':
        return { kind: 'prop', name: t.text };
      case 'keyword':
        if (t.text === 'TRUE' || t.text === 'FALSE') return { kind: 'const', value: t.text === 'TRUE' };
        if (t.text === 'NULL') return { kind: 'const', value: null };
        break;
      case 'op':
        if (t.text === '(') {
          const inner = this.or();
          this.expectOp(')');
          return inner;
        }
        break;
      default:
        break;
    }
    throw this.unexpected(t, 'a property name, a literal or (');
  }
}

function checkOrderOperand(n: Sql92Node, column: number): void {
  if ((n.kind === 'const' && typeof n.value !== 'number') || isBooleanNode(n)) {
    throw new Sql92SyntaxError(column, `${describe(n)} cannot be compared with > >= < <= (only numbers can)`);
  }
}

function checkEqualOperands(left: Sql92Node, right: Sql92Node, column: number): void {
  for (const n of [left, right]) {
    if (n.kind === 'const' && n.value === null) throw new Sql92SyntaxError(column, 'NULL cannot be compared with = or <> (use IS NULL / IS NOT NULL)');
  }
  if (left.kind === 'const' && right.kind === 'const' && typeof left.value === 'boolean' && typeof right.value !== 'boolean') {
    throw new Sql92SyntaxError(column, `${describe(left)} cannot be compared with ${describe(right)}`);
  }
}

function between(value: Sql92Node, low: Sql92Node, high: Sql92Node, negated: boolean, column: number): Sql92Node {
  if (low.kind === 'const' && high.kind === 'const') {
    if (low.value === null || high.value === null) throw new Sql92SyntaxError(column, 'BETWEEN bounds cannot be NULL');
    if (typeof low.value === 'number' && typeof high.value === 'number' && low.value > high.value) {
      throw new Sql92SyntaxError(column, `BETWEEN ${low.value} AND ${high.value}: the low bound must not be greater than the high bound`);
    }
  }
  for (const n of [value, low, high]) checkOrderOperand(n, column);
  // RocketMQ: x BETWEEN a AND b  ≡  x >= a AND x <= b;  NOT BETWEEN  ≡  x < a OR x > b
  return negated
    ? { kind: 'or', left: { kind: 'order', op: '<', left: value, right: low }, right: { kind: 'order', op: '>', left: value, right: high } }
    : { kind: 'and', left: { kind: 'order', op: '>=', left: value, right: low }, right: { kind: 'order', op: '<=', left: value, right: high } };
}

function describe(n: Sql92Node): string {
  if (n.kind === 'const') return n.value === null ? 'NULL' : typeof n.value === 'string' ? `'${n.value}'` : String(n.value).toUpperCase();
  if (n.kind === 'prop') return n.name;
  return 'a condition';
}
