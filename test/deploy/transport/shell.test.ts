import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shJoin, shQuote, shScript } from '../../../src/deploy/transport/shell.js';

/** What the real shell makes of our quoted words: `sh -c 'printf %s <quoted>'` (dash on Debian, and bash). */
function throughShell(shell: string, quoted: string): string {
  return execFileSync(shell, ['-c', `printf %s ${quoted}`], { encoding: 'buffer' }).toString('utf8');
}

/** Many quoted words through one shell run: each printed with a NUL after it (no word holds NUL). */
function manyThroughShell(shell: string, quoted: string[]): string[] {
  const out = execFileSync(shell, ['-c', `printf '%s\\0' ${quoted.join(' ')}`], { encoding: 'buffer' }).toString('utf8');
  return out.split('\0').slice(0, -1);
}

describe('shQuote', () => {
  // One shell per run of 32 strings, not one per string: spawning from a loaded test worker took
  // up to 0.4 s a process, and 200 spawns ran past the test timeout.
  it('any string without NUL comes back byte for byte through sh -c and bash -c', () => {
    const word = fc.string({ unit: 'binary', maxLength: 64 }).filter((s) => !s.includes('\0'));
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 32 }), (words) => {
        const quoted = words.map(shQuote);
        expect(manyThroughShell('sh', quoted)).toEqual(words);
        expect(manyThroughShell('bash', quoted)).toEqual(words);
      }),
      { numRuns: 25 },
    );
  });

  it('the nasty cases, explicitly', () => {
    for (const s of ['', "'", "''", '$(touch /tmp/pwned)', '`id`', 'a b\tc\nd', '*', '~root', '-n', '\\', '"$HOME"', "it's", '!$', '%s']) {
      expect(throughShell('sh', shQuote(s))).toBe(s);
    }
  });

  it('leaves plain words readable and quotes the rest', () => {
    expect(shQuote('/opt/rmqctl/current')).toBe('/opt/rmqctl/current');
    expect(shQuote('rmq-c1-broker-a-0.service')).toBe('rmq-c1-broker-a-0.service');
    expect(shQuote('a b')).toBe("'a b'");
    expect(shQuote("it's")).toBe("'it'\\''s'");
    expect(shQuote('')).toBe("''");
  });

  it('refuses NUL, which no shell argument can carry', () => {
    expect(() => shQuote('a\0b')).toThrow(/NUL/);
  });

  it('shJoin keeps an argv an argv, and shScript passes values as positional parameters', () => {
    const argv = ['printf', '%s|', 'a b', "c'd", '$x', ''];
    expect(execFileSync('sh', ['-c', shJoin(argv)], { encoding: 'utf8' })).toBe("a b|c'd|$x||");
    const script = shScript('printf "%s|" "$@"', ['one two', '$(id)']);
    expect(execFileSync('sh', ['-c', shJoin(script)], { encoding: 'utf8' })).toBe('one two|$(id)|');
  });
});
