/**
 * SQL92 property filters (`MessageSelector.bySql("a > 5 AND b = 'x'")`, expression type SQL92):
 * compiled once per subscription, evaluated per message against its properties (user properties
 * and the system ones: TAGS, KEYS, ...). Evaluation is three-valued as in RocketMQ: a missing
 * property is NULL, a comparison with NULL is NULL (unknown), `AND`/`OR`/`NOT` follow SQL's rules,
 * and a message matches only when the whole expression is TRUE.
 *
 * Types: property values are strings; compared with a number or a boolean, the string is read as
 * that type (RocketMQ's CONVERT_STRING_EXPRESSIONS) — an integer constant wants integer text
 * ("10", "+10", not "10.5"), a decimal constant any decimal text; text that does not convert makes
 * the comparison unknown (RocketMQ throws and the message does not match: the same outcome). Two
 * strings compared with > >= < <= are both read as decimals. Numbers are JavaScript numbers: exact
 * up to ±2^53 (RocketMQ's longs go to 2^63).
 */
import { parseSql92, type Sql92Node } from './sql92-parser.js';

export { Sql92SyntaxError } from './sql92-lexer.js';

/** A property by name, undefined when the message has none. */
export type PropertyLookup = (name: string) => string | undefined;

export interface Sql92Filter {
  readonly expression: string;
  /** True when the expression is TRUE for the message. */
  matches(property: PropertyLookup): boolean;
}

/** Compiles an expression; throws Sql92SyntaxError naming the column of the first mistake. */
export function compileSql92(expression: string): Sql92Filter {
  const root = parseSql92(expression);
  return { expression, matches: (property) => evaluate(root, property) === true };
}

type Value = string | number | boolean | null;
/** Numbers carry whether they are integers (conversions of strings depend on it). */
type Typed = { v: Value; integer?: boolean };

const INTEGER_TEXT = /^[+-]?\d+$/;
// Java Double.valueOf: surrounding white space allowed, optional f/d suffix, NaN and Infinity
const DECIMAL_TEXT = /^[+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFdD]?)$/;

function toNumber(s: string, integer: boolean): number | undefined {
  if (integer) {
    if (!INTEGER_TEXT.test(s)) return undefined;
    const n = Number(s);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  const t = s.trim();
  if (!DECIMAL_TEXT.test(t)) return undefined;
  return Number(t.replace(/[fFdD]$/, ''));
}

function value(n: Sql92Node, property: PropertyLookup): Typed {
  switch (n.kind) {
    case 'const':
      return 'integer' in n ? { v: n.value, integer: n.integer } : { v: n.value };
    case 'prop':
      return { v: property(n.name) ?? null };
    case 'neg': {
      const o = value(n.operand, property);
      return typeof o.v === 'number' ? { v: -o.v, integer: o.integer ?? false } : { v: null };
    }
    default:
      return { v: evaluate(n, property) };
  }
}

/**
 * Both sides as one comparable kind: -1/0/1, or undefined when they cannot be compared (unknown).
 * A string meets the other side's type; numbers compare as numbers; strings as UTF-16 code units
 * (Java's compareTo); false < true.
 */
function compare(a: Typed, b: Typed): number | undefined {
  let x = a.v;
  let y = b.v;
  if (typeof x === 'string' && typeof y === 'number') x = toNumber(x, b.integer === true) ?? null;
  else if (typeof y === 'string' && typeof x === 'number') y = toNumber(y, a.integer === true) ?? null;
  else if (typeof x === 'string' && typeof y === 'boolean') x = x.toLowerCase() === 'true';
  else if (typeof y === 'string' && typeof x === 'boolean') y = y.toLowerCase() === 'true';
  if (x === null || y === null || typeof x !== typeof y) return undefined;
  if (typeof x === 'number' && Number.isNaN(x) !== Number.isNaN(y as number)) return undefined;
  return x < (y as typeof x) ? -1 : x > (y as typeof x) ? 1 : 0;
}

function evaluate(n: Sql92Node, property: PropertyLookup): boolean | null {
  switch (n.kind) {
    case 'and': {
      const l = evaluate(n.left, property);
      if (l === false) return false;
      const r = evaluate(n.right, property);
      if (r === false) return false;
      return l === null || r === null ? null : true;
    }
    case 'or': {
      const l = evaluate(n.left, property);
      if (l === true) return true;
      const r = evaluate(n.right, property);
      if (r === true) return true;
      return l === null || r === null ? null : false;
    }
    case 'not': {
      const o = evaluate(n.operand, property);
      return o === null ? null : !o;
    }
    case 'bool': {
      const o = value(n.operand, property).v;
      return o === null ? null : o === true;
    }
    case 'eq': {
      const l = value(n.left, property);
      const r = value(n.right, property);
      // RocketMQ: NULL = NULL is TRUE (that is IS NULL); NULL on one side only: unknown on the
      // left, FALSE on the right
      if (l.v === null || r.v === null) return l.v === null && r.v === null ? true : l.v === null ? null : false;
      if (l.v === r.v) return true;
      const c = compare(l, r);
      return c === undefined ? false : c === 0;
    }
    case 'order': {
      let l = value(n.left, property);
      let r = value(n.right, property);
      if (l.v === null || r.v === null) return null;
      if (typeof l.v === 'string' && typeof r.v === 'string') {
        const ln = toNumber(l.v, false);
        const rn = toNumber(r.v, false);
        if (ln === undefined || rn === undefined) return null;
        l = { v: ln };
        r = { v: rn };
      }
      const c = compare(l, r);
      if (c === undefined) return null;
      return n.op === '>' ? c > 0 : n.op === '>=' ? c >= 0 : n.op === '<' ? c < 0 : c <= 0;
    }
    case 'in': {
      const o = value(n.operand, property).v;
      if (typeof o !== 'string') return null;
      return n.values.has(o) !== n.negated;
    }
    case 'text': {
      const o = value(n.operand, property).v;
      if (typeof o !== 'string' || n.search === '') return false;
      const hit = n.op === 'CONTAINS' ? o.includes(n.search) : n.op === 'STARTSWITH' ? o.startsWith(n.search) : o.endsWith(n.search);
      return hit !== n.negated;
    }
    case 'const':
      return typeof n.value === 'boolean' ? n.value : null;
    case 'prop':
    case 'neg':
      return null;
  }
}
