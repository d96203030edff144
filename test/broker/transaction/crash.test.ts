/**
 * Transactions across `kill -9` of the broker (SYNC_FLUSH), real processes:
 * - a half message stored, the broker killed before the producer's commit, restarted: the commit
 *   (sent after the restart) applies exactly once; a half left unknown is checked back after the
 *   restart and committed once; what was committed before the kill stays once, what was rolled back
 *   stays invisible, and neither is checked again;
 * - a commit whose op record never made it to the log (the process died between the two appends)
 *   is found at the next start through the key index: the half is done, not checked, not committed
 *   a second time.
 */
import { describe, expect, it } from 'vitest';
import type { LocalTransactionState } from '../../../src/client/transaction-producer.js';
import { decodeRecord } from '../../../src/protocol/message/record.js';
import { commitOf } from '../../../src/broker/transaction/records.js';
import { MessageStore } from '../../../src/broker/store/index.js';
import { parseOffsetMsgId } from '../../../src/protocol/message/msg-id.js';
import { startCluster } from '../../support/cluster.js';
import { clientsFor, createTopic } from '../../support/clients.js';
import { waitFor } from '../../support/wait.js';
import { readAll, storedCount, txProducer } from '../../support/transactions.js';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

describe('transactions across kill -9 of the broker', () => {
  it('a commit sent after the restart applies once; an unknown half is checked back and committed once; earlier outcomes hold', { timeout: 120_000 }, async () => {
    const c = await startCluster({ brokerProperties: { flushDiskType: 'SYNC_FLUSH', transactionCheckInterval: 500, transactionTimeOut: 1_000 } });
    const cl = clientsFor(c);
    const broker = c.broker('broker-a');
    await createTopic(cl, c, broker.addr, 'TxCrash', 2);
    const checks = new Map<string, number>();
    const p = txProducer(c, 'PG_TX_CRASH', (_id, body) => {
      checks.set(body, (checks.get(body) ?? 0) + 1);
      return body === 'B-unknown-then-checked' ? 'COMMIT_MESSAGE' : 'UNKNOW';
    }, { topics: ['TxCrash'] });
    await p.start();

    expect((await p.sendMessageInTransaction({ topic: 'TxCrash', body: 'C-committed-before' }, () => 'COMMIT_MESSAGE')).endTransactionError).toBeUndefined();
    expect((await p.sendMessageInTransaction({ topic: 'TxCrash', body: 'R-rolled-back-before' }, () => 'ROLLBACK_MESSAGE')).endTransactionError).toBeUndefined();
    // B: the producer does not know; only a check after the restart can end it
    await p.sendMessageInTransaction({ topic: 'TxCrash', body: 'B-unknown-then-checked' }, () => 'UNKNOW');
    // A: the local transaction is still running when the broker dies; it commits after the restart
    let halfStored!: () => void;
    const stored = new Promise<void>((r) => (halfStored = r));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const a = p.sendMessageInTransaction({ topic: 'TxCrash', body: 'A-commit-after-restart' }, async (): Promise<LocalTransactionState> => {
      halfStored();
      await released;
      return 'COMMIT_MESSAGE';
    });
    await stored;
    await broker.kill9();
    const linesBefore = broker.lines.length;
    await broker.start();
    // the two unresolved halves (A and B) come back from the log
    expect(broker.lines.slice(linesBefore).find((l) => /transactions recovered/.test(l))).toMatch(/pending=2\b/);
    release();
    const ra = await a;
    expect(ra.localTransactionState).toBe('COMMIT_MESSAGE');
    expect(ra.endTransactionError).toBeUndefined();

    await waitFor(async () => (await storedCount(cl, broker.addr, 'TxCrash', 2)) >= 3, { timeout: 30_000, what: 'A (its commit) and B (its check) to be committed' });
    await waitFor(async () => (await cl.brokers.transactionState(broker.addr)).pendingTotal === 0, { what: 'no half message left pending' });
    const bodies = (await readAll(cl, broker.addr, 'TxCrash', 2)).map((r) => r.body.toString()).sort();
    expect(bodies).toEqual(['A-commit-after-restart', 'B-unknown-then-checked', 'C-committed-before']);
    expect(checks.get('B-unknown-then-checked')).toBeGreaterThanOrEqual(1);
    expect(checks.has('C-committed-before')).toBe(false);
    expect(checks.has('R-rolled-back-before')).toBe(false);

    // another kill -9 now that everything ended: nothing is checked or committed again
    await broker.kill9();
    await broker.start();
    expect((await cl.brokers.transactionState(broker.addr)).pendingTotal).toBe(0);
    expect((await readAll(cl, broker.addr, 'TxCrash', 2)).map((r) => r.body.toString()).sort()).toEqual(bodies);
  });

  it('a snapshot that does not match the log, or does not parse, is ignored: the state is rebuilt from the half and op topics', { timeout: 120_000 }, async () => {
    const c = await startCluster({ brokerProperties: { transactionCheckInterval: 60_000 } });
    const cl = clientsFor(c);
    const broker = c.broker('broker-a');
    await createTopic(cl, c, broker.addr, 'TxSnap', 1);
    const p = txProducer(c, 'PG_TX_SNAP', () => 'UNKNOW', { topics: ['TxSnap'] });
    await p.start();
    for (const [body, state] of [['open-1', 'UNKNOW'], ['done', 'COMMIT_MESSAGE'], ['open-2', 'UNKNOW'], ['gone', 'ROLLBACK_MESSAGE']] as const) {
      await p.sendMessageInTransaction({ topic: 'TxSnap', body }, () => state);
    }
    const file = path.join(broker.dir, 'store', 'transaction', 'state.json');
    const restart = async (edit: (text: string) => string, expectLine: RegExp) => {
      await broker.stop(); // SIGTERM: the snapshot is written
      writeFileSync(file, edit(readFileSync(file, 'utf8')));
      const before = broker.lines.length;
      await broker.start();
      expect(broker.lines.slice(before).some((l) => expectLine.test(l))).toBe(true);
      const s = await cl.brokers.transactionState(broker.addr, { maxHalves: 10 });
      expect(s.halves.map((h) => h.topic + ':' + h.producerGroup)).toEqual(['TxSnap:PG_TX_SNAP', 'TxSnap:PG_TX_SNAP']);
      expect(s.pendingTotal).toBe(2);
    };
    // as if the store had been restored from another copy: the last op record is not where the snapshot says
    await restart((t) => {
      const o = JSON.parse(t) as { op: { lastPhys: number } };
      o.op.lastPhys += 1;
      return JSON.stringify(o);
    }, /transaction snapshot does not match this store/);
    await restart(() => '{"v":1,"half":', /transaction snapshot unreadable/);
    // and a good one is used (nothing replayed)
    await restart((t) => t, /transactions recovered role=master pending=2 snapshot=true halvesReplayed=0 opsReplayed=0/);
  });

  it('a commit whose op record was lost is found at start: not checked, not committed again', { timeout: 120_000 }, async () => {
    const c = await startCluster({ brokerProperties: { flushDiskType: 'SYNC_FLUSH', transactionCheckInterval: 500, transactionTimeOut: 500 } });
    const cl = clientsFor(c);
    const broker = c.broker('broker-a');
    await createTopic(cl, c, broker.addr, 'TxLostOp', 1);
    let checked = 0;
    const p = txProducer(c, 'PG_TX_LOSTOP', () => {
      checked++;
      return 'UNKNOW';
    }, { topics: ['TxLostOp'] });
    await p.start();
    const r = await p.sendMessageInTransaction({ topic: 'TxLostOp', body: 'committed-without-op', keys: ['k1'] }, () => 'UNKNOW');
    p.shutdown(); // no producer: nobody could answer a check with a commit
    await broker.kill9();

    // what a crash between the two appends leaves: the commit in the log, its op record not
    const store = await MessageStore.open({ storePathRootDir: path.join(broker.dir, 'store'), mappedFileSizeCommitLog: 64 * 1024 * 1024 });
    const raw = await store.lookMessageByOffset(parseOffsetMsgId(r.offsetMsgId).commitLogOffset);
    expect(raw).toBeDefined();
    const put = await store.put(commitOf(decodeRecord(raw!)));
    expect(put.status).toBe('PUT_OK');
    await store.close();

    await broker.start();
    await waitFor(() => broker.lines.some((l) => /commits found without their op record/.test(l)), { what: 'the broker to find the commit without its op record' });
    const state = await cl.brokers.transactionState(broker.addr);
    expect(state.pendingTotal).toBe(0);
    expect((await readAll(cl, broker.addr, 'TxLostOp', 1)).map((x) => x.body.toString())).toEqual(['committed-without-op']);
    // and after one more restart it stays so (the repair was stored as an op record)
    await broker.restart();
    expect((await cl.brokers.transactionState(broker.addr)).pendingTotal).toBe(0);
    expect(checked).toBe(0);
    expect(await storedCount(cl, broker.addr, 'TxLostOp', 1)).toBe(1);
  });
});
