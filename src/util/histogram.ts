/**
 * A latency histogram with bounded memory and about 1 % resolution: values (microseconds) go into
 * buckets 1 µs wide below 1 ms, 10 µs wide below 100 ms, 1 ms wide below 10 s, and above that
 * buckets 1 % wider each (to about 17 days; longer values count as that). Percentiles are read
 * from the bucket counts, never above the largest value seen.
 */
const FINE = 1_000; // < 1 ms: 1 µs buckets
const MID = 100_000; // < 100 ms: 10 µs buckets
const COARSE = 10_000_000; // < 10 s: 1 ms buckets
const N_FINE = FINE;
const N_MID = (MID - FINE) / 10;
const N_COARSE = (COARSE - MID) / 1_000;
const GROWTH = 1.01; // ≥ 10 s: each bucket 1 % wider than the one before
const N_LOG = 1_200; // 10 s × 1.01^1200 ≈ 17 days
const LN_GROWTH = Math.log(GROWTH);

export class LatencyHistogram {
  private readonly counts = new Float64Array(N_FINE + N_MID + N_COARSE + N_LOG);
  count = 0;
  sumMicros = 0;
  maxMicros = 0;

  record(micros: number): void {
    const v = micros < 0 ? 0 : micros;
    this.count++;
    this.sumMicros += v;
    if (v > this.maxMicros) this.maxMicros = v;
    let i: number;
    if (v < FINE) i = Math.floor(v);
    else if (v < MID) i = N_FINE + Math.floor((v - FINE) / 10);
    else if (v < COARSE) i = N_FINE + N_MID + Math.floor((v - MID) / 1_000);
    else i = N_FINE + N_MID + N_COARSE + Math.min(N_LOG - 1, Math.floor(Math.log(v / COARSE) / LN_GROWTH));
    this.counts[i] = (this.counts[i] as number) + 1;
  }

  /** Upper edge of the bucket holding the p-quantile (0 < p ≤ 1), in microseconds; 0 when empty. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.ceil(p * this.count);
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i] as number;
      if (seen >= rank) return Math.min(this.maxMicros, LatencyHistogram.upperEdge(i));
    }
    return this.maxMicros;
  }

  get meanMicros(): number {
    return this.count === 0 ? 0 : this.sumMicros / this.count;
  }

  private static upperEdge(i: number): number {
    if (i < N_FINE) return i + 1;
    if (i < N_FINE + N_MID) return FINE + (i - N_FINE + 1) * 10;
    if (i < N_FINE + N_MID + N_COARSE) return MID + (i - N_FINE - N_MID + 1) * 1_000;
    return COARSE * GROWTH ** (i - N_FINE - N_MID - N_COARSE + 1);
  }
}
