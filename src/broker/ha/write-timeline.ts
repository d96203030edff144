/**
 * When the master's commit log reached which offset, for the last while: answers "since when has a
 * slave that acknowledged offset A been missing data?" — the time the log first grew past A.
 * Samples are coalesced to one per GRANULARITY_MILLIS and the oldest dropped past MAX_SAMPLES, so
 * it costs a few KiB whatever the write rate; an offset older than every sample reports the oldest
 * sample's time (behind at least that long).
 */
const GRANULARITY_MILLIS = 10;
const MAX_SAMPLES = 4096;

export class WriteTimeline {
  private readonly offsets: number[] = [];
  private readonly times: number[] = [];

  /** The log's written offset is now `offset`. */
  record(offset: number, now = Date.now()): void {
    const n = this.offsets.length;
    if (n > 0 && offset <= this.offsets[n - 1]!) return;
    if (n > 0 && now - this.times[n - 1]! < GRANULARITY_MILLIS) {
      this.offsets[n - 1] = offset;
      return;
    }
    this.offsets.push(offset);
    this.times.push(now);
    if (this.offsets.length > MAX_SAMPLES) {
      this.offsets.splice(0, MAX_SAMPLES / 4);
      this.times.splice(0, MAX_SAMPLES / 4);
    }
  }

  /**
   * When the log first held bytes past `acked` (ms since epoch), within GRANULARITY_MILLIS;
   * undefined when no recorded write went past it.
   */
  firstPast(acked: number): number | undefined {
    let lo = 0;
    let hi = this.offsets.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.offsets[mid]! > acked) hi = mid;
      else lo = mid + 1;
    }
    // the first sample past `acked` was started at most GRANULARITY_MILLIS before the log got there
    // (before the first sample: the log was past it already when the timeline began)
    return lo < this.offsets.length ? this.times[lo]! : undefined;
  }
}
