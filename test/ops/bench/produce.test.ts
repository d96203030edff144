/** Finding 9 of #21: bench produce reported a last ~1 ms interval (with an absurd TPS). */
import { describe, expect, it } from 'vitest';
import { benchProduce } from '../../../src/ops/bench/produce.js';
import type { Producer } from '../../../src/client/producer.js';

/** A producer whose sends take `ms` each (the benchmark only awaits send). */
const slowProducer = (ms: number) => ({ send: () => new Promise((r) => setTimeout(() => r({ sendStatus: 'SEND_OK' }), ms)) }) as unknown as Producer;

describe('benchProduce intervals', () => {
  it('leaves out a final partial interval shorter than half an interval; the summary counts every send', async () => {
    // one send of 120 ms, 100 ms intervals: the tail after the first interval is ~20 ms
    const s = await benchProduce(slowProducer(120), { topic: 'T', threads: 1, messageSize: 8, count: 1, reportIntervalMillis: 100 });
    expect(s.sendTotal).toBe(1);
    expect(s.intervals.length).toBeGreaterThanOrEqual(1);
    for (const iv of s.intervals) expect(iv.seconds).toBeGreaterThanOrEqual(0.05);
    expect(Math.max(...s.intervals.map((iv) => iv.sendTps))).toBeLessThanOrEqual(1);
  });
});
