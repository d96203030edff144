/**
 * Transactional messages end to end on real `rmqd` processes, with our TransactionProducer and two
 * consumers (ours and ali-ons): a committed message is visible exactly once, with its keys and
 * properties; a rolled-back one never; a repeated END_TRANSACTION changes nothing; a half message
 * left unresolved is checked back (the checks counted by producer and broker) and committed or
 * rolled back by the checker; one never resolved is given up after transactionCheckMax checks and
 * kept in TRANS_CHECK_MAX_TIME_TOPIC.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { recordsOf } from '../../../src/client/broker-api.js';
import type { LocalTransactionState, TransactionSendResult } from '../../../src/client/transaction-producer.js';
import { encodeHeader } from '../../../src/protocol/header-spec.js';
import { EndTransactionRequestHeader } from '../../../src/protocol/headers/broker.js';
import { PropertyKey, SysFlag, transactionType } from '../../../src/protocol/message/constants.js';
import { parseOffsetMsgId } from '../../../src/protocol/message/msg-id.js';
import { decodeProperties } from '../../../src/protocol/message/properties.js';
import { TRANS_CHECK_MAX_TIME_TOPIC, TRANS_HALF_TOPIC, TRANS_OP_HALF_TOPIC } from '../../../src/protocol/topic-names.js';
import { RequestCode, ResponseCode } from '../../../src/remoting/codes.js';
import { createRequest } from '../../../src/remoting/command.js';
import { aliConsumer, type AliReceived } from '../../support/ali-ons.js';
import { startCluster } from '../../support/cluster.js';
import { freePort } from '../../support/ports.js';
import { clientsFor, createTopic } from '../../support/clients.js';
import { readAll, storedCount, txProducer } from '../../support/transactions.js';
import { startConsumer } from '../../support/consumers.js';
import { waitFor } from '../../support/wait.js';

describe('transactional messages (remoting)', () => {
  it('commit: visible once with its keys and properties; rollback: never; a repeated end changes nothing', { timeout: 90_000 }, async () => {
    const metricsPort = await freePort();
    const c = await startCluster({ brokerProperties: { metricsPort } });
    const cl = clientsFor(c);
    const addr = c.broker('broker-a').addr;
    await createTopic(cl, c, addr, 'TxOrders', 4);
    const checked: string[] = [];
    const p = txProducer(c, 'PG_TX_ORDERS', (id) => {
      checked.push(id);
      return 'UNKNOW';
    }, { topics: ['TxOrders'] });
    await p.start();
    const ours = await startConsumer(c, 'G_TX_OURS', 'TxOrders');
    const ali = aliConsumer(c.namesrvAddr, 'G_TX_ALI');
    onTestFinished(() => ali.consumer.close());
    const aliGot: AliReceived[] = [];
    ali.consumer.subscribe('TxOrders', '*', async (m) => void aliGot.push(m));
    await ali.consumer.ready();

    const results: TransactionSendResult[] = [];
    for (let i = 0; i < 20; i++) {
      const commit = i % 2 === 0;
      const r = await p.sendMessageInTransaction({ topic: 'TxOrders', body: `order-${i}`, tags: 'TagTx', keys: [`key-${i}`], properties: { n: String(i) } }, () => (commit ? 'COMMIT_MESSAGE' : 'ROLLBACK_MESSAGE'));
      expect(r.sendStatus).toBe('SEND_OK');
      expect(r.localTransactionState).toBe(commit ? 'COMMIT_MESSAGE' : 'ROLLBACK_MESSAGE');
      expect(r.endTransactionError).toBeUndefined();
      expect(r.transactionId).toBe(r.msgId);
      results.push(r);
    }
    const committed = new Set(Array.from({ length: 10 }, (_, k) => `order-${2 * k}`));
    await waitFor(() => ours.received.length >= 10 && aliGot.length >= 10, { timeout: 30_000, what: 'both consumers to get the 10 committed messages' });
    expect(new Set(ours.received.map((m) => m.body.toString()))).toEqual(committed);
    expect(new Set(aliGot.map((m) => m.body.toString()))).toEqual(committed);
    // exactly once in the store: 10 entries over the topic's queues, none of the rolled-back ones
    expect(await storedCount(cl, addr, 'TxOrders', 4)).toBe(10);
    for (const m of ours.received) {
      const i = Number(m.body.toString().slice('order-'.length));
      expect(m.keys).toEqual([`key-${i}`]);
      expect(m.tags).toBe('TagTx');
      expect(m.properties.get('n')).toBe(String(i));
      expect(m.properties.get(PropertyKey.TRANSACTION_PREPARED)).toBe('true');
      expect(m.properties.get(PropertyKey.PRODUCER_GROUP)).toBe('PG_TX_ORDERS');
      expect(m.properties.has(PropertyKey.REAL_TOPIC)).toBe(false);
      expect(transactionType(m.sysFlag)).toBe(SysFlag.TRANSACTION_COMMIT_TYPE);
      expect(m.msgId).toBe(results[i]?.msgId); // the producer's message id survives the two phases
    }
    for (const m of aliGot) expect(m.keys).toBe(`key-${m.body.toString().slice('order-'.length)}`);
    // the committed record names its half (PREPAREDTRANSACTIONOFFSET), which sits in the half topic with its real topic
    const rec = ours.received[0]!.record;
    const half = decodeProperties((recordsOf(await cl.brokers.viewMessage(addr, rec.preparedTransactionOffset))[0]!).properties);
    expect(half.get(PropertyKey.REAL_TOPIC)).toBe('TxOrders');
    expect(await storedCount(cl, addr, TRANS_HALF_TOPIC, 1)).toBe(20);
    expect(await storedCount(cl, addr, TRANS_OP_HALF_TOPIC, 1)).toBe(20);

    // a repeated commit is answered SUCCESS and stores nothing; rolling back a committed one is refused
    const end = async (i: number, commitOrRollback: number) => {
      const r = results[i]!;
      const extFields = encodeHeader(EndTransactionRequestHeader, { producerGroup: 'PG_TX_ORDERS', tranStateTableOffset: r.queueOffset, commitLogOffset: parseOffsetMsgId(r.offsetMsgId).commitLogOffset, commitOrRollback, fromTransactionCheck: false, msgId: r.msgId, transactionId: r.transactionId, topic: 'TxOrders' });
      return cl.remoting.request(addr, createRequest(RequestCode.END_TRANSACTION, { extFields }));
    };
    expect((await end(0, SysFlag.TRANSACTION_COMMIT_TYPE)).code).toBe(ResponseCode.SUCCESS);
    expect((await end(1, SysFlag.TRANSACTION_ROLLBACK_TYPE)).code).toBe(ResponseCode.SUCCESS);
    expect((await end(0, SysFlag.TRANSACTION_ROLLBACK_TYPE)).code).toBe(ResponseCode.TRANSACTION_FAILED);
    const wrongGroup = await cl.remoting.request(addr, createRequest(RequestCode.END_TRANSACTION, { extFields: encodeHeader(EndTransactionRequestHeader, { producerGroup: 'PG_TX_ORDERS', tranStateTableOffset: 0, commitLogOffset: 12345, commitOrRollback: SysFlag.TRANSACTION_COMMIT_TYPE, msgId: 'x' }) }));
    expect(wrongGroup.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(wrongGroup.remark).toMatch(/Find prepared transaction message failed/);
    expect(await storedCount(cl, addr, 'TxOrders', 4)).toBe(10);

    const state = await cl.brokers.transactionState(addr);
    expect(state).toMatchObject({ active: true, pendingTotal: 0, totals: { prepared: 20, committed: 10, rolledBack: 10, discarded: 0, checks: 0 } });
    expect(checked).toEqual([]);
    expect(ours.received.length).toBe(10);
    // RocketMQ 5's transaction metrics
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/^rocketmq_commit_messages_total\{[^}]*topic="TxOrders"[^}]*\} 10$/m);
    expect(metrics).toMatch(/^rocketmq_rollback_messages_total\{[^}]*topic="TxOrders"[^}]*\} 10$/m);
    expect(metrics).not.toMatch(/^rocketmq_half_messages\{/m); // nothing pending
  });

  it('an unresolved half message is checked back and ended by the checker; never resolved, it is given up after transactionCheckMax checks', { timeout: 90_000 }, async () => {
    const c = await startCluster({ brokerProperties: { transactionCheckInterval: 500, transactionTimeOut: 500, transactionCheckMax: 3 } });
    const cl = clientsFor(c);
    const addr = c.broker('broker-a').addr;
    await createTopic(cl, c, addr, 'TxCheck', 2);
    const checks = new Map<string, number>();
    const answers: Record<string, LocalTransactionState[]> = {
      'commit-on-3rd': ['UNKNOW', 'UNKNOW', 'COMMIT_MESSAGE'],
      'rollback-on-1st': ['ROLLBACK_MESSAGE'],
      'never-known': ['UNKNOW', 'UNKNOW', 'UNKNOW', 'UNKNOW', 'UNKNOW'],
    };
    const p = txProducer(c, 'PG_TX_CHECK', (_id, body) => {
      const n = (checks.get(body) ?? 0) + 1;
      checks.set(body, n);
      return answers[body]?.[n - 1] ?? 'UNKNOW';
    }, { topics: ['TxCheck'] });
    await p.start();
    const got = await startConsumer(c, 'G_TX_CHECK', 'TxCheck');
    for (const body of Object.keys(answers)) {
      const r = await p.sendMessageInTransaction({ topic: 'TxCheck', body }, () => 'UNKNOW');
      expect(r.localTransactionState).toBe('UNKNOW');
    }
    await waitFor(() => got.received.length >= 1, { timeout: 30_000, what: 'the message the checker commits on its 3rd check' });
    expect(got.received.map((m) => m.body.toString())).toEqual(['commit-on-3rd']);
    expect(checks.get('commit-on-3rd')).toBe(3);
    expect(checks.get('rollback-on-1st')).toBe(1);
    // the third: checked transactionCheckMax (3) times, then given up and kept in TRANS_CHECK_MAX_TIME_TOPIC
    await waitFor(async () => (await cl.brokers.transactionState(addr)).totals.discarded === 1, { timeout: 30_000, what: 'the never-resolved half message to be given up' });
    expect(checks.get('never-known')).toBe(3);
    const kept = await readAll(cl, addr, TRANS_CHECK_MAX_TIME_TOPIC, 1);
    expect(kept.map((r) => r.body.toString())).toEqual(['never-known']);
    expect(decodeProperties(kept[0]!.properties).get(PropertyKey.REAL_TOPIC)).toBe('TxCheck');
    await waitFor(() => c.broker('broker-a').lines.some((l) => /given up/.test(l) && /never|TxCheck/.test(l)), { what: 'the broker to log the given-up message' });
    const state = await cl.brokers.transactionState(addr);
    expect(state).toMatchObject({ pendingTotal: 0, totals: { prepared: 3, committed: 1, rolledBack: 1, discarded: 1, checks: 7, checksWithoutProducer: 0 } });
    expect(p.stats.checks).toBe(7);
    expect(p.stats.checkAnswers).toEqual({ COMMIT_MESSAGE: 1, ROLLBACK_MESSAGE: 1, UNKNOW: 5 });
    // nothing else ever reaches the topic
    expect(await storedCount(cl, addr, 'TxCheck', 2)).toBe(1);
    expect(got.received.length).toBe(1);
  });
});
