/**
 * A logger that lets through at most `perWindow` warn/error lines with the same message per
 * window and then one summary line per message (`… suppressed=N`), so a peer that opens
 * thousands of bad connections cannot flood the log (or fill the disk of a file-logged process).
 * debug/info lines pass untouched.
 */
import type { Logger } from './log.js';

export interface RateLimitOptions {
  perWindow?: number;
  windowMillis?: number;
  /** Test hook. */
  now?: () => number;
}

export function rateLimitedLogger(log: Logger, opts: RateLimitOptions = {}): Logger {
  const perWindow = opts.perWindow ?? 20;
  const windowMillis = opts.windowMillis ?? 60_000;
  const now = opts.now ?? Date.now;
  const counts = new Map<string, { level: 'warn' | 'error'; start: number; seen: number }>();

  const flush = (msg: string, c: { level: 'warn' | 'error'; seen: number }) => {
    if (c.seen > perWindow) log[c.level](`${msg} (repeated)`, { suppressed: c.seen - perWindow, windowMs: windowMillis });
  };
  const limited = (level: 'warn' | 'error') => (msg: string, fields?: Record<string, unknown>) => {
    const t = now();
    let c = counts.get(msg);
    if (c !== undefined && t - c.start >= windowMillis) {
      flush(msg, c);
      c = undefined;
    }
    if (c === undefined) {
      c = { level, start: t, seen: 0 };
      counts.set(msg, c);
      // Report what the window suppressed even if the flood stops.
      const entry = c;
      setTimeout(() => {
        if (counts.get(msg) === entry) {
          counts.delete(msg);
          flush(msg, entry);
        }
      }, windowMillis).unref();
    }
    c.seen++;
    if (c.seen <= perWindow) log[level](msg, fields);
  };
  return { debug: log.debug, info: log.info, warn: limited('warn'), error: limited('error'), child: (name) => rateLimitedLogger(log.child(name), opts) };
}
