/**
 * 5,000 concurrent long-polling ReceiveMessage calls against one broker whose maxPopPollingSize is
 * 4,000: 4,000 park, the rest are answered TOO_MANY_REQUESTS at once; the broker's memory stays
 * bounded (reported per parked receive); one message sent is delivered to exactly one of them;
 * every other call ends with MESSAGE_NOT_FOUND when its long poll runs out — none hangs, nothing
 * is lost.
 */
import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { MessagingServiceClient } from '../../../src/grpc/generated/apache/rocketmq/v2/MessagingService.js';
import type { ReceiveMessageResponse__Output } from '../../../src/grpc/generated/apache/rocketmq/v2/ReceiveMessageResponse.js';
import { startCluster } from '../../support/cluster.js';
import { clientsFor, createTopic } from '../../support/clients.js';
import { waitFor } from '../../support/wait.js';
import { grpcBroker, rawV5Client, v5Metadata, v5Producer } from '../../support/v5.js';

const rssBytes = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024;

function receive(client: MessagingServiceClient, clientId: string): Promise<{ statuses: string[]; messages: string[] }> {
  return new Promise((resolve) => {
    const out = { statuses: [] as string[], messages: [] as string[] };
    const call = client.ReceiveMessage(
      { group: { name: 'G_POLL' }, messageQueue: { topic: { name: 'PollT' }, id: 0 }, filterExpression: { type: 'TAG', expression: '*' }, batchSize: 1, invisibleDuration: { seconds: 60 }, autoRenew: false, longPollingTimeout: { seconds: 8 } },
      v5Metadata(clientId),
      { deadline: Date.now() + 15_000 },
    );
    call.on('data', (r: ReceiveMessageResponse__Output) => {
      if (r.status) out.statuses.push(String(r.status.code));
      if (r.message) out.messages.push(Buffer.from(r.message.body).toString());
    });
    call.on('error', (e: grpc.ServiceError) => {
      out.statuses.push(`grpc:${grpc.status[e.code]}`);
      resolve(out);
    });
    call.on('end', () => resolve(out));
  });
}

describe('long polling over gRPC', () => {
  it('5,000 concurrent receives: 4,000 park, 1,000 TOO_MANY_REQUESTS, memory bounded, one message to exactly one, the rest end empty', { timeout: 120_000 }, async () => {
    const a = await grpcBroker('broker-a', { maxPopPollingSize: 4_000 });
    const c = await startCluster({ brokers: [a] });
    const cl = clientsFor(c);
    await createTopic(cl, c, c.broker('broker-a').addr, 'PollT', 4);
    const endpoints = `127.0.0.1:${a.grpcPort}`;
    const producer = await v5Producer({ endpoints, topic: 'PollT' });
    const pid = c.broker('broker-a').pid!;
    // settle the group (first receive creates it) before measuring memory
    const channels = Array.from({ length: 4 }, () => rawV5Client(endpoints));
    await receive(channels[0]!, 'warm-up').catch(() => undefined);
    const rss0 = rssBytes(pid);
    const calls = Array.from({ length: 5_000 }, (_, i) => receive(channels[i % 4]!, `poller-${i % 50}`));
    const info = () => cl.brokers.runtimeInfo(c.broker('broker-a').addr);
    await waitFor(async () => Number((await info()).popPollingRequests) >= 4_000, { timeout: 30_000, what: '4,000 parked receives' });
    const rss1 = rssBytes(pid);
    await producer.send({ topic: 'PollT', body: Buffer.from('the one') });
    const results = await Promise.all(calls);
    const busy = results.filter((r) => r.statuses.includes('TOO_MANY_REQUESTS')).length;
    const got = results.flatMap((r) => r.messages);
    const empty = results.filter((r) => r.statuses.includes('MESSAGE_NOT_FOUND')).length;
    const grpcErrors = results.filter((r) => r.statuses.some((s) => s.startsWith('grpc:'))).length;
    const perPoller = (rss1 - rss0) / 4_000;
    console.log(`5,000 receives: ${busy} TOO_MANY_REQUESTS, ${got.length} message(s), ${empty} empty, ${grpcErrors} transport errors; broker RSS ${(rss1 / 1048576).toFixed(0)} MB, +${(perPoller / 1024).toFixed(1)} KB per parked receive`);
    expect(busy).toBe(1_000);
    expect(got).toEqual(['the one']);
    expect(empty).toBe(3_999);
    expect(grpcErrors).toBe(0);
    expect(rss1 - rss0).toBeLessThan(400 * 1024 * 1024);
    expect(c.broker('broker-a').running).toBe(true);
  });
});
