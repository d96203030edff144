/**
 * `rmqctl group describe`: which client holds each queue (the client column of RocketMQ's
 * consumerProgress). The CLI asks every connected client with GET_CONSUMER_RUNNING_INFO through a
 * broker it is connected to, which forwards the request on the client's own connection. Our
 * PushConsumer answers with the queues it holds; ali-ons does not answer 307, so the queues nobody
 * else claims are "unknown" — never guessed. Real rmqd processes, real consumers, the real CLI.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import type { GroupProgress } from '../../src/ops/group-admin.js';
import { GroupApi } from '../../src/client/group-api.js';
import { ResponseCode } from '../../src/remoting/codes.js';
import { formatMessageQueue } from '../../src/protocol/message-queue.js';
import { RemoteResponseError } from '../../src/remoting/errors.js';
import { aliConsumer } from '../support/ali-ons.js';
import { rmqctl } from '../support/cli.js';
import { startCluster } from '../support/cluster.js';
import { clientsFor, createTopic } from '../support/clients.js';
import { startConsumer, waitBalanced } from '../support/consumers.js';
import { waitFor } from '../support/wait.js';

const key = (q: { topic: string; brokerName: string; queueId: number }) => formatMessageQueue(q);

describe('group describe: the client holding each queue', { timeout: 180_000 }, () => {
  it('names the holder of every queue from the clients’ own answers (ours), and shows unknown where a client cannot answer (ali-ons)', async () => {
    const c = await startCluster({ brokers: [{ name: 'broker-a' }, { name: 'broker-b' }] });
    const cl = clientsFor(c);
    const ns = ['--namesrv', c.namesrvAddr];
    for (const b of ['broker-a', 'broker-b']) await createTopic(cl, c, c.broker(b).addr, 'Held', 2);

    // two of our consumers share the 4 queues
    const a = await startConsumer(c, 'G_HOLD', 'Held', { instanceName: 'hold-a' });
    const b = await startConsumer(c, 'G_HOLD', 'Held', { instanceName: 'hold-b' });
    await waitBalanced([a.consumer, b.consumer], 'Held', 4);

    // the broker forwards 307 to the client and returns its answer as it is; an unknown client is "not online"
    const groups = new GroupApi(cl.remoting, 5_000);
    const info = await groups.consumerRunningInfo(c.broker('broker-b').addr, 'G_HOLD', a.consumer.clientId);
    expect(info.mqTable.filter((q) => q.topic === 'Held').map(key).sort()).toEqual(a.consumer.assignedQueues().filter((q) => q.topic === 'Held').map(key).sort());
    expect(info.properties.PROP_CONSUME_TYPE).toBe('CONSUME_PASSIVELY');
    expect(info.subscriptionSet.map((s) => s.topic).sort()).toEqual(['%RETRY%G_HOLD', 'Held']);
    const offline = await groups.consumerRunningInfo(c.broker('broker-a').addr, 'G_HOLD', '10.9.9.9@nobody').catch((e: unknown) => e);
    expect(offline).toBeInstanceOf(RemoteResponseError);
    expect((offline as RemoteResponseError).responseCode).toBe(ResponseCode.SYSTEM_ERROR);
    expect((offline as Error).message).toContain('The Consumer <G_HOLD> <10.9.9.9@nobody> not online');

    const [json, text] = await Promise.all([rmqctl(['group', 'describe', 'G_HOLD', '--topic', 'Held', ...ns, '--json']), rmqctl(['group', 'describe', 'G_HOLD', '--topic', 'Held', ...ns])]);
    expect(json.code, json.stderr).toBe(0);
    const g = JSON.parse(json.stdout) as GroupProgress;
    expect(g.queues).toHaveLength(4);
    // asked after the group settled; the assignment holds while nobody joins or leaves
    const holderOf = new Map<string, string>();
    for (const x of [a, b]) for (const q of x.consumer.assignedQueues()) holderOf.set(key(q), x.consumer.clientId);
    for (const q of g.queues) expect(q.clients, key(q)).toEqual([holderOf.get(key(q))]);
    expect(g.clients.map((x) => [x.clientId, x.queuesHeld])).toEqual(
      [a, b].map((x) => [x.consumer.clientId, x.consumer.assignedQueues().filter((q) => q.topic === 'Held').length] as const).sort((p, q) => p[0].localeCompare(q[0])),
    );
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/CLIENT\s*$/m);
    const firstQueue = g.queues[0]!;
    expect(text.stdout).toMatch(new RegExp(`Held\\s+${firstQueue.brokerName}\\s+${firstQueue.queueId}\\s.*${firstQueue.clients![0]!.replace(/[.#]/g, '\\$&')}`));

    // a group of one of ours and one ali-ons consumer: ours names its queues, the rest are unknown
    const ours = await startConsumer(c, 'G_MIXED', 'Held', { instanceName: 'mixed-ours' });
    const { consumer: ali } = aliConsumer(c.namesrvAddr, 'G_MIXED', { instanceName: 'mixed-ali' });
    onTestFinished(() => ali.close().catch(() => {}));
    await ali.ready();
    ali.subscribe('Held', '*', async () => undefined);
    const aliHeld = () => [...ali.processQueueTable.values()].filter((v) => v.messageQueue.topic === 'Held').length;
    await waitFor(() => ours.consumer.assignedQueues().filter((q) => q.topic === 'Held').length === 2 && aliHeld() === 2, { timeout: 45_000, what: 'ours and ali-ons to hold 2 queues each' });

    const mixed = await rmqctl(['group', 'describe', 'G_MIXED', '--topic', 'Held', '--client-timeout', '1500', ...ns, '--json']);
    expect(mixed.code, mixed.stderr).toBe(0);
    const m = JSON.parse(mixed.stdout) as GroupProgress;
    const mine = new Set(ours.consumer.assignedQueues().map(key));
    for (const q of m.queues) expect(q.clients, key(q)).toEqual(mine.has(key(q)) ? [ours.consumer.clientId] : null);
    const aliClient = m.clients.find((x) => x.clientId.endsWith('@mixed-ali'));
    expect(aliClient).toMatchObject({ queuesHeld: null });
    expect(aliClient?.runningInfoError).toBeDefined();
    expect(m.clients.find((x) => x.clientId === ours.consumer.clientId)?.queuesHeld).toBe(2);

    const mixedText = await rmqctl(['group', 'describe', 'G_MIXED', '--topic', 'Held', '--client-timeout', '1500', ...ns]);
    expect(mixedText.code, mixedText.stderr).toBe(0);
    expect(mixedText.stdout).toMatch(/Held\s+broker-\w\s+\d\s.*\sunknown\s*$/m);
    expect(mixedText.stdout).toContain('@mixed-ali: could not say which queues it holds');
  });
});
