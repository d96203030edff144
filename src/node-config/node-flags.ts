/**
 * Node/V8 flags rmqd runs with (deploy puts them on each unit's command line; the benches use the
 * same). Why: at a steady 5,000 msg/s a broker's live heap is ~10 MB, and V8 sized its old
 * generation so tightly to that that it ran 4–5 mark-compact collections a second (2–10 ms each,
 * "GC in old space requested") — the broker's latency tail. A 256 MB initial old generation lets
 * scavenges take the churn: one mark-compact in 20 s, end-to-end p99 about halved
 * (docs/guide/benchmarks.md, "Against peers", row 3). A 16 MB semi-space from the start (V8's
 * ceiling; it shrinks the young generation when little survives, and a broker's garbage barely
 * does): scavenges cost ~0.6 ms each almost regardless of what survives, so half as many of them
 * at 5,000 msg/s take a third less pause time — row 3's acknowledgement p99 0.89x
 * (docs/guide/benchmarks.md, "Row 3: which pauses the slowest acknowledgements overlap"); +5 MiB RSS at idle.
 * The NameServer allocates little and needs none.
 */
export const RUNTIME_NODE_FLAGS = {
  broker: ['--initial-old-space-size=256', '--min-semi-space-size=16'],
  namesrv: [],
} as const satisfies Record<'broker' | 'namesrv', readonly string[]>;
