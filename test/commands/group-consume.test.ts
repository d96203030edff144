/**
 * `rmqctl message consume`, `group list|describe|reset-offset` as real processes against a real
 * two-broker cluster: a consumer group reads part of a topic, the rest in a second run (resuming
 * from its committed offsets), its progress and lag are reported, a reset by time sends it back to
 * the start; a lag that cannot be known is shown as unknown; bad input exits 2; `bench consume`
 * reads a topic as a new group and reports its rates.
 */
import { describe, expect, it } from 'vitest';
import type { GroupProgress, GroupSummary, ResetOutcome } from '../../src/ops/group-admin.js';
import { GroupApi } from '../../src/client/group-api.js';
import { subscriptionGroupConfig } from '../../src/protocol/group-config.js';
import { rmqctl } from '../support/cli.js';
import { startCluster } from '../support/cluster.js';
import { clientsFor, createTopic } from '../support/clients.js';
import { startConsumer, waitBalanced } from '../support/consumers.js';

interface ConsumedLine {
  topic: string;
  brokerName: string;
  queueId: number;
  queueOffset: number;
  tags: string | null;
  keys: string[];
  body: { text?: string };
}

/** What the test sent as `audit-<i>`: its topic, tag and keys. */
function sent(text: string | undefined): Pick<ConsumedLine, 'topic' | 'tags' | 'keys'> {
  const i = Number(/^audit-(\d+)$/.exec(text ?? '')?.[1] ?? Number.NaN);
  expect(Number.isInteger(i), `a body we sent: ${text}`).toBe(true);
  return { topic: 'Audit', tags: i % 2 === 0 ? 'TagA' : 'TagB', keys: [`k-${i}`] };
}

const lines = (stdout: string): ConsumedLine[] =>
  stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ConsumedLine);

// each rmqctl call is a process start (1-3 s on a busy machine)
describe('rmqctl message consume and group commands', { timeout: 180_000 }, () => {
  it('consumes as a group and resumes, reports progress, lag (unknown when it is) and clients, resets offsets by time', async () => {
    const c = await startCluster({ brokers: [{ name: 'broker-a' }, { name: 'broker-b' }] });
    const cl = clientsFor(c);
    const ns = ['--namesrv', c.namesrvAddr];
    for (const b of ['broker-a', 'broker-b']) await createTopic(cl, c, c.broker(b).addr, 'Audit', 2);
    const beforeSending = Date.now() - 1_000;
    const producer = cl.producer();
    for (let i = 0; i < 20; i++) await producer.send({ topic: 'Audit', body: `audit-${i}`, tags: i % 2 === 0 ? 'TagA' : 'TagB', keys: [`k-${i}`] });

    // bad input: exit 2, also as a JSON error object
    const [badFrom, badTime, badTimeJson, noGroup] = await Promise.all([
      rmqctl(['message', 'consume', 'Audit', '--group', 'G_CLI', '--from', 'yesterday', ...ns]),
      rmqctl(['group', 'reset-offset', 'G_CLI', '--topic', 'Audit', '--to-time', 'soon', ...ns]),
      rmqctl(['group', 'reset-offset', 'G_CLI', '--topic', 'Audit', '--to-time', 'soon', ...ns, '--json']),
      rmqctl(['message', 'consume', 'Audit', ...ns]),
    ]);
    expect([badFrom.code, badTime.code, badTimeJson.code, noGroup.code]).toEqual([2, 2, 2, 2]);
    expect(badFrom.stderr).toContain('--from: expected first, last');
    expect((JSON.parse(badTimeJson.stdout) as { error: { exitCode: number; message: string } }).error).toMatchObject({ exitCode: 2, message: expect.stringContaining('--to-time') as string });

    // first run: 6 messages, then the offsets are committed; the second run gets the other 14
    const first = await rmqctl(['message', 'consume', 'Audit', '--group', 'G_CLI', '--from', 'first', '--count', '6', ...ns, '--json']);
    expect(first.code, first.stderr).toBe(0);
    const got1 = lines(first.stdout);
    expect(got1).toHaveLength(6);
    expect(first.stderr).toContain('6 message(s) consumed by group G_CLI');
    // every printed message is one we sent, with its tag and keys (which six come first depends on
    // the queues' order, so each is checked against what was sent rather than looking for one)
    for (const m of got1) expect(m).toMatchObject(sent(m.body.text));

    const progress1 = await rmqctl(['group', 'describe', 'G_CLI', '--topic', 'Audit', ...ns, '--json']);
    expect(progress1.code, progress1.stderr).toBe(0);
    const p1 = JSON.parse(progress1.stdout) as GroupProgress;
    expect(p1.queues).toHaveLength(4);
    expect(p1.queues.reduce((n, q) => n + (q.brokerOffset as number), 0)).toBe(20);
    // what was printed is exactly what is committed (each queue consumed as a prefix, one message at a time)
    expect(p1.queues.reduce((n, q) => n + (q.consumerOffset ?? 0), 0)).toBe(6);
    // a queue the group has committed nothing for has an unknown lag (null), not its broker offset and not 0
    for (const q of p1.queues) expect(q.lag).toBe(q.consumerOffset === null ? null : q.brokerOffset - q.consumerOffset);
    expect(p1.queues.reduce((n, q) => n + (q.lag ?? q.brokerOffset), 0)).toBe(14);

    const second = await rmqctl(['message', 'consume', 'Audit', '--group', 'G_CLI', '--from', 'first', '--count', '14', ...ns, '--json']);
    expect(second.code, second.stderr).toBe(0);
    const got2 = lines(second.stdout);
    for (const m of got2) expect(m).toMatchObject(sent(m.body.text));
    const bodies = [...got1, ...got2].map((m) => m.body.text).sort();
    expect(bodies).toEqual(Array.from({ length: 20 }, (_, i) => `audit-${i}`).sort());

    // a live group: its client is listed; a group that never committed has an unknown lag, not 0
    const live = await startConsumer(c, 'G_LIVE', 'Audit', { consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET' });
    await waitBalanced([live.consumer], 'Audit', 4);
    const groups = new GroupApi(cl.remoting, 5_000);
    for (const b of ['broker-a', 'broker-b']) await groups.createSubscriptionGroup(c.broker(b).addr, subscriptionGroupConfig('G_NEVER'));

    const [list, liveDesc, never, neverText, unknownGroup] = await Promise.all([
      rmqctl(['group', 'list', ...ns, '--json']),
      rmqctl(['group', 'describe', 'G_LIVE', ...ns, '--json']),
      rmqctl(['group', 'describe', 'G_NEVER', '--topic', 'Audit', ...ns, '--json']),
      rmqctl(['group', 'describe', 'G_NEVER', '--topic', 'Audit', ...ns]),
      rmqctl(['group', 'describe', 'G_NOBODY', ...ns]),
    ]);
    expect(list.code, list.stderr).toBe(0);
    const listed = (JSON.parse(list.stdout) as { groups: GroupSummary[] }).groups;
    expect(listed.map((g) => g.group)).toEqual(expect.arrayContaining(['G_CLI', 'G_LIVE', 'G_NEVER']));
    expect(listed.some((g) => g.group === 'TOOLS_CONSUMER')).toBe(false);
    expect(listed.find((g) => g.group === 'G_CLI')).toMatchObject({ clients: 0, lag: 0, brokers: ['broker-a', 'broker-b'] });
    expect(listed.find((g) => g.group === 'G_LIVE')).toMatchObject({ clients: 1, messageModel: 'CLUSTERING', topics: ['Audit'] });

    expect(liveDesc.code, liveDesc.stderr).toBe(0);
    const ld = JSON.parse(liveDesc.stdout) as GroupProgress;
    expect(ld.clients.map((x) => x.clientId)).toEqual([live.consumer.clientId]);
    expect(ld.clients[0]?.brokers).toEqual(['broker-a', 'broker-b']);
    expect(Object.keys(ld.subscriptions ?? {})).toContain('Audit');

    expect(never.code, never.stderr).toBe(0);
    const nv = JSON.parse(never.stdout) as GroupProgress;
    expect(nv.queues).toHaveLength(4);
    expect(nv.queues.every((q) => q.lag === null && q.consumerOffset === null)).toBe(true);
    expect(neverText.stdout).toMatch(/Audit\s+broker-a\s+0\s+\d+\s+-\s+unknown/);
    expect(unknownGroup.code).toBe(1);
    expect(unknownGroup.stderr).toContain('G_NOBODY is not known to any broker');

    // reset by time to before the first send: every queue back to 0, lag 20 again
    const reset = await rmqctl(['group', 'reset-offset', 'G_CLI', '--topic', 'Audit', '--to-time', new Date(beforeSending).toISOString(), ...ns, '--json']);
    expect(reset.code, reset.stderr).toBe(0);
    const r = JSON.parse(reset.stdout) as ResetOutcome;
    expect(r.problems).toEqual([]);
    expect(r.queues.map((q) => [q.brokerName, q.queueId, q.offset])).toEqual([
      ['broker-a', 0, 0],
      ['broker-a', 1, 0],
      ['broker-b', 0, 0],
      ['broker-b', 1, 0],
    ]);
    // bench consume: a new group reads the topic from its start
    const [progress2, bench] = await Promise.all([
      rmqctl(['group', 'describe', 'G_CLI', ...ns]),
      rmqctl(['bench', 'consume', '--topic', 'Audit', '--group', 'G_BENCH', '--count', '20', '--report-interval', '200', ...ns, '--json']),
    ]);
    expect(progress2.code, progress2.stderr).toBe(0);
    expect(progress2.stdout).toContain('total lag 20');
    expect(bench.code, bench.stderr).toBe(0);
    expect(bench.stderr).toContain('Consume TPS');
    const summary = JSON.parse(bench.stdout) as { consumed: number; b2cMillis: { max: number }; group: string };
    expect(summary).toMatchObject({ consumed: 20, group: 'G_BENCH' });
    expect(summary.b2cMillis.max).toBeGreaterThan(0);
  });
});
