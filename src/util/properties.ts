import { parseLines } from 'dot-properties';

/** One `key=value` entry of a Java-style .properties file, with where it was written. */
export interface PropertyEntry {
  key: string;
  value: string;
  /** 1-based line of the key. */
  line: number;
}

/**
 * Parses a Java .properties text (the format RocketMQ's broker.conf / namesrv.conf use) into its
 * entries in file order, with line numbers so configuration errors can point at the line.
 * Escapes and continuation lines follow java.util.Properties (via dot-properties).
 */
export function parseProperties(text: string): PropertyEntry[] {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const lineOf = (offset: number): number => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const out: PropertyEntry[] = [];
  for (const node of parseLines(text, true)) {
    if (node.type !== 'PAIR') continue;
    const pair = node as unknown as { key: string; value: string; range: [number, number, number, number] };
    out.push({ key: pair.key, value: pair.value, line: lineOf(pair.range[0]) });
  }
  return out;
}

/** Convenience: the last value written for each key (later lines win, as in java.util.Properties). */
export function propertiesToMap(entries: readonly PropertyEntry[]): Map<string, PropertyEntry> {
  const m = new Map<string, PropertyEntry>();
  for (const e of entries) m.set(e.key, e);
  return m;
}
