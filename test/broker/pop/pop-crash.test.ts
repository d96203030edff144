/**
 * POP state across `kill -9` of the broker: consumers pop and ack continuously (some messages left
 * unacked on purpose), the broker is killed after a random number of acks and restarted — three
 * rounds, snapshots every 300 ms so a restart replays a snapshot plus the journal after it.
 * Checked after every restart:
 * - no message whose ack was answered OK is delivered again (the window is only acks whose answer
 *   the client never got);
 * - every message delivered and never acked is delivered again — and not before its invisible time
 *   ran out (the in-flight state came back, not just the offsets);
 * - in the end every message was acked; the group's offsets reach the end of every queue.
 */
import { describe, expect, it } from 'vitest';
import { GroupApi } from '../../../src/client/group-api.js';
import { PopApi } from '../../../src/client/pop-api.js';
import { startCluster, type PropertyValue } from '../../support/cluster.js';
import { clientsFor, createTopic } from '../../support/clients.js';
import { waitFor } from '../../support/wait.js';

const PER_ROUND = 700;
const INVISIBLE = 3_000;
const ROUNDS = 3;
const TOTAL = PER_ROUND * ROUNDS;

interface Delivery {
  seq: number;
  popTime: number;
  attempt: number;
  round: number;
}

async function crashRun(props: Record<string, PropertyValue>): Promise<void> {
  const c = await startCluster({ brokerProperties: { popJournalSnapshotInterval: 300, mappedFileSizeCommitLog: 1024 * 1024, ...props } });
  const cl = clientsFor(c);
  const broker = c.broker('broker-a');
  await createTopic(cl, c, broker.addr, 'PopCrash', 4);
  const producer = cl.producer();
  const send = async (from: number) => {
    for (let i = from; i < from + PER_ROUND; i += 50) await Promise.all(Array.from({ length: 50 }, (_, k) => producer.send({ topic: 'PopCrash', body: String(i + k) })));
  };
  const pop = new PopApi(cl.remoting, 5_000);

  const ackedOk = new Map<number, number>(); // seq -> round its ack was answered OK
  const ackUncertain = new Set<number>(); // ack sent, no answer (the broker died)
  const deliveries: Delivery[] = [];
  const lastDelivery = new Map<number, Delivery>();
  let round = 0;

  const consume = async (running: () => boolean, leaveUnacked: number) => {
    while (running()) {
      let r;
      try {
        r = await pop.pop(broker.addr, { group: 'GC', topic: 'PopCrash', invisibleMillis: INVISIBLE, maxMessages: 16, initMode: 'first', pollMillis: 200 });
      } catch {
        return; // the broker is gone
      }
      if (r.status !== 'FOUND') continue;
      for (const m of r.messages) {
        const seq = Number(m.record.body.toString());
        const d: Delivery = { seq, popTime: Number(m.extraInfo.split(' ')[1]), attempt: m.deliveryAttempt, round };
        deliveries.push(d);
        lastDelivery.set(seq, d);
        expect(ackedOk.has(seq), `message ${seq} delivered again (attempt ${m.deliveryAttempt}, round ${round}) after its ack was answered OK in round ${ackedOk.get(seq)}`).toBe(false);
        if (Math.random() < leaveUnacked) continue;
        try {
          const a = await pop.ack(broker.addr, 'GC', 'PopCrash', m.extraInfo);
          if (a.ok) ackedOk.set(seq, round);
          ackUncertain.delete(seq);
        } catch {
          ackUncertain.add(seq);
          return;
        }
      }
    }
  };

  for (round = 1; round <= ROUNDS; round++) {
    await send((round - 1) * PER_ROUND);
    const target = ackedOk.size + 150 + Math.floor(Math.random() * 300);
    let running = true;
    const loops = Array.from({ length: 4 }, () => consume(() => running, 0.1));
    await waitFor(() => ackedOk.size >= target || ackedOk.size + ackUncertain.size >= TOTAL, { timeout: 60_000, what: `${target} acks in round ${round}` });
    await broker.kill9();
    running = false;
    await Promise.all(loops);
    // in flight at the kill: delivered, never acked (nor an ack attempted)
    const inFlight = [...lastDelivery.values()].filter((d) => !ackedOk.has(d.seq) && !ackUncertain.has(d.seq));
    await broker.start();

    // consume (acking everything) until each of them came back
    running = true;
    const back = new Map<number, Delivery>();
    const before = deliveries.length;
    const loops2 = Array.from({ length: 4 }, () => consume(() => running, 0.1));
    await waitFor(
      () => {
        for (const d of deliveries.slice(before)) if (!back.has(d.seq)) back.set(d.seq, d);
        return inFlight.every((d) => back.has(d.seq));
      },
      { timeout: 60_000, what: `the ${inFlight.length} messages in flight at the kill of round ${round} delivered again` },
    );
    running = false;
    await Promise.all(loops2);
    for (const d of inFlight) {
      const again = back.get(d.seq);
      expect(again, `message ${d.seq} in flight at the kill was not delivered again`).toBeDefined();
      // still invisible until its time ran out: the restart kept the delivery
      expect(again!.popTime, `message ${d.seq} came back before its invisible time ran out`).toBeGreaterThanOrEqual(d.popTime + INVISIBLE);
      // attempt counted; one more when a pop the kill cut off had delivered it again without the client hearing
      expect(again!.attempt).toBeGreaterThanOrEqual(d.attempt + 1);
    }
  }

  // finish: everything acked exactly as far as the broker knows
  let running = true;
  const loops = Array.from({ length: 4 }, () => consume(() => running, 0));
  // uncertain acks were stored (never delivered again) or not (delivered again, acked now): either way the group ends at the queues' ends
  await waitFor(async () => (await new GroupApi(cl.remoting).consumeStats(broker.addr, 'GC', 'PopCrash')).queues.every((q) => q.consumerOffset === q.brokerOffset), { timeout: 60_000, what: `the group offsets at the queue ends (${ackedOk.size} acked)` });
  running = false;
  await Promise.all(loops);
  expect(new Set([...ackedOk.keys(), ...ackUncertain]).size).toBe(TOTAL);
}

describe('POP state across kill -9', () => {
  it('ASYNC_FLUSH: acked stays acked, unacked comes back after its invisible time', async () => {
    await crashRun({});
  }, 240_000);

  it('SYNC_FLUSH: the same', async () => {
    await crashRun({ flushDiskType: 'SYNC_FLUSH' });
  }, 240_000);
});
