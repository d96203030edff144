/**
 * The crash loop (#20): one SYNC_FLUSH broker with tiny files (64 KiB commit-log segments, 2 KiB
 * consume-queue files: a rollover every few dozen messages), a producer with 64 sends in flight (bodies up to 6 KB)
 * logging every acknowledgement, and `kill -9` at a random point, round after round — a third of
 * the rounds also kill the restarted broker again, once or twice, before letting it come up — at a
 * random moment of its first 900 ms, or 0-30 ms after it logged that its store recovery began (each such kill is classed by the broker's log: before its
 * `store recovery` line, during recovery, or after `broker listening`). After every restart:
 *
 * - the new part of every queue (from where the previous round's check ended) is read: whole
 *   records with a correct CRC, consecutive queue offsets, each one a message we sent with the same
 *   body and properties — nothing else;
 * - every message acknowledged since is at the queue offset its acknowledgement named;
 * - no queue ends below what an earlier round verified (nothing acknowledged is truncated later),
 *   and 20 earlier acknowledgements drawn at random are read again;
 * - every 50 rounds and at the end, every queue is read again from offset 0.
 *
 * Seeded (kill points, counts, bodies): `npm run chaos -- --crash-loop --rounds 500 --seed 1`.
 */
import { mkdirSync } from 'node:fs';
import { BrokerApi, recordsOf } from '../../src/client/broker-api.js';
import { Producer, type SendResult } from '../../src/client/producer.js';
import { parseOffsetMsgId } from '../../src/protocol/message/msg-id.js';
import { decodeProperties } from '../../src/protocol/message/properties.js';
import { verifyRecordCrc } from '../../src/protocol/message/record.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { startCluster } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';
import { prng } from './faults.js';

const QUEUES = 4;
const IN_FLIGHT = 64;
const TOPIC = 'CrashLoop';

export interface CrashLoopResult {
  rounds: number;
  acknowledged: number;
  /** Restarts killed again: before the store's recovery began (node starting), while it replayed the store, after it listened. */
  killedBeforeRecovery: number;
  killedDuringRecovery: number;
  killedAfterRecovery: number;
  problems: string[];
  seconds: number;
}

interface Sent {
  body: Buffer;
  props: Record<string, string>;
  result?: SendResult;
}

export async function crashLoop(o: { rounds: number; seed: number; dir: string; log: (l: string) => void }): Promise<CrashLoopResult> {
  const t0 = Date.now();
  mkdirSync(o.dir, { recursive: true });
  const rnd = prng(o.seed);
  const c = await startCluster({
    cleanup: 'manual',
    readyTimeoutMillis: 120_000,
    brokerProperties: { flushDiskType: 'SYNC_FLUSH', mappedFileSizeCommitLog: 64 * 1024, mappedFileSizeConsumeQueue: 100 * 20 },
  });
  const remoting = new RemotingClient({});
  const api = new BrokerApi(remoting, 10_000);
  const broker = c.broker('broker-a');
  const problems: string[] = [];
  const fail = (p: string) => {
    problems.push(p);
    o.log(`crash-loop: PROBLEM ${p}`);
  };
  const result: CrashLoopResult = { rounds: 0, acknowledged: 0, killedBeforeRecovery: 0, killedDuringRecovery: 0, killedAfterRecovery: 0, problems, seconds: 0 };
  try {
    await api.createTopic(broker.addr, { topicName: TOPIC, readQueueNums: QUEUES, writeQueueNums: QUEUES, perm: 6 });
    const producer = new Producer({ namesrvAddrs: c.namesrvAddrs, producerGroup: 'PG_CRASH_LOOP', sendTimeoutMillis: 2_000, retryTimesWhenSendFailed: 0, compressMsgBodyOverHowmuch: 1 << 30 }); // stored bytes = sent bytes
    const sent = new Map<number, Sent>();
    const acked: number[] = [];
    const verifiedUpTo = new Array<number>(QUEUES).fill(0);
    let seq = 0;

    /** Reads queue q from `from` to its end, checking each record; returns the records' seqs by offset. */
    const scan = async (q: number, from: number): Promise<Map<number, number>> => {
      const out = new Map<number, number>();
      let offset = from;
      for (;;) {
        const r = await api.pull(broker.addr, { consumerGroup: 'CRASH_LOOP_CHECK', topic: TOPIC, queueId: q, queueOffset: offset, maxMsgNums: 32 });
        if (r.status !== 'FOUND') {
          if (r.status !== 'NO_NEW_MSG') fail(`queue ${q} at ${offset}: pull answered ${r.status}`);
          return out;
        }
        for (const rec of recordsOf(r.body)) {
          if (rec.queueOffset !== offset) fail(`queue ${q}: offset ${rec.queueOffset} where ${offset} was expected`);
          if (!verifyRecordCrc(rec)) fail(`queue ${q}@${rec.queueOffset}: body CRC wrong`);
          const props = decodeProperties(rec.properties);
          const s = sent.get(Number(props.get('seq')));
          if (s === undefined || !rec.body.equals(s.body) || Object.entries(s.props).some(([k, v]) => props.get(k) !== v)) fail(`queue ${q}@${rec.queueOffset} (commit log ${rec.physicalOffset}) is not a message we sent: ${JSON.stringify(Object.fromEntries(props))}`);
          else out.set(rec.queueOffset, Number(props.get('seq')));
          offset = rec.queueOffset + 1;
        }
      }
    };
    const verify = async (round: number, full: boolean, newAcks: number[]) => {
      const found = new Map<string, number>();
      for (let q = 0; q < QUEUES; q++) {
        const maxOffset = await api.maxOffset(broker.addr, TOPIC, q);
        if (maxOffset < verifiedUpTo[q]!) fail(`round ${round}: queue ${q} ends at ${maxOffset}, below ${verifiedUpTo[q]} verified earlier`);
        const from = full ? 0 : verifiedUpTo[q]!;
        const got = await scan(q, from);
        for (const [off, s] of got) found.set(`${q}@${off}`, s);
        verifiedUpTo[q] = Math.max(verifiedUpTo[q]!, from + got.size);
      }
      const check = full ? acked : newAcks;
      for (const n of check) {
        const r = sent.get(n)!.result!;
        const at = `${r.messageQueue.queueId}@${r.queueOffset}`;
        if (found.get(at) !== n) fail(`round ${round}: acknowledged message ${n} not at ${at} (found ${found.get(at) ?? 'nothing'})`);
      }
      // earlier acknowledgements, drawn at random, read again one by one
      for (let k = 0; !full && k < 20 && acked.length > 0; k++) {
        const n = acked[Math.floor(rnd() * acked.length)]!;
        const s = sent.get(n)!;
        const raw = await api.viewMessage(broker.addr, parseOffsetMsgId(s.result!.offsetMsgId).commitLogOffset);
        const rec = recordsOf(raw)[0];
        if (!rec || !rec.body.equals(s.body)) fail(`round ${round}: acknowledged message ${n} no longer at commit log ${parseOffsetMsgId(s.result!.offsetMsgId).commitLogOffset}`);
      }
    };

    for (let round = 1; round <= o.rounds; round++) {
      const target = acked.length + 10 + Math.floor(rnd() * 300);
      const bodies = prng(o.seed * 1_000_003 + round);
      const newAcks: number[] = [];
      let running = true;
      const sender = async () => {
        while (running) {
          const n = seq++;
          // records of 16 B to 6 KB with properties up to 400 B: many writes span pages, where a
          // kill -9 can cut them (the kernel stops a write between pages for a fatal signal)
          const len = 16 + Math.floor(bodies() * 6000);
          const s: Sent = { body: Buffer.alloc(len, n % 251), props: { seq: String(n), round: String(round), pad: 'x'.repeat(1 + Math.floor(bodies() * 400)) } };
          s.body.writeUInt32BE(n, 0);
          sent.set(n, s);
          try {
            s.result = await producer.send({ topic: TOPIC, body: s.body, keys: `k${n}`, properties: { ...s.props } });
            acked.push(n);
            newAcks.push(n);
          } catch {
            // killed under this send: stored or not, either is fine
          }
        }
      };
      const senders = Array.from({ length: IN_FLIGHT }, sender);
      // the kill point: after a random number of acknowledgements, or a random time (whichever first)
      const killAfterMs = 50 + Math.floor(rnd() * 2_000);
      const started = Date.now();
      await waitFor(() => acked.length >= target || Date.now() - started >= killAfterMs, { timeout: 60_000, interval: 5, what: `round ${round}: acknowledgements` });
      await broker.kill9();
      running = false;
      await Promise.all(senders);
      // a third of the rounds: kill the restarted broker again, once or twice, at a random moment of its start
      const againTimes = rnd() < 1 / 3 ? 1 + Math.floor(rnd() * 2) : 0;
      for (let k = 0; k < againTimes; k++) {
        const mark = broker.lines.length;
        const starting = broker.start().catch(() => {});
        if (rnd() < 0.5) {
          // a random moment of its first 900 ms
          await new Promise((r) => setTimeout(r, Math.floor(rnd() * 900)));
        } else {
          // 0-30 ms after it logged that recovery began (aimed at the replay itself)
          const after = Math.floor(rnd() * 30);
          await waitFor(() => broker.lines.slice(mark).some((l) => l.includes('store recovery')) || !broker.running, { timeout: 30_000, interval: 1, what: 'store recovery to begin' });
          await new Promise((r) => setTimeout(r, after));
        }
        const lines = broker.lines.slice(mark);
        await broker.kill9();
        await starting;
        if (lines.some((l) => l.includes('broker listening'))) result.killedAfterRecovery++;
        else if (lines.some((l) => l.includes('store recovery'))) result.killedDuringRecovery++;
        else result.killedBeforeRecovery++;
      }
      await broker.start();
      await verify(round, round % 50 === 0 || round === o.rounds, newAcks);
      result.rounds = round;
      result.acknowledged = acked.length;
      if (round % 10 === 0 || problems.length) o.log(`crash-loop: round ${round}: ${acked.length} acknowledged, killed again before/during/after recovery ${result.killedBeforeRecovery}/${result.killedDuringRecovery}/${result.killedAfterRecovery}, problems ${problems.length}`);
      if (problems.length >= 20) break;
    }
    producer.shutdown();
  } finally {
    remoting.shutdown();
    await c.stop();
    result.seconds = (Date.now() - t0) / 1000;
  }
  return result;
}
