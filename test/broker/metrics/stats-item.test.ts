/** Java StatsItem windows: seeded with a zero snapshot, the minute keeps 7 ten-second samples, sum/tps/avgpt between first and last. */
import { describe, expect, it } from 'vitest';
import { StatsItem } from '../../../src/broker/metrics/stats-item.js';

describe('StatsItem', () => {
  it('counts everything added before the first sample, then slides over the last minute', () => {
    const it1 = new StatsItem();
    expect(it1.inMinute()).toEqual({ sum: 0, tps: 0, avgpt: 0, times: 0 });
    it1.add(30, 3); // three sends of 10 messages
    it1.sampleSeconds(100_000);
    // the seed snapshot sits 10 s before the first sample
    expect(it1.inMinute()).toEqual({ sum: 30, tps: 3, avgpt: 10, times: 3 });
    for (let i = 1; i <= 8; i++) {
      it1.add(10, 1);
      it1.sampleSeconds(100_000 + i * 10_000);
    }
    // 7 samples kept: the window spans 60 s, 6 additions of 10
    expect(it1.inMinute()).toEqual({ sum: 60, tps: 1, avgpt: 10, times: 6 });
    expect(it1.inHour().sum).toBe(0);
    it1.sampleMinutes(200_000);
    expect(it1.inHour()).toMatchObject({ sum: 110, times: 11 });
  });
});
