import { describe, expect, it } from 'vitest';
import { pullTarget, subscribeTarget } from '../../src/client/pull-target.js';
import type { TopicRouteData } from '../../src/protocol/route.js';

const route = (addrs: Record<string, string>): TopicRouteData => ({
  orderTopicConf: undefined,
  queueDatas: [{ brokerName: 'b', readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 }],
  brokerDatas: [{ cluster: 'c', brokerName: 'b', brokerAddrs: addrs }],
  filterServerTable: {},
} as unknown as TopicRouteData);

describe('pullTarget', () => {
  it('follows the suggested broker id, the next slave when it is gone, else the lowest id', () => {
    const r = route({ '0': 'm:10911', '1': 's1:10911', '2': 's2:10911' });
    expect(pullTarget(r, 'b')).toEqual({ addr: 'm:10911', brokerId: 0 });
    expect(pullTarget(r, 'b', 1)).toEqual({ addr: 's1:10911', brokerId: 1 });
    expect(pullTarget(route({ '0': 'm:10911', '2': 's2:10911' }), 'b', 1)).toEqual({ addr: 's2:10911', brokerId: 2 });
    expect(pullTarget(route({ '1': 's1:10911' }), 'b', 0)).toEqual({ addr: 's1:10911', brokerId: 1 });
    expect(pullTarget(r, 'other')).toBeUndefined();
    expect(pullTarget(route({}), 'b')).toBeUndefined();
  });

  it('answers from each route object as it is: a route read again with another address is followed', () => {
    const before = route({ '0': 'old:10911' });
    expect(pullTarget(before, 'b')?.addr).toBe('old:10911');
    expect(pullTarget(before, 'b')?.addr).toBe('old:10911');
    const after = route({ '0': 'new:10911', '1': 's:10911' });
    expect(pullTarget(after, 'b')?.addr).toBe('new:10911');
    expect(pullTarget(after, 'b', 1)?.addr).toBe('s:10911');
  });

  it('subscribeTarget skips ids that are not broker ids', () => {
    expect(subscribeTarget(new Map([[Number.NaN, 'x'], [3, 'y']]), 0)).toEqual({ addr: 'y', brokerId: 3 });
  });
});
