import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/util/log.js';
import { rateLimitedLogger } from '../../src/util/log-rate-limit.js';

describe('rateLimitedLogger', () => {
  it('lets the first lines of a message through per window, then says how many it dropped', () => {
    const lines: string[] = [];
    let t = 0;
    const log = rateLimitedLogger(createLogger('x', { write: (l) => lines.push(l) }), { perWindow: 3, windowMillis: 1000, now: () => t });
    for (let i = 0; i < 10; i++) log.warn('closing connection', { i });
    log.warn('other message');
    log.info('info is never limited');
    expect(lines.filter((l) => l.includes('closing connection'))).toHaveLength(3);
    t = 1000;
    log.warn('closing connection', { i: 10 });
    const tail = lines.slice(-2);
    expect(tail[0]).toMatch(/WARN .*closing connection \(repeated\) suppressed=7 windowMs=1000/);
    expect(tail[1]).toMatch(/closing connection i=10/);
    expect(lines.some((l) => l.includes('other message'))).toBe(true);
    expect(lines.some((l) => l.includes('info is never limited'))).toBe(true);
  });
});
