import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shJoin, shQuote, shScript } from '../../../src/deploy/transport/shell.js';

/** What the real shell makes of our quoted words: `sh -c 'printf %s <quoted>'` (dash on Debian, and bash). */
function throughShell(shell: string, quoted: string): string {
  return execFileSync(shell, ['-c', `printf %s ${quoted}`], { encoding: 'buffer' }).toString('utf8');
}

describe('shQuote', () => {
  it('any string without NUL comes back byte for byte through sh -c and bash -c', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }).filter((s) => !s.includes('\0')), (s) => {
        const q = shQuote(s);
        expect(throughShell('sh', q)).toBe(s);
        expect(throughShell('bash', q)).toBe(s);
      }),
      { numRuns: 100 },
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
