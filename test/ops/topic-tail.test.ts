/**
 * tailTopic against a real broker: the next pull goes out when an answer arrives, before its
 * records are delivered (the broker reads — or holds — the next batch meanwhile), one pull in
 * flight per queue; every record is delivered once and in queue order; a delivery that throws gets
 * its batch again (nothing is skipped).
 */
import { describe, expect, it } from 'vitest';
import { tailTopic } from '../../src/ops/topic-tail.js';
import { startCluster } from '../support/cluster.js';
import { clientsFor, createTopic } from '../support/clients.js';
import { waitFor } from '../support/wait.js';

describe('tailTopic', () => {
  it('pulls again while a busy consumer holds the delivery, and delivers everything once, in order', async () => {
    const c = await startCluster();
    const cl = clientsFor(c);
    const addr = c.broker('broker-a').addr;
    await createTopic(cl, c, addr, 'TailAhead', 1);
    const p = cl.producer();
    for (let i = 0; i < 3; i++) await p.send({ topic: 'TailAhead', body: `m${i}` });

    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const got: string[] = [];
    const pulls: number[] = [];
    const ac = new AbortController();
    const done = tailTopic(cl, {
      topic: 'TailAhead',
      from: 'beginning',
      signal: ac.signal,
      suspendMillis: 20_000,
      onPull: (_q, _s, r) => pulls.push(r.nextBeginOffset),
      onMessage: (rec) => {
        got.push(rec.body.toString());
        return rec.body.toString() === 'm0' ? gate : undefined;
      },
    });
    try {
      await waitFor(async () => got.length === 1, { what: 'the first record' });
      // delivery of m0 is held; the pull after the first answer (offset 3, the queue's end) is already parked at the broker
      await waitFor(async () => (await cl.brokers.runtimeInfo(addr)).pullHoldRequests === '1', { what: 'the next pull to be held while m0 is being delivered' });
      expect(got).toEqual(['m0']);
      expect(pulls).toEqual([3]);
      await p.send({ topic: 'TailAhead', body: 'm3' });
      release();
      await waitFor(async () => got.length === 4, { what: 'every record' });
      expect(got).toEqual(['m0', 'm1', 'm2', 'm3']);
      expect(pulls).toEqual([3, 4]);
    } finally {
      ac.abort();
      cl.remoting.shutdown();
      await done;
    }
  });

  it('delivers a batch again when a delivery throws', async () => {
    const c = await startCluster();
    const cl = clientsFor(c);
    const addr = c.broker('broker-a').addr;
    await createTopic(cl, c, addr, 'TailRetry', 1);
    const p = cl.producer();
    for (let i = 0; i < 3; i++) await p.send({ topic: 'TailRetry', body: `m${i}` });
    const got: string[] = [];
    const errors: string[] = [];
    let thrown = false;
    const ac = new AbortController();
    const done = tailTopic(cl, {
      topic: 'TailRetry',
      from: 'beginning',
      signal: ac.signal,
      onError: (_q, e) => errors.push(e.message),
      onMessage: (rec) => {
        const body = rec.body.toString();
        if (body === 'm1' && !thrown) {
          thrown = true;
          throw new Error('consumer failed on m1');
        }
        got.push(body);
      },
    });
    try {
      await waitFor(async () => got.includes('m2'), { what: 'the batch delivered again' });
      expect(errors).toEqual(['consumer failed on m1']);
      expect(got).toEqual(['m0', 'm0', 'm1', 'm2']);
    } finally {
      ac.abort();
      cl.remoting.shutdown();
      await done;
    }
  });
});
