/**
 * Replication between real `rmqd broker` processes: SYNC_MASTER acknowledgements, a slave restarted
 * while its master takes writes catching up byte for byte, the slave's topic sync and read policy
 * around its master's death, and a deliberately diverged slave.
 */
import crypto from 'node:crypto';
import { openSync, closeSync, readSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Producer, SendResult } from '../../../src/client/producer.js';
import { startCluster, type ClusterNode } from '../../support/cluster.js';
import { clientsFor, createTopic, type Clients } from '../../support/clients.js';
import { waitFor } from '../../support/wait.js';

const SEGMENT = 1024 * 1024;
const syncGroup = (props: Record<string, string | number | boolean> = {}) => ({
  brokerProperties: { mappedFileSizeCommitLog: SEGMENT, ...props },
  brokers: [
    { name: 'broker-a', properties: { brokerRole: 'SYNC_MASTER', inSyncReplicas: 2, totalReplicas: 2 } },
    { name: 'broker-a', id: 1 },
  ],
});

/** sha256 of a node's commit-log bytes [from, to), read from its segment files (what the process wrote). */
function commitLogDigest(node: ClusterNode, from: number, to: number): string {
  const h = crypto.createHash('sha256');
  const buf = Buffer.alloc(64 * 1024);
  for (let at = from; at < to; ) {
    const seg = at - (at % SEGMENT);
    const fd = openSync(path.join(node.dir, 'store', 'commitlog', String(seg).padStart(20, '0')), 'r');
    try {
      while (at < Math.min(to, seg + SEGMENT)) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, Math.min(to, seg + SEGMENT) - at), at - seg);
        if (n <= 0) throw new Error(`short read at ${at}`);
        h.update(buf.subarray(0, n));
        at += n;
      }
    } finally {
      closeSync(fd);
    }
  }
  return h.digest('hex');
}

async function caughtUp(cl: Clients, master: ClusterNode, slave: ClusterNode): Promise<number> {
  return waitFor(
    async () => {
      const m = await cl.brokers.haStatus(master.addr);
      const s = await cl.brokers.haStatus(slave.addr);
      const end = m.masterCommitLogMaxOffset;
      return s.haClientRuntimeInfo.maxOffset === end && m.haConnectionInfo.some((x) => x.slaveAckOffset === end) ? end : undefined;
    },
    { timeout: 20_000, what: `${slave.id} to catch up with ${master.id}` },
  );
}

/** Sends `n` messages, `inFlight` at a time; resolves with every result (rejections kept as errors). */
async function sendMany(p: Producer, topic: string, n: number, inFlight = 16, tag = 'm'): Promise<(SendResult | Error)[]> {
  const out: (SendResult | Error)[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await p.send({ topic, body: `${tag}-${i}-${'x'.repeat(200)}`, keys: [`${tag}-${i}`] }).catch((e: Error) => e);
      }
    }),
  );
  return out;
}

const statuses = (rs: (SendResult | Error)[]) => rs.reduce<Record<string, number>>((m, r) => ((m[r instanceof Error ? 'error' : r.sendStatus] = (m[r instanceof Error ? 'error' : r.sendStatus] ?? 0) + 1), m), {});

describe('replication between broker processes', () => {
  it('SYNC_MASTER acks after the slave; without it SLAVE_NOT_AVAILABLE; a slave restarted under writes catches up byte for byte', async () => {
    const c = await startCluster(syncGroup());
    const cl = clientsFor(c);
    const master = c.broker('broker-a');
    const slave = c.broker('broker-a', 1);
    await createTopic(cl, c, master.addr, 'Rep', 4);
    const p = cl.producer();
    expect(statuses(await sendMany(p, 'Rep', 300))).toEqual({ SEND_OK: 300 });
    const ha = await cl.brokers.haStatus(master.addr);
    expect(ha).toMatchObject({ master: true, brokerRole: 'SYNC_MASTER', acksNeeded: 1, inSyncSlaveNums: 1 });

    await slave.kill9();
    await waitFor(async () => (await cl.brokers.haStatus(master.addr)).haConnectionInfo.length === 0, { what: 'the master to notice' });
    const without = await p.send({ topic: 'Rep', body: 'alone' });
    expect(without.sendStatus).toBe('SLAVE_NOT_AVAILABLE'); // stored on the master, not replicated

    // restart the slave while the master takes writes (5,000 more, some answered before it is back)
    const writing = sendMany(p, 'Rep', 5_000, 16, 'w');
    await slave.start();
    const results = await writing;
    expect(results.filter((r) => r instanceof Error)).toEqual([]);
    const end = await caughtUp(cl, master, slave);
    const slaveMin = Number((await cl.brokers.runtimeInfo(slave.addr)).commitLogMinOffset);
    expect(slaveMin).toBe(0);
    expect(commitLogDigest(slave, 0, end)).toBe(commitLogDigest(master, 0, end));
    expect(end).toBeGreaterThan(SEGMENT); // the copy crossed a segment end
    // and once caught up, sends are acknowledged by the slave again
    expect((await p.send({ topic: 'Rep', body: 'again' })).sendStatus).toBe('SEND_OK');
  });

  it('a slave copies topics from its master, sends consumers back while the master lives, serves them while it is gone', async () => {
    const c = await startCluster(syncGroup());
    const cl = clientsFor(c);
    const master = c.broker('broker-a');
    const slave = c.broker('broker-a', 1);
    await createTopic(cl, c, master.addr, 'Follow', 2);
    // the slave learns the topic from its master (at the latest when a message of it is replicated)
    const sent = await cl.producer().send({ topic: 'Follow', body: 'first' });
    await waitFor(async () => (await cl.brokers.allTopicConfig(slave.addr)).topicConfigTable.Follow !== undefined, { timeout: 5_000, what: 'the topic on the slave' });
    const q = sent.messageQueue.queueId;
    const pull = () => cl.brokers.pull(slave.addr, { consumerGroup: 'CG', topic: 'Follow', queueId: q, queueOffset: 0 });
    await waitFor(async () => (await cl.brokers.haStatus(slave.addr)).haClientRuntimeInfo.state === 'replicating', { what: 'replication' });
    expect(await pull()).toMatchObject({ status: 'NO_MATCHED_MSG', suggestWhichBrokerId: 0 });

    await master.kill9();
    await waitFor(async () => (await pull()).status === 'FOUND', { timeout: 5_000, what: 'the slave to serve reads' });
    expect(await pull()).toMatchObject({ status: 'FOUND', suggestWhichBrokerId: 1, nextBeginOffset: 1 });
    // past what it has: the consumer keeps its offset and waits (the master may hold more)
    expect(await cl.brokers.pull(slave.addr, { consumerGroup: 'CG', topic: 'Follow', queueId: q, queueOffset: 5 })).toMatchObject({ status: 'NO_NEW_MSG', nextBeginOffset: 5 });
    const ha = await cl.brokers.haStatus(slave.addr);
    expect(ha.haClientRuntimeInfo.state).toBe('connecting');
    expect(ha.haClientRuntimeInfo.reason).toMatch(/cannot connect|closed/);

    await master.start();
    await waitFor(async () => (await pull()).status === 'NO_MATCHED_MSG', { timeout: 10_000, what: 'the slave to send consumers back to the master' });
  });

  it('a diverged slave (its master came back with another history) is reported, not merged', async () => {
    const c = await startCluster(syncGroup());
    const cl = clientsFor(c);
    const master = c.broker('broker-a');
    const slave = c.broker('broker-a', 1);
    await createTopic(cl, c, master.addr, 'Hist', 2);
    const p = cl.producer();
    expect(statuses(await sendMany(p, 'Hist', 200, 8, 'old'))).toEqual({ SEND_OK: 200 });
    await caughtUp(cl, master, slave);
    const slaveEnd = (await cl.brokers.haStatus(slave.addr)).haClientRuntimeInfo.maxOffset;
    // the master is lost with its disk and replaced by an empty one at the same address
    expect(await slave.stop()).toBe(0);
    await master.kill9();
    rmSync(path.join(master.dir, 'store'), { recursive: true, force: true });
    await master.start();
    await createTopic(cl, c, master.addr, 'Hist', 2);
    const fresh = await sendMany(p, 'Hist', 400, 8, 'new');
    expect(fresh.every((r) => !(r instanceof Error))).toBe(true);
    await slave.start();
    await slave.waitForLine(/commit log has diverged/, 15_000);
    const ha = await cl.brokers.haStatus(slave.addr);
    expect(ha.haClientRuntimeInfo).toMatchObject({ state: 'diverged', reason: expect.stringMatching(/differs from this slave’s at offset \d+/) });
    expect(ha.haClientRuntimeInfo.maxOffset).toBe(slaveEnd); // nothing of the other history was appended
    expect((await p.send({ topic: 'Hist', body: 'x' })).sendStatus).toBe('SLAVE_NOT_AVAILABLE');
  });
});

