/**
 * Transactions with the official v5 Node client (`rocketmq-client-nodejs`: beginTransaction,
 * Transaction.commit/rollback, TransactionChecker) against a real broker's gRPC port: a committed
 * message is received once, a rolled-back one never; half messages left open are recovered through
 * the Telemetry stream (RecoverOrphanedTransactionCommand) and ended by the checker, each check
 * counted; across `kill -9` of the broker a commit sent after the restart applies once and a half
 * left open is checked back by the restarted broker.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { MessageView, Producer } from 'rocketmq-client-nodejs';
import type { TransactionResolution } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb.js';
import { startCluster, type TestCluster } from '../../support/cluster.js';
import { clientsFor, type Clients } from '../../support/clients.js';
import { readAll } from '../../support/transactions.js';
import { waitFor } from '../../support/wait.js';
import { grpcBroker, v5Producer, v5SimpleConsumer } from '../../support/v5.js';
import { AdminClient } from '../../../src/client/admin.js';

const COMMIT = 1 as TransactionResolution;
const ROLLBACK = 2 as TransactionResolution;
const UNSPECIFIED = 0 as TransactionResolution;

/** A TRANSACTION topic (message.type) on `addr`, routed by every NameServer. */
async function transactionTopic(cl: Clients, c: TestCluster, addr: string, topic: string): Promise<void> {
  await cl.brokers.createTopic(addr, { topicName: topic, readQueueNums: 2, writeQueueNums: 2, perm: 6, attributes: '+message.type=TRANSACTION' });
  const admin = new AdminClient({ namesrvAddrs: c.namesrvAddrs, remoting: cl.remoting });
  await waitFor(async () => (await admin.topicRoute(topic))?.queueDatas.length === 1, { what: `a route for ${topic}` });
}

/** A v5 producer of `topic` whose checker answers per body, counting the checks. */
async function txV5Producer(endpoints: string, topic: string, answer: (body: string) => TransactionResolution): Promise<{ producer: Producer; checks: Map<string, number> }> {
  const checks = new Map<string, number>();
  const producer = await v5Producer({
    endpoints,
    topic,
    checker: {
      async check(m: MessageView) {
        const body = m.body.toString();
        checks.set(body, (checks.get(body) ?? 0) + 1);
        return answer(body);
      },
    },
  });
  return { producer, checks };
}

async function sendHalf(p: Producer, topic: string, body: string) {
  const t = p.beginTransaction();
  const receipt = await p.send({ topic, body: Buffer.from(body), keys: [body], properties: new Map([['order', body]]) }, t);
  return { t, receipt };
}

describe('transactions with the official v5 client', () => {
  it('commit is received once, rollback never; open halves are checked back over Telemetry and ended by the checker', { timeout: 120_000 }, async () => {
    const a = await grpcBroker('broker-a', { transactionCheckInterval: 500, transactionTimeOut: 1_000 });
    const c = await startCluster({ brokers: [a] });
    const cl = clientsFor(c);
    const addr = c.broker('broker-a').addr;
    await transactionTopic(cl, c, addr, 'TxV5');
    const endpoints = `127.0.0.1:${a.grpcPort}`;
    const { producer, checks } = await txV5Producer(endpoints, 'TxV5', (body) => (body === 'checked-commit' ? COMMIT : body === 'checked-rollback' ? ROLLBACK : UNSPECIFIED));
    const consumer = await v5SimpleConsumer({ endpoints, consumerGroup: 'G_TXV5', subscriptions: new Map([['TxV5', '*']]), awaitDuration: 1_000 });

    const committed = await sendHalf(producer, 'TxV5', 'v5-commit');
    expect(committed.receipt.transactionId).toBe(committed.receipt.messageId);
    await committed.t.commit();
    await (await sendHalf(producer, 'TxV5', 'v5-rollback')).t.rollback();
    await sendHalf(producer, 'TxV5', 'checked-commit'); // left open: the checker ends these two
    await sendHalf(producer, 'TxV5', 'checked-rollback');

    const got: MessageView[] = [];
    await waitFor(async () => {
      for (const m of await consumer.receive(16, 10_000)) {
        got.push(m);
        await consumer.ack(m);
      }
      return got.length >= 2;
    }, { timeout: 30_000, what: 'the committed message and the one the checker commits' });
    expect(got.map((m) => m.body.toString()).sort()).toEqual(['checked-commit', 'v5-commit']);
    const first = got.find((m) => m.body.toString() === 'v5-commit')!;
    expect(first.messageId).toBe(committed.receipt.messageId);
    expect(first.keys).toEqual(['v5-commit']);
    expect(first.properties.get('order')).toBe('v5-commit');
    await waitFor(async () => (await cl.brokers.transactionState(addr)).pendingTotal === 0, { timeout: 20_000, what: 'the rolled-back open half to end too' });
    expect(Object.fromEntries(checks)).toEqual({ 'checked-commit': 1, 'checked-rollback': 1 });
    const state = await cl.brokers.transactionState(addr);
    expect(state.totals).toMatchObject({ prepared: 4, committed: 2, rolledBack: 2, checks: 2, checksWithoutProducer: 0 });
    // a remoting reader sees the same: two messages, once each
    expect((await readAll(cl, addr, 'TxV5', 2)).map((r) => r.body.toString()).sort()).toEqual(['checked-commit', 'v5-commit']);
    expect(await consumer.receive(16, 2_000)).toEqual([]);
  });

  it('on a SYNC pair: after kill -9 of the master the slave serves each commit once; taking over (at the master\'s gRPC address) it checks the open half back with the v5 producer', { timeout: 180_000 }, async () => {
    const tx = { transactionCheckInterval: 500, transactionTimeOut: 1_000 };
    // patient: on a loaded machine a slow acknowledgement must not answer a commit before the slave has it
    const a = await grpcBroker('broker-a', { brokerRole: 'SYNC_MASTER', inSyncReplicas: 2, totalReplicas: 2, slaveTimeout: 30_000, haSlaveOutOfSyncMillis: 30_000, ...tx });
    const a1 = await grpcBroker('broker-a', tx, 1);
    const c = await startCluster({ brokerProperties: { mappedFileSizeCommitLog: 1024 * 1024 }, brokers: [a, a1] });
    const cl = clientsFor(c);
    const master = c.broker('broker-a');
    const slave = c.broker('broker-a', 1);
    await transactionTopic(cl, c, master.addr, 'TxV5Ha');
    await waitFor(async () => (await cl.brokers.allTopicConfig(slave.addr)).topicConfigTable.TxV5Ha !== undefined, { timeout: 20_000, what: 'the slave to have the topic' });
    const endpoints = `127.0.0.1:${a.grpcPort}`;
    let openAnswer = UNSPECIFIED;
    const { producer, checks } = await txV5Producer(endpoints, 'TxV5Ha', (body) => (body === 'open' ? openAnswer : UNSPECIFIED));
    await (await sendHalf(producer, 'TxV5Ha', 'c1')).t.commit();
    await (await sendHalf(producer, 'TxV5Ha', 'r1')).t.rollback();
    await sendHalf(producer, 'TxV5Ha', 'open');
    await (await sendHalf(producer, 'TxV5Ha', 'c2')).t.commit();
    await master.kill9();

    const onSlave = async () => (await readAll(cl, slave.addr, 'TxV5Ha', 2)).map((r) => r.body.toString()).sort();
    // until the slave notices its master is gone it sends readers to the master (readAll throws then)
    expect(await waitFor(onSlave, { timeout: 20_000, what: 'the slave to serve reads without its master' })).toEqual(['c1', 'c2']);

    // the slave takes over as master, at the address v5 clients were given (as a virtual IP would move)
    await slave.stop();
    const props = readFileSync(slave.configFile, 'utf8')
      .replace(/^brokerRole=.*$/m, 'brokerRole=ASYNC_MASTER')
      .replace(/^brokerId=.*$/m, 'brokerId=0')
      .replace(/^grpcServerPort=.*$/m, `grpcServerPort=${a.grpcPort}`);
    writeFileSync(slave.configFile, props);
    openAnswer = COMMIT;
    await slave.start();
    await waitFor(async () => (await onSlave()).length >= 3, { timeout: 90_000, interval: 500, what: 'the new master to check the open half back with the v5 producer and commit it' });
    await waitFor(async () => (await cl.brokers.transactionState(slave.addr)).pendingTotal === 0, { what: 'nothing left pending' });
    expect(await onSlave()).toEqual(['c1', 'c2', 'open']);
    expect([...checks.keys()]).toEqual(['open']);
  });

  it('across kill -9: a commit sent after the restart applies once; an open half is checked back by the restarted broker', { timeout: 150_000 }, async () => {
    const a = await grpcBroker('broker-a', { flushDiskType: 'SYNC_FLUSH', transactionCheckInterval: 500, transactionTimeOut: 1_000 });
    const c = await startCluster({ brokers: [a] });
    const cl = clientsFor(c);
    const broker = c.broker('broker-a');
    await transactionTopic(cl, c, broker.addr, 'TxV5Crash');
    const endpoints = `127.0.0.1:${a.grpcPort}`;
    let answerOpen = UNSPECIFIED;
    const { producer, checks } = await txV5Producer(endpoints, 'TxV5Crash', (body) => (body === 'open-then-checked' ? answerOpen : UNSPECIFIED));
    const pending = await sendHalf(producer, 'TxV5Crash', 'commit-after-restart');
    await sendHalf(producer, 'TxV5Crash', 'open-then-checked');
    await broker.kill9();
    await broker.start();
    answerOpen = COMMIT;
    // the client reconnects by itself; a commit that fails on a channel still reconnecting is sent again
    await waitFor(async () => {
      await pending.t.commit();
      return true;
    }, { timeout: 30_000, interval: 500, what: 'the commit to reach the restarted broker' });
    await waitFor(async () => (await readAll(cl, broker.addr, 'TxV5Crash', 2)).length >= 2, { timeout: 60_000, what: 'the open half to be checked back and committed' });
    await waitFor(async () => (await cl.brokers.transactionState(broker.addr)).pendingTotal === 0, { what: 'nothing left pending' });
    expect((await readAll(cl, broker.addr, 'TxV5Crash', 2)).map((r) => r.body.toString()).sort()).toEqual(['commit-after-restart', 'open-then-checked']);
    expect(checks.get('open-then-checked')).toBeGreaterThanOrEqual(1);
  });
});
