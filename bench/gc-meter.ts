/**
 * This process's GC pauses from now until stop(): scavenges, mark-compacts and all pause time
 * (incremental marking steps and weak callbacks included). GC entries arrive asynchronously: let
 * the event loop turn before stop() after synchronous work.
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';

export interface GcCounts {
  minor: number;
  minorMs: number;
  major: number;
  majorMs: number;
  allMs: number;
}

export class GcMeter {
  private readonly counts: GcCounts = { minor: 0, minorMs: 0, major: 0, majorMs: 0, allMs: 0 };
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      this.counts.allMs += e.duration;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
        this.counts.minor++;
        this.counts.minorMs += e.duration;
      } else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        this.counts.major++;
        this.counts.majorMs += e.duration;
      }
    }
  });

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  stop(): GcCounts {
    this.observer.disconnect();
    return { ...this.counts };
  }
}
