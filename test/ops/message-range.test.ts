/**
 * Messages by store time (ops/message-range, the console's "time range" search) on two broker
 * groups: exactly the messages stored within the range, newest first; a range with more than
 * `max` gives the newest `max` and says it left some out; an empty range is refused.
 */
import { describe, expect, it } from 'vitest';
import { findById } from '../../src/ops/message-lookup.js';
import { findByTime } from '../../src/ops/message-range.js';
import { startCluster } from '../support/cluster.js';
import { clientsFor, createTopic } from '../support/clients.js';
import { waitFor } from '../support/wait.js';

describe('findByTime', () => {
  it('finds exactly the messages stored in the range, on every broker group, newest first', async () => {
    const c = await startCluster({ brokers: [{ name: 'broker-a' }, { name: 'broker-b' }] });
    const cl = clientsFor(c);
    const topic = 'Ranged';
    for (const b of ['broker-a', 'broker-b']) await createTopic(cl, c, c.broker(b).addr, topic, 2);
    await waitFor(async () => (await cl.admin.topicRoute(topic))?.queueDatas.length === 2, { what: 'both groups in the route' });
    const producer = cl.producer();
    const sendAll = async (prefix: string, n: number) => {
      let last = 0;
      for (let i = 0; i < n; i++) {
        const r = await producer.send({ topic, body: `${prefix}-${i}` });
        const [m] = await findById(cl, r.offsetMsgId);
        last = Math.max(last, m!.record.storeTimestamp);
      }
      return last;
    };
    const lastEarly = await sendAll('early', 6);
    // the next store time is later than every early one
    await waitFor(() => Date.now() > lastEarly + 1, { what: 'the clock to move on' });
    const boundary = Date.now();
    await sendAll('late', 5);
    const end = Date.now() + 1;

    const late = await findByTime(cl, topic, { begin: boundary, end });
    expect(late.problems).toEqual([]);
    expect(late.truncated).toBe(false);
    expect(late.messages.map((m) => m.record.body.toString()).sort()).toEqual(['late-0', 'late-1', 'late-2', 'late-3', 'late-4']);
    const times = late.messages.map((m) => m.record.storeTimestamp);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(new Set(late.messages.map((m) => m.addr)).size).toBe(2);

    const early = await findByTime(cl, topic, { begin: 0, end: boundary });
    expect(early.messages.map((m) => m.record.body.toString()).sort()).toEqual(['early-0', 'early-1', 'early-2', 'early-3', 'early-4', 'early-5']);

    const some = await findByTime(cl, topic, { begin: 0, end, max: 3 });
    expect(some.truncated).toBe(true);
    expect(some.messages.map((m) => m.record.body.toString()).every((b) => b.startsWith('late-'))).toBe(true);
    expect(some.messages).toHaveLength(3);

    await expect(findByTime(cl, topic, { begin: end, end: boundary })).rejects.toThrow(/the time range is empty/);
    await expect(findByTime(cl, 'NoSuchTopic', { begin: 0, end })).rejects.toThrow(/no route/);
  });
});
