/**
 * A transactional message with a delivery time (RocketMQ 5 puts a commit through the same
 * schedule/timer hook as a plain send): committed before it is due, it waits on the timer and is
 * delivered no earlier than its time; one whose time has passed by the commit is delivered at once.
 */
import { describe, expect, it } from 'vitest';
import { startCluster } from '../../support/cluster.js';
import { clientsFor, createTopic } from '../../support/clients.js';
import { readAll, txProducer } from '../../support/transactions.js';
import { waitFor } from '../../support/wait.js';

describe('transactions with a delivery time', () => {
  it('a commit before the delivery time waits for it; after it, the message is delivered at once', { timeout: 60_000 }, async () => {
    const c = await startCluster();
    const cl = clientsFor(c);
    const addr = c.broker('broker-a').addr;
    await createTopic(cl, c, addr, 'TxTimed', 1);
    const p = txProducer(c, 'PG_TX_TIMED', () => 'COMMIT_MESSAGE', { topics: ['TxTimed'] });
    await p.start();
    const bodies = async () => (await readAll(cl, addr, 'TxTimed', 1)).map((r) => r.body.toString());

    const due = Date.now() + 3_000;
    const timed = await p.sendMessageInTransaction({ topic: 'TxTimed', body: 'timed', deliverTimeMs: due }, () => 'COMMIT_MESSAGE');
    expect([timed.sendStatus, timed.localTransactionState, timed.endTransactionError]).toEqual(['SEND_OK', 'COMMIT_MESSAGE', undefined]);
    // a delivery time already past at the commit: no wait
    const late = await p.sendMessageInTransaction({ topic: 'TxTimed', body: 'past', deliverTimeMs: Date.now() - 1_000 }, () => 'COMMIT_MESSAGE');
    expect(late.sendStatus).toBe('SEND_OK');
    await waitFor(async () => (await bodies()).includes('past'), { what: 'the past-due commit delivered' });
    expect(await bodies()).not.toContain('timed');

    await waitFor(async () => (await bodies()).includes('timed'), { timeout: 20_000, what: 'the timed commit delivered' });
    const rec = (await readAll(cl, addr, 'TxTimed', 1)).find((r) => r.body.toString() === 'timed')!;
    expect(rec.storeTimestamp, 'stored in the topic no earlier than due').toBeGreaterThanOrEqual(due);
    expect((await bodies()).filter((b) => b === 'timed')).toHaveLength(1);
    expect((await cl.brokers.transactionState(addr)).pendingTotal).toBe(0);
  });
});
