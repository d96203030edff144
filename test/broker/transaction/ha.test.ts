/**
 * Transactions on a 1m-1s SYNC pair, real processes: half and op records replicate as ordinary
 * commit-log records, so after `kill -9` of the master the slave serves every committed message
 * exactly once (the last committed just before the kill included) and nothing rolled back or
 * still pending; and when the slave takes over as master it knows the pending half messages: the
 * one whose local transaction was running when the master died is committed once by its producer
 * (which ends it at the master its route names now), the one left unknown is checked back and
 * committed once, and nothing that had ended is checked.
 */
import { writeFileSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readAll, syncPairWithTopic, txProducer } from '../../support/transactions.js';
import { waitFor } from '../../support/wait.js';
import type { LocalTransactionState } from '../../../src/client/transaction-producer.js';
import { TRANS_HALF_TOPIC, TRANS_OP_HALF_TOPIC } from '../../../src/protocol/topic-names.js';

describe('transactions on a SYNC master/slave pair', () => {
  it('the slave serves each commit once after kill -9 of the master; taking over, it checks the pending half and commits it once', { timeout: 150_000 }, async () => {
    // every send and end below is on the slave when answered
    const { c, cl, master, slave } = await syncPairWithTopic('TxHa', { mappedFileSizeCommitLog: 1024 * 1024, transactionCheckInterval: 500, transactionTimeOut: 1_000 });

    const checked: string[] = [];
    let pendingAnswer: LocalTransactionState = 'UNKNOW';
    let inFlightAnswer: LocalTransactionState = 'UNKNOW'; // what A's local transaction knows when checked
    const p = txProducer(c, 'PG_TX_HA', (_id, body) => {
      checked.push(body);
      return body === 'P-pending' ? pendingAnswer : body === 'A-in-flight' ? inFlightAnswer : 'UNKNOW';
    }, { topics: ['TxHa'], routeRefreshMillis: 1_000 });
    await p.start();
    const send = async (body: string, state: LocalTransactionState) => {
      const r = await p.sendMessageInTransaction({ topic: 'TxHa', body, keys: [body] }, () => state);
      expect(r.sendStatus).toBe('SEND_OK'); // SYNC_MASTER: the slave holds the half
      expect(r.endTransactionError).toBeUndefined(); // and the commit / rollback
      expect(r.endTransactionRemark).toBeUndefined(); // replicated, not FLUSH_SLAVE_TIMEOUT
    };
    await send('C1-committed', 'COMMIT_MESSAGE');
    await send('R1-rolled-back', 'ROLLBACK_MESSAGE');
    await send('P-pending', 'UNKNOW');
    await send('C2-committed-last', 'COMMIT_MESSAGE');
    // A: its half is stored (and on the slave), its local transaction still runs when the master dies
    let halfStored!: () => void;
    const stored = new Promise<void>((r) => (halfStored = r));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const a = p.sendMessageInTransaction({ topic: 'TxHa', body: 'A-in-flight', keys: ['A-in-flight'] }, async (): Promise<LocalTransactionState> => {
      halfStored();
      await released;
      return 'COMMIT_MESSAGE';
    });
    await stored;
    await master.kill9();

    // the slave reads: each commit once, nothing rolled back or pending
    const onSlave = async () => (await readAll(cl, slave.addr, 'TxHa', 2)).map((r) => r.body.toString()).sort();
    // until the slave notices its master is gone it sends readers to the master (readAll throws then)
    expect(await waitFor(onSlave, { timeout: 20_000, what: 'the slave to serve reads without its master' })).toEqual(['C1-committed', 'C2-committed-last']);
    expect((await readAll(cl, slave.addr, TRANS_HALF_TOPIC, 1)).length).toBe(5);
    expect((await readAll(cl, slave.addr, TRANS_OP_HALF_TOPIC, 1)).length).toBe(3);

    // the slave takes over: restarted as the group's master
    await slave.stop();
    const props = readFileSync(slave.configFile, 'utf8').replace(/^brokerRole=.*$/m, 'brokerRole=ASYNC_MASTER').replace(/^brokerId=.*$/m, 'brokerId=0');
    writeFileSync(slave.configFile, props);
    const linesBefore = slave.lines.length;
    pendingAnswer = 'COMMIT_MESSAGE';
    await slave.start();
    expect(slave.lines.slice(linesBefore).find((l) => /transactions recovered/.test(l))).toMatch(/role=master pending=2\b/);
    // A's local transaction ends once the producer's route names the new master: its commit goes there
    await waitFor(async () => (await p.route('TxHa')).brokerAddrs.get('broker-a') === slave.addr, { timeout: 30_000, what: "the producer's route to name the new master" });
    inFlightAnswer = 'COMMIT_MESSAGE';
    release();
    const ra = await a;
    expect(ra.localTransactionState).toBe('COMMIT_MESSAGE');
    expect(ra.endTransactionError).toBeUndefined();
    await waitFor(async () => (await readAll(cl, slave.addr, 'TxHa', 2)).length >= 4, { timeout: 60_000, what: 'the new master to commit A (its producer) and P (its check)' });
    await waitFor(async () => (await cl.brokers.transactionState(slave.addr)).pendingTotal === 0, { what: 'nothing left pending on the new master' });
    expect(await onSlave()).toEqual(['A-in-flight', 'C1-committed', 'C2-committed-last', 'P-pending']);
    expect(checked).toContain('P-pending');
    expect(checked.filter((body) => body !== 'P-pending' && body !== 'A-in-flight')).toEqual([]); // nothing that had ended
  });
});
