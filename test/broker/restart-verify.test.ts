/**
 * How much of the commit log a broker re-reads when it starts (issue #21, finding 8), with a real
 * broker process: after a clean stop it verifies nothing before the checkpoint (it used to re-check
 * the whole current segment, slower as segments fill); after a kill -9 only what the checkpoint
 * does not cover — and every acknowledged message is still served.
 */
import { describe, expect, it } from 'vitest';
import { recordsOf } from '../../src/client/broker-api.js';
import type { Message } from '../../src/client/message.js';
import { startCluster, type ClusterNode } from '../support/cluster.js';
import { clientsFor, createTopic, type Clients } from '../support/clients.js';

/** The fields of the last `store recovery` and `store open` lines of the node's current run. */
function lastRecovery(node: ClusterNode): { verifyFrom: number; verifiedBytes: number; crashed: boolean } {
  const rec = node.lines.filter((l) => l.includes('store recovery ')).at(-1) ?? '';
  const open = node.lines.filter((l) => l.includes('store open ')).at(-1) ?? '';
  // NaN when the line lacks the key (a broker that did not report it)
  const num = (line: string, key: string) => Number(new RegExp(`${key}=(\\d+)`).exec(line)?.[1] ?? NaN);
  return { verifyFrom: num(rec, 'verifyFrom'), verifiedBytes: num(open, 'verifiedBytes'), crashed: /crashed=true/.test(rec) };
}

async function countQueue(cl: Clients, addr: string, topic: string, queueId: number): Promise<number> {
  let n = 0;
  let offset = 0;
  for (;;) {
    const r = await cl.brokers.pull(addr, { consumerGroup: 'VERIFY', topic, queueId, queueOffset: offset, maxMsgNums: 32 });
    if (r.status !== 'FOUND') return n;
    n += recordsOf(r.body).length;
    offset = r.nextBeginOffset;
  }
}

describe('what a broker re-reads of its commit log when it starts', () => {
  it('nothing before the checkpoint after a clean stop; from the checkpoint after a kill -9', async () => {
    const c = await startCluster({ brokers: [{ name: 'broker-a', properties: { mappedFileSizeCommitLog: 64 * 1024 * 1024 } }] });
    const cl = clientsFor(c);
    const broker = c.broker('broker-a');
    await createTopic(cl, c, broker.addr, 'Restart', 1);
    const p = cl.producer();
    const batch = (k: number): Message[] => Array.from({ length: 64 }, (_, i) => ({ topic: 'Restart', body: `${k}-${i}-${'r'.repeat(1000)}` }));
    for (let k = 0; k < 120; k++) expect((await p.sendBatch(batch(k))).sendStatus).toBe('SEND_OK');
    const end = Number((await cl.brokers.runtimeInfo(broker.addr)).commitLogMaxOffset);
    expect(end).toBeGreaterThan(7_000_000);

    await broker.stop();
    await broker.start();
    const clean = lastRecovery(broker);
    expect(clean).toEqual({ verifyFrom: end, verifiedBytes: 0, crashed: false });
    expect(await countQueue(cl, broker.addr, 'Restart', 0)).toBe(120 * 64);

    // more messages, then kill -9 at once: the unflushed tail past the checkpoint is verified, not the segment
    for (let k = 120; k < 140; k++) expect((await p.sendBatch(batch(k))).sendStatus).toBe('SEND_OK');
    const end2 = Number((await cl.brokers.runtimeInfo(broker.addr)).commitLogMaxOffset);
    await broker.kill9();
    await broker.start();
    const crash = lastRecovery(broker);
    expect(crash.crashed).toBe(true);
    expect(crash.verifyFrom).toBeGreaterThanOrEqual(end);
    expect(crash.verifyFrom + crash.verifiedBytes).toBe(end2);
    expect(await countQueue(cl, broker.addr, 'Restart', 0)).toBe(140 * 64);
    console.log(`restart re-read: clean stop 0 of ${end} bytes; kill -9 ${crash.verifiedBytes} of ${end2} bytes (the part past the checkpoint)`);
  });
});
