/**
 * `rmqctl message send --delay | --deliver-at` and `rmqctl message recall` as real processes
 * against a real broker: bad durations, times and handles exit 2 with a message that names the
 * flag; a timer message is held until due and its recall handle recalls it (exit 1 once it is
 * too late); a time past the broker's timerMaxDelaySec is refused (exit 1, the broker's words).
 */
import { describe, expect, it } from 'vitest';
import { rmqctl } from '../support/cli.js';
import { startCluster } from '../support/cluster.js';
import { clientsFor, createTopic } from '../support/clients.js';
import { startConsumer } from '../support/consumers.js';
import { waitFor } from '../support/wait.js';
import type { MessageSendOutput } from '../../src/commands/message/send.js';
import type { MessageRecallOutput } from '../../src/commands/message/recall.js';

const oneLine = (s: string) => s.replace(/\s*›\s*/g, ' ').replace(/\s+/g, ' ');

describe('rmqctl message send --delay/--deliver-at and message recall', { timeout: 120_000 }, () => {
  it('validates the flags, holds a timer message until due, recalls one', async () => {
    const c = await startCluster({ brokers: [{ name: 'broker-a', properties: { timerMaxDelaySec: 3600 } }] });
    const cl = clientsFor(c);
    await createTopic(cl, c, c.broker('broker-a').addr, 'Later', 2);
    const ns = ['--namesrv', c.namesrvAddr];

    const bad = await Promise.all([
      rmqctl(['message', 'send', 'Later', 'x', '--delay', '90', ...ns]),
      rmqctl(['message', 'send', 'Later', 'x', '--delay', '0s', ...ns]),
      rmqctl(['message', 'send', 'Later', 'x', '--delay', '1q', ...ns]),
      rmqctl(['message', 'send', 'Later', 'x', '--deliver-at', 'tomorrow', ...ns]),
      rmqctl(['message', 'send', 'Later', 'x', '--deliver-at', '2001-01-01T00:00:00Z', ...ns]),
      rmqctl(['message', 'send', 'Later', 'x', '--delay', '5s', '--deliver-at', String(Date.now() + 60_000), ...ns]),
      rmqctl(['message', 'recall', 'Later', 'not-a-handle!', ...ns]),
      rmqctl(['message', 'recall', 'Later', Buffer.from('v2 a b c d').toString('base64url'), ...ns]),
    ]);
    expect(bad.map((r) => r.code)).toEqual([2, 2, 2, 2, 2, 2, 2, 2]);
    expect(oneLine(bad[0]!.stderr)).toContain("--delay: expected a duration such as 90s, 1m30s, 2h or 500ms (units ms, s, m, h, d), got '90'");
    expect(oneLine(bad[1]!.stderr)).toContain('--delay: the duration must be longer than 0');
    expect(oneLine(bad[3]!.stderr)).toContain("--deliver-at: expected 'now', epoch milliseconds or an ISO-8601 time");
    expect(oneLine(bad[4]!.stderr)).toContain('--deliver-at: 2001-01-01T00:00:00.000Z is not in the future');
    expect(oneLine(bad[5]!.stderr)).toMatch(/--delay=5s cannot also be provided when using --deliver-at|cannot also be provided/);
    expect(oneLine(bad[6]!.stderr)).toContain('HANDLE: the recall handle is not URL-safe Base64');
    expect(oneLine(bad[7]!.stderr)).toContain('HANDLE: the recall handle is not a version 1 handle');

    const received: { body: string; at: number }[] = [];
    await startConsumer(c, 'G_CLI_TIMER', 'Later', {}, async (m) => {
      received.push({ body: m.body.toString(), at: Date.now() });
    });
    const dueAt = Date.now() + 6_000;
    const [delayed, at, tooFar, toRecall] = await Promise.all([
      rmqctl(['message', 'send', 'Later', 'after 3 s', '--delay', '3s', ...ns, '--json']),
      rmqctl(['message', 'send', 'Later', 'at a time', '--deliver-at', new Date(dueAt).toISOString(), ...ns]),
      rmqctl(['message', 'send', 'Later', 'too far', '--delay', '2h', ...ns]),
      rmqctl(['message', 'send', 'Later', 'recalled', '--delay', '1m', ...ns, '--json']),
    ]);
    expect(delayed.code, delayed.stderr).toBe(0);
    const d = JSON.parse(delayed.stdout) as MessageSendOutput;
    expect(d.recallHandle).toMatch(/^[A-Za-z0-9_-]+=*$/);
    expect(Date.parse(d.deliverAt!)).toBeGreaterThan(Date.now() - 60_000);
    expect(at.code, at.stderr).toBe(0);
    expect(at.stdout).toMatch(/timer: due .*; recall with: rmqctl message recall Later \S+/);
    expect(tooFar.code).toBe(1);
    expect(oneLine(tooFar.stderr)).toContain("more than this broker's timerMaxDelaySec (3600 s)");

    const r = JSON.parse(toRecall.stdout) as MessageSendOutput;
    const [recall, otherTopic] = await Promise.all([rmqctl(['message', 'recall', 'Later', r.recallHandle!, ...ns, '--json']), rmqctl(['message', 'recall', 'Other', r.recallHandle!, ...ns])]);
    expect(recall.code, recall.stderr).toBe(0);
    expect(JSON.parse(recall.stdout) as MessageRecallOutput).toMatchObject({ topic: 'Later', msgId: r.msgId, brokerName: 'broker-a' });
    expect(otherTopic.code).toBe(2);
    expect(oneLine(otherTopic.stderr)).toContain('the recall handle is for topic Later, not Other');

    await waitFor(() => received.length >= 2, { timeout: 30_000, what: 'the two timer messages' });
    const byBody = new Map(received.map((m) => [m.body, m.at]));
    expect(byBody.get('at a time')).toBeGreaterThanOrEqual(dueAt);
    // too late to recall a delivered one: the broker says so, exit 1
    const late = await rmqctl(['message', 'recall', 'Later', d.recallHandle!, ...ns]);
    expect(late.code).toBe(1);
    expect(oneLine(late.stderr)).toMatch(/it has been delivered/);
  });
});
