/**
 * `rmqctl topic create|describe|delete`, `message send|get|tail` and `bench produce` as real
 * processes against a real two-broker cluster.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { BenchProduceSummary } from '../../src/ops/bench/produce.js';
import type { TopicDescription } from '../../src/ops/topic-admin.js';
import { repoRoot, rmqctl } from '../support/cli.js';
import { startCluster } from '../support/cluster.js';
import { clientsFor } from '../support/clients.js';
import { GroupApi } from '../../src/client/group-api.js';
import { tmpDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

// each rmqctl call is a process start (1-3 s on a busy machine)
describe('rmqctl topic and message commands', { timeout: 180_000 }, () => {
  it('creates a topic on every master, describes it, sends and finds messages, deletes it from brokers and NameServers', async () => {
    const c = await startCluster({ namesrvs: 2, namesrvProperties: { orderMessageEnable: true }, brokers: [{ name: 'broker-a' }, { name: 'broker-b' }] });
    const cl = clientsFor(c);
    const ns = ['--namesrv', c.namesrvAddr];

    // usage errors: exit 2, nothing sent (independent processes: run at once)
    const [noTarget, badPerm, badName, unknownCluster] = await Promise.all([
      rmqctl(['topic', 'create', 'Orders', ...ns]), // neither --cluster nor --broker
      rmqctl(['topic', 'create', 'Orders', '--cluster', 'DefaultCluster', '--perm', 'rwz', ...ns]),
      rmqctl(['topic', 'create', 'Bad Name', '--cluster', 'DefaultCluster', ...ns]),
      rmqctl(['topic', 'create', 'Orders', '--cluster', 'Nope', ...ns]),
    ]);
    expect([noTarget.code, badPerm.code, badName.code]).toEqual([2, 2, 2]);
    expect(unknownCluster.code).toBe(1);
    // oclif wraps long errors: compare with the line breaks and its ' ›' margins taken out
    expect(unknownCluster.stderr.replace(/\s*›\s*/g, ' ').replace(/\s+/g, ' ')).toMatch(/cluster Nope is not known .*DefaultCluster/);

    const created = await rmqctl(['topic', 'create', 'Orders', '--cluster', 'DefaultCluster', '-r', '3', '-w', '3', ...ns, '--json']);
    expect(created.code, created.stderr).toBe(0);
    expect((JSON.parse(created.stdout) as { brokers: { brokerName: string; ok: boolean }[] }).brokers.map((b) => [b.brokerName, b.ok])).toEqual([['broker-a', true], ['broker-b', true]]);
    // --order: also the order-topic config on every NameServer, which routes then carry
    const ordered = await rmqctl(['topic', 'create', 'Fifo', '--cluster', 'DefaultCluster', '-w', '2', '-r', '2', '--order', ...ns]);
    expect(ordered.code, ordered.stderr).toBe(0);
    for (const one of c.namesrvAddrs) {
      const { AdminClient } = await import('../../src/client/admin.js');
      expect((await new AdminClient({ namesrvAddrs: [one], remoting: cl.remoting }).topicRoute('Fifo'))?.orderTopicConf).toBe('broker-a:2;broker-b:2');
    }
    const onB = await rmqctl(['topic', 'create', 'OnlyB', '--broker', 'broker-b', ...ns]);
    expect(onB.code, onB.stderr).toBe(0);
    expect(onB.stdout).toContain('created/updated on broker-b');
    expect((await cl.admin.topicRoute('OnlyB'))?.queueDatas.map((q) => q.brokerName)).toEqual(['broker-b']);

    // send: body from the argument, a file, standard input
    const dir = tmpDir();
    const file = path.join(dir, 'payload.bin');
    writeFileSync(file, Buffer.from([1, 2, 3, 0, 255]));
    const [s1, s2, s3, empty, reserved] = await Promise.all([
      rmqctl(['message', 'send', 'Orders', 'first body', '--tag', 'TagA', '--keys', 'order-7,order-8', '--property', 'origin=test', ...ns, '--json']),
      rmqctl(['message', 'send', 'Orders', '--file', file, '--keys', 'order-7', ...ns, '--json']),
      rmqctl(['message', 'send', 'Orders', ...ns], { input: 'from stdin' }),
      rmqctl(['message', 'send', 'Orders', ...ns], { input: '' }),
      rmqctl(['message', 'send', 'Orders', 'x', '--property', 'UNIQ_KEY=abc', ...ns]),
    ]);
    expect(s1.code, s1.stderr).toBe(0);
    const r1 = JSON.parse(s1.stdout) as { sendStatus: string; msgId: string; offsetMsgId: string };
    expect(r1.sendStatus).toBe('SEND_OK');
    expect(s2.code, s2.stderr).toBe(0);
    const r2 = JSON.parse(s2.stdout) as { offsetMsgId: string };
    expect(s3.code, s3.stderr).toBe(0);
    expect(s3.stdout).toMatch(/^SEND_OK {2}msgId [0-9A-F]{32} {2}offsetMsgId [0-9A-F]{32}/);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('the message body is empty');
    expect(reserved.code).toBe(2);

    // get: by offset msgId, by producer msgId (with the topic), by key (both brokers, newest first)
    const [byOffset, byUniq, uniqWithoutTopic, byKey, noSuchKey, bodyOnly] = await Promise.all([
      rmqctl(['message', 'get', '--id', r1.offsetMsgId, ...ns]),
      rmqctl(['message', 'get', '--id', r1.msgId, '--topic', 'Orders', ...ns, '--json']),
      rmqctl(['message', 'get', '--id', 'ZZ', ...ns]),
      rmqctl(['message', 'get', '--key', 'order-7', '--topic', 'Orders', ...ns, '--json']),
      rmqctl(['message', 'get', '--key', 'never', '--topic', 'Orders', ...ns]),
      rmqctl(['message', 'get', '--id', r1.offsetMsgId, '--body-only', ...ns]),
    ]);
    expect(byOffset.code, byOffset.stderr).toBe(0);
    expect(byOffset.stdout).toMatch(/body\s+10 bytes: first body/);
    expect(byOffset.stdout).toMatch(/properties\s+.*origin=test/);
    expect(byUniq.code, byUniq.stderr).toBe(0);
    expect((JSON.parse(byUniq.stdout) as { messages: { offsetMsgId: string }[] }).messages.map((m) => m.offsetMsgId)).toEqual([r1.offsetMsgId]);
    expect(uniqWithoutTopic.code).toBe(2);
    expect(byKey.code, byKey.stderr).toBe(0);
    const keyed = (JSON.parse(byKey.stdout) as { messages: { offsetMsgId: string; body: { base64: string } }[] }).messages;
    expect(keyed.map((m) => m.offsetMsgId).sort()).toEqual([r1.offsetMsgId, r2.offsetMsgId].sort());
    expect(keyed.map((m) => Buffer.from(m.body.base64, 'base64').toString('hex')).sort()).toEqual(['01020300ff', Buffer.from('first body').toString('hex')].sort());
    expect(noSuchKey.code).toBe(1);
    expect(bodyOnly.stdout).toBe('first body');

    // describe: 3 queues on each broker, 3 messages in all
    const [described, text, missing] = await Promise.all([rmqctl(['topic', 'describe', 'Orders', ...ns, '--json']), rmqctl(['topic', 'describe', 'Orders', ...ns]), rmqctl(['topic', 'describe', 'Nope', ...ns])]);
    expect(described.code, described.stderr).toBe(0);
    const d = JSON.parse(described.stdout) as TopicDescription;
    expect(d.brokers.map((b) => [b.brokerName, b.queues.length])).toEqual([['broker-a', 3], ['broker-b', 3]]);
    expect(d.brokers.flatMap((b) => b.queues).reduce((n, q) => n + q.maxOffset - q.minOffset, 0)).toBe(3);
    expect(text.stdout).toContain('3 message(s) stored');
    expect(missing.code).toBe(1);

    // delete: brokers, then both NameServers
    const deleted = await rmqctl(['topic', 'delete', 'Orders', ...ns, '--json']);
    expect(deleted.code, deleted.stderr).toBe(0);
    const del = JSON.parse(deleted.stdout) as { brokers: { brokerName: string; ok: boolean }[]; namesrvs: { ok: boolean }[] };
    expect(del.brokers.map((b) => b.brokerName)).toEqual(['broker-a', 'broker-b']);
    expect(del.namesrvs.map((n) => n.ok)).toEqual([true, true]);
    expect(await cl.admin.topicRoute('Orders')).toBeUndefined();
    expect((await cl.brokers.allTopicConfig(c.broker('broker-a').addr)).topicConfigTable.Orders).toBeUndefined();
  });

  it('message tail follows every queue of every broker; bench produce reports intervals and a summary', async () => {
    const c = await startCluster({ brokers: [{ name: 'broker-a' }, { name: 'broker-b' }] });
    const cl = clientsFor(c);
    const ns = ['--namesrv', c.namesrvAddr];
    expect((await rmqctl(['topic', 'create', 'Tailed', '--cluster', 'DefaultCluster', '-r', '2', '-w', '2', ...ns])).code).toBe(0);

    const tail = spawn(process.execPath, [path.join(repoRoot, 'bin', 'rmqctl'), 'message', 'tail', 'Tailed', '--count', '4', '--tag', 'Keep', '--json', ...ns], { stdio: ['ignore', 'pipe', 'pipe'] });
    onTestFinished(() => void tail.kill('SIGKILL'));
    let out = '';
    tail.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => tail.once('exit', (code) => resolve(code)));
    // tail starts at the end of each queue: wait until it holds a pull on all four queues
    await waitFor(async () => {
      const held = await Promise.all(['broker-a', 'broker-b'].map(async (b) => Number((await cl.brokers.runtimeInfo(c.broker(b).addr)).pullHoldRequests)));
      return held.every((n) => n === 2);
    }, { timeout: 20_000, what: 'tail to hold a pull on every queue' });
    const p = cl.producer();
    for (let i = 0; i < 6; i++) await p.send({ topic: 'Tailed', body: `t${i}`, tags: i % 3 === 2 ? 'Drop' : 'Keep' });
    expect(await exited).toBe(0);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { body: { text: string }; tags: string });
    expect(lines.map((l) => l.body.text).sort()).toEqual(['t0', 't1', 't3', 't4']);
    expect(new Set(lines.map((l) => l.tags))).toEqual(new Set(['Keep']));

    const bench = await rmqctl(['bench', 'produce', '--topic', 'Tailed', '--count', '2000', '--threads', '8', '--message-size', '256', '--keys', '--tag-count', '2', '--report-interval', '200', ...ns, '--json']);
    expect(bench.code, bench.stderr).toBe(0);
    const s = JSON.parse(bench.stdout) as BenchProduceSummary;
    expect(s).toMatchObject({ sendTotal: 2000, sendFailed: 0, messageSize: 256, threads: 8 });
    expect(s.rtMillis.p50).toBeGreaterThan(0);
    expect(s.rtMillis.p99).toBeGreaterThanOrEqual(s.rtMillis.p50);
    expect(s.rtMillis.p999).toBeGreaterThanOrEqual(s.rtMillis.p99);
    expect(s.mbPerSec).toBeGreaterThan(0);
    expect(bench.stderr).toMatch(/Send TPS: \d+ \| Max RT\(ms\): [\d.]+ \| Average RT\(ms\): [\d.]+ \| Send Failed: 0/);
    const stored = await Promise.all(['broker-a', 'broker-b'].map((b) => cl.brokers.topicStats(c.broker(b).addr, 'Tailed')));
    expect(stored.flatMap((t) => t.queues).reduce((n, q) => n + q.maxOffset, 0)).toBe(2006);
  });

  it('finding 9: message send to a missing topic is refused (no silent auto-create) unless --create; message tail creates no group and names the broker of each message', async () => {
    const c = await startCluster({ brokers: [{ name: 'broker-a' }, { name: 'broker-b' }] });
    const cl = clientsFor(c);
    const ns = ['--namesrv', c.namesrvAddr];

    const typo = await rmqctl(['message', 'send', 'Ordres', 'hi', ...ns]);
    expect(typo.code).toBe(1);
    expect(typo.stderr.replace(/\s*\n ›\s+/g, ' ')).toContain('topic Ordres does not exist; create it with `rmqctl topic create Ordres`');
    expect(await cl.admin.topicRoute('Ordres')).toBeUndefined();
    const created = await rmqctl(['message', 'send', 'Ordres', 'hi', '--create', ...ns]);
    expect(created.code, created.stderr).toBe(0);
    expect(await cl.admin.topicRoute('Ordres')).toBeDefined();

    // one queue per group: the first message of each is q0@0 — the output must tell them apart
    expect((await rmqctl(['topic', 'create', 'Two', '--cluster', 'DefaultCluster', '-r', '1', '-w', '1', ...ns])).code).toBe(0);
    const groups = new GroupApi(cl.remoting, 5_000);
    const groupsOf = async () => (await Promise.all(['broker-a', 'broker-b'].map(async (b) => Object.keys((await groups.subscriptionGroups(c.broker(b).addr)).subscriptionGroupTable).sort())));
    const before = await groupsOf();
    const p = cl.producer();
    for (let i = 0; i < 2; i++) await p.send({ topic: 'Two', body: `b${i}` });
    const text = await rmqctl(['message', 'tail', 'Two', '--from-beginning', '--count', '2', ...ns]);
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.trim().split('\n').sort((a, b) => (a.includes('broker-a/') ? -1 : b.includes('broker-a/') ? 1 : 0));
    expect(lines).toEqual([expect.stringMatching(/ Two broker-a\/q0@0 \(master 127\.0\.0\.1:\d+\) /), expect.stringMatching(/ Two broker-b\/q0@0 \(master 127\.0\.0\.1:\d+\) /)]);
    const json = await rmqctl(['message', 'tail', 'Two', '--from-beginning', '--count', '2', '--json', ...ns]);
    const views = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { brokerName: string; brokerAddr: string; queueId: number; queueOffset: number });
    expect(views.map((v) => `${v.brokerName}/${v.queueId}@${v.queueOffset}@${v.brokerAddr}`).sort()).toEqual([`broker-a/0@0@${c.broker('broker-a').addr}`, `broker-b/0@0@${c.broker('broker-b').addr}`]);
    // no consumer group was created anywhere
    expect(await groupsOf()).toEqual(before);
    expect(before.flat()).not.toContain('rmqctl_tail');
  });
});
