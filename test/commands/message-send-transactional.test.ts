/**
 * `rmqctl message send --transactional` against a real broker: commit (visible), rollback (not),
 * check (left open, the broker checks back, the command answers and the message is committed),
 * and one whose check is answered "unknown" until the command gives up: it stays pending, and
 * `topic describe` / `group describe` show it with the checks made.
 */
import { describe, expect, it } from 'vitest';
import type { TransactionalSendOutput } from '../../src/ops/transactional-send.js';
import type { TopicDescription } from '../../src/ops/topic-admin.js';
import type { GroupProgress } from '../../src/ops/group-admin.js';
import { rmqctl } from '../support/cli.js';
import { startCluster } from '../support/cluster.js';
import { clientsFor } from '../support/clients.js';
import { waitFor } from '../support/wait.js';
import { AdminClient } from '../../src/client/admin.js';
import { readAll } from '../support/transactions.js';

// The open half stays pending through the describes below: with no producer connected each pass
// still counts a check (as RocketMQ does), so a small transactionCheckMax would give it up meanwhile.
const CHECK_MAX = 1000;

describe('rmqctl message send --transactional', () => {
  it('commit, rollback, and check (answered, or left open and shown by topic / group describe)', { timeout: 120_000 }, async () => {
    const c = await startCluster({ brokerProperties: { transactionCheckInterval: 500, transactionTimeOut: 500, transactionCheckMax: CHECK_MAX } });
    const cl = clientsFor(c);
    const addr = c.broker('broker-a').addr;
    const ns = ['--namesrv', c.namesrvAddr];
    // as the README shows it: a TRANSACTION topic (what v5 producers need; remoting ones need no type)
    const created = await rmqctl(['topic', 'create', 'TxCli', '--broker', 'broker-a', '--read-queues', '1', '--write-queues', '1', '--message-type', 'TRANSACTION', ...ns]);
    expect(created.code, created.stderr).toBe(0);
    expect((await cl.brokers.allTopicConfig(addr)).topicConfigTable.TxCli?.attributes).toMatchObject({ 'message.type': 'TRANSACTION' });
    const admin = new AdminClient({ namesrvAddrs: c.namesrvAddrs, remoting: cl.remoting });
    await waitFor(async () => (await admin.topicRoute('TxCli'))?.queueDatas.length === 1, { what: 'a route for TxCli' });

    const commit = await rmqctl(['message', 'send', 'TxCli', 'c1', '--keys', 'order-1', '--transactional', 'commit', ...ns, '--json']);
    expect(commit.code, commit.stderr).toBe(0);
    expect(JSON.parse(commit.stdout) as TransactionalSendOutput).toMatchObject({ sendStatus: 'SEND_OK', localTransactionState: 'COMMIT_MESSAGE', outcome: 'committed', topic: 'TxCli' });

    const rollback = await rmqctl(['message', 'send', 'TxCli', 'r1', '--transactional', 'rollback', ...ns]);
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(rollback.stdout).toMatch(/^half message SEND_OK/m);
    expect(rollback.stdout).toMatch(/^transaction rolled back$/m);

    const checked = await rmqctl(['message', 'send', 'TxCli', 'k1', '--transactional', 'check', '--check-answer', 'commit', ...ns]);
    expect(checked.code, checked.stderr).toBe(0);
    expect(checked.stdout).toMatch(/waiting up to 120000 ms for the broker to check back/);
    expect(checked.stdout).toMatch(/^check 1 from the broker: answered COMMIT_MESSAGE$/m);
    expect(checked.stdout).toMatch(/^transaction committed after 1 check\(s\)$/m);

    const open = await rmqctl(['message', 'send', 'TxCli', 'u1', '--transactional', 'check', '--check-answer', 'unknown', '--check-timeout', '2500', ...ns, '--json']);
    expect(open.code).toBe(1);
    const o = JSON.parse(open.stdout) as TransactionalSendOutput;
    expect(o.outcome).toBe('open');
    expect(o.checks).toBeGreaterThanOrEqual(1);
    expect(o.error).toMatch(/no check answered UNKNOW within 2500 ms/);

    expect((await readAll(cl, addr, 'TxCli', 1)).map((r) => r.body.toString()).sort()).toEqual(['c1', 'k1']);
    // the open one: pending on the broker, with its checks
    const described = await rmqctl(['topic', 'describe', 'TxCli', ...ns, '--json']);
    expect(described.code, described.stderr).toBe(0);
    const t = JSON.parse(described.stdout) as TopicDescription;
    expect(t.transactions).toHaveLength(1);
    expect(t.transactions[0]).toMatchObject({ brokerName: 'broker-a', pending: 1, transactionCheckMax: CHECK_MAX });
    expect(t.transactions[0]!.groups).toMatchObject([{ topic: 'TxCli', producerGroup: 'rmqctl_producer', pending: 1 }]);
    expect(t.transactions[0]!.checks).toBeGreaterThanOrEqual(o.checks);
    const text = await rmqctl(['topic', 'describe', 'TxCli', ...ns]);
    expect(text.stdout).toMatch(/Transactions: half messages waiting for their commit or rollback/);
    expect(text.stdout).toMatch(/broker-a\s+TxCli\s+rmqctl_producer\s+1\s/);
    const g = await rmqctl(['group', 'describe', 'rmqctl_producer', ...ns, '--json']);
    expect(g.code, g.stderr).toBe(0);
    expect((JSON.parse(g.stdout) as GroupProgress).transactions).toMatchObject([{ brokerName: 'broker-a', pending: 1 }]);
    const gText = await rmqctl(['group', 'describe', 'rmqctl_producer', ...ns]);
    expect(gText.stdout).toMatch(/Transactions of producer group rmqctl_producer/);
  });
});
