// Preload (`node --require bench/gc-timeline.cjs`) for bench diagnostics: appends every GC pause of
// this process to the file named by RMQ_GC_TIMELINE as lines "startEpochMs durationMs kind", on the
// wall clock (performance.timeOrigin + startTime), so bench/stages can line them up with its own
// messages' timings across processes.
'use strict';
const file = process.env.RMQ_GC_TIMELINE;
if (file) {
  const { appendFileSync } = require('node:fs');
  const { PerformanceObserver, performance, constants } = require('node:perf_hooks');
  const kinds = { [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor', [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major', [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental', [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb' };
  new PerformanceObserver((list) => {
    let out = '';
    for (const e of list.getEntries()) out += `${(performance.timeOrigin + e.startTime).toFixed(3)} ${e.duration.toFixed(3)} ${kinds[e.detail?.kind] ?? e.detail?.kind}\n`;
    appendFileSync(file, out);
  }).observe({ entryTypes: ['gc'] });
}
