/**
 * A send that is stored but not as safe as asked (issue #21, finding 6), against a real SYNC_MASTER
 * and slave:
 * - the slave stopped (SIGSTOP) while the master still waits for it: the broker answers
 *   FLUSH_SLAVE_TIMEOUT after slaveTimeout (3 s). The Producer's default timeout outlasts that, so
 *   the stored message comes back with its status and msgId, not as a client timeout;
 * - `rmqctl message send` exits 1 unless SEND_OK and says what the status means; --json carries
 *   sendStatus, ok and meaning; SLAVE_NOT_AVAILABLE (slave gone) likewise.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { recordsOf } from '../../src/client/broker-api.js';
import type { MessageSendOutput } from '../../src/commands/message/send.js';
import { rmqctl } from '../support/cli.js';
import { startCluster } from '../support/cluster.js';
import { clientsFor, createTopic } from '../support/clients.js';
import { waitFor } from '../support/wait.js';

describe('rmqctl message send: statuses other than SEND_OK', () => {
  it('a stored-but-slow message is FLUSH_SLAVE_TIMEOUT (not a client timeout); the CLI exits 1 naming what each status means', async () => {
    const c = await startCluster({
      brokers: [
        // the master keeps waiting for a silent slave (haSlaveOutOfSyncMillis > slaveTimeout): every send waits slaveTimeout
        { name: 'broker-a', properties: { brokerRole: 'SYNC_MASTER', inSyncReplicas: 2, totalReplicas: 2, haSlaveOutOfSyncMillis: 60_000 } },
        { name: 'broker-a', id: 1 },
      ],
    });
    const cl = clientsFor(c);
    const [master, slave] = [c.broker('broker-a'), c.broker('broker-a', 1)];
    const ns = ['--namesrv', c.namesrvAddr];
    await createTopic(cl, c, master.addr, 'Safe', 1);

    const fine = await rmqctl(['message', 'send', 'Safe', 'all good', ...ns, '--json']);
    expect(fine.code, fine.stderr).toBe(0);
    expect(JSON.parse(fine.stdout)).toMatchObject({ sendStatus: 'SEND_OK', ok: true });

    let stopped = true;
    process.kill(slave.pid as number, 'SIGSTOP');
    onTestFinished(() => {
      if (stopped && slave.running) process.kill(slave.pid as number, 'SIGCONT');
    });
    // the library with its default timeout: the broker's answer after slaveTimeout arrives
    const p = cl.producer({ retryTimesWhenSendFailed: 0 });
    const started = Date.now();
    const slow = await p.send({ topic: 'Safe', body: 'slow but stored' });
    expect(slow.sendStatus).toBe('FLUSH_SLAVE_TIMEOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000); // it was the broker's slaveTimeout, answered
    const pulled = await cl.brokers.pull(master.addr, { consumerGroup: 'CHECK', topic: 'Safe', queueId: 0, queueOffset: slow.queueOffset, maxMsgNums: 1 });
    expect(recordsOf(pulled.body).map((r) => r.body.toString())).toEqual(['slow but stored']);

    const [json, text] = await Promise.all([rmqctl(['message', 'send', 'Safe', 'cli slow', ...ns, '--json']), rmqctl(['message', 'send', 'Safe', 'cli slow text', ...ns])]);
    expect(json.code, json.stderr).toBe(1);
    const out = JSON.parse(json.stdout) as MessageSendOutput;
    expect(out).toMatchObject({ topic: 'Safe', sendStatus: 'FLUSH_SLAVE_TIMEOUT', ok: false, msgId: expect.stringMatching(/^[0-9A-F]{32}$/) });
    expect(out.meaning).toMatch(/^stored on the master, but its slave did not confirm within slaveTimeout/);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^FLUSH_SLAVE_TIMEOUT {2}msgId [0-9A-F]{32}/);
    expect(text.stderr).toContain('FLUSH_SLAVE_TIMEOUT: stored on the master, but its slave did not confirm within slaveTimeout');

    // the slave gone: SLAVE_NOT_AVAILABLE at once, also exit 1
    await slave.kill9();
    stopped = false;
    await waitFor(async () => (await cl.brokers.haStatus(master.addr)).haConnectionInfo.length === 0, { what: 'the master to lose the slave' });
    const gone = await rmqctl(['message', 'send', 'Safe', 'no slave', ...ns, '--json']);
    expect(gone.code, gone.stderr).toBe(1);
    expect(JSON.parse(gone.stdout)).toMatchObject({ sendStatus: 'SLAVE_NOT_AVAILABLE', ok: false, meaning: expect.stringMatching(/^stored on the master only/) });
  });
});
