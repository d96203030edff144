/**
 * Crash test of the broker process: SYNC_FLUSH, a producer sending continuously (32 in flight)
 * and logging every acknowledged message, the broker killed with `kill -9` after a random number
 * of acknowledgements, restarted — six rounds. After each restart:
 * - every acknowledged message is served by pull, at the queue and offset its ack named, with
 *   the same body and properties, and VIEW_MESSAGE_BY_ID of its offsetMsgId gives the same record;
 * - everything served is whole: consecutive queue offsets, records that decode with a correct
 *   body CRC, each one a message the producer really sent (unacknowledged ones may or may not be there).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { recordsOf } from '../../src/client/broker-api.js';
import { splitRecords } from '../../src/ops/message-lookup.js';
import type { SendResult } from '../../src/client/producer.js';
import { parseOffsetMsgId } from '../../src/protocol/message/msg-id.js';
import { decodeProperties } from '../../src/protocol/message/properties.js';
import { verifyRecordCrc, type MessageRecord } from '../../src/protocol/message/record.js';
import { startCluster } from '../support/cluster.js';
import { clientsFor, createTopic, type Clients } from '../support/clients.js';
import { waitFor } from '../support/wait.js';

const QUEUES = 4;
const ROUNDS = 6;

interface Sent {
  seq: number;
  body: Buffer;
  props: Record<string, string>;
  result?: SendResult;
}

/** Every record of every queue, from offset 0, checking that offsets are consecutive. */
async function readAll(cl: Clients, addr: string): Promise<MessageRecord[][]> {
  const queues: MessageRecord[][] = [];
  for (let queueId = 0; queueId < QUEUES; queueId++) {
    const recs: MessageRecord[] = [];
    let offset = 0;
    for (;;) {
      const r = await cl.brokers.pull(addr, { consumerGroup: 'CRASH_CHECK', topic: 'Crash', queueId, queueOffset: offset, maxMsgNums: 32 });
      if (r.status === 'FOUND') {
        const got = recordsOf(r.body);
        expect(splitRecords(r.body!).reduce((n, x) => n + x.raw.length, 0)).toBe(r.body!.length); // nothing but whole records
        recs.push(...got);
      } else {
        expect(r.status).toBe('NO_NEW_MSG');
        break;
      }
      offset = r.nextBeginOffset;
    }
    expect(recs.map((x) => x.queueOffset)).toEqual(recs.map((_, i) => i));
    queues.push(recs);
  }
  return queues;
}

describe('broker crash test: kill -9 during SYNC_FLUSH sends', () => {
  it('after every restart, every acknowledged message is readable with the same body and properties, and nothing unreadable is served', async () => {
    const c = await startCluster({ brokerProperties: { flushDiskType: 'SYNC_FLUSH', mappedFileSizeCommitLog: 1024 * 1024 } });
    const cl = clientsFor(c);
    const broker = c.broker('broker-a');
    await createTopic(cl, c, broker.addr, 'Crash', QUEUES);
    const producer = cl.producer({ sendTimeoutMillis: 2_000, retryTimesWhenSendFailed: 0 });
    const sent = new Map<number, Sent>();
    const acked: Sent[] = [];
    let seq = 0;

    for (let round = 1; round <= ROUNDS; round++) {
      let running = true;
      const sender = async () => {
        while (running) {
          const n = seq++;
          const s: Sent = { seq: n, body: randomBytes(16 + Math.floor(Math.random() * 2000)), props: { seq: String(n), round: String(round), pad: 'x'.repeat(Math.floor(Math.random() * 50) + 1) } };
          sent.set(s.seq, s);
          try {
            s.result = await producer.send({ topic: 'Crash', body: s.body, keys: `k${s.seq}`, properties: { ...s.props } });
            acked.push(s); // the acknowledgement log
          } catch {
            // the broker died under this send; it may or may not have been stored
          }
        }
      };
      const before = acked.length;
      const target = before + 300 + Math.floor(Math.random() * 1500);
      const senders = Array.from({ length: 32 }, sender);
      await waitFor(() => acked.length >= target, { timeout: 30_000, what: `${target - before} acknowledgements in round ${round}` });
      await broker.kill9();
      running = false;
      await Promise.all(senders);
      expect(broker.lastExit?.signal).toBe('SIGKILL');
      await broker.start();

      const queues = await readAll(cl, broker.addr);
      const byKey = new Map<string, MessageRecord>();
      for (const [queueId, recs] of queues.entries()) {
        for (const r of recs) {
          expect(verifyRecordCrc(r)).toBe(true);
          expect(r.queueId).toBe(queueId);
          const props = decodeProperties(r.properties);
          const s = sent.get(Number(props.get('seq')));
          // a stranger was served once (2026-11-29): a kill -9 cut a write inside a record's properties and recovery
          // kept it (body CRC intact). Fixed in recovery.ts cutShort; test/broker/store/store-recovery.test.ts cuts writes everywhere.
          const about = () => `served record at ${queueId}/${r.queueOffset} (round ${round}, commit log ${r.physicalOffset}, ${r.body.length} body bytes, properties ${JSON.stringify(Object.fromEntries(props))}) is not a message we sent`;
          expect(s, about()).toBeDefined();
          expect(r.body.equals(s!.body)).toBe(true);
          byKey.set(`${queueId}/${r.queueOffset}`, r);
        }
      }
      for (const s of acked) {
        const r = byKey.get(`${s.result!.messageQueue.queueId}/${s.result!.queueOffset}`);
        expect(r, `acknowledged message ${s.seq} missing after round ${round}`).toBeDefined();
        expect(r!.body.equals(s.body)).toBe(true);
        const props = decodeProperties(r!.properties);
        for (const [k, v] of Object.entries(s.props)) expect(props.get(k)).toBe(v);
        expect(props.get('KEYS')).toBe(`k${s.seq}`);
        expect(props.get('UNIQ_KEY')).toBe(s.result!.msgId);
        expect(r!.physicalOffset).toBe(parseOffsetMsgId(s.result!.offsetMsgId).commitLogOffset);
      }
      // a sample through VIEW_MESSAGE_BY_ID: the ack's offsetMsgId still names this record
      for (const s of acked.slice(-50)) {
        const raw = await cl.brokers.viewMessage(broker.addr, parseOffsetMsgId(s.result!.offsetMsgId).commitLogOffset);
        expect(recordsOf(raw)[0]!.body.equals(s.body)).toBe(true);
      }
    }
    expect(acked.length).toBeGreaterThan(ROUNDS * 300);
    // six broker restarts with recovery: ~15 s on an idle machine, past 60 s when the machine is
    // oversubscribed; each step has its own deadline above, this only bounds the whole.
  }, 240_000);
});
