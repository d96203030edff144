/**
 * The tables bench/scale prints, and its growth check: for a curve measured at growing sizes
 * (1 → 100 → 10,000 topics…), a cost that should grow at most linearly is flagged when its cost
 * per unit grows between two steps (more than `SUPERLINEAR` times), and a rate that should stay
 * flat is flagged when it falls below `FLAT` of the first step's.
 */

/** Per-unit cost growing more than this between steps is flagged. */
export const SUPERLINEAR = 1.5;
/** A rate falling below this fraction of the smallest step's is flagged. */
export const FLAT = 0.7;

export interface Column<R> {
  title: string;
  value: (r: R) => number | string | undefined;
  /** Digits after the point (numbers); default 0. */
  digits?: number;
  /**
   * 'linear': the value should grow at most in proportion to the step's size (memory, bytes, time);
   * 'flat': a rate that should not fall as the size grows; 'constant': a cost per operation that
   * should not rise. Checked between consecutive steps (linear) or against the first step.
   */
  growth?: 'linear' | 'flat' | 'constant';
}

export interface Finding {
  column: string;
  from: number;
  to: number;
  /** linear: how many times the per-unit cost grew; flat: the rate as a fraction of the first step's. */
  factor: number;
  text: string;
}

const fmt = (v: number | string | undefined, digits = 0): string => {
  if (v === undefined) return '-';
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return '-';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
};

/** Columns whose `growth` rule the measured steps break. `size(r)` is the step's size (topics, connections, groups). */
export function checkGrowth<R>(rows: readonly R[], size: (r: R) => number, columns: readonly Column<R>[]): Finding[] {
  const out: Finding[] = [];
  for (const c of columns) {
    if (c.growth === undefined) continue;
    for (let i = 1; i < rows.length; i++) {
      const a = rows[i - 1]!;
      const b = rows[i]!;
      const va = c.value(a);
      const vb = c.value(b);
      if (typeof va !== 'number' || typeof vb !== 'number' || !Number.isFinite(va) || !Number.isFinite(vb)) continue;
      if (c.growth === 'linear') {
        // per-unit cost; a fixed part (what a size-0 step would cost) is not known, so only growth of the per-unit cost counts
        const per = (v: number, r: R) => v / Math.max(1, size(r));
        const factor = per(va, a) > 0 ? per(vb, b) / per(va, a) : 0;
        if (factor > SUPERLINEAR) out.push({ column: c.title, from: size(a), to: size(b), factor, text: `${c.title}: cost per unit grew ${factor.toFixed(1)}× from ${fmt(size(a))} to ${fmt(size(b))} (faster than linear)` });
      } else if (c.growth === 'constant') {
        const first = c.value(rows[0]!);
        if (typeof first !== 'number' || !(first > 0) || i !== rows.length - 1) continue;
        const factor = vb / first;
        if (factor > SUPERLINEAR) out.push({ column: c.title, from: size(rows[0]!), to: size(b), factor, text: `${c.title}: ${factor.toFixed(1)}× its value at ${fmt(size(rows[0]!))} when at ${fmt(size(b))}` });
      } else {
        const first = c.value(rows[0]!);
        if (typeof first !== 'number' || !(first > 0)) continue;
        const factor = vb / first;
        if (factor < FLAT) out.push({ column: c.title, from: size(rows[0]!), to: size(b), factor, text: `${c.title}: ${(factor * 100).toFixed(0)} % of its value at ${fmt(size(rows[0]!))} when at ${fmt(size(b))}` });
      }
    }
  }
  return out;
}

/** A right-aligned text table. */
export function table<R>(rows: readonly R[], columns: readonly Column<R>[]): string[] {
  const cells = rows.map((r) => columns.map((c) => fmt(c.value(r), c.digits)));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padStart(widths[i]!)).join('  ');
  return [line(columns.map((c) => c.title)), ...cells.map(line)];
}
