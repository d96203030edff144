/**
 * Transactions across an in-place role change (BROKER_CHANGE_ROLE, what `rmqctl failover` and
 * automatic failover use — no restart): the promoted slave takes over the pending half messages
 * and checks them back (one committed once by its checker), the demoted master stops checking and
 * follows the new master's log.
 */
import { describe, expect, it } from 'vitest';
import { readAll, syncPairWithTopic, txProducer } from '../../support/transactions.js';
import { waitFor } from '../../support/wait.js';
import type { LocalTransactionState } from '../../../src/client/transaction-producer.js';
import { encodeHeader, decodeHeader } from '../../../src/protocol/header-spec.js';
import { BrokerChangeRoleRequestHeader, BrokerFenceRequestHeader, BrokerFenceResponseHeader } from '../../../src/protocol/headers/failover.js';
import { RmqExtensionCode } from '../../../src/remoting/codes.js';
import { createRequest } from '../../../src/remoting/command.js';

describe('transactions across a switchover without restart', () => {
  it('the new master checks the pending half and commits it once; the old one follows', { timeout: 120_000 }, async () => {
    // every send and end below is on the slave when answered
    const { c, cl, master, slave } = await syncPairWithTopic('TxRole', { transactionCheckInterval: 500, transactionTimeOut: 1_000 });

    const checked: string[] = [];
    let pendingAnswer: LocalTransactionState = 'UNKNOW';
    const p = txProducer(c, 'PG_TX_ROLE', (_id, body) => {
      checked.push(body);
      return body === 'P-pending' ? pendingAnswer : 'UNKNOW';
    }, { topics: ['TxRole'], routeRefreshMillis: 1_000 });
    await p.start();
    for (const [body, state] of [['C1-committed', 'COMMIT_MESSAGE'], ['R1-rolled-back', 'ROLLBACK_MESSAGE'], ['P-pending', 'UNKNOW']] as const) {
      const r = await p.sendMessageInTransaction({ topic: 'TxRole', body, keys: [body] }, () => state);
      expect(r.sendStatus).toBe('SEND_OK');
    }
    // the old master has checked P at least once (it answers UNKNOW): the check-back runs there
    await waitFor(() => checked.includes('P-pending'), { timeout: 20_000, what: 'a check of P by the old master' });

    // the switchover's steps: fence the master, wait until the slave holds its log, swap the roles
    const fence = await c.client.request(master.addr, createRequest(RmqExtensionCode.BROKER_FENCE, { extFields: encodeHeader(BrokerFenceRequestHeader, { fence: true, reason: 'test switchover' }) }), 10_000);
    const { maxOffset } = decodeHeader(BrokerFenceResponseHeader, fence.extFields);
    await waitFor(async () => Number((await cl.brokers.runtimeInfo(slave.addr)).commitLogMaxOffset) === maxOffset, { timeout: 20_000, what: `the slave to hold the master's log up to ${maxOffset}` });
    const changeRole = async (addr: string, h: Parameters<typeof encodeHeader<typeof BrokerChangeRoleRequestHeader>>[1]) => {
      const res = await c.client.request(addr, createRequest(RmqExtensionCode.BROKER_CHANGE_ROLE, { extFields: encodeHeader(BrokerChangeRoleRequestHeader, h) }), 15_000);
      expect(res.code, res.remark).toBe(0);
    };
    const [oldLines, newLines] = [master.lines.length, slave.lines.length];
    await changeRole(master.addr, { brokerRole: 'SLAVE', brokerId: 1, masterAddr: slave.addr, haMasterAddress: `127.0.0.1:${slave.port + 1}` });
    await changeRole(slave.addr, { brokerRole: 'SYNC_MASTER', brokerId: 0, expectMaxOffset: maxOffset });
    expect(slave.lines.slice(newLines).find((l) => /transactions recovered/.test(l))).toMatch(/role=master pending=1\b/);
    expect(master.lines.slice(oldLines).find((l) => /transactions recovered/.test(l))).toMatch(/role=follower pending=1\b/);

    // the producer's checker now knows: the new master's check commits P, once
    pendingAnswer = 'COMMIT_MESSAGE';
    await waitFor(async () => (await cl.brokers.transactionState(slave.addr)).pendingTotal === 0, { timeout: 30_000, what: 'the new master to resolve P' });
    expect((await readAll(cl, slave.addr, 'TxRole', 2)).map((r) => r.body.toString()).sort()).toEqual(['C1-committed', 'P-pending']);
    // the old master follows the new log: nothing pending there either, and it checks nothing
    await waitFor(async () => (await cl.brokers.transactionState(master.addr)).pendingTotal === 0, { timeout: 30_000, what: 'the old master (now following) to see P resolved' });
    expect(checked.filter((b) => b !== 'P-pending')).toEqual([]);
  });
});
