/**
 * SQL92 property filters: the grammar and the three-valued evaluation, table-driven. Properties
 * are strings, as they are on a message. Expected values follow RocketMQ's filter module
 * (SelectorParser.jj, ComparisonExpression, LogicExpression, UnaryExpression; its ExpressionTest).
 */
import { describe, expect, it } from 'vitest';
import { compileSql92, Sql92SyntaxError } from '../../../src/protocol/filter/sql92.js';

const props: Record<string, string> = {
  a: '10',
  b: 'x',
  f: '3.5',
  t: 'true',
  neg: '-4',
  big: '9007199254740991',
  word: 'axb',
  TAGS: 'TagA',
  empty: '',
  notnum: 'abc',
};
const lookup = (name: string) => props[name];
const matches = (expr: string) => compileSql92(expr).matches(lookup);

describe('SQL92 filters: what matches', () => {
  const cases: [string, boolean][] = [
    // comparisons: the property's text read as the constant's type
    ['a = 10', true],
    ['a = 11', false],
    ['a <> 11', true],
    ['a > 5', true],
    ['a >= 10', true],
    ['a < 10', false],
    ['a <= 10.0', true],
    ['f > 3', false], // integer constant: "3.5" is not integer text — unknown, as RocketMQ (it throws)
    ['f > 3.0', true],
    ['f < 3.6', true],
    ['neg < 0', true],
    ['neg = -4', true],
    ['-a = -10', false], // negating a string property is NULL (RocketMQ negates numbers only)
    ['big = 9007199254740991', true],
    ["b = 'x'", true],
    ["b = 'y'", false],
    ["b <> 'y'", true],
    ["TAGS = 'TagA'", true],
    ['t = TRUE', true],
    ['t = FALSE', false],
    ["empty = ''", true],
    // BETWEEN / IN / text operators
    ['a BETWEEN 5 AND 10', true],
    ['a BETWEEN 11 AND 20', false],
    ['a NOT BETWEEN 11 AND 20', true],
    ["b IN ('x', 'y')", true],
    ["b NOT IN ('x', 'y')", false],
    ["TAGS IN ('TagA','TagB')", true],
    ["word CONTAINS 'x'", true],
    ["word STARTSWITH 'ax'", true],
    ["word ENDSWITH 'xb'", true],
    ["word NOT CONTAINS 'x'", false],
    ["word NOT STARTSWITH 'b'", true],
    ["word CONTAINS ''", false],
    ["word NOT CONTAINS ''", false],
    // NULL semantics: a missing property is NULL; comparisons with it are unknown
    ['missing IS NULL', true],
    ['a IS NULL', false],
    ['a IS NOT NULL', true],
    ['missing IS NOT NULL', false],
    ['missing = 1', false],
    ['missing <> 1', false], // NOT(unknown) is unknown
    ['missing > 1', false],
    ['NOT (missing > 1)', false],
    ["missing IN ('x')", false],
    ["missing NOT IN ('x')", false],
    ["missing CONTAINS 'x'", false],
    ["missing NOT CONTAINS 'x'", false],
    ['missing BETWEEN 1 AND 2', false],
    // AND / OR / NOT with unknowns (SQL's three-valued logic)
    ['missing > 1 OR a = 10', true],
    ['missing > 1 AND a = 10', false],
    ['NOT (missing > 1 AND a = 11)', true], // unknown AND false = false; NOT false = true
    ['NOT (missing > 1 OR a = 11)', false], // unknown OR false = unknown
    ["(a > 5 AND b = 'x') OR missing IS NOT NULL", true],
    ["a > 5 AND b = 'x' AND f > 3.0 AND t = TRUE", true],
    ['TRUE', true],
    ['FALSE', false],
    ['NOT FALSE', true],
    ['t', false], // a property used as a condition: it is a string, not the boolean TRUE
    // text that does not convert: unknown, never a crash
    ['notnum > 1', false],
    ['notnum = 1', false],
    ['notnum > b', false], // two strings with > are read as decimals: "abc" is none
    // case-insensitive keywords, comments, string escapes
    ["a > 5 and b = 'x' -- trailing comment\n", true],
    ["/* block */ b = 'x'", true],
    ["word = 'a''b'", false],
    ['a = 10L', true],
    ['a = 1e1', true],
    ['f = .35E1', true],
  ];
  for (const [expr, expected] of cases) {
    it(`${JSON.stringify(expr)} → ${expected}`, () => expect(matches(expr)).toBe(expected));
  }
  it('has at least 40 cases', () => expect(cases.length).toBeGreaterThanOrEqual(40));
});

describe('SQL92 filters: refused expressions name the column of the mistake', () => {
  const bad: [string, number, RegExp][] = [
    ['', 1, /empty expression/],
    ['a >', 4, /unexpected end of expression/],
    ['a > > 5', 5, /unexpected '>'/],
    ["a = 'open", 5, /unterminated string/],
    ['a == 5', 4, /unexpected '='/],
    ['a != 5', 3, /unexpected character "!"/],
    ["a > 'x'", 3, /'x' cannot be compared with > >= < <=/],
    ['a > TRUE', 3, /TRUE cannot be compared/],
    ['a = NULL', 3, /NULL cannot be compared with = or <>/],
    ["TRUE = 'x'", 6, /TRUE cannot be compared with 'x'/],
    ["'x' IN ('x')", 5, /IN needs a property/],
    ['b IN (1, 2)', 7, /expected a string literal/],
    ['a BETWEEN 10 AND 5', 3, /low bound must not be greater/],
    ["word CONTAINS x", 15, /expected a string literal/],
    ['(a > 5', 7, /expected '\)'/],
    ['a > 5 b', 7, /expected AND, OR or the end/],
    ['a NOT 5', 3, /unexpected 'NOT' \(expected AND, OR or the end/],
    ['a > 5 -- comment without a line break', 7, /comment must end with a line break/],
    ['a = 99999999999999999999', 5, /out of range/],
  ];
  for (const [expr, column, message] of bad) {
    it(`${JSON.stringify(expr)} at column ${column}`, () => {
      let err: unknown;
      try {
        compileSql92(expr);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(Sql92SyntaxError);
      expect((err as Sql92SyntaxError).column).toBe(column);
      expect((err as Error).message).toMatch(message);
    });
  }
});
